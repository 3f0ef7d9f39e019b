//! The shapes of the answers: JSON bodies with the right content type, errors, the constant
//! bodies the benchmark path reuses.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};

use crate::body::TargetBody;

/// The body of `/` and of every plain success: built once, shared by every response.
pub(crate) const OK_BODY: &[u8] = br#"{"result": "OK"}"#;
/// The body of `/limit/{n}` over its limit.
pub(crate) const BUSY_BODY: &[u8] = br#"{"result": "busy"}"#;
/// The body of any path no endpoint owns.
pub(crate) const NOT_FOUND_BODY: &[u8] = br#"{"error": "not found"}"#;

/// A response with `body` and the JSON content type; no allocation for a static body.
pub(crate) fn json(status: StatusCode, body: TargetBody) -> Response<TargetBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `200 {"result": "OK"}`.
pub(crate) fn ok() -> Response<TargetBody> {
    json(StatusCode::OK, TargetBody::from_static(OK_BODY))
}

/// A JSON value serialised compactly.
pub(crate) fn json_value(status: StatusCode, value: &serde_json::Value) -> Response<TargetBody> {
    json(status, TargetBody::full(value.to_string()))
}

/// `{"error": message}` with `status`: the one-line reason a client's request was refused.
pub(crate) fn error(status: StatusCode, message: &str) -> Response<TargetBody> {
    let message = serde_json::Value::from(message);
    json(
        status,
        TargetBody::full(format!(r#"{{"error": {message}}}"#)),
    )
}

/// `400 {"error": message}`.
pub(crate) fn bad_request(message: &str) -> Response<TargetBody> {
    error(StatusCode::BAD_REQUEST, message)
}

/// `404 {"error": "not found"}`.
pub(crate) fn not_found() -> Response<TargetBody> {
    json(
        StatusCode::NOT_FOUND,
        TargetBody::from_static(NOT_FOUND_BODY),
    )
}
