//! The imported script's registry → an engine [`Plan`]: each Python scenario and fixture
//! wrapped as the engine's own, plus the Python session made for every worker and the asyncio
//! loop as a background task.

use std::rc::Rc;
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;
use molotov::{BoxError, Plan, Scenario, ScenarioFn, ScenarioResult, Session, Settings};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::aioloop;
use crate::bridge::Bridge;
use crate::coroutine::Driven;
use crate::event::PyListener;
use crate::failure;
use crate::options;
use crate::session::PySession;

/// Imports the script and its extensions, and builds the plan they define.
pub(crate) fn build(py: Python<'_>, settings: &Settings) -> PyResult<Plan> {
    py.import("molotov._loader")?
        .call_method1("load_all", (&settings.script, settings.extensions.clone()))?;
    let api = py.import("molotov._api")?;
    let registry = api.getattr("_registry")?;
    let args = namespace(py, settings)?;
    let bridge = Bridge::new(
        py,
        args,
        settings.run.verbose,
        settings.uvloop,
        settings.debug,
    )?;
    let mut plan = Plan::new();

    let scenarios = api.call_method0("get_scenarios")?;
    let scenarios = scenarios.cast::<PyList>()?;
    let weights: Vec<f64> = scenarios
        .iter()
        .map(|s| s.get_item("weight")?.extract::<f64>())
        .collect::<PyResult<_>>()?;
    // Molotov accepts fractional weights; the engine's are integers: scale them all alike.
    let scale = if weights.iter().all(|w| w.fract() == 0.0) {
        1.0
    } else {
        1000.0
    };
    for (scenario, weight) in scenarios.iter().zip(weights) {
        let name: String = scenario.get_item("name")?.extract()?;
        let delay: f64 = scenario.get_item("delay")?.extract()?;
        let func = Rc::new(scenario.get_item("func")?.unbind());
        let code = PyScenario {
            func,
            bridge: bridge.clone(),
        };
        // Weights are checked to be >= 0 at import; the cast saturates on absurd values.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        // A tiny positive weight still runs (rarely): only 0 leaves a scenario out.
        let weight = ((weight * scale).round() as u32).max(u32::from(weight > 0.0));
        plan = plan.scenario(
            Scenario::new(name, code)
                .weight(weight)
                .delay(Duration::try_from_secs_f64(delay).unwrap_or_default()),
        );
    }

    let fixtures = registry.getattr("fixtures")?.cast_into::<PyDict>()?;
    let fixture = |name: &str| -> PyResult<Option<Rc<Py<PyAny>>>> {
        Ok(fixtures.get_item(name)?.map(|f| Rc::new(f.unbind())))
    };
    plan = add_global_fixtures(
        plan,
        &bridge,
        fixture("global_setup")?,
        fixture("global_teardown")?,
    );
    plan = add_worker_fixtures(
        plan,
        &bridge,
        fixture("setup")?,
        fixture("setup_session")?,
        fixture("teardown_session")?,
        fixture("teardown")?,
    );
    if let Some(picker) = fixture("scenario_picker")? {
        plan = plan.scenario_picker(move |worker, step| {
            Python::attach(|py| {
                picker
                    .call1(py, (worker, step))
                    .and_then(|name| name.extract::<String>(py))
                    .unwrap_or_else(|e| format!("<the scenario picker failed: {e}>"))
            })
        });
    }
    let handlers = registry.getattr("events")?.cast_into::<PyList>()?;
    if !handlers.is_empty() {
        let listener = PyListener::new(py, handlers, &bridge, scenarios)?;
        plan = plan.listener(listener);
    }
    let background = bridge.clone();
    Ok(plan.background(move |shutdown| Box::pin(aioloop::drive(background, shutdown))))
}

/// Molotov's `args`: an `argparse.Namespace` with the options under their Molotov names (the
/// fields of `molotov::Args`, through their serde form: every option is there, none listed
/// twice).
fn namespace(py: Python<'_>, settings: &Settings) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_string(&settings.args)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot convert the options: {e}")))?;
    let kwargs = py.import("json")?.getattr("loads")?.call1((json,))?;
    let kwargs = kwargs.cast_into::<PyDict>()?;
    // Molotov's namespace has these as argparse leaves them.
    kwargs.set_item("version", false)?;
    // The synchronous request() of fixtures follows the run's --connect-to too.
    py.import("molotov._helpers")?
        .setattr("_connect_to", kwargs.get_item("connect_to")?)?;
    Ok(py
        .import("argparse")?
        .getattr("Namespace")?
        .call((), Some(&kwargs))?
        .unbind())
}

/// A Python scenario coroutine function.
struct PyScenario {
    func: Rc<Py<PyAny>>,
    bridge: Rc<Bridge>,
}

impl ScenarioFn for PyScenario {
    fn call(&self, session: Session) -> LocalBoxFuture<'static, ScenarioResult> {
        let func = self.func.clone();
        let bridge = self.bridge.clone();
        let start = Box::new(move |py: Python<'_>| {
            let py_session = PySession::attach(py, &session, &bridge)?;
            func.call1(py, (py_session,))
        });
        Driven::new(start, self.bridge.clone(), false)
            .map(|result| result.map(drop))
            .boxed_local()
    }
}

fn call_sync(
    f: &Py<PyAny>,
    bridge: &Bridge,
    args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
) -> Result<(), BoxError> {
    Python::attach(|py| {
        let result = args(py).and_then(|args| f.bind(py).call1(args));
        result
            .map(drop)
            .map_err(|e| failure::from_pyerr(py, bridge, e))
    })
}

fn add_global_fixtures(
    mut plan: Plan,
    bridge: &Rc<Bridge>,
    global_setup: Option<Rc<Py<PyAny>>>,
    global_teardown: Option<Rc<Py<PyAny>>>,
) -> Plan {
    if let Some(f) = global_setup {
        let bridge = bridge.clone();
        plan = plan.global_setup(move |_| {
            call_sync(&f, &bridge, |py| {
                pyo3::types::PyTuple::new(py, [bridge.args.clone_ref(py)])
            })
        });
    }
    if let Some(f) = global_teardown {
        let bridge = bridge.clone();
        plan = plan.global_teardown(move |_| {
            // Molotov calls it after its loop has stopped: `asyncio.run()` works there.
            let paused = Python::attach(|py| {
                bridge.made_loop().is_some_and(|l| {
                    l.call_method0(py, "_molotov_pause")
                        .and_then(|p| p.extract::<bool>(py))
                        .unwrap_or(false)
                })
            });
            let result = call_sync(&f, &bridge, |py| Ok(pyo3::types::PyTuple::empty(py)));
            if paused {
                Python::attach(|py| {
                    if let Some(l) = bridge.made_loop() {
                        let _ = l.call_method0(py, "_molotov_start");
                    }
                });
            }
            result
        });
    }
    plan
}

fn add_worker_fixtures(
    mut plan: Plan,
    bridge: &Rc<Bridge>,
    setup: Option<Rc<Py<PyAny>>>,
    setup_session: Option<Rc<Py<PyAny>>>,
    teardown_session: Option<Rc<Py<PyAny>>>,
    teardown: Option<Rc<Py<PyAny>>>,
) -> Plan {
    if let Some(f) = setup {
        let bridge = bridge.clone();
        plan = plan.setup(move |worker, _info| {
            let (f, bridge) = (f.clone(), bridge.clone());
            async move {
                let held = bridge.clone();
                let start =
                    Box::new(move |py: Python<'_>| f.call1(py, (worker, held.args.clone_ref(py))));
                let value = Driven::new(start, bridge.clone(), true).await?;
                Python::attach(|py| {
                    let value =
                        value.map_or_else(|| py.None().into_bound(py), |v| v.into_bound(py));
                    options::session_options(&value)
                        .map(Some)
                        .map_err(|e| failure::from_pyerr(py, &bridge, e))
                })
            }
        });
    }
    // Always: every worker gets its Python session before anything else uses it.
    let ready = bridge.clone();
    plan = plan.setup_session(move |worker, session| {
        let (f, bridge) = (setup_session.clone(), ready.clone());
        async move {
            let py_session = Python::attach(|py| PySession::attach(py, &session, &bridge))
                .map_err(|e| Python::attach(|py| failure::from_pyerr(py, &bridge, e)))?;
            if let Some(f) = f {
                let start = Box::new(move |py: Python<'_>| f.call1(py, (worker, py_session)));
                Driven::new(start, bridge, false).await?;
            }
            Ok(())
        }
    });
    let done = bridge.clone();
    plan = plan.teardown_session(move |worker, session| {
        let (f, bridge) = (teardown_session.clone(), done.clone());
        async move {
            let result = match f {
                Some(f) => {
                    let py_session = Python::attach(|py| PySession::attach(py, &session, &bridge));
                    match py_session {
                        Ok(py_session) => {
                            let start =
                                Box::new(move |py: Python<'_>| f.call1(py, (worker, py_session)));
                            Driven::new(start, bridge, false).await.map(drop)
                        }
                        Err(e) => Err(Python::attach(|py| failure::from_pyerr(py, &bridge, e))),
                    }
                }
                None => Ok(()),
            };
            PySession::detach(&session);
            result
        }
    });
    if let Some(f) = teardown {
        let bridge = bridge.clone();
        plan = plan.teardown(move |worker| {
            call_sync(&f, &bridge, |py| pyo3::types::PyTuple::new(py, [worker]))
        });
    }
    plan
}
