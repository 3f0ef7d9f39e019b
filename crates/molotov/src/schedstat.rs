//! The thread running the workers, as Linux's scheduler counts it: time on a core and time
//! waiting for one (`/proc/thread-self/schedstat`), for the engine's measure of how busy the
//! load generator is ([`molotov_core::ThreadClock`]). Elsewhere, or where the kernel keeps no
//! such counts, nothing is measured.

use std::rc::Rc;
use std::time::Duration;

use molotov_core::{ThreadClock, ThreadTimes};

/// The clock the runner reads once a second on its thread.
pub(crate) fn thread_clock() -> ThreadClock {
    Rc::new(read)
}

fn read() -> Option<ThreadTimes> {
    parse(&std::fs::read_to_string("/proc/thread-self/schedstat").ok()?)
}

/// "running-ns waiting-ns timeslices" (the kernel brings them up to date at its ticks and
/// context switches: a reading may lag by a tick). A kernel that keeps no such counts writes
/// zeros, which the engine does not take as a reading once the run has lasted a while.
fn parse(text: &str) -> Option<ThreadTimes> {
    let mut fields = text.split_ascii_whitespace().map(str::parse::<u64>);
    let running = fields.next()?.ok()?;
    let waiting = fields.next()?.ok()?;
    Some(ThreadTimes {
        running: Duration::from_nanos(running),
        waiting: Duration::from_nanos(waiting),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_line_gives_the_times_and_anything_else_nothing() {
        assert_eq!(
            parse("324616 1500000000 12\n"),
            Some(ThreadTimes {
                running: Duration::from_nanos(324_616),
                waiting: Duration::from_millis(1500),
            })
        );
        assert_eq!(parse(""), None);
        assert_eq!(parse("12"), None);
        assert_eq!(parse("a b c"), None);
        assert_eq!(parse("-1 2 3"), None);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_thread_runs() {
        let before = read().expect("Linux counts a thread's times");
        // Longer than a tick (the counts are brought up to date at ticks).
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {
            std::hint::spin_loop();
        }
        let after = read().expect("still");
        assert!(after.running > before.running);
    }
}
