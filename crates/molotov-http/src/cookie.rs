//! The cookie jar of one client: cookies the servers set (domain and path rules applied by
//! `cookie_store`), plus session cookies given up front that go to every host, as aiohttp's
//! `ClientSession(cookies=...)` does.

use cookie_store::CookieStore;
use url::Url;

use crate::response::Headers;

/// Cookies of one client.
#[derive(Default)]
pub(crate) struct Jar {
    store: CookieStore,
    /// Set up front; sent to every host.
    fixed: Vec<(String, String)>,
    /// Whether `store` may hold anything, so a request with no cookies anywhere costs one branch.
    stored_any: bool,
}

impl Jar {
    pub(crate) fn with_fixed(fixed: Vec<(String, String)>) -> Self {
        Jar {
            fixed,
            ..Jar::default()
        }
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub(crate) fn header_for(&self, url: &Url) -> Option<String> {
        if !self.stored_any && self.fixed.is_empty() {
            return None;
        }
        let mut value = String::new();
        let stored = if self.stored_any {
            Some(self.store.get_request_values(url))
        } else {
            None
        };
        let pairs = self
            .fixed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(stored.into_iter().flatten());
        for (name, val) in pairs {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(name);
            value.push('=');
            value.push_str(val);
        }
        (!value.is_empty()).then_some(value)
    }

    /// Stores the cookies a response from `url` sets.
    pub(crate) fn store_from(&mut self, headers: &Headers, url: &Url) {
        for value in headers.get_all_bytes("set-cookie") {
            if let Ok(text) = std::str::from_utf8(value) {
                // A cookie the rules reject (bad domain, syntax) is ignored, as browsers do.
                if self.store.parse(text, url).is_ok() {
                    self.stored_any = true;
                }
            }
        }
    }

    /// Adds a cookie sent to every host.
    pub(crate) fn add_fixed(&mut self, name: String, value: String) {
        self.fixed.retain(|(n, _)| *n != name);
        self.fixed.push((name, value));
    }

    /// Every cookie held: `(name, value, domain)`; fixed cookies have an empty domain.
    pub(crate) fn all(&self) -> Vec<(String, String, String)> {
        let fixed = self
            .fixed
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), String::new()));
        let stored = self.store.iter_unexpired().map(|c| {
            // The domain the jar matches on (the host for a host-only cookie), not the
            // `Domain` attribute, which a host-only cookie does not have.
            let domain = c.domain.as_cow().map(Into::into).unwrap_or_default();
            (c.name().to_owned(), c.value().to_owned(), domain)
        });
        fixed.chain(stored).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.store.clear();
        self.fixed.clear();
        self.stored_any = false;
    }
}
