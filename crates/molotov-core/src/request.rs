//! [`RequestBuilder`]: headers, query, body and options of one request, then `send`.
//!
//! Mistakes (an invalid header, a body that does not serialise) are kept until `send`, which
//! returns them as an error of kind `"request"`, so building never panics and a scenario reads
//! top to bottom.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use molotov_http::{Error as HttpError, Kind};
use serde::Serialize;

use crate::session::{Request, Response, Session};

/// One request being built on a [`Session`].
///
/// ```no_run
/// # async fn demo(session: molotov_core::Session) -> molotov_core::ScenarioResult {
/// let response = session
///     .post("http://127.0.0.1:8080/echo")
///     .header("x-test", "1")
///     .query(&[("page", "2")])
///     .json(&serde_json::json!({"a": 1}))
///     .name("create item")
///     .send()
///     .await?;
/// molotov_core::ensure!(response.status() == 200);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'s> {
    session: &'s Session,
    request: Result<Request, HttpError>,
    name: Option<Cow<'static, str>>,
}

impl<'s> RequestBuilder<'s> {
    pub(crate) fn new(session: &'s Session, request: Result<Request, HttpError>) -> Self {
        RequestBuilder {
            session,
            request,
            name: None,
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Request) -> Result<(), HttpError>) -> Self {
        if let Ok(request) = &mut self.request {
            if let Err(e) = f(request) {
                self.request = Err(e);
            }
        }
        self
    }

    /// Adds a header (several with the same name are all sent).
    pub fn header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::error::Error + Send + Sync + 'static,
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        self.with(|r| {
            let name = name.try_into().map_err(invalid)?;
            let value = value.try_into().map_err(invalid)?;
            r.headers.append(name, value);
            Ok(())
        })
    }

    /// Adds these headers, replacing those of the same name.
    pub fn headers(self, headers: HeaderMap) -> Self {
        self.with(|r| {
            r.headers.extend(headers);
            Ok(())
        })
    }

    /// Appends query parameters to the URL (percent-encoded).
    pub fn query<K: AsRef<str>, V: AsRef<str>>(self, params: &[(K, V)]) -> Self {
        self.with(|r| {
            let mut pairs = r.url.query_pairs_mut();
            for (k, v) in params {
                pairs.append_pair(k.as_ref(), v.as_ref());
            }
            drop(pairs);
            Ok(())
        })
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        self.with(|r| {
            let body = serde_json::to_vec(value).map_err(invalid)?;
            r.body = Bytes::from(body);
            set_content_type(r, "application/json");
            Ok(())
        })
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self {
        self.with(|r| {
            let mut encoder = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                encoder.append_pair(k.as_ref(), v.as_ref());
            }
            r.body = Bytes::from(encoder.finish());
            set_content_type(r, "application/x-www-form-urlencoded");
            Ok(())
        })
    }

    /// A raw body.
    pub fn body(self, body: impl Into<Bytes>) -> Self {
        self.with(|r| {
            r.body = body.into();
            Ok(())
        })
    }

    /// Basic authentication for this request.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        self.with(|r| {
            let value = crate::session::basic_auth_header(user, password).map_err(invalid)?;
            r.headers.insert(http::header::AUTHORIZATION, value);
            Ok(())
        })
    }

    /// The timeout of this request, redirects included.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|r| {
            r.timeout = Some(timeout);
            Ok(())
        })
    }

    /// Whether to follow redirects (the session's setting otherwise).
    pub fn allow_redirects(self, follow: bool) -> Self {
        self.with(|r| {
            r.follow_redirects = Some(follow);
            Ok(())
        })
    }

    /// Whether to verify the server's certificate for this request (the session's setting
    /// otherwise); `false` is aiohttp's `ssl=False`.
    pub fn verify_tls(self, verify: bool) -> Self {
        self.with(|r| {
            r.verify_tls = Some(verify);
            Ok(())
        })
    }

    /// Records the request under this name instead of its URL path (for URLs with ids in
    /// them).
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The request, or the mistake made building it.
    pub fn build(self) -> Result<Request, HttpError> {
        self.request
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self) -> Result<Response, HttpError> {
        let request = self.request?;
        self.session.send(&request, self.name.as_deref()).await
    }
}

fn set_content_type(request: &mut Request, value: &'static str) {
    if !request.headers.contains_key(http::header::CONTENT_TYPE) {
        request
            .headers
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> HttpError {
    HttpError::new(Kind::Request).with_source(e)
}
