use super::*;

#[test]
fn shares_add_up_and_differ_by_one_at_most() {
    for total in [1, 2, 3, 7, 10, 100, 1001] {
        for count in 1..=total.min(13) {
            let shares: Vec<usize> = (0..count).map(|i| share(total, i, count)).collect();
            assert_eq!(shares.iter().sum::<usize>(), total, "{total}/{count}");
            let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
            assert!(max - min <= 1, "{total}/{count}: {shares:?}");
            for i in 0..count {
                assert_eq!(first(total, i, count), shares[..i].iter().sum::<usize>());
            }
        }
    }
    assert_eq!(
        (0..3).map(|i| share(10, i, 3)).collect::<Vec<_>>(),
        [3, 3, 4]
    );
}

#[test]
fn start_times() {
    use std::time::{Duration, UNIX_EPOCH};
    let at = |t: &str| {
        t.parse::<StartAt>()
            .map(|s| s.0.duration_since(UNIX_EPOCH).unwrap())
    };
    assert_eq!(at("1796551200"), Ok(Duration::from_secs(1_796_551_200)));
    assert_eq!(
        at("1796551200.5"),
        Ok(Duration::from_millis(1_796_551_200_500))
    );
    assert_eq!(at("2026-12-06T10:00:00Z"), at("1796551200"));
    assert_eq!(at("2026-12-06T11:00:00+01:00"), at("1796551200"));
    for bad in [
        "tomorrow",
        "2026-13-01T00:00:00Z",
        "-5",
        "1969-12-31T23:59:59Z",
    ] {
        assert!(at(bad).is_err(), "{bad}");
    }
    let shown = "1796551200.25".parse::<StartAt>().unwrap().to_string();
    assert_eq!(shown.parse::<StartAt>(), "1796551200.25".parse::<StartAt>());
}

/// Every worker id any part can use, for `shards` shards of `processes` processes.
fn ids(config: &RunConfig, shards: usize, processes: usize) -> Vec<usize> {
    let mut all = Vec::new();
    for shard in 0..shards {
        let mut part = config.clone();
        narrow(&mut part, shard, shards, processes).unwrap();
        for process in 0..processes {
            let mut inner = part.clone();
            narrow(&mut inner, process, processes, 1).unwrap();
            all.extend(inner.first_worker_id..inner.first_worker_id + inner.worker_slots());
        }
    }
    all
}

#[test]
fn worker_ids_never_collide_even_where_parts_grow() {
    use molotov_core::{Arrivals, Schedule, Stage, Stages};
    use std::time::Duration;
    let open = |workers, max_workers| RunConfig {
        workers: NonZeroUsize::new(workers).unwrap(),
        load: Load::Open(Arrivals {
            schedule: Schedule::constant(100.0),
            max_workers: NonZeroUsize::new(max_workers).unwrap(),
            drop_late: false,
        }),
        ..RunConfig::default()
    };
    let staged = RunConfig {
        workers: NonZeroUsize::new(6).unwrap(),
        load: Load::Closed(Some(Stages(vec![Stage {
            duration: Duration::from_secs(60),
            target: 10.0,
        }]))),
        ..RunConfig::default()
    };
    for (config, shards, processes) in [
        (open(2, 10), 2, 1),
        (open(1, 1), 3, 2),
        (open(5, 17), 3, 2),
        (staged.clone(), 2, 1),
        (staged, 3, 2),
    ] {
        let mut all = ids(&config, shards, processes);
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            all.len(),
            n,
            "{shards} shards x {processes}: {:?}",
            config.load
        );
    }
}

#[test]
fn seeds_differ_for_every_part() {
    let config = RunConfig {
        workers: NonZeroUsize::new(12).unwrap(),
        seed: Some(7),
        ..RunConfig::default()
    };
    let mut seeds = Vec::new();
    for shard in 0..3 {
        let mut part = config.clone();
        narrow(&mut part, shard, 3, 2).unwrap();
        for process in 0..2 {
            let mut inner = part.clone();
            narrow(&mut inner, process, 2, 1).unwrap();
            seeds.push(inner.seed.unwrap());
        }
    }
    let n = seeds.len();
    seeds.sort_unstable();
    seeds.dedup();
    assert_eq!(seeds.len(), n);
}

#[test]
fn the_plan_covers_options_that_exist_and_not_the_script_path() {
    use clap::Parser as _;
    let args = |argv: &[&str]| crate::Args::try_parse_from(argv).unwrap();
    let value = serde_json::to_value(args(&["molotov"])).unwrap();
    for key in SHAPING {
        assert!(value.get(key).is_some(), "{key} is not an option");
    }
    let scenarios = [("a".to_owned(), 1)];
    let plan = |argv: &[&str]| plan_hash(&scenarios, &args(argv));
    assert_eq!(
        plan(&["molotov", "./t.py"]),
        plan(&["molotov", "/x/t.py", "--json", "r"])
    );
    assert_ne!(
        plan(&["molotov", "t.py"]),
        plan(&["molotov", "-w", "2", "t.py"])
    );
    assert_ne!(
        plan(&["molotov", "http://a/"]),
        plan(&["molotov", "http://b/"])
    );
    assert_eq!(
        plan(&["molotov", "--shard", "0/3"]),
        plan(&["molotov", "--shards", "3"])
    );
}

#[test]
fn complete_shards_only() {
    let s = |i, n| Some(Shard { index: i, count: n });
    assert!(check_complete(&[("a", None), ("b", None)]).is_ok());
    assert!(check_complete(&[("a", s(1, 2)), ("b", s(0, 2))]).is_ok());
    for (results, says) in [
        (
            vec![("a", s(0, 3)), ("b", s(2, 3))],
            "1 of the 3 shards are missing: 1",
        ),
        (
            vec![("a", s(0, 2)), ("b", s(0, 2)), ("c", s(1, 2))],
            "shard 0/2 is there twice: a and b",
        ),
        (
            vec![("a", s(0, 2)), ("b", s(1, 3))],
            "not the same shard count",
        ),
        (vec![("a", s(0, 1)), ("b", None)], "b is not a shard"),
    ] {
        let error = check_complete(&results).unwrap_err();
        assert!(error.contains(says), "{error}");
    }
}

#[test]
fn shard_syntax() {
    assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
    for bad in ["3/3", "1", "a/3", "0/0", "-1/3", "1/3/4"] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
}

#[test]
fn parts_of_parts_stripe_the_schedule() {
    // Three shards of two processes: every run index belongs to exactly one of the six.
    let mut owners = vec![0; 60];
    for shard in 0..3 {
        let mut config = RunConfig {
            workers: NonZeroUsize::new(12).unwrap(),
            ..RunConfig::default()
        };
        narrow(&mut config, shard, 3, 2).unwrap();
        assert_eq!(config.workers.get(), 4);
        assert_eq!(config.first_worker_id, 4 * shard);
        for process in 0..2 {
            let mut inner = config.clone();
            narrow(&mut inner, process, 2, 1).unwrap();
            assert_eq!(inner.workers.get(), 2);
            assert_eq!(inner.first_worker_id, 4 * shard + 2 * process);
            let p = inner.partition;
            for (k, owner) in owners.iter_mut().enumerate() {
                if k % p.count.get() == p.index {
                    *owner += 1;
                }
            }
        }
    }
    assert!(owners.iter().all(|&n| n == 1), "{owners:?}");
    let mut config = RunConfig::default();
    assert!(
        narrow(&mut config, 0, 2, 1)
            .unwrap_err()
            .contains("cannot be split")
    );
}
