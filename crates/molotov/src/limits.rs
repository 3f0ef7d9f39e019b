//! The open-file limit (`ulimit -n`): every connection is a file descriptor, so a process of
//! many workers needs many.
//!
//! At start, the soft limit is raised to the hard one, as Locust does: most systems set a
//! soft limit of 1024 and a much higher hard one, which any process may raise itself to.
//! Then, when the workers of one process need more files than that limit, one warning line
//! says so before the load starts (the run goes on: the requests that find no descriptor
//! fail with the error kind `files`).
//!
//! What a process needs is estimated as [`PER_WORKER`] file per worker (its connection: one
//! origin, kept alive) plus a [`MARGIN`] for the process's own files: standard streams, the
//! pipes of captured output, the runtime's epoll and event descriptors, signal handling, the
//! pipes of `-p`, a statsd socket, a Python interpreter's. It is a floor: a scenario that
//! talks to several origins, or sends requests concurrently, holds more connections.

/// Files a worker is expected to hold open: one keep-alive connection.
pub(crate) const PER_WORKER: u64 = 1;

/// Files a process holds besides its workers' connections (see the module's documentation).
pub(crate) const MARGIN: u64 = 50;

/// Raises the soft open-file limit to the hard one; the soft limit from then on, or `None`
/// when there is no limit (or it cannot be read). A limit that cannot be raised stays as it
/// was.
#[allow(
    clippy::useless_conversion,
    reason = "rlim_t is u64 on Linux, not on every Unix"
)]
pub(crate) fn raise_open_files() -> Option<u64> {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    let soft = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    if soft == RLIM_INFINITY {
        return None;
    }
    // rlim_t is u64 wherever molotov runs; a wider one would be no limit anyway.
    u64::try_from(soft).ok()
}

/// The files one process of `workers` workers needs, by the estimate above.
pub(crate) fn needed(workers: usize) -> u64 {
    u64::try_from(workers)
        .unwrap_or(u64::MAX)
        .saturating_mul(PER_WORKER)
        .saturating_add(MARGIN)
}

/// The warning for `-w workers` in each of `processes` processes under an open-file limit of
/// `limit`, if they need more than it: how many processes of how many workers would fit.
pub(crate) fn warning(workers: usize, processes: usize, limit: u64) -> Option<String> {
    let need = needed(workers);
    if need <= limit {
        return None;
    }
    let advice = match limit.saturating_sub(MARGIN) / PER_WORKER {
        0 => "raise ulimit -n".to_owned(),
        fits => {
            let total = u64::try_from(workers.saturating_mul(processes.max(1))).unwrap_or(u64::MAX);
            let processes = total.div_ceil(fits);
            let per_process = total.div_ceil(processes);
            format!("use -p {processes} -w {per_process} or raise ulimit -n")
        }
    };
    Some(format!(
        "warning: -w {workers} needs about {need} open files; the limit is {limit}: {advice}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_warning_within_the_limit() {
        assert_eq!(warning(10, 1, 1024), None);
        assert_eq!(warning(974, 1, 1024), None, "974 + 50 fit exactly");
        assert!(warning(975, 1, 1024).is_some());
    }

    #[test]
    fn the_warning_splits_the_workers_over_processes() {
        assert_eq!(
            warning(30_000, 1, 20_000).as_deref(),
            Some(
                "warning: -w 30000 needs about 30050 open files; the limit is 20000: \
                 use -p 2 -w 15000 or raise ulimit -n"
            )
        );
        // With -p, -w is per process: 4 x 30000 workers in all.
        let split = warning(30_000, 4, 20_000).unwrap();
        assert!(
            split.ends_with("use -p 7 -w 17143 or raise ulimit -n"),
            "{split}"
        );
    }

    #[test]
    fn a_limit_below_the_margin_can_only_be_raised() {
        let line = warning(10, 1, 40).unwrap();
        assert!(line.ends_with("the limit is 40: raise ulimit -n"), "{line}");
        assert_eq!(needed(usize::MAX), u64::MAX);
    }

    #[test]
    fn raising_keeps_a_limit_the_process_can_use() {
        // The test process's own limit: raised to the hard one, or left alone.
        use nix::sys::resource::{Resource, getrlimit};
        let raised = raise_open_files();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(soft, hard);
        if raised.is_some() {
            assert_eq!(raised, Some(soft));
        }
    }
}
