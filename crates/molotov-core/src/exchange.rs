//! [`Exchange`]: one request as the engine records it, once its outcome is known: the
//! statistics (status or error kind, latency, bytes, retries), the sinks (statsd...), and
//! the `-v` line of a request sent again.
//!
//! For a response read whole, the outcome is known when the client returns; for a streamed one
//! ([`Session::send_streamed`](crate::Session::send_streamed)), when its body is complete,
//! fails, or the response is dropped before its end.

use std::rc::Rc;
use std::time::{Duration, Instant};

use http::Method;
use molotov_http::{Error as HttpError, Response as HttpResponse};
use molotov_stats::{Timing, Transfer};

use crate::notice::Notice;
use crate::session::SessionEnv;
use crate::sink::Outcome;

/// A request whose outcome is to be recorded.
pub(crate) struct Exchange {
    pub(crate) env: Rc<SessionEnv>,
    pub(crate) method: Method,
    /// The statistics key: the request's name, or its URL path.
    pub(crate) key: Box<str>,
    pub(crate) worker: usize,
    pub(crate) start: Instant,
    /// In an open-model run, how late the request's run started: its latency counts from its
    /// intended send time.
    pub(crate) lag: Option<Duration>,
}

impl Exchange {
    /// Records a response whose body is complete (or given up on).
    pub(crate) fn record_response(&self, response: &HttpResponse, body_bytes: u64) {
        self.record(Ok((response, body_bytes)));
    }

    /// Records a failure.
    pub(crate) fn record_error(&self, error: &HttpError) {
        self.record(Err(error));
    }

    /// Records the outcome: a response (its status, what it moved), or an error.
    fn record(&self, outcome: Result<(&HttpResponse, u64), &HttpError>) {
        // Over HTTP/2, the wait for a free stream (the server's MAX_CONCURRENT_STREAMS all
        // busy) is the client's queue, not the server's time: it stays in the scenario run's
        // duration only.
        let queued = outcome.map_or(Duration::ZERO, |(r, _)| r.queued());
        let elapsed = self.start.elapsed().saturating_sub(queued);
        let timing = Timing {
            service: elapsed,
            lag: self.lag,
        };
        let env = &*self.env;
        let (method, key) = (self.method.as_str(), &*self.key);
        {
            let mut stats = env.stats.borrow_mut();
            match outcome {
                Ok((r, body)) => {
                    let transfer = Transfer {
                        retries: u64::from(r.retries()),
                        received: r.received_bytes(),
                        body,
                    };
                    stats.request_status(method, key, r.status().as_u16(), timing, transfer);
                }
                Err(e) => {
                    let transfer = Transfer {
                        retries: u64::from(e.retries()),
                        ..Transfer::default()
                    };
                    stats.request_error(method, key, e.kind_name(), timing, transfer, || {
                        crate::error::error_message(e)
                    });
                }
            }
        }
        let retries = outcome.map_or_else(HttpError::retries, |(r, _)| r.retries());
        if retries > 0 && env.info.config.verbose >= 1 {
            env.notices.send(Notice::Warning(format!(
                "[W:{}] {method} {key}: the server had closed the kept-alive connection; sent \
                 again on a new one",
                self.worker
            )));
        }
        let outcome = match outcome {
            Ok((r, _)) => Outcome::Status(r.status().as_u16()),
            Err(e) => Outcome::Failure(e.kind_name()),
        };
        env.sinks.request(method, key, outcome, timing.latency());
    }
}
