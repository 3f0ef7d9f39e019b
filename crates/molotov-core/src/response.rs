//! [`Response`]: the HTTP client's response plus what scenario code wants from it (JSON).

use std::ops::Deref;

use serde::de::DeserializeOwned;

use crate::error::Failure;

/// A complete response. Derefs to [`molotov_http::Response`] for status, headers, body, URL
/// and history.
#[derive(Debug, Clone)]
pub struct Response {
    inner: molotov_http::Response,
}

impl Response {
    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.inner.body())
    }

    /// `Err` with kind `"status"` when the status is 4xx or 5xx (aiohttp's
    /// `raise_for_status`).
    pub fn error_for_status(self) -> Result<Self, Failure> {
        let status = self.inner.status();
        if status.is_client_error() || status.is_server_error() {
            return Err(Failure::new(
                "status",
                format!(
                    "{} {} for {}",
                    status.as_u16(),
                    self.inner.reason(),
                    self.inner.url()
                ),
            ));
        }
        Ok(self)
    }

    /// The HTTP client's response.
    pub fn into_inner(self) -> molotov_http::Response {
        self.inner
    }
}

impl From<molotov_http::Response> for Response {
    fn from(inner: molotov_http::Response) -> Self {
        Response { inner }
    }
}

impl Deref for Response {
    type Target = molotov_http::Response;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}
