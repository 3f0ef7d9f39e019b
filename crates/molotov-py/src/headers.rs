//! Response headers, shaped like aiohttp's case-insensitive multidict (`CIMultiDictProxy`); they
//! read the engine's headers in place.

use molotov::http::Headers;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

/// Response headers: a read-only, case-insensitive multidict (aiohttp's `CIMultiDictProxy`).
#[pyclass(unsendable, mapping, name = "Headers", module = "molotov._molotov")]
pub(crate) struct PyHeaders {
    headers: Headers,
}

impl PyHeaders {
    pub(crate) fn new(headers: Headers) -> Self {
        PyHeaders { headers }
    }

    fn values_of(&self, key: &str) -> Vec<String> {
        self.headers
            .get_all_bytes(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }
}

#[pymethods]
impl PyHeaders {
    fn __getitem__(&self, key: &str) -> PyResult<String> {
        self.headers
            .get_bytes(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> Py<PyAny> {
        match self.headers.get_bytes(key) {
            Some(v) => PyString::new(py, &String::from_utf8_lossy(v))
                .into_any()
                .unbind(),
            None => default.unwrap_or_else(|| py.None()),
        }
    }

    #[pyo3(signature = (key, default = None))]
    fn getone(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match (self.headers.get_bytes(key), default) {
            (Some(v), _) => Ok(PyString::new(py, &String::from_utf8_lossy(v))
                .into_any()
                .unbind()),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(PyKeyError::new_err(key.to_owned())),
        }
    }

    #[pyo3(signature = (key, default = None))]
    fn getall(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let values = self.values_of(key);
        if !values.is_empty() {
            return Ok(PyList::new(py, values)?.into_any().unbind());
        }
        default.ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    fn __contains__(&self, key: &str) -> bool {
        self.headers.contains(key)
    }

    fn __len__(&self) -> usize {
        self.headers.len()
    }

    fn keys(&self) -> Vec<String> {
        self.headers.iter().map(|(n, _)| n.to_owned()).collect()
    }

    fn values(&self) -> Vec<String> {
        self.headers
            .iter()
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    fn items(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyList::new(py, self.keys())?
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn __repr__(&self) -> String {
        let items: Vec<String> = self
            .items()
            .into_iter()
            .map(|(k, v)| format!("'{k}': {v:?}"))
            .collect();
        format!("<Headers({{{}}})>", items.join(", "))
    }
}
