//! The endpoint handlers, each a small answer a load test or a client test wants to see.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION,
    SET_COOKIE, WWW_AUTHENTICATE,
};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use crate::body::TargetBody;
use crate::counters::Counters;
use crate::query;
use crate::responses::{self, BUSY_BODY, OK_BODY};

/// Longest `/delay` or `?hold=` accepted: a typo must not park a request for days.
const MAX_WAIT_MS: u64 = 600_000;
/// Largest `/bytes` or `/chunked` payload: enough for throughput tests, not enough to OOM.
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;
/// Largest request body `/echo` reads back.
const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;
/// The repeating pattern of `/bytes` and `/chunked`, so clients can check what they got.
pub(crate) const PATTERN: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Why a request's parameters were refused; answered as `400 {"error": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest(pub(crate) String);

/// What a handler with parameters returns.
pub(crate) type Answer = Result<Response<TargetBody>, BadRequest>;

/// Parses a number from a path segment or parameter, or says which one was wrong.
fn number<T: FromStr>(text: &str, what: &str) -> Result<T, BadRequest> {
    text.parse()
        .map_err(|_| BadRequest(format!("{what} must be a number, got {text:?}")))
}

/// A wait in milliseconds, bounded by [`MAX_WAIT_MS`].
fn wait(text: &str, what: &str) -> Result<Duration, BadRequest> {
    let ms: u64 = number(text, what)?;
    if ms > MAX_WAIT_MS {
        return Err(BadRequest(format!(
            "{what} must be at most {MAX_WAIT_MS} ms"
        )));
    }
    Ok(Duration::from_millis(ms))
}

/// `/delay/{ms}`: answers OK after `ms` milliseconds, to simulate a slow backend.
pub(crate) async fn delay(ms: &str) -> Answer {
    tokio::time::sleep(wait(ms, "delay")?).await;
    Ok(responses::ok())
}

/// `/status/{code}`: answers with that status, so clients' error paths can be exercised.
pub(crate) fn status(code: &str) -> Answer {
    let code: u16 = number(code, "status")?;
    let status = StatusCode::from_u16(code)
        .ok()
        .filter(|status| code <= 599 && !status.is_informational())
        .ok_or_else(|| BadRequest("status must be a final status code, 200..=599".to_owned()))?;
    let body = if matches!(code, 204 | 205 | 304) {
        // These statuses carry no content.
        TargetBody::empty()
    } else {
        TargetBody::full(format!(r#"{{"status": {code}}}"#))
    };
    Ok(responses::json(status, body))
}

/// `/echo`: the request as the server saw it, for clients to check what they sent: `body` as
/// text (invalid UTF-8 replaced), and `body_base64`, its exact bytes.
pub(crate) async fn echo(request: Request<Incoming>) -> Response<TargetBody> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_ECHO_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return responses::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("cannot read the body: {error}"),
            );
        }
    };
    let mut headers = Map::new();
    for name in parts.headers.keys() {
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str().to_owned(), Value::from(values.join(", ")));
    }
    let echoed = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query().unwrap_or(""),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
        // The exact bytes, for clients that send binary bodies.
        "body_base64": BASE64.encode(&body),
    });
    responses::json_value(StatusCode::OK, &echoed)
}

/// A redirect with no body.
fn redirect(status: StatusCode, location: &str) -> Answer {
    let location = HeaderValue::from_str(location)
        .map_err(|_| BadRequest("the redirect target is not a valid header value".to_owned()))?;
    let mut response = Response::new(TargetBody::empty());
    *response.status_mut() = status;
    response.headers_mut().insert(LOCATION, location);
    Ok(response)
}

/// `/redirect/{n}`: a chain of exactly `n` redirects ending at `/` (httpbin's convention), for
/// clients' redirect following; `/redirect/0` is the end of the chain and answers like `/`.
pub(crate) fn redirect_steps(steps: &str) -> Answer {
    match number::<u64>(steps, "redirect count")? {
        0 => Ok(responses::ok()),
        1 => redirect(StatusCode::FOUND, "/"),
        steps => redirect(StatusCode::FOUND, &format!("/redirect/{}", steps - 1)),
    }
}

/// `/redirect?to=URL&status=CODE`: one redirect anywhere, with any 3xx status.
pub(crate) fn redirect_to(query: Option<&str>) -> Answer {
    let to = query::param(query, "to")
        .ok_or_else(|| BadRequest("redirect needs ?to=URL or /redirect/{n}".to_owned()))?;
    let status = match query::param(query, "status") {
        Some(code) => number::<u16>(&code, "status")?,
        None => 302,
    };
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_redirection)
        .ok_or_else(|| BadRequest("redirect status must be 300..=399".to_owned()))?;
    redirect(status, &to)
}

/// `/cookies/set?a=1&b=2`: one `Set-Cookie` per pair, for clients' cookie jars.
pub(crate) fn cookies_set(query: Option<&str>) -> Answer {
    let mut response = responses::ok();
    for (name, value) in query::pairs(query.unwrap_or("")) {
        if name.is_empty() {
            continue;
        }
        let cookie = HeaderValue::from_str(&format!("{name}={value}; Path=/"))
            .map_err(|_| BadRequest(format!("cookie {name:?} is not a valid header value")))?;
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `/cookies`: the cookies the request carried, as a JSON object.
pub(crate) fn cookies(headers: &HeaderMap) -> Response<TargetBody> {
    let mut cookies = Map::new();
    for header in headers.get_all(COOKIE) {
        let header = String::from_utf8_lossy(header.as_bytes());
        for pair in header.split(';') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = name.trim();
            if !name.is_empty() {
                cookies.insert(name.to_owned(), Value::from(value.trim()));
            }
        }
    }
    responses::json_value(StatusCode::OK, &Value::Object(cookies))
}

/// The `user:password` of an `Authorization: Basic` header, if there is a readable one.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let header = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASE64.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `/basic-auth/{user}/{pass}`: 200 when the request's credentials match, else a challenge.
pub(crate) fn basic_auth(headers: &HeaderMap, user: &str, password: &str) -> Response<TargetBody> {
    let user = query::decode(user, false);
    let password = query::decode(password, false);
    match basic_credentials(headers) {
        Some((given_user, given_password)) if given_user == user && given_password == password => {
            responses::json_value(
                StatusCode::OK,
                &json!({"authenticated": true, "user": user}),
            )
        }
        _ => {
            let mut response = responses::json(
                StatusCode::UNAUTHORIZED,
                TargetBody::from_static(br#"{"authenticated": false}"#),
            );
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="molotov""#),
            );
            response
        }
    }
}

/// `n` bytes of [`PATTERN`], or why `n` is refused.
fn payload(n: &str) -> Result<Vec<u8>, BadRequest> {
    let n: usize = number(n, "byte count")?;
    if n > MAX_PAYLOAD {
        return Err(BadRequest(format!(
            "byte count must be at most {MAX_PAYLOAD}"
        )));
    }
    Ok(PATTERN.iter().copied().cycle().take(n).collect())
}

/// An `application/octet-stream` response.
fn octets(body: TargetBody) -> Response<TargetBody> {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}

/// `/bytes/{n}`: `n` bytes with a `Content-Length`, for throughput tests.
pub(crate) fn bytes(n: &str) -> Answer {
    Ok(octets(TargetBody::full(payload(n)?)))
}

/// `/chunked/{n}`: the same bytes as `/bytes/{n}`, sent chunked in several frames.
pub(crate) fn chunked(n: &str) -> Answer {
    Ok(octets(TargetBody::chunked(payload(n)?)))
}

/// A content coding the target can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `Content-Encoding: gzip`.
    Gzip,
    /// `Content-Encoding: deflate` (the zlib format).
    Deflate,
}

/// `/gzip/{n}`, `/deflate/{n}`: the bytes of `/bytes/{n}`, compressed, with their
/// `Content-Encoding`.
pub(crate) fn compressed(coding: Coding, n: &str) -> Answer {
    use std::io::Write as _;
    let plain = payload(n)?;
    let level = flate2::Compression::default();
    let (body, name) = match coding {
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
            let _ = encoder.write_all(&plain);
            (encoder.finish().unwrap_or_default(), "gzip")
        }
        Coding::Deflate => {
            let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
            let _ = encoder.write_all(&plain);
            (encoder.finish().unwrap_or_default(), "deflate")
        }
    };
    let mut response = octets(TargetBody::full(body));
    response
        .headers_mut()
        .insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    Ok(response)
}

/// What `/brotli` sends: `BROTLI_TEXT` compressed by Debian's `brotli -c`.
const BROTLI_BODY: [u8; 31] = [
    0x1f, 0x2e, 0x00, 0xf8, 0x1d, 0xa9, 0x53, 0x9f, 0xbb, 0x59, 0x82, 0xa0, 0xb5, 0x35, 0x0b, 0x1b,
    0x9d, 0x9d, 0x7e, 0x0b, 0x61, 0x2b, 0x1b, 0x4d, 0xc5, 0x00, 0xa6, 0x79, 0x98, 0x72, 0x00,
];

/// `/brotli`: `hello, molotov! hello, molotov! hello, molotov!` with `Content-Encoding: br`.
pub(crate) fn brotli() -> Response<TargetBody> {
    let mut response = Response::new(TargetBody::full(BROTLI_BODY.to_vec()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
    response
}

/// One request in flight on `/limit/*`; leaving (even by cancellation) frees its place.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a AtomicU64);

impl<'a> InFlight<'a> {
    /// Enters, returning the guard and how many are in flight including this one.
    pub(crate) fn enter(counter: &'a AtomicU64) -> (Self, u64) {
        let now = counter.fetch_add(1, Ordering::SeqCst) + 1;
        (Self(counter), now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `/limit/{n}?hold=MS`: a server that accepts `n` concurrent requests and refuses the rest,
/// so a load test's concurrency is visible in its 503s. `in_flight` was counted on entry.
pub(crate) async fn limit(limit: &str, query: Option<&str>, in_flight: u64) -> Answer {
    let limit: u64 = number(limit, "limit")?;
    if let Some(hold) = query::param(query, "hold") {
        tokio::time::sleep(wait(&hold, "hold")?).await;
    }
    Ok(if in_flight <= limit {
        responses::json(StatusCode::OK, TargetBody::from_static(OK_BODY))
    } else {
        responses::json(
            StatusCode::SERVICE_UNAVAILABLE,
            TargetBody::from_static(BUSY_BODY),
        )
    })
}

/// `/close`: OK, then hyper closes the connection because of `Connection: close`.
pub(crate) fn close() -> Response<TargetBody> {
    let mut response = responses::ok();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `GET /stats`: the counters, so a load test can compare what it sent with what arrived.
pub(crate) fn stats(counters: &Counters) -> Response<TargetBody> {
    let stats = json!({
        "requests": counters.requests(),
        "connections": counters.connections(),
        "http2": counters.http2_requests(),
        "paths": counters.by_path(),
        "arrivals_10ms": counters.arrivals(),
    });
    responses::json_value(StatusCode::OK, &stats)
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;
    use http::HeaderMap;
    use http::header::{AUTHORIZATION, HeaderValue};

    fn with_authorization(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn reads_basic_credentials() {
        let headers = with_authorization("Basic dXNlcjpwYTpzcw==");
        assert_eq!(
            basic_credentials(&headers),
            Some(("user".to_owned(), "pa:ss".to_owned()))
        );
        let headers = with_authorization("basic dXNlcjpwYTpzcw==");
        assert!(basic_credentials(&headers).is_some());
    }

    #[test]
    fn refuses_other_schemes_and_bad_base64() {
        assert_eq!(basic_credentials(&with_authorization("Bearer abc")), None);
        assert_eq!(basic_credentials(&with_authorization("Basic !!!")), None);
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }
}
