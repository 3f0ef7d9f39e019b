//! [`Alarm`]: how the open model's dispatcher waits for a run's due time.
//!
//! tokio's timers tick in milliseconds, and the wait for I/O that wakes them is in milliseconds
//! too: a sleep ends from 0 to 2 ms after its deadline (1.3 ms on average, measured), and every
//! run would start that late, its latency counted that much too long. A `timerfd` wakes the
//! runtime within tens of microseconds. The runtime's timer is kept for tests on tokio's paused
//! clock (a `timerfd` follows the real one), and where there is no `timerfd`.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::Timer;

/// How early the runtime's timer is asked to wake: its ticks are a millisecond apart, so a run
/// released this early starts closer to its due time on average.
const RUNTIME_EARLY: Duration = Duration::from_micros(500);
/// The precise timer wakes at most once in this long: at high rates the runs due meanwhile are
/// released together, up to this late, instead of costing a wake (two system calls and a
/// park of the runtime) each.
const QUANTUM: Duration = Duration::from_micros(250);

/// The dispatcher's timer.
pub(crate) enum Alarm {
    /// tokio's timer.
    Runtime,
    /// A `timerfd`, set again for each due time; when it last fired.
    #[cfg(target_os = "linux")]
    Precise(tokio_timerfd::Delay, Option<Instant>),
}

impl Alarm {
    /// The timer `timer` asks for; tokio's when a `timerfd` cannot be made.
    pub(crate) fn new(timer: Timer) -> Alarm {
        match timer {
            Timer::Runtime => Alarm::Runtime,
            #[cfg(target_os = "linux")]
            Timer::Precise => tokio_timerfd::Delay::new(std::time::Instant::now())
                .map_or(Alarm::Runtime, |delay| Alarm::Precise(delay, None)),
            #[cfg(not(target_os = "linux"))]
            Timer::Precise => Alarm::Runtime,
        }
    }

    /// How far ahead of a due time a run may be released.
    pub(crate) fn early(&self) -> Duration {
        match self {
            Alarm::Runtime => RUNTIME_EARLY,
            #[cfg(target_os = "linux")]
            Alarm::Precise(..) => Duration::ZERO,
        }
    }

    /// Returns at `due` (less [`Alarm::early`]), or a little after: with the precise timer, at
    /// most [`QUANTUM`] after, when the last wake was less than that before `due`.
    pub(crate) async fn until(&mut self, due: Instant) {
        let at = due.checked_sub(self.early()).unwrap_or(due);
        match self {
            Alarm::Runtime => tokio::time::sleep_until(at).await,
            #[cfg(target_os = "linux")]
            Alarm::Precise(delay, last) => {
                let at = last.map_or(at, |last| at.max(last + QUANTUM));
                if at > Instant::now() {
                    delay.reset(at.into_std());
                    if (&mut *delay).await.is_err() {
                        // A timerfd that fails to read: the runtime's timer from now on.
                        *self = Alarm::Runtime;
                        tokio::time::sleep_until(at).await;
                        return;
                    }
                }
                *last = Some(Instant::now());
            }
        }
    }
}
