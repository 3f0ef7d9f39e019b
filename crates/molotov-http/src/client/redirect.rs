//! Following redirects, as aiohttp does: up to `max_redirects` hops; 303 (and 301/302 after a
//! POST) turn the request into a body-less GET; the `Authorization` header is not sent to
//! another origin; each hop's response is read in full and kept in the final one's history.

use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Client, Options};
use crate::error::{Error, Kind};
use crate::request::Request;
use crate::response::Response;

/// Whether `status` redirects (when the response has a `Location`).
pub(super) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

impl Client {
    /// Follows the redirects starting at `first`.
    pub(super) async fn follow(
        &self,
        request: &Request,
        first: Response,
        eager: u64,
    ) -> Result<Response, Error> {
        let options = Options {
            verify: request.verify_tls.unwrap_or(self.config.verify_tls),
            default_headers: request.default_headers,
        };
        let mut method = request.method.clone();
        let mut headers = request.headers.clone();
        let mut body = request.body.clone();
        let mut history = Vec::new();
        let mut retries = first.retries;
        let mut current = first;
        while is_redirect(current.status) {
            let Some(location) = current.headers.get("location") else {
                break;
            };
            if history.len() >= self.config.max_redirects {
                return Err(Error::new(Kind::Redirects)
                    .with_context(format!("more than {}", self.config.max_redirects))
                    .with_retries(retries));
            }
            let next = current
                .url
                .join(location)
                .map_err(|e| Error::new(Kind::Url).with_source(e).with_retries(retries))?;
            let to_get = match current.status {
                StatusCode::SEE_OTHER => method != Method::HEAD,
                StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
                _ => false,
            };
            if to_get {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(http::header::CONTENT_TYPE);
                headers.remove(http::header::CONTENT_LENGTH);
                headers.remove(http::header::TRANSFER_ENCODING);
            }
            if next.origin() != current.url.origin() {
                headers.remove(http::header::AUTHORIZATION);
            }
            // The redirect's body is read (and kept, as small as it is): its connection is
            // then free for the next hop.
            current
                .finish()
                .await
                .map_err(|e| e.with_retries(retries))?;
            history.push(current);
            current = self
                .exchange(&method, &next, &headers, &body, options, eager)
                .await
                .map_err(|e| {
                    let total = retries + e.retries();
                    e.with_retries(total)
                })?;
            retries += current.retries;
        }
        current.retries = retries;
        current.history = history;
        Ok(current)
    }
}
