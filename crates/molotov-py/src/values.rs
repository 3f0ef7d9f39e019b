//! A response body → the Python values scripts ask for: text and JSON, as aiohttp makes them.

use bytes::{Bytes, BytesMut};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::bridge::Bridge;

/// The body as text in `encoding` (UTF-8 when none; invalid bytes are replaced).
pub(crate) fn decode(body: &[u8], encoding: Option<&str>) -> PyResult<String> {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        None | Some("utf-8" | "utf8" | "ascii") => Ok(String::from_utf8_lossy(body).into_owned()),
        Some("latin-1" | "latin1" | "iso-8859-1") => {
            Ok(body.iter().map(|&b| char::from(b)).collect())
        }
        Some(other) => Err(PyValueError::new_err(format!(
            "unsupported encoding {other:?}"
        ))),
    }
}

/// The body parsed as JSON: with `loads` when given, else `json.loads` (`None` for an empty
/// body, as aiohttp).
pub(crate) fn json<'py>(
    py: Python<'py>,
    bridge: &Bridge,
    body: &[u8],
    encoding: Option<&str>,
    loads: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(py.None().into_bound(py));
    }
    match loads {
        Some(loads) => loads.call1((decode(body, encoding)?,)),
        None if encoding.is_some() => bridge.json_loads.bind(py).call1((decode(body, encoding)?,)),
        None => match scan_json(py, bridge, body) {
            Some(value) => Ok(value),
            None => bridge.json_loads.bind(py).call1((PyBytes::new(py, body),)),
        },
    }
}

/// Parses an ASCII JSON document with `json`'s C scanner directly, skipping what `json.loads`
/// adds around it (encoding detection, decoding, two regular-expression matches): the same
/// objects for a fraction of the cost. `None` means "use `json.loads`" (non-ASCII text, or a
/// document it rejects, so the error is `json.loads`'s own).
fn scan_json<'py>(py: Python<'py>, bridge: &Bridge, body: &[u8]) -> Option<Bound<'py, PyAny>> {
    if !body.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let start = text.len() - text.trim_ascii_start().len();
    let scanned = bridge.json_scan.call1(py, (text, start)).ok()?;
    let (value, end): (Bound<'py, PyAny>, usize) = scanned.extract(py).ok()?;
    // For ASCII, the scanner's character index is a byte index.
    text.get(end..)?.trim_ascii().is_empty().then_some(value)
}

/// `front` then `rest`, copied only when both have bytes.
pub(crate) fn join(front: Option<Bytes>, rest: Bytes) -> Bytes {
    match front {
        Some(front) if !rest.is_empty() => {
            let mut all = BytesMut::with_capacity(front.len() + rest.len());
            all.extend_from_slice(&front);
            all.extend_from_slice(&rest);
            all.freeze()
        }
        Some(front) => front,
        None => rest,
    }
}
