//! `-vv`: a request and its response as text, in the layout Molotov prints.
//!
//! Only called when the verbosity asks for it; the text goes to the console as one notice.

use std::fmt::Write as _;

use http::HeaderMap;
use molotov_http::{ClientConfig, Error, Request, Response};

/// The longest body shown; the rest is summarised.
const BODY_LIMIT: usize = 4096;

/// `METHOD URL`, headers (the request's, then the session's it does not override, then the
/// client's `User-Agent`), body; then the status line, headers and body of the response (or
/// the error). `Host`, `Accept` and `Content-Length` are added on the wire and not shown.
pub(crate) fn exchange(
    request: &Request,
    client: &ClientConfig,
    response: Result<&Response, &Error>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{} {}", request.method, request.url);
    let defaults = client
        .headers
        .iter()
        .filter(|(name, _)| !request.headers.contains_key(*name));
    for (name, value) in request.headers.iter().chain(defaults) {
        let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    if !has(&request.headers, &client.headers, &http::header::USER_AGENT) {
        let _ = writeln!(out, "user-agent: {}", client.user_agent);
    }
    if !request.body.is_empty() {
        let _ = write!(out, "\n{}\n", body(&request.body, None));
    }
    match response {
        Ok(r) => {
            let _ = writeln!(
                out,
                "\n{:?} {} {}",
                r.version(),
                r.status().as_u16(),
                r.reason()
            );
            for (name, value) in r.headers().iter() {
                let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value));
            }
            let encoding = r.headers().get("content-encoding");
            let _ = write!(out, "\n{}\n", body(r.body(), encoding));
        }
        Err(e) => {
            let _ = writeln!(out, "\n{e}");
        }
    }
    out
}

fn has(headers: &HeaderMap, defaults: &HeaderMap, name: &http::HeaderName) -> bool {
    headers.contains_key(name) || defaults.contains_key(name)
}

fn body(bytes: &[u8], encoding: Option<&str>) -> String {
    if encoding.is_some_and(|e| !e.eq_ignore_ascii_case("identity")) {
        return "**** Binary content ****".to_owned();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return format!("**** Binary content ({} bytes) ****", bytes.len());
    };
    if text.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        return format!("{}... ({} more bytes)", &text[..end], text.len() - end);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_shown_truncated_or_summarised() {
        assert_eq!(body(b"{\"a\": 1}", None), "{\"a\": 1}");
        assert_eq!(body(b"xx", Some("gzip")), "**** Binary content ****");
        assert_eq!(
            body(&[0xff, 0xfe], None),
            "**** Binary content (2 bytes) ****"
        );
        let long = "é".repeat(BODY_LIMIT);
        assert!(body(long.as_bytes(), None).ends_with("more bytes)"));
    }
}
