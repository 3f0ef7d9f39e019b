//! A request over HTTP/2 (see [`crate::http2`]): the client's headers, cookies and
//! decompression around one stream.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Version};
use url::Url;

use super::{Client, Options, origin_of};
use crate::conn::Conn;
use crate::decode::{Coding, Decoder};
use crate::error::Error;
use crate::http2::{self, Route};
use crate::response::{Headers, Response};

impl Client {
    /// One request over HTTP/2; `None` when the origin speaks HTTP/1.1 (the server picked it
    /// by ALPN), for the HTTP/1.1 path to send it.
    pub(super) async fn exchange_h2(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        options: Options,
    ) -> Result<Option<Response>, Error> {
        let (origin, host) = origin_of(url, options.verify)?;
        let route = self
            .h2
            .route(origin, || async {
                let conn = self
                    .dialer
                    .connect_offering(&self.config, origin, &host, true)
                    .await?;
                Ok(conn.into_stream())
            })
            .await?;
        let mux = match route {
            Route::H2(mux) => mux,
            Route::Http1(opened) => {
                if let Some(stream) = opened {
                    self.pool.borrow_mut().put(origin, Conn::new(stream));
                }
                return Ok(None);
            }
        };
        let all = self.added_headers(url, headers, options.default_headers, true);
        let exchanged =
            http2::exchange(&mux, method, url, &all, body, self.config.max_body).await?;
        let (text, spans) = http2::head_text(&exchanged.headers);
        let headers = Headers::new(text, spans);
        if headers.contains("set-cookie") {
            self.jar.borrow_mut().store_from(&headers, url);
        }
        let body = match self
            .config
            .auto_decompress
            .then(|| Coding::of(&headers))
            .flatten()
        {
            Some(coding) => {
                let mut decoder = Decoder::new(coding, self.config.max_body);
                let mut out = BytesMut::new();
                decoder.push(&exchanged.body, &mut out)?;
                decoder.finish(&mut out)?;
                out.freeze()
            }
            None => exchanged.body,
        };
        Ok(Some(Response {
            status: exchanged.status,
            version: Version::HTTP_2,
            reason: (0, 0),
            headers,
            url: url.clone(),
            body,
            history: Vec::new(),
            retries: exchanged.retries,
            received: exchanged.received,
            rest: None,
            queued: exchanged.queued,
        }))
    }
}
