//! Output never holds the load back: a stdout nobody reads, a closed stdout, a reader that
//! goes away.

use std::io::Read as _;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Running, read_json, target, testbed, wait_until};

/// `-vv` writes every exchange: far more than a pipe holds, so the pipe fills at once.
#[test]
fn a_stdout_pipe_nobody_reads_does_not_stall_the_load_or_the_end() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    let mut running = testbed()
        .at(&server)
        .args([
            "-vv",
            "-d",
            "5",
            "-w",
            "2",
            "--json",
            path.to_str().unwrap(),
        ])
        .spawn_unread_stdout();
    // Well past the point where the pipe is full (-vv writes a few hundred bytes per request
    // into 64 KiB), the load goes on. The duration leaves room for a slow, busy machine.
    wait_until(Duration::from_secs(10), "500 requests", || {
        server.requests() >= 500
    });
    let before = server.requests();
    wait_until(Duration::from_secs(10), "500 more requests", || {
        assert!(!running.has_exited(), "the run ended before its duration");
        server.requests() >= before + 500
    });
    // The process ends soon after its duration although nobody read its output.
    wait_until(Duration::from_secs(10), "the end of the run", || {
        running.has_exited()
    });
    let run = running.wait(Duration::from_secs(1));
    run.code(0).no_panic();
    assert!(
        run.elapsed < Duration::from_secs(11),
        "{}",
        run.elapsed.as_secs_f64()
    );
    let json = read_json(&path);
    assert_eq!(
        json["successes"].as_u64().unwrap(),
        server.requests(),
        "{json}"
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let server = target();
    let bin = crate::support::example("testbed");
    let script = format!("exec 1>&-; exec '{}' -d 0.5 -w 2", bin.display());
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &script])
        .env("MOLOTOV_TARGET", server.url(""))
        .env_remove("TESTBED_SCENARIOS")
        .env_remove("TESTBED_FAIL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = Running::start(command, true).wait(Duration::from_secs(20));
    run.code(0).no_panic();
    assert!(run.stderr.is_empty(), "{run}");
    assert!(server.requests() > 0);
}

#[test]
fn a_reader_that_goes_away_does_not_stop_the_run() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    let mut child = testbed()
        .at(&server)
        .args(["-vv", "-d", "1", "--json", path.to_str().unwrap()])
        .into_command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read a little, then close the pipe: every later write fails with EPIPE.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let running = Running::adopt(child);
    let run = running.wait(Duration::from_secs(20));
    run.code(0);
    let json = read_json(&path);
    assert!(json["successes"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(json["failures"], 0, "{json}");
}
