//! The Python adapter: Molotov scripts on the Rust engine (`molotov._molotov`).
//!
//! Python is a thin layer here: the script's decorators fill a registry; this crate turns it
//! into an engine `Plan` and runs it with the same command line as Rust load tests. Scenario
//! coroutines are driven by the engine itself, on its thread, without an asyncio task per run.
//!
//! # Layout
//! - `cli`: the console scripts (`molotov`, `molotov-target`); `gil`: the GIL stays with the
//!   engine's thread and is released while it sleeps.
//! - `plan`: the registry → `Plan`: scenarios, fixtures, picker, listeners, the asyncio loop.
//! - `coroutine`: `Driven`, a coroutine as a Rust future; `step`: `PyIter_Send`; `task`: the
//!   task-like object `asyncio.current_task()` returns meanwhile.
//! - `awaitable`: `Pending` (I/O the script awaits: its `Job` is a request or a read of a
//!   body; also an asyncio future) and `Ready`.
//! - `session`: the aiohttp-like session, its context and cookie jar; `options`: Python
//!   arguments → engine requests and session options; `response`: the aiohttp-like response;
//!   `body`: the rest of a body not complete with its head, read as asked; `values`: a body
//!   as text or JSON; `headers`: the response headers.
//! - `aioloop`: the asyncio loop as a background task (it, `step` and `gil` hold the crate's
//!   only `unsafe` code, each call with its justification); `bridge`: the Python objects a run keeps
//!   at hand; `event`: `@events` handlers as a listener; `failure`: exceptions → failures;
//!   `blocking`: `request()`/`json_request()`.
//!
//! # Data flow of a scenario run
//! engine worker → `PyScenario::call` → `Driven` (GIL) calls the coroutine function with the
//! worker's `ClientSession` and steps it → it yields a `Pending` → the `Driven` sends the
//! request on the engine session (GIL released) → response → `Driven` (GIL) resumes the
//! coroutine with a `ClientResponse` → … → returns or raises → success or failure counted by
//! the engine.

mod aioloop;
mod awaitable;
mod blocking;
mod body;
mod bridge;
mod cli;
mod coroutine;
mod event;
mod failure;
mod gil;
mod headers;
mod options;
mod plan;
mod response;
mod session;
mod statsd;
mod step;
mod task;
mod values;
mod websocket;

use pyo3::prelude::*;

/// The native part of the `molotov` Python package.
#[pymodule]
fn _molotov(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(cli::main, module)?)?;
    module.add_function(wrap_pyfunction!(cli::target_main, module)?)?;
    module.add_function(wrap_pyfunction!(cli::report_main, module)?)?;
    module.add_function(wrap_pyfunction!(cli::option_table, module)?)?;
    module.add_function(wrap_pyfunction!(blocking::request, module)?)?;
    module.add_class::<session::PySession>()?;
    module.add_class::<session::PyContext>()?;
    module.add_class::<session::CookieJar>()?;
    module.add_class::<statsd::PyStatsd>()?;
    module.add_class::<response::PyResponse>()?;
    module.add_class::<websocket::PyWebSocket>()?;
    module.add_class::<headers::PyHeaders>()?;
    module.add_class::<awaitable::Pending>()?;
    module.add_class::<awaitable::Ready>()?;
    module.add_class::<event::PyRequest>()?;
    module.add_class::<task::ScenarioTask>()?;
    Ok(())
}
