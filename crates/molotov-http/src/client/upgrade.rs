//! What requests that bypass the HTTP/1.1 encoder (HTTP/2, WebSocket handshakes) need of the
//! client: a connection of its own to an origin, the headers the client adds, and the
//! cookies of the answer.

use http::header::{ACCEPT_ENCODING as ACCEPT_ENCODING_HEADER, COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use url::Url;

use super::{Client, origin_of};
use crate::conn::Stream;
use crate::decode::ACCEPT_ENCODING;
use crate::error::Error;
use crate::response::Headers;

impl Client {
    /// A new connection to `url`'s origin (TLS offering `http/1.1` only), not pooled.
    pub(crate) async fn connect_stream(&self, url: &Url, verify: bool) -> Result<Stream, Error> {
        let (origin, host) = origin_of(url, verify)?;
        let conn = self.dialer.connect(&self.config, origin, &host).await?;
        Ok(conn.into_stream())
    }

    /// `headers` with what the client adds to a request that does not go through the
    /// HTTP/1.1 encoder (HTTP/2 requests, WebSocket handshakes), as the encoder adds them:
    /// its default headers when `defaults` (the request's own win), its `User-Agent`, the
    /// jar's cookies for `url`, and `Accept-Encoding` when `decompress` and the client
    /// decompresses.
    pub(crate) fn added_headers(
        &self,
        url: &Url,
        headers: &HeaderMap,
        defaults: bool,
        decompress: bool,
    ) -> HeaderMap {
        let mut all = HeaderMap::new();
        if defaults {
            for (name, value) in &self.config.headers {
                if !headers.contains_key(name) {
                    all.append(name.clone(), value.clone());
                }
            }
        }
        for (name, value) in headers {
            all.append(name.clone(), value.clone());
        }
        if !all.contains_key(USER_AGENT) {
            if let Ok(agent) = HeaderValue::from_str(&self.config.user_agent) {
                all.insert(USER_AGENT, agent);
            }
        }
        if let Some(cookie) = self.jar.borrow().header_for(url) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                all.append(COOKIE, value);
            }
        }
        if decompress && self.config.auto_decompress && !all.contains_key(ACCEPT_ENCODING_HEADER) {
            all.insert(
                ACCEPT_ENCODING_HEADER,
                HeaderValue::from_static(ACCEPT_ENCODING),
            );
        }
        all
    }

    /// Stores the cookies a handshake's answer sets.
    pub(crate) fn store_cookies(&self, headers: &HeaderMap, url: &Url) {
        if headers.contains_key(http::header::SET_COOKIE) {
            let (text, spans) = crate::http2::head_text(headers);
            self.jar
                .borrow_mut()
                .store_from(&Headers::new(text, spans), url);
        }
    }
}
