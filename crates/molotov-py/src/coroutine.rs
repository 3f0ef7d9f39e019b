//! [`Driven`]: a Python coroutine run as a Rust future, on the engine's thread.
//!
//! Each poll takes the GIL once, steps the coroutine as far as it can go, and looks at what it
//! awaits:
//! - a [`Pending`]: its job (a request, a read of a response body) is performed right here, by
//!   the worker's session, as part of this future (no asyncio future, no callback, no other
//!   task);
//! - an asyncio future (`asyncio.sleep`, a task, a queue): a done callback wakes this future,
//!   and the engine's asyncio loop (see `aioloop`) runs the timers and callbacks meanwhile;
//! - a bare `yield` (`asyncio.sleep(0)`): it lets the other workers run once.
//!
//! Between polls the GIL is free, so threads (`asyncio.to_thread`) run while requests are in
//! flight. Dropping a `Driven` (a cancelled scenario) closes its coroutine, so its `finally`
//! blocks and `async with` exits run.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;
use molotov::BoxError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::exceptions::asyncio::CancelledError;
use pyo3::intern;
use pyo3::prelude::*;

use crate::awaitable::{Done, Pending};
use crate::bridge::Bridge;
use crate::failure;
use crate::step::{self, Step};
use crate::task::{Cancel, Requested, ScenarioTask};

/// Makes the coroutine, with the GIL held, on the first poll.
pub(crate) type Start = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>>>;

type Work = LocalBoxFuture<'static, Done>;

/// A Python coroutine driven to completion as a Rust future.
pub(crate) struct Driven {
    coro: Option<Py<PyAny>>,
    state: State,
    bridge: Rc<Bridge>,
    /// Whether the caller wants the coroutine's return value (fixtures) or not (scenarios).
    keep_value: bool,
    /// `asyncio.current_task()` during its steps, and its cancellation state.
    task: Option<Py<ScenarioTask>>,
    cancel: Rc<RefCell<Cancel>>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "a response passes through on every request: boxing it would cost an allocation"
)]
enum State {
    Start(Start),
    Resume(Resume),
    /// The job of a `Pending` (a request, a body read) this future performs.
    Job {
        work: Work,
        pending: Py<Pending>,
    },
    /// An asyncio future; its done callback sets the flag.
    Future(Arc<Flag>),
    Finished,
}

#[allow(
    clippy::large_enum_variant,
    reason = "a response passes through on every request: boxing it would cost an allocation"
)]
enum Resume {
    Send,
    Throw(PyErr),
    Answered(Py<Pending>, Done),
}

impl Driven {
    /// A coroutine made by `start` on the first poll.
    pub(crate) fn new(start: Start, bridge: Rc<Bridge>, keep_value: bool) -> Self {
        Driven {
            coro: None,
            state: State::Start(start),
            bridge,
            keep_value,
            task: None,
            cancel: Rc::default(),
        }
    }

    /// Steps the coroutine as the current asyncio task, and starts the job it awaits.
    ///
    /// The job is polled outside the task's steps: sending a request fires events, whose
    /// handlers are coroutines driven (and made current) in their turn.
    fn run(&mut self, py: Python<'_>, mut resume: Resume, cx: &mut Context<'_>) -> Poll<Output> {
        let Some(task) = self.task.as_ref().map(|t| t.clone_ref(py)) else {
            return self.finish(py, Err(PyRuntimeError::new_err("no coroutine")));
        };
        let bridge = self.bridge.clone();
        let event_loop = match bridge.event_loop(py) {
            Ok(event_loop) => event_loop.bind(py),
            Err(e) => return self.finish(py, Err(e)),
        };
        loop {
            if let Err(e) = bridge.enter_task.call1(py, (event_loop, &task)) {
                return self.finish(py, Err(e));
            }
            let poll = self.steps(py, resume, cx);
            // Leaving cannot fail: the task entered just above is still the current one.
            let _ = bridge.leave_task.call1(py, (event_loop, &task));
            if poll.is_ready() {
                return poll;
            }
            if let State::Job { work, pending } = &mut self.state {
                if let Poll::Ready(done) = work.as_mut().poll(cx) {
                    resume = Resume::Answered(pending.clone_ref(py), done);
                    continue;
                }
            }
            let mut cancel = self.cancel.borrow_mut();
            match &cancel.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => cancel.waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
    }

    fn steps(&mut self, py: Python<'_>, mut resume: Resume, cx: &mut Context<'_>) -> Poll<Output> {
        loop {
            if let Some(Requested(message)) = self.cancel.borrow_mut().requested.take() {
                let error = match message {
                    Some(m) => CancelledError::new_err((m,)),
                    None => CancelledError::new_err(()),
                };
                resume = Resume::Throw(error);
            }
            self.cancel.borrow_mut().waiter = None;
            let coro = match (&resume, &self.coro) {
                (_, Some(coro)) => coro.clone_ref(py).into_bound(py),
                _ => return self.finish(py, Err(PyRuntimeError::new_err("no coroutine"))),
            };
            let outcome = match resume {
                Resume::Send => step::send(&coro, &py.None().into_bound(py)),
                Resume::Throw(error) => step::throw(&coro, error),
                Resume::Answered(pending, done) => match Pending::answer(pending.bind(py), done) {
                    Ok(()) => step::send(&coro, &py.None().into_bound(py)),
                    Err(e) => step::throw(&coro, e),
                },
            };
            match outcome {
                Step::Return(value) => return self.finish(py, Ok(value)),
                Step::Raise(error) => return self.finish(py, Err(error)),
                Step::Yield(yielded) => match self.dispatch(py, &yielded, cx) {
                    Next::Wait(state) => {
                        self.state = state;
                        return Poll::Pending;
                    }
                    Next::Again(next) => resume = next,
                },
            }
        }
    }

    fn finish(&mut self, py: Python<'_>, result: PyResult<Bound<'_, PyAny>>) -> Poll<Output> {
        self.state = State::Finished;
        if let (Some(coro), Err(_)) = (self.coro.take(), &result) {
            // It may never have started: close it so Python does not warn it was not awaited.
            let _ = coro.bind(py).call_method0(intern!(py, "close"));
        }
        self.task = None;
        Poll::Ready(match result {
            Ok(value) => Ok(self.keep_value.then(|| value.unbind())),
            Err(error) => Err(failure::from_pyerr(py, &self.bridge, error)),
        })
    }

    /// Decides how to wait for what the coroutine yielded.
    fn dispatch(
        &mut self,
        py: Python<'_>,
        yielded: &Bound<'_, PyAny>,
        cx: &mut Context<'_>,
    ) -> Next {
        if let Ok(pending) = yielded.cast::<Pending>() {
            let job = pending.borrow_mut().take_job();
            if let Some(job) = job {
                // `run` polls it at once: a request is written before the GIL is released.
                return Next::Wait(State::Job {
                    work: Box::pin(job.run()),
                    pending: pending.clone().unbind(),
                });
            }
        }
        if yielded.is_none() {
            // A bare yield (asyncio.sleep(0)): let the others run, then go on.
            cx.waker().wake_by_ref();
            return Next::Wait(State::Resume(Resume::Send));
        }
        let blocking = intern!(py, "_asyncio_future_blocking");
        if let Ok(true) = yielded.getattr(blocking).and_then(|b| b.is_truthy()) {
            let flag = Arc::new(Flag::default());
            flag.register(cx.waker());
            let waker = Py::new(py, FutureWaker { flag: flag.clone() });
            let registered = yielded
                .setattr(blocking, false)
                .and_then(|()| yielded.call_method1(intern!(py, "add_done_callback"), (waker?,)));
            return match registered {
                Ok(_) => {
                    self.cancel.borrow_mut().waiter = Some(yielded.clone().unbind());
                    // The step may have started I/O on the loop; uvloop (libuv) registers it
                    // only in its next iteration, so run one.
                    self.bridge.wake.notify_one();
                    Next::Wait(State::Future(flag))
                }
                Err(e) => Next::Again(Resume::Throw(e)),
            };
        }
        let what = yielded
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        Next::Again(Resume::Throw(PyRuntimeError::new_err(format!(
            "molotov cannot await a {what} here: await requests, asyncio futures or coroutines"
        ))))
    }
}

type Output = Result<Option<Py<PyAny>>, BoxError>;

enum Next {
    Wait(State),
    Again(Resume),
}

impl Future for Driven {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let this = self.get_mut();
        let resume = match std::mem::replace(&mut this.state, State::Finished) {
            State::Start(start) => {
                return Python::attach(|py| {
                    let task = start(py).and_then(|coro| {
                        let task = ScenarioTask {
                            cancel: this.cancel.clone(),
                            coro: Some(coro.clone_ref(py)),
                            event_loop: this.bridge.event_loop(py)?.clone_ref(py),
                        };
                        this.coro = Some(coro);
                        Py::new(py, task)
                    });
                    match task {
                        Ok(task) => {
                            this.task = Some(task);
                            this.run(py, Resume::Send, cx)
                        }
                        Err(error) => this.finish(py, Err(error)),
                    }
                });
            }
            State::Resume(resume) => resume,
            // A cancelled task drops the job in flight; the steps raise CancelledError.
            State::Job { .. } if this.cancel.borrow().requested.is_some() => Resume::Send,
            State::Job { mut work, pending } => match work.as_mut().poll(cx) {
                Poll::Ready(done) => Resume::Answered(pending, done),
                Poll::Pending => {
                    this.state = State::Job { work, pending };
                    return Poll::Pending;
                }
            },
            State::Future(flag) => {
                flag.register(cx.waker());
                if !flag.is_set() && this.cancel.borrow().requested.is_none() {
                    this.state = State::Future(flag);
                    return Poll::Pending;
                }
                Resume::Send
            }
            State::Finished => return Poll::Pending,
        };
        Python::attach(|py| this.run(py, resume, cx))
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        if let Some(coro) = self.coro.take() {
            // Cancelled half-way: let the coroutine clean up (finally, async with).
            Python::attach(|py| {
                let _ = coro.bind(py).call_method0(intern!(py, "close"));
            });
        }
    }
}

/// Set by an asyncio future's done callback; wakes the driver.
#[derive(Default)]
pub(crate) struct Flag {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Flag {
    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.set.store(true, Ordering::Release);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The done callback the driver gives an asyncio future.
#[pyclass(frozen, module = "molotov._molotov")]
pub(crate) struct FutureWaker {
    flag: Arc<Flag>,
}

#[pymethods]
impl FutureWaker {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.flag.set();
    }
}
