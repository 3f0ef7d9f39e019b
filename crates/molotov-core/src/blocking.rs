//! Synchronous requests for fixtures that are not async (`global_setup`): Molotov's
//! `request()` and `json_request()`.
//!
//! Each call runs on a new thread with its own single-threaded runtime and client, so it works
//! from anywhere, including from inside a running test (whose thread it blocks meanwhile). It
//! fires no events and records no statistics, as in Molotov.

use std::time::Duration;

use bytes::Bytes;
use molotov_http::{Client, Error as HttpError, Kind, Request, TlsContext};

use crate::session::SessionOptions;

/// What a synchronous request returns.
#[derive(Debug, Clone)]
pub struct SyncResponse {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Every header, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub content: Bytes,
    /// The final URL, after redirects.
    pub url: String,
}

impl SyncResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.content)
    }
}

/// Sends `request` with a client configured by `options`, and waits for the whole response
/// (at most [`BLOCKING_TIMEOUT`] unless the options set a timeout).
///
/// ```no_run
/// use molotov_core::{blocking_request, Request, SessionOptions};
/// let url = "http://127.0.0.1:8080/".parse().unwrap();
/// let response = blocking_request(Request::new(http::Method::GET, url), SessionOptions::default())?;
/// assert_eq!(response.status, 200);
/// # Ok::<(), molotov_http::Error>(())
/// ```
pub fn blocking_request(
    request: Request,
    options: SessionOptions,
) -> Result<SyncResponse, HttpError> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || send_on_own_runtime(&request, options))
            .join()
            .unwrap_or_else(|_| {
                Err(HttpError::new(Kind::Io).with_context("request thread panicked".into()))
            })
    })
}

fn send_on_own_runtime(
    request: &Request,
    mut options: SessionOptions,
) -> Result<SyncResponse, HttpError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HttpError::new(Kind::Io).with_source(e))?;
    if options.timeout.is_none() {
        options.timeout = Some(BLOCKING_TIMEOUT);
    }
    let (config, _) = options.into_client_config(TlsContext::new());
    let client = Client::new(config);
    let response = runtime.block_on(client.send(request))?;
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    Ok(SyncResponse {
        status: response.status().as_u16(),
        reason: response.reason().to_owned(),
        headers,
        url: response.url().to_string(),
        content: response.body().clone(),
    })
}

/// The default timeout of a synchronous request when the options set none: long enough for a
/// slow login, short enough that a dead server does not hang the test's start for 5 minutes.
pub const BLOCKING_TIMEOUT: Duration = Duration::from_secs(30);
