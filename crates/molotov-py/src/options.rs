//! Python values → engine values: the dict `setup()` returns (aiohttp `ClientSession`
//! arguments) → `SessionOptions`, and the keyword arguments of `session.get(...)` (aiohttp's
//! request arguments) → a `Request`.
//!
//! aiohttp's own helper objects are accepted by duck typing (`BasicAuth` has `login` and
//! `password`, `ClientTimeout` has `total`, `FormData` has `_fields`). Bodies that only
//! aiohttp's payload machinery can make (multipart forms with files, `MultipartWriter`, file
//! objects, async generators) are left to the Python side (`molotov._bodies`): see
//! [`RequestArgs::payload`].

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use molotov::http::{Method, Request};
use molotov::{Session, SessionOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};

/// Keyword arguments of a request that molotov reads.
pub(crate) struct RequestArgs {
    pub(crate) request: Request,
    /// The name to record the request under (`name=`, a molotov extension).
    pub(crate) name: Option<String>,
    /// `raise_for_status=True`.
    pub(crate) raise_for_status: bool,
    /// A `data=` value whose bytes aiohttp's payload machinery makes (awaiting it: files are
    /// read in a thread, async generators iterated): the session has `molotov._bodies` make
    /// the body first, then sends the request with it.
    pub(crate) payload: Option<Py<PyAny>>,
    /// The `Content-Type` of the body, unless the script's headers set one.
    default_type: Option<&'static str>,
}

/// Builds the request for `session.<method>(url, **kwargs)`.
pub(crate) fn request(
    session: &Session,
    method: &str,
    url: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<RequestArgs> {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?}")))?;
    let url = session
        .url(url)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut args = RequestArgs {
        request: Request::new(method, url),
        name: None,
        raise_for_status: false,
        payload: None,
        default_type: None,
    };
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs.iter() {
            let key = key.cast_into::<PyString>()?;
            apply(&mut args, key.to_str()?, &value)?;
        }
        // After every argument: `headers=` may come after `data=`.
        if let Some(content_type) = args.default_type {
            let headers = &mut args.request.headers;
            if !headers.contains_key(http::header::CONTENT_TYPE) {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type),
                );
            }
        }
    }
    Ok(args)
}

fn apply(args: &mut RequestArgs, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let request = &mut args.request;
    if value.is_none() && key != "timeout" {
        return Ok(());
    }
    match key {
        "params" => add_params(request, value)?,
        "headers" => {
            for (name, v) in pairs(value)? {
                request
                    .headers
                    .append(header_name(&name)?, header_value(&v)?);
            }
        }
        "json" => {
            let text: String = value
                .py()
                .import("json")?
                .call_method1("dumps", (value,))?
                .extract()?;
            request.body = Bytes::from(text);
            args.default_type = Some("application/json");
        }
        "data" => match set_data(request, value)? {
            Some(content_type) => args.default_type = Some(content_type),
            None => args.payload = Some(value.clone().unbind()),
        },
        // aiohttp's `chunked=True`: the body is sent with the chunked coding.
        "chunked" => {
            if value.is_truthy()? {
                request.headers.insert(
                    http::header::TRANSFER_ENCODING,
                    HeaderValue::from_static("chunked"),
                );
            }
        }
        "cookies" => {
            let cookie = pairs(value)?
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers
                .append(http::header::COOKIE, header_value(&cookie)?);
        }
        "allow_redirects" => request.follow_redirects = Some(value.is_truthy()?),
        "timeout" => request.timeout = timeout(value)?,
        "auth" => {
            let (user, password) = auth(value)?;
            let token = molotov_basic_auth(&user, &password);
            request
                .headers
                .insert(http::header::AUTHORIZATION, header_value(&token)?);
        }
        "name" => args.name = Some(value.extract()?),
        "raise_for_status" => args.raise_for_status = value.is_truthy()?,
        "ssl" | "verify_ssl" => request.verify_tls = Some(verifies(value)?),
        // Accepted for compatibility; they change nothing a load test measures.
        "compress" | "expect100" | "read_until_eof" | "max_redirects" | "trace_request_ctx"
        | "server_hostname" | "skip_auto_headers" | "max_line_size" | "max_field_size"
        | "read_bufsize" | "auto_decompress" => {}
        "proxy" | "proxy_auth" | "proxy_headers" => {
            return Err(PyValueError::new_err(
                "molotov does not support proxies yet",
            ));
        }
        other => {
            return Err(PyTypeError::new_err(format!(
                "unexpected keyword argument {other:?} for a request"
            )));
        }
    }
    Ok(())
}

/// Adds the entries of `session.headers` (every value of a name) that the request does not
/// set itself.
pub(crate) fn add_session_headers(
    request: &mut Request,
    headers: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let mut added = Vec::new();
    for (name, value) in pairs(headers)? {
        let name = header_name(&name)?;
        if !request.headers.contains_key(&name) {
            added.push((name, header_value(&value)?));
        }
    }
    for (name, value) in added {
        request.headers.append(name, value);
    }
    Ok(())
}

/// The dict returned by `setup()` → session options.
pub(crate) fn session_options(value: &Bound<'_, PyAny>) -> PyResult<SessionOptions> {
    let mut options = SessionOptions::default();
    if value.is_none() {
        return Ok(options);
    }
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("the setup() fixture must return a dict or None"))?;
    for (key, value) in dict.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        match key.as_str() {
            "headers" => {
                for (name, v) in pairs(&value)? {
                    options
                        .headers
                        .append(header_name(&name)?, header_value(&v)?);
                }
            }
            "cookies" => options.cookies = pairs(&value)?,
            "auth" => options.auth = Some(auth(&value)?),
            "timeout" => options.timeout = timeout(&value)?,
            "base_url" => {
                let text: String = value.str()?.extract()?;
                let url = text.parse().map_err(|e| {
                    PyValueError::new_err(format!("invalid base_url {text:?}: {e}"))
                })?;
                options.base_url = Some(url);
            }
            "ssl" | "verify_ssl" => options.insecure = !verifies(&value)?,
            "connector" => {
                // A TCPConnector(ssl=False) or (verify_ssl=False) turns verification off;
                // its pooling options are the engine's business.
                if let Ok(ssl) = value.getattr("_ssl") {
                    if ssl.extract::<bool>().is_ok_and(|v| !v) {
                        options.insecure = true;
                    }
                }
            }
            // aiohttp's `auto_decompress=False`: bodies as sent, no `Accept-Encoding`.
            "auto_decompress" => options.no_decompress = !value.is_truthy()?,
            // molotov's own: HTTP/2 (ALPN over TLS, prior knowledge for http://).
            "http2" => options.http2 = value.is_truthy()?,
            // molotov's own: the largest response body accepted, in bytes.
            "max_body" => options.max_body = Some(value.extract()?),
            "raise_for_status"
            | "connector_owner"
            | "json_serialize"
            | "cookie_jar"
            | "version"
            | "skip_auto_headers"
            | "trust_env"
            | "requote_redirect_url"
            | "read_bufsize"
            | "trace_configs"
            | "loop"
            | "response_class"
            | "request_class"
            | "conn_timeout"
            | "read_timeout"
            | "max_line_size"
            | "max_field_size" => {}
            other => {
                return Err(PyTypeError::new_err(format!(
                    "setup() returned an unknown session option {other:?}"
                )));
            }
        }
    }
    Ok(options)
}

/// What aiohttp's `ssl=` means for certificate checks: `False` skips them, an `ssl.SSLContext`
/// with `verify_mode == CERT_NONE` too; `True`, `None` and other contexts check.
fn verifies(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    if value.is_none() {
        return Ok(true);
    }
    if let Ok(mode) = value.getattr("verify_mode") {
        return Ok(mode.extract::<i64>().map_or(true, |m| m != 0));
    }
    value.is_truthy()
}

/// `(name, value)` pairs from a dict, a multidict (`items()`) or a sequence of pairs.
fn pairs(value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let items = if value.hasattr("items")? {
        value.call_method0("items")?
    } else {
        value.clone()
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let (name, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        out.push((name.str()?.extract()?, v.str()?.extract()?));
    }
    Ok(out)
}

fn add_params(request: &mut Request, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_str()?;
        let query = match request.url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{text}"),
            _ => text.to_owned(),
        };
        request.url.set_query(Some(&query));
        return Ok(());
    }
    let params = pairs(value)?;
    let mut query = request.url.query_pairs_mut();
    for (k, v) in &params {
        query.append_pair(k, v);
    }
    drop(query);
    Ok(())
}

/// Sets the body for `data=`, and says its content type; `None` when aiohttp's payload
/// machinery has to make it.
fn set_data(request: &mut Request, value: &Bound<'_, PyAny>) -> PyResult<Option<&'static str>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        request.body = Bytes::copy_from_slice(bytes.as_bytes());
        return Ok(Some("application/octet-stream"));
    } else if let Ok(text) = value.cast::<PyString>() {
        request.body = Bytes::from(text.to_str()?.to_owned());
        return Ok(Some("text/plain; charset=utf-8"));
    } else if value.is_instance_of::<PyDict>() {
        set_form(request, pairs(value)?);
    } else if let Ok(bytearray) = value.cast::<PyByteArray>() {
        request.body = Bytes::from(bytearray.to_vec());
        return Ok(Some("application/octet-stream"));
    } else if value.hasattr("_fields")? {
        // aiohttp.FormData: plain text fields are url-encoded here; files, bytes or any
        // multipart field make a multipart body, which aiohttp makes.
        let mut fields = Vec::new();
        if value.getattr("_is_multipart")?.is_truthy()? {
            return Ok(None);
        }
        for field in value.getattr("_fields")?.try_iter()? {
            let (options, _headers, v): (Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>) =
                field?.extract()?;
            let Ok(v) = v.extract::<String>() else {
                return Ok(None);
            };
            fields.push((options.get_item("name")?.extract()?, v));
        }
        set_form(request, fields);
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        set_form(request, pairs(value)?);
    } else if value.hasattr("read")?
        || value.hasattr("__aiter__")?
        || value.hasattr("write")?
        || value.is_instance_of::<PyMemoryView>()
    {
        // A file, an async iterable, an aiohttp payload (`MultipartWriter`...), a buffer.
        return Ok(None);
    } else {
        set_form(request, pairs(value)?);
    }
    Ok(Some("application/x-www-form-urlencoded"))
}

/// A url-encoded form body.
fn set_form(request: &mut Request, fields: Vec<(String, String)>) {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        form.append_pair(k, v);
    }
    request.body = Bytes::from(form.finish());
}

fn timeout(value: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    if value.is_none() {
        return Ok(None);
    }
    let seconds = if value.hasattr("total")? {
        let total = value.getattr("total")?;
        if total.is_none() {
            return Ok(None);
        }
        total.extract::<f64>()?
    } else {
        value.extract::<f64>()?
    };
    Duration::try_from_secs_f64(seconds)
        .map(Some)
        .map_err(|_| PyValueError::new_err(format!("invalid timeout {seconds}")))
}

fn auth(value: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    if value.hasattr("login")? {
        return Ok((
            value.getattr("login")?.extract()?,
            value.getattr("password")?.extract()?,
        ));
    }
    value.extract::<(String, String)>().map_err(|_| {
        PyTypeError::new_err("auth must be an aiohttp.BasicAuth or a (login, password) tuple")
    })
}

fn molotov_basic_auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

fn header_name(name: &str) -> PyResult<HeaderName> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))
}

fn header_value(value: &str) -> PyResult<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| PyValueError::new_err(format!("invalid header value {value:?}")))
}
