//! `get_context(session).statsd` with `--statsd`: the run's statsd client, with the method
//! names of aiodogstatsd (the client Molotov 2.6 gives) and the `incr`/`decr` that Molotov's
//! documentation and quickstart use. Tags and sample rates are accepted and ignored.

use pyo3::prelude::*;

/// The run's statsd client, for a script's own metrics.
#[pyclass(frozen, name = "Statsd", module = "molotov._molotov")]
pub(crate) struct PyStatsd {
    client: molotov::Statsd,
}

impl PyStatsd {
    pub(crate) fn new(client: molotov::Statsd) -> Self {
        PyStatsd { client }
    }
}

/// A metric value as statsd takes it: a whole or a decimal number.
fn number(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    value.extract::<f64>()
}

#[pymethods]
impl PyStatsd {
    /// Adds `value` (1 by default) to counter `name`.
    #[pyo3(signature = (name, value = 1, tags = None, sample_rate = None))]
    fn increment(
        &self,
        name: &str,
        value: i64,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) {
        let _ = (tags, sample_rate);
        self.client.count(name, value);
    }

    /// `increment`, as Molotov's documentation spells it.
    #[pyo3(signature = (name, value = 1, tags = None, sample_rate = None))]
    fn incr(
        &self,
        name: &str,
        value: i64,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) {
        self.increment(name, value, tags, sample_rate);
    }

    /// Takes `value` (1 by default) from counter `name`.
    #[pyo3(signature = (name, value = 1, tags = None, sample_rate = None))]
    fn decrement(
        &self,
        name: &str,
        value: i64,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) {
        let _ = (tags, sample_rate);
        self.client.count(name, value.saturating_neg());
    }

    /// `decrement`.
    #[pyo3(signature = (name, value = 1, tags = None, sample_rate = None))]
    fn decr(
        &self,
        name: &str,
        value: i64,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) {
        self.decrement(name, value, tags, sample_rate);
    }

    /// Sets gauge `name`.
    #[pyo3(signature = (name, value, tags = None, sample_rate = None))]
    fn gauge(
        &self,
        name: &str,
        value: &Bound<'_, PyAny>,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) -> PyResult<()> {
        let _ = (tags, sample_rate);
        self.client.gauge(name, number(value)?);
        Ok(())
    }

    /// Records a timing, in milliseconds.
    #[pyo3(signature = (name, value, tags = None, sample_rate = None))]
    fn timing(
        &self,
        name: &str,
        value: &Bound<'_, PyAny>,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) -> PyResult<()> {
        let _ = (tags, sample_rate);
        let ms = number(value)?;
        // Whole milliseconds, as statsd timers are; negative or NaN values become 0.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to the u64 range first"
        )]
        let whole = ms.round().clamp(0.0, u64::MAX as f64) as u64;
        self.client.timing(name, whole);
        Ok(())
    }

    /// Records a histogram value.
    #[pyo3(signature = (name, value, tags = None, sample_rate = None))]
    fn histogram(
        &self,
        name: &str,
        value: &Bound<'_, PyAny>,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) -> PyResult<()> {
        let _ = (tags, sample_rate);
        self.client.histogram(name, number(value)?);
        Ok(())
    }

    /// Records a distribution value.
    #[pyo3(signature = (name, value, tags = None, sample_rate = None))]
    fn distribution(
        &self,
        name: &str,
        value: &Bound<'_, PyAny>,
        tags: Option<&Bound<'_, PyAny>>,
        sample_rate: Option<f64>,
    ) -> PyResult<()> {
        let _ = (tags, sample_rate);
        self.client.distribution(name, number(value)?);
        Ok(())
    }

    fn __repr__(&self) -> &'static str {
        "<molotov statsd client>"
    }
}
