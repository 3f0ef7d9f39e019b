//! One-URL mode: `molotov https://host/path` loads one URL with a single scenario, as `wrk`,
//! `hey` and `oha` do, with every option of a scripted run (`-w`, `-d`, `-r`, `-p`, `--json`...)
//! plus the request's own: `-m METHOD`, `-H "Name: value"`, `--body TEXT|@FILE` and
//! `--content-type`.
//!
//! The request is built once, when the options are read, and every run sends that same
//! request: no per-run parsing or allocation. A run succeeds when a response arrives with a
//! status below 400; a 4xx or 5xx response fails the run (kind `bad-status`), and the request
//! table still counts every status.

use std::rc::Rc;

use molotov_core::http::{Bytes, HeaderMap, HeaderName, HeaderValue, Method, Request, Url};
use molotov_core::{Failure, Plan, Scenario, ScenarioResult, Session};

use crate::args::Args;

/// The request of a one-URL run.
#[derive(Debug, Clone)]
pub struct UrlTest {
    /// What is sent, every run.
    pub request: Request,
}

impl UrlTest {
    /// `Some` when the positional argument is an `http://` or `https://` URL; an error for a bad
    /// URL, method, header or body, or for request options given with a script.
    pub(crate) fn from_args(args: &Args) -> Result<Option<UrlTest>, String> {
        if !is_url(&args.scenario) {
            let given = [
                (args.method != "GET", "-m/--method"),
                (!args.header.is_empty(), "-H/--header"),
                (args.body.is_some(), "--body"),
                (args.content_type.is_some(), "--content-type"),
            ];
            if let Some((_, option)) = given.into_iter().find(|(set, _)| *set) {
                return Err(format!(
                    "{option} is for the one-URL mode (molotov http://host/path), not for a script"
                ));
            }
            return Ok(None);
        }
        let url: Url = args
            .scenario
            .parse()
            .map_err(|e| format!("{:?} is not a URL: {e}", args.scenario))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{:?} is not a URL: it has no host", args.scenario));
        }
        let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP method", args.method))?;
        let mut headers = HeaderMap::new();
        for line in &args.header {
            let (name, value) = header(line)?;
            headers.append(name, value);
        }
        let body = match &args.body {
            None => Bytes::new(),
            Some(text) => match text.strip_prefix('@') {
                Some(path) => std::fs::read(path)
                    .map(Bytes::from)
                    .map_err(|e| format!("--body @{path}: cannot read the file: {e}"))?,
                None => Bytes::from(text.clone()),
            },
        };
        let content_type = match &args.content_type {
            Some(given) => Some(given.clone()),
            None if body.is_empty() => None,
            None => Some(guess_content_type(&body).to_owned()),
        };
        if let Some(content_type) = content_type {
            if !headers.contains_key(http_content_type()) {
                let value = HeaderValue::from_str(&content_type).map_err(|_| {
                    format!("--content-type {content_type:?} is not a header value")
                })?;
                headers.insert(http_content_type(), value);
            }
        }
        let mut request = Request::new(method, url);
        request.headers = headers;
        request.body = body;
        Ok(Some(UrlTest { request }))
    }

    /// The scenario's name: `GET http://host/path`.
    pub fn name(&self) -> String {
        format!("{} {}", self.request.method, self.request.url)
    }

    /// The plan of the run: one scenario that sends the request.
    pub fn plan(&self) -> Plan {
        let request = Rc::new(self.request.clone());
        let scenario = move |session: Session| {
            let request = Rc::clone(&request);
            async move { send(&session, &request).await }
        };
        Plan::new().scenario(Scenario::new(self.name(), scenario))
    }
}

async fn send(session: &Session, request: &Request) -> ScenarioResult {
    let response = session.send(request, None).await?;
    let status = response.status();
    if status.as_u16() >= 400 {
        return Err(Box::new(Failure::new("bad-status", status.to_string())));
    }
    Ok(())
}

/// Whether the positional argument asks for the one-URL mode.
pub(crate) fn is_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn http_content_type() -> HeaderName {
    HeaderName::from_static("content-type")
}

/// `Name: value`, checked.
fn header(line: &str) -> Result<(HeaderName, HeaderValue), String> {
    let bad = || format!("-H {line:?} is not a header: write it \"Name: value\"");
    let (name, value) = line.split_once(':').ok_or_else(bad)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
    Ok((name, value))
}

/// `application/json` for a body that is a JSON object or array, plain text for other UTF-8,
/// `application/octet-stream` for the rest.
fn guess_content_type(body: &[u8]) -> &'static str {
    let trimmed = body.trim_ascii_start();
    if matches!(trimmed.first(), Some(b'{' | b'['))
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
    {
        "application/json"
    } else if std::str::from_utf8(body).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(argv: &[&str]) -> Result<Option<UrlTest>, String> {
        let parsed =
            Args::parse_from_argv(std::iter::once("molotov").chain(argv.iter().copied())).unwrap();
        UrlTest::from_args(&parsed.args)
    }

    #[test]
    fn a_url_with_its_request_options() {
        let t = test(&[
            "-m",
            "post",
            "-H",
            "X-One: 1",
            "-H",
            "x-one:2",
            "--body",
            r#"{"a": 1}"#,
            "http://127.0.0.1:9/p?q=1",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(t.request.method, Method::POST);
        assert_eq!(t.request.url.as_str(), "http://127.0.0.1:9/p?q=1");
        let ones: Vec<_> = t.request.headers.get_all("x-one").iter().collect();
        assert_eq!(ones, ["1", "2"]);
        assert_eq!(t.request.headers["content-type"], "application/json");
        assert_eq!(&t.request.body[..], br#"{"a": 1}"#);
        assert_eq!(t.name(), "POST http://127.0.0.1:9/p?q=1");
    }

    #[test]
    fn content_types() {
        assert_eq!(guess_content_type(b"[1, 2]"), "application/json");
        assert_eq!(guess_content_type(b"{nope"), "text/plain; charset=utf-8");
        assert_eq!(guess_content_type(&[0xff, 0]), "application/octet-stream");
        let t = test(&[
            "--body",
            "a=1",
            "--content-type",
            "application/x-www-form-urlencoded",
            "https://h/",
        ]);
        let t = t.unwrap().unwrap();
        assert_eq!(
            t.request.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn scripts_are_not_urls_and_refuse_request_options() {
        assert!(test(&["loadtest.py"]).unwrap().is_none());
        assert!(test(&["HTTPS://h/"]).unwrap().is_some());
        let err = test(&["-H", "A: b", "loadtest.py"]).unwrap_err();
        assert!(err.contains("-H/--header"), "{err}");
    }

    #[test]
    fn mistakes_are_explained() {
        for (argv, expected) in [
            (&["http://"][..], "not a URL"),
            (&["-m", "GE T", "http://h/"], "not an HTTP method"),
            (&["-H", "no colon", "http://h/"], "not a header"),
            (&["-H", "bad name: x", "http://h/"], "not a header"),
            (
                &["--body", "@/nonexistent/file", "http://h/"],
                "cannot read the file",
            ),
        ] {
            let err = test(argv).unwrap_err();
            assert!(err.contains(expected), "{argv:?}: {err}");
        }
    }
}
