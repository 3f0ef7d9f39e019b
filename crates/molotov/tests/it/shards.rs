//! Sharded runs (`--shard I/N`, `--shards N` with `JOB_COMPLETION_INDEX`, `--start-at`,
//! `--shard-fixtures`, `--results-stdout`) as local processes against the bundled target, and
//! `molotov-report` merging (or refusing) their results.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::{Molotov, read_json, target, testbed};

fn molotov_report() -> Molotov {
    Molotov::binary(env!("CARGO_BIN_EXE_molotov-report"))
}

/// Runs `shards` shards of `testbed ARGS` one after the other, each with `--json`; the files.
fn run_shards(
    server: &molotov_target::Target,
    dir: &Path,
    args: &[&str],
    shard: impl Fn(Molotov, usize) -> Molotov,
    shards: usize,
) -> Vec<PathBuf> {
    (0..shards)
        .map(|i| {
            let path = dir.join(format!("shard{i}.json"));
            let run = shard(testbed().at(server), i)
                .env("TESTBED_PRINT", "1")
                .args(args)
                .args(["--json", path.to_str().unwrap()])
                .run();
            run.code(0);
            path
        })
        .collect()
}

fn worker_ids(results: &serde_json::Value) -> u64 {
    results["max_workers"].as_u64().unwrap()
}

#[test]
fn three_shards_make_the_work_of_one_run_and_merge_exactly() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let args = ["-w", "7", "-r", "10", "-q"];
    let by_flag = run_shards(
        &server,
        dir.path(),
        &args,
        |m, i| m.args(["--shard", &format!("{i}/3")]),
        3,
    );
    let by_index = run_shards(
        &server,
        dir.path(),
        &args,
        |m, i| {
            m.env("JOB_COMPLETION_INDEX", &i.to_string())
                .args(["--shards", "3"])
        },
        3,
    );
    // The shares of 7 workers: 2, 2, 3.
    let shares: Vec<u64> = by_flag.iter().map(|p| worker_ids(&read_json(p))).collect();
    assert_eq!(shares, [2, 2, 3]);
    for files in [&by_flag, &by_index] {
        let merged = dir.path().join("merged.json");
        let run = molotov_report()
            .args(files.iter().map(|p| p.as_os_str()))
            .args(["--json", merged.to_str().unwrap()])
            .run();
        run.code(0).stdout_has(&["Merged 3 results"]);
        let merged = read_json(&merged);
        assert_eq!(merged["successes"], 70, "7 workers x 10 runs");
        assert!(merged.get("shard").is_none(), "the merge is the whole run");
        let shard = read_json(&files[2]);
        assert_eq!(shard["shard"]["index"], 2);
        assert_eq!(shard["shard"]["count"], 3);
        assert_eq!(merged["plan"], shard["plan"]);
    }
    assert_eq!(server.requests(), 140, "two sharded runs of 70");
    // One unsharded run of the same work.
    let (run, whole) = testbed().at(&server).args(args).run_with_results();
    run.code(0);
    assert_eq!(whole["successes"], 70);
}

#[test]
fn worker_ids_are_unique_across_shards() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let run = testbed()
            .at(&server)
            .env("TESTBED_PRINT", "1")
            .args([
                "-w",
                "6",
                "-r",
                "1",
                "-c",
                "-p",
                "2",
                "--shard",
                &format!("{i}/3"),
            ])
            .args([
                "--json",
                dir.path().join(format!("{i}.json")).to_str().unwrap(),
            ])
            .run();
        run.code(0);
        for line in run.stdout.lines() {
            if let Some(id) = line
                .trim_start_matches(|c| c != 'f')
                .strip_prefix("fixture: setup ")
            {
                ids.push(id.trim().parse::<usize>().unwrap());
            }
        }
    }
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..6).collect::<Vec<_>>(),
        "6 workers over 3 shards of 2 processes"
    );
}

#[test]
fn sharded_open_model_keeps_the_global_rate_evenly() {
    let server = target();
    let start = SystemTime::now() + Duration::from_secs(2);
    let at = start
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        .to_string();
    let running: Vec<_> = (0..3)
        .map(|i| {
            testbed()
                .at(&server)
                .args(["--rate", "300", "-d", "2", "-q", "--start-at", &at])
                .args(["--shard", &format!("{i}/3")])
                .spawn()
        })
        .collect();
    for shard in running {
        shard.wait(Duration::from_secs(30)).code(0);
    }
    let sent = server.requests();
    assert!((594..=606).contains(&sent), "{sent} requests for 600 due");
    let arrivals = server.arrivals();
    let first = arrivals.iter().position(|&n| n > 0).unwrap();
    let per_100ms: Vec<u64> = arrivals[first..]
        .chunks(10)
        .filter(|c| c.len() == 10)
        .map(|c| c.iter().sum())
        .collect();
    assert!(per_100ms.len() >= 19, "{per_100ms:?}");
    assert!(
        per_100ms.iter().all(|&n| (15..=60).contains(&n)),
        "{per_100ms:?}"
    );
}

#[test]
fn shards_started_apart_start_their_load_together() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let start = SystemTime::now() + Duration::from_millis(2500);
    let at = start
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        .to_string();
    let paths: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("{i}.json")))
        .collect();
    let first = testbed()
        .at(&server)
        .args([
            "-w",
            "2",
            "-d",
            "1",
            "-q",
            "--shard",
            "0/2",
            "--start-at",
            &at,
        ])
        .args(["--json", paths[0].to_str().unwrap()])
        .spawn();
    std::thread::sleep(Duration::from_secs(1));
    let second = testbed()
        .at(&server)
        .args([
            "-w",
            "2",
            "-d",
            "1",
            "-q",
            "--shard",
            "1/2",
            "--start-at",
            &at,
        ])
        .args(["--json", paths[1].to_str().unwrap()])
        .spawn();
    first.wait(Duration::from_secs(20)).code(0);
    second.wait(Duration::from_secs(20)).code(0);
    let starts: Vec<f64> = paths
        .iter()
        .map(|p| read_json(p)["started_at"].as_f64().unwrap())
        .collect();
    assert!((starts[0] - starts[1]).abs() < 0.05, "{starts:?}");
    let wanted = start.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(
        starts.iter().all(|s| (s - wanted).abs() < 0.05),
        "{starts:?} vs {wanted}"
    );

    let run = testbed()
        .at(&server)
        .args(["-r", "1", "--start-at", "1000000000"])
        .run();
    run.code(2);
    assert!(run.one_error_line().contains("is already past"), "{run}");
}

#[test]
fn shard_fixtures_first_runs_the_global_fixtures_in_shard_0_only() {
    let server = target();
    for (shard, expected, processes) in [
        ("0/2", true, "1"),
        ("1/2", false, "1"),
        ("0/2", true, "2"),
        ("1/2", false, "2"),
    ] {
        let run = testbed()
            .at(&server)
            .env("TESTBED_PRINT", "1")
            .args([
                "-w", "4", "-r", "1", "-c", "-p", processes, "--shard", shard,
            ])
            .args(["--shard-fixtures", "first"])
            .run();
        run.code(0);
        assert_eq!(
            run.stdout.contains("fixture: global_setup"),
            expected,
            "{run}"
        );
        assert_eq!(
            run.stdout.contains("fixture: global_teardown"),
            expected,
            "{run}"
        );
        assert!(
            run.stdout.contains("fixture: setup"),
            "per-worker fixtures run where the worker runs"
        );
    }
}

#[test]
fn results_on_stdout_are_merged_from_a_log_stream() {
    let server = target();
    let mut stream = String::new();
    for i in 0..3 {
        let run = testbed()
            .at(&server)
            .args([
                "-w",
                "3",
                "-r",
                "5",
                "-q",
                "--results-stdout",
                "--shard",
                &format!("{i}/3"),
            ])
            .run();
        run.code(0);
        assert!(
            run.stdout.contains("--- molotov results begin ---"),
            "{run}"
        );
        // As `kubectl logs --prefix` writes the lines of several pods.
        for line in run.stdout.lines() {
            let _ = writeln!(stream, "[pod/run-{i}/molotov] {line}");
        }
        stream.push_str("some other line of the pod\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs.txt");
    std::fs::write(&logs, &stream).unwrap();
    let mut command = molotov_report().arg("-").into_command();
    command.stdin(std::fs::File::open(&logs).unwrap());
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Merged 3 results"), "{stdout}");
    assert!(stdout.contains("SUCCESSES: 15 | FAILURES: 0"), "{stdout}");
}

#[test]
fn molotov_report_refuses_incomplete_or_mixed_shards() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let files = run_shards(
        &server,
        dir.path(),
        &["-w", "3", "-r", "2", "-q"],
        |m, i| m.args(["--shard", &format!("{i}/3")]),
        3,
    );
    let other_plan = dir.path().join("other.json");
    testbed()
        .at(&server)
        .args(["-w", "4", "-r", "2", "-q", "--shard", "2/3"])
        .args(["--json", other_plan.to_str().unwrap()])
        .run()
        .code(0);
    for (chosen, says) in [
        (
            vec![&files[0], &files[2]],
            "1 of the 3 shards are missing: 1",
        ),
        (
            vec![&files[0], &files[1], &files[1], &files[2]],
            "is there twice",
        ),
        (vec![&files[0], &files[1], &other_plan], "different plans"),
    ] {
        let run = molotov_report()
            .args(chosen.iter().map(|p| p.as_os_str()))
            .run();
        run.code(2);
        assert!(run.one_error_line().contains(says), "{says}: {run}");
    }
}
