//! [`Alarm`]: how the open model's dispatcher waits for a run's due time.
//!
//! tokio's timers tick in milliseconds, and the wait for I/O that wakes them is in milliseconds
//! too: a sleep ends from 0 to 2 ms after its deadline (1.3 ms on average, measured), and every
//! run would start that late, its latency counted that much too long. A `timerfd` wakes the
//! runtime within tens of microseconds. The runtime's timer is kept for tests on tokio's paused
//! clock (a `timerfd` follows the real one), and where there is no `timerfd`.
//!
//! Each wake releases the runs due within a short window ahead ([`Alarm::window`], the
//! pacing's [`early_window`](crate::pacing::early_window), which grows with the rate): at high
//! rates the runs due close together start together, a little early, instead of costing a wake
//! (two system calls and a park of the runtime) each, and never late because of the batching.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::Timer;

/// The runtime's timer: its ticks are a millisecond apart; it is asked to wake this early, and
/// runs due this far ahead (at least) are released with the one it woke for.
const RUNTIME_WINDOW: Duration = Duration::from_micros(500);

/// A `timerfd` wake later than this after its time found the thread busy.
#[cfg(target_os = "linux")]
const PUNCTUAL: Duration = Duration::from_micros(100);

/// The dispatcher's timer.
pub(crate) enum Alarm {
    /// tokio's timer.
    Runtime,
    /// A `timerfd`, set again for each due time.
    #[cfg(target_os = "linux")]
    Precise(tokio_timerfd::Delay),
}

impl Alarm {
    /// The timer `timer` asks for; tokio's when a `timerfd` cannot be made.
    pub(crate) fn new(timer: Timer) -> Alarm {
        match timer {
            Timer::Runtime => Alarm::Runtime,
            #[cfg(target_os = "linux")]
            Timer::Precise => tokio_timerfd::Delay::new(std::time::Instant::now())
                .map_or(Alarm::Runtime, Alarm::Precise),
            #[cfg(not(target_os = "linux"))]
            Timer::Precise => Alarm::Runtime,
        }
    }

    /// How far ahead of a wake the runs due are released with it, when a run may start
    /// `early`.
    pub(crate) fn window(&self, early: Duration) -> Duration {
        match self {
            Alarm::Runtime => RUNTIME_WINDOW.max(early),
            #[cfg(target_os = "linux")]
            Alarm::Precise(_) => early,
        }
    }

    /// How long before a due time [`Alarm::until`] returns: a run due within this of a wake
    /// is the one it woke for.
    pub(crate) fn lead(&self) -> Duration {
        match self {
            Alarm::Runtime => RUNTIME_WINDOW,
            #[cfg(target_os = "linux")]
            Alarm::Precise(_) => Duration::ZERO,
        }
    }

    /// Whether a wake at `woke` for `asked` was on time: a `timerfd` wakes a thread that has
    /// time to spare within tens of microseconds, and one busy running tasks later. (The
    /// runtime's timer is late by its ticks whatever the thread does: always on time.)
    pub(crate) fn punctual(&self, asked: Instant, woke: Instant) -> bool {
        match self {
            Alarm::Runtime => true,
            #[cfg(target_os = "linux")]
            Alarm::Precise(_) => woke <= asked + PUNCTUAL,
        }
    }

    /// Returns at `due` (the runtime's timer: a window before it), or a little after.
    pub(crate) async fn until(&mut self, due: Instant) {
        match self {
            Alarm::Runtime => {
                let at = due.checked_sub(RUNTIME_WINDOW).unwrap_or(due);
                tokio::time::sleep_until(at).await;
            }
            #[cfg(target_os = "linux")]
            Alarm::Precise(delay) => {
                if due <= Instant::now() {
                    return;
                }
                delay.reset(due.into_std());
                if (&mut *delay).await.is_err() {
                    // A timerfd that fails to read: the runtime's timer from now on.
                    *self = Alarm::Runtime;
                    tokio::time::sleep_until(due).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_is_on_time_within_100_us_of_a_timerfd_and_always_on_the_runtimes_timer() {
        let asked = Instant::now();
        let late = asked + Duration::from_micros(150);
        assert!(
            Alarm::Runtime.punctual(asked, late),
            "late by its own ticks"
        );
        #[cfg(target_os = "linux")]
        {
            let precise = Alarm::new(Timer::Precise);
            assert!(matches!(precise, Alarm::Precise(_)));
            assert!(precise.punctual(asked, asked + Duration::from_micros(100)));
            assert!(!precise.punctual(asked, late), "the thread was busy");
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_timerfd_alarm_wakes_at_its_time_not_before() {
        let mut alarm = Alarm::new(Timer::Precise);
        assert_eq!(alarm.lead(), Duration::ZERO);
        let asked = Instant::now() + Duration::from_millis(2);
        alarm.until(asked).await;
        let late = Instant::now().checked_duration_since(asked);
        // A loaded test machine may wake it late; a second would be a lost wake.
        assert!(
            late.is_some_and(|late| late < Duration::from_secs(1)),
            "{late:?}"
        );
    }
}
