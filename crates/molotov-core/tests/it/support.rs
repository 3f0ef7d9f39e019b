//! Shared helpers: the target server, configs, running a plan, recording logs, notices.

use std::cell::RefCell;
use std::num::{NonZeroU64, NonZeroUsize};
use std::rc::Rc;

use molotov_core::{
    Notice, NoticeReceiver, Plan, RunConfig, Runner, Scenario, ScenarioResult, Session, Shutdown,
    Summary,
};
use molotov_target::{Target, TargetConfig};

/// A target server on `127.0.0.1:0`.
pub(crate) fn target() -> Target {
    Target::start(TargetConfig::default()).expect("the target server starts")
}

/// A URL on a port nobody listens on: bound, read, released.
pub(crate) fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

/// `workers` workers, each stopping after `runs` runs.
pub(crate) fn config(workers: usize, runs: u64) -> RunConfig {
    RunConfig {
        workers: NonZeroUsize::new(workers).unwrap(),
        max_runs: NonZeroU64::new(runs),
        ..RunConfig::default()
    }
}

/// Runs `plan` to its end and returns the summary.
pub(crate) async fn run(plan: Plan, config: RunConfig) -> Summary {
    let runner = Runner::new(plan, config).unwrap_or_else(|e| panic!("invalid plan: {e}"));
    runner
        .run(Shutdown::new())
        .await
        .unwrap_or_else(|e| panic!("the run failed: {e}"))
}

/// Runs `plan` to its end and returns the summary and every notice sent.
pub(crate) async fn run_noticed(plan: Plan, config: RunConfig) -> (Summary, Vec<Notice>) {
    let mut runner = Runner::new(plan, config).unwrap_or_else(|e| panic!("invalid plan: {e}"));
    let receiver = runner.take_notices().unwrap();
    let summary = runner
        .run(Shutdown::new())
        .await
        .unwrap_or_else(|e| panic!("the run failed: {e}"));
    (summary, drain(&receiver))
}

/// Every notice waiting.
pub(crate) fn drain(receiver: &NoticeReceiver) -> Vec<Notice> {
    std::iter::from_fn(|| receiver.try_next()).collect()
}

/// A scenario that GETs `url` and fails unless the status is 200.
pub(crate) fn get_ok(name: &str, url: &str) -> Scenario {
    let url = url.to_owned();
    Scenario::new(name, move |session: Session| {
        let url = url.clone();
        async move {
            let response = session.get(&url).send().await?;
            molotov_core::ensure!(response.status() == 200, "{url}: {}", response.status());
            Ok(())
        }
    })
}

/// Like [`get_ok`], on a fresh connection: the target's raw faults (`/malformed`,
/// `/truncated`, `/drop`, `/garbage`) only misbehave on a connection's first request.
pub(crate) fn get_ok_fresh(name: &str, url: &str) -> Scenario {
    let url = url.to_owned();
    Scenario::new(name, move |session: Session| {
        let url = url.clone();
        async move {
            session.close();
            let response = session.get(&url).send().await?;
            molotov_core::ensure!(response.status() == 200, "{url}: {}", response.status());
            Ok(())
        }
    })
}

/// A scenario that does nothing and succeeds.
pub(crate) fn noop(name: &str) -> Scenario {
    async fn nothing(_: Session) -> ScenarioResult {
        Ok(())
    }
    Scenario::new(name, nothing)
}

/// A shared, append-only record of what happened, in order.
#[derive(Clone, Default)]
pub(crate) struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub(crate) fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }

    pub(crate) fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// The entries ending with ` {worker}`, in order.
    pub(crate) fn of_worker(&self, worker: usize) -> Vec<String> {
        let suffix = format!(" {worker}");
        self.0
            .borrow()
            .iter()
            .filter(|e| e.ends_with(&suffix))
            .cloned()
            .collect()
    }

    pub(crate) fn count(&self, entry: &str) -> usize {
        self.0.borrow().iter().filter(|e| *e == entry).count()
    }
}

/// A scenario that records `"{name} {worker}"` and succeeds.
pub(crate) fn logged(name: &str, log: &Log) -> Scenario {
    let (log, label) = (log.clone(), name.to_owned());
    Scenario::new(name, move |session: Session| {
        log.push(format!("{label} {}", session.worker_id()));
        async { Ok(()) }
    })
}
