//! Which endpoint a request goes to, and the counting every request goes through.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use http::header::{ALLOW, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::TargetBody;
use crate::counters::Counters;
use crate::endpoints::{self, BadRequest, Coding, InFlight};
use crate::responses;

/// What one `serve` call shares between its connections.
#[derive(Debug)]
pub(crate) struct AppState {
    /// The counters the caller watches.
    pub(crate) counters: Arc<Counters>,
    /// Requests currently inside `/limit/*`.
    pub(crate) limit_in_flight: AtomicU64,
}

impl AppState {
    pub(crate) fn new(counters: Arc<Counters>) -> Self {
        Self {
            counters,
            limit_in_flight: AtomicU64::new(0),
        }
    }
}

/// An endpoint and the path segments it takes, borrowed from the request's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Delay(&'a str),
    Status(&'a str),
    Echo,
    RedirectSteps(&'a str),
    RedirectTo,
    CookiesSet,
    Cookies,
    BasicAuth(&'a str, &'a str),
    Bytes(&'a str),
    Chunked(&'a str),
    Compressed(Coding, &'a str),
    Brotli,
    Limit(&'a str),
    Close,
    Stats,
    WebSocket,
    NotFound,
}

/// The route for `path` (without its query string); `/` never gets here.
fn route(path: &str) -> Route<'_> {
    let Some(rest) = path.strip_prefix('/') else {
        return Route::NotFound;
    };
    let (head, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(h, t)| (h, Some(t)));
    // A single further segment, for endpoints like `/delay/{ms}`.
    let one = tail.filter(|t| !t.is_empty() && !t.contains('/'));
    match (head, tail) {
        ("echo", None) => Route::Echo,
        ("close", None) => Route::Close,
        ("stats", None) => Route::Stats,
        ("ws", None) => Route::WebSocket,
        ("cookies", None) => Route::Cookies,
        ("cookies", Some("set")) => Route::CookiesSet,
        ("redirect", None) => Route::RedirectTo,
        ("brotli", None) => Route::Brotli,
        ("basic-auth", Some(tail)) => match tail.split_once('/') {
            Some((user, password)) if !password.contains('/') => Route::BasicAuth(user, password),
            _ => Route::NotFound,
        },
        (_, Some(_)) if one.is_some() => match (head, one) {
            ("delay", Some(ms)) => Route::Delay(ms),
            ("status", Some(code)) => Route::Status(code),
            ("redirect", Some(steps)) => Route::RedirectSteps(steps),
            ("bytes", Some(n)) => Route::Bytes(n),
            ("chunked", Some(n)) => Route::Chunked(n),
            ("gzip", Some(n)) => Route::Compressed(Coding::Gzip, n),
            ("deflate", Some(n)) => Route::Compressed(Coding::Deflate, n),
            ("limit", Some(n)) => Route::Limit(n),
            _ => Route::NotFound,
        },
        _ => Route::NotFound,
    }
}

/// Answers one request; the service every connection runs.
pub(crate) async fn handle(
    request: Request<Incoming>,
    state: Arc<AppState>,
) -> Response<TargetBody> {
    if request.version() == http::Version::HTTP_2 && request.uri().path() != "/stats" {
        state.counters.count_http2();
    }
    // The benchmark path first: one atomic add and a static body.
    if request.uri().path() == "/" {
        state.counters.count_root();
        return responses::ok();
    }
    // A `Uri` clone is a reference count, and lets the route borrow while `/echo` takes the
    // request.
    let uri = request.uri().clone();
    let (path, query) = (uri.path(), uri.query());
    let route = route(path);
    if route == Route::Stats && request.method() == Method::GET {
        return endpoints::stats(&state.counters);
    }
    // Entered before counting: once a watcher sees the request counted, it is in flight.
    let in_flight = match route {
        Route::Limit(_) => Some(InFlight::enter(&state.limit_in_flight)),
        _ => None,
    };
    state.counters.count(path);
    if route == Route::WebSocket {
        return crate::websocket::echo(request);
    }
    let answer = match route {
        Route::Delay(ms) => endpoints::delay(ms).await,
        Route::Status(code) => endpoints::status(code),
        Route::Echo => Ok(endpoints::echo(request).await),
        Route::RedirectSteps(steps) => endpoints::redirect_steps(steps),
        Route::RedirectTo => endpoints::redirect_to(query),
        Route::CookiesSet => endpoints::cookies_set(query),
        Route::Cookies => Ok(endpoints::cookies(request.headers())),
        Route::BasicAuth(user, password) => {
            Ok(endpoints::basic_auth(request.headers(), user, password))
        }
        Route::Bytes(n) => endpoints::bytes(n),
        Route::Chunked(n) => endpoints::chunked(n),
        Route::Compressed(coding, n) => endpoints::compressed(coding, n),
        Route::Brotli => Ok(endpoints::brotli()),
        Route::Limit(n) => {
            let count = in_flight.as_ref().map_or(1, |(_, count)| *count);
            endpoints::limit(n, query, count).await
        }
        Route::Close => Ok(endpoints::close()),
        Route::Stats => Ok(stats_method_not_allowed()),
        // `/ws` was answered above.
        Route::WebSocket | Route::NotFound => Ok(responses::not_found()),
    };
    answer.unwrap_or_else(|BadRequest(reason)| responses::bad_request(&reason))
}

/// `/stats` with a method other than GET: counted like any request, and refused.
fn stats_method_not_allowed() -> Response<TargetBody> {
    let mut response = responses::error(StatusCode::METHOD_NOT_ALLOWED, "/stats only answers GET");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET"));
    response
}

#[cfg(test)]
mod tests {
    use super::{Route, route};

    #[test]
    fn routes_paths_with_segments() {
        assert_eq!(route("/delay/10"), Route::Delay("10"));
        assert_eq!(route("/status/418"), Route::Status("418"));
        assert_eq!(route("/redirect/3"), Route::RedirectSteps("3"));
        assert_eq!(route("/redirect"), Route::RedirectTo);
        assert_eq!(route("/basic-auth/u/p"), Route::BasicAuth("u", "p"));
        assert_eq!(route("/bytes/5"), Route::Bytes("5"));
        assert_eq!(route("/chunked/5"), Route::Chunked("5"));
        assert_eq!(route("/limit/2"), Route::Limit("2"));
        assert_eq!(route("/cookies/set"), Route::CookiesSet);
        assert_eq!(route("/cookies"), Route::Cookies);
        assert_eq!(route("/echo"), Route::Echo);
        assert_eq!(route("/close"), Route::Close);
        assert_eq!(route("/stats"), Route::Stats);
    }

    #[test]
    fn unknown_or_misshapen_paths_are_not_found() {
        for path in [
            "/nope",
            "/echo/",
            "/echo/x",
            "/delay",
            "/delay/",
            "/delay/1/2",
            "/basic-auth/u",
            "/basic-auth/u/p/x",
            "/cookies/other",
            "*",
        ] {
            assert_eq!(route(path), Route::NotFound, "{path}");
        }
    }
}
