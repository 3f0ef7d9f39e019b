//! [`ExitStatus`]: how a run ended, as the process exit code a CI pipeline reads.

use std::process::ExitCode;

use molotov_core::{StopCause, Summary};

/// The outcome of `molotov`, from best to worst for a pipeline to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the run went as planned (failures below `-f`, or no `-f`).
    Success,
    /// 1: at least `-f` scenario runs failed.
    Failures,
    /// 2: bad options, an unreadable config file, a script that cannot load, no scenario.
    Usage,
    /// 3: a fixture failed.
    FixtureFailed,
    /// 4: `-x` stopped the run at the first failure.
    FailFast,
    /// 5: a worker process of a `-p` run crashed; the totals are the other processes'.
    Crashed,
    /// 99: a `--threshold` failed (k6's code).
    ThresholdFailed,
    /// 130: interrupted (Ctrl-C, SIGTERM).
    Interrupted,
}

impl ExitStatus {
    /// The exit status of a finished run: a fixture failure first, then a crashed process,
    /// `-x`, an interruption, a failed `--threshold`, then `-f`.
    pub fn of(summary: &Summary, fail: Option<u64>, thresholds_failed: bool) -> ExitStatus {
        if !summary.fixture_failures.is_empty() {
            return ExitStatus::FixtureFailed;
        }
        if summary.crashed_processes > 0 {
            return ExitStatus::Crashed;
        }
        match summary.stop {
            Some(StopCause::FailFast) => return ExitStatus::FailFast,
            Some(StopCause::Interrupted) => return ExitStatus::Interrupted,
            _ => {}
        }
        if thresholds_failed {
            return ExitStatus::ThresholdFailed;
        }
        match fail {
            Some(threshold) if summary.failures() >= threshold => ExitStatus::Failures,
            _ => ExitStatus::Success,
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failures => 1,
            ExitStatus::Usage => 2,
            ExitStatus::FixtureFailed => 3,
            ExitStatus::FailFast => 4,
            ExitStatus::Crashed => 5,
            ExitStatus::ThresholdFailed => 99,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}
