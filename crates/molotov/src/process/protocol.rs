//! What a worker process tells its parent, one JSON object per line on a pipe; and what the
//! parent tells a worker process, one byte per command on a pipe of its own.

use std::io::{self, BufRead, Read, Write};
use std::time::Duration;

use molotov_core::stats::Report;
use molotov_core::{
    ArrivalSummary, Fixture, FixtureFailure, GeneratorLoad, LiveFigures, StopCause, Summary,
};
use serde::{Deserialize, Serialize};

use crate::lines::Line;

/// A message from a worker process. Externally tagged (`{"report": {...}}`): an internally
/// tagged enum would be buffered whole before being read, which doubles the parent's cost of
/// each statistics snapshot.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Message {
    /// Console lines, already formatted and prefixed with the process id.
    Lines { lines: Vec<WireLine> },
    /// The live counters.
    Progress {
        successes: u64,
        failures: u64,
        workers: usize,
        /// `kind: message` of a recent failure, for the "every run is failing" line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_failure: Option<String>,
        /// Open model: runs started late and dropped so far, and the schedule's rate now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        arrivals: Option<(u64, u64, f64)>,
        /// How busy its workers' thread was over the last second.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        generator_busy: Option<f64>,
    },
    /// A snapshot of the statistics, for live views.
    Report {
        report: Report,
        /// How long the child's run had lasted when it was taken.
        #[serde(default)]
        elapsed: std::time::Duration,
        /// The open model's and the generator's figures that go with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        figures: Option<Box<LiveFigures>>,
    },
    /// How this process's pushes of metrics went (before `Done`).
    Exported {
        outcomes: Vec<crate::export::PushOutcome>,
    },
    /// The process stopped by itself (`-x`, a fixture failed): the others must stop too.
    Stop { cause: String },
    /// The process's whole outcome; the last message.
    Done { summary: Box<WireSummary> },
}

/// A console line as it travels: `[text, error, printed]` (see `lines::Line`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireLine(pub(crate) String, pub(crate) bool, pub(crate) bool);

impl From<Line> for WireLine {
    fn from(line: Line) -> Self {
        WireLine(line.text, line.error, line.printed)
    }
}

/// A [`Summary`] as it travels.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireSummary {
    report: Report,
    elapsed_seconds: f64,
    stop: Option<String>,
    max_workers: usize,
    cancelled: u64,
    fixture_failures: Vec<(String, Option<usize>, String)>,
    dropped_notices: u64,
    seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arrivals: Option<ArrivalSummary>,
    /// Unix seconds.
    #[serde(default)]
    started_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generator: Option<GeneratorLoad>,
}

impl From<&Summary> for WireSummary {
    fn from(s: &Summary) -> Self {
        WireSummary {
            report: s.report.clone(),
            elapsed_seconds: s.elapsed.as_secs_f64(),
            stop: s.stop.map(|c| c.name().to_owned()),
            max_workers: s.max_workers,
            cancelled: s.cancelled,
            fixture_failures: s
                .fixture_failures
                .iter()
                .map(|f| (f.fixture.name().to_owned(), f.worker, f.message.clone()))
                .collect(),
            dropped_notices: s.dropped_notices,
            seed: s.seed,
            arrivals: s.arrivals.clone(),
            started_at: s.started_at.map(crate::results::unix_seconds),
            generator: s.generator.clone(),
        }
    }
}

impl From<WireSummary> for Summary {
    fn from(w: WireSummary) -> Self {
        Summary {
            report: w.report,
            elapsed: Duration::try_from_secs_f64(w.elapsed_seconds).unwrap_or_default(),
            stop: w.stop.as_deref().and_then(StopCause::from_name),
            max_workers: w.max_workers,
            cancelled: w.cancelled,
            fixture_failures: w
                .fixture_failures
                .into_iter()
                .filter_map(|(name, worker, message)| {
                    Some(FixtureFailure {
                        fixture: Fixture::from_name(&name)?,
                        worker,
                        message,
                    })
                })
                .collect(),
            dropped_notices: w.dropped_notices,
            seed: w.seed,
            crashed_processes: 0,
            arrivals: w.arrivals,
            started_at: w.started_at.and_then(crate::results::from_unix_seconds),
            generator: w.generator,
        }
    }
}

/// Writes one message as a line.
pub(crate) fn send(out: &mut impl Write, message: &Message) -> io::Result<()> {
    let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

/// Reads the next message; `Ok(None)` at the end of the stream.
pub(crate) fn receive(input: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// What the parent asks of a worker process. A byte on a pipe, not a signal: two signals sent
/// close together merge into one, two bytes never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// Stop gracefully: no new scenario, teardowns run.
    Stop,
    /// Cancel the scenarios in flight (teardowns still run).
    Abort,
}

impl Command {
    const STOP: u8 = b'S';
    const ABORT: u8 = b'A';

    /// Writes the command.
    pub(crate) fn send(self, out: &mut impl Write) -> io::Result<()> {
        let byte = match self {
            Command::Stop => Self::STOP,
            Command::Abort => Self::ABORT,
        };
        out.write_all(&[byte])
    }

    /// Reads the next command; `Ok(None)` at the end of the stream (the parent is gone).
    /// Unknown bytes are skipped.
    pub(crate) fn receive(input: &mut impl Read) -> io::Result<Option<Command>> {
        let mut byte = [0_u8];
        loop {
            match input.read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) => match byte[0] {
                    Self::STOP => return Ok(Some(Command::Stop)),
                    Self::ABORT => return Ok(Some(Command::Abort)),
                    _ => {}
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_survive_the_trip() {
        let mut report = Report::default();
        report
            .scenarios
            .insert("a".into(), molotov_core::stats::EntryReport::default());
        let summary = Summary {
            report,
            elapsed: Duration::from_millis(1500),
            stop: Some(StopCause::FailFast),
            max_workers: 3,
            cancelled: 1,
            fixture_failures: vec![FixtureFailure {
                fixture: Fixture::Setup,
                worker: Some(2),
                message: "boom".into(),
            }],
            dropped_notices: 4,
            started_at: None,
            seed: 9,
            crashed_processes: 0,
            arrivals: Some(ArrivalSummary {
                scheduled: 10,
                started: 9,
                late: 2,
                dropped: 1,
                lag: {
                    let mut lag = molotov_core::stats::Latency::default();
                    lag.record(Duration::from_micros(1500));
                    lag
                },
                target_rate: 5.0,
            }),
            generator: Some(GeneratorLoad {
                seconds: 1.5,
                running_seconds: 1.25,
                waiting_seconds: 0.125,
                saturated_seconds: 1.0,
                peak: 0.96,
            }),
        };
        let mut wire = Vec::new();
        send(
            &mut wire,
            &Message::Done {
                summary: Box::new(WireSummary::from(&summary)),
            },
        )
        .unwrap();
        let Some(Message::Done { summary: back }) = receive(&mut wire.as_slice()).unwrap() else {
            panic!("a Done message")
        };
        let back = Summary::from(*back);
        assert_eq!(back.elapsed, summary.elapsed);
        assert_eq!(back.stop, Some(StopCause::FailFast));
        assert_eq!(back.fixture_failures, summary.fixture_failures);
        assert_eq!((back.max_workers, back.cancelled, back.seed), (3, 1, 9));
        assert!(back.report.scenarios.contains_key("a"));
        assert_eq!(back.arrivals, summary.arrivals);
        assert_eq!(back.generator, summary.generator);
        assert!(receive(&mut &b""[..]).unwrap().is_none());
    }

    #[test]
    fn commands_arrive_one_by_one_in_order() {
        let mut wire = Vec::new();
        Command::Stop.send(&mut wire).unwrap();
        wire.push(b'?');
        Command::Abort.send(&mut wire).unwrap();
        let mut input = wire.as_slice();
        assert_eq!(Command::receive(&mut input).unwrap(), Some(Command::Stop));
        assert_eq!(Command::receive(&mut input).unwrap(), Some(Command::Abort));
        assert_eq!(Command::receive(&mut input).unwrap(), None);
    }
}
