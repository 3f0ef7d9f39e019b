//! The dashboard in a real terminal: the load test runs in a tmux pane (a pseudo-terminal with
//! a screen tmux keeps), read back with `capture-pane` and driven with `send-keys`.
//!
//! These tests need tmux; `scripts/check.sh` installs it when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{TIMEOUT, example, target, wait_until};

/// A private tmux server (its own socket) with one pane running a shell command; killed on
/// drop.
struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `command` in a 120x40 pane; after it the pane records the exit code as `EXIT=N`
    /// and the terminal's settings in `dir/stty`, then stays open.
    fn start(command: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let socket = dir.path().join("tmux.sock");
        let stty = dir.path().join("stty");
        let script = format!(
            "{command}; echo EXIT=$?; stty -a > '{}'; sleep 600",
            stty.display()
        );
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
            ])
            .arg(script)
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (scripts/check.sh installs it)");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket, dir }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// What the pane shows now.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J"])
    }

    /// Whether the program in the pane is on the alternate screen.
    fn alternate(&self) -> bool {
        self.tmux(&["display-message", "-p", "#{alternate_on}"])
            .trim()
            == "1"
    }

    fn ctrl_c(&self) {
        self.tmux(&["send-keys", "C-c"]);
    }

    /// Waits until the screen satisfies `condition`; returns that screen.
    fn wait_for(&self, what: &str, mut condition: impl FnMut(&str) -> bool) -> String {
        let mut last = String::new();
        let found = poll(|| {
            last = self.screen();
            condition(&last)
        });
        assert!(found, "timed out waiting for {what}; the screen:\n{last}");
        last
    }

    /// The terminal settings recorded after the load test exited.
    fn stty(&self) -> String {
        let path = self.dir.path().join("stty");
        wait_until(TIMEOUT, "stty -a", || path.exists());
        std::fs::read_to_string(&path).unwrap_or_default()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn poll(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The number after `label` on the screen (the footer's counters).
fn counter(screen: &str, label: &str) -> Option<u64> {
    let at = screen.find(label)? + label.len();
    let digits: String = screen[at..]
        .chars()
        .skip_while(|c| *c == ' ')
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The testbed, with its variables, as a shell command line.
fn testbed(url: &str, vars: &str, args: &str) -> String {
    format!(
        "env MOLOTOV_TARGET='{url}' {vars} '{}' {args}",
        example("testbed").display()
    )
}

/// Checks that the terminal is back to normal: main screen, cooked mode with echo.
fn assert_restored(tmux: &Tmux) {
    assert!(!tmux.alternate(), "still on the alternate screen");
    let stty = tmux.stty();
    for flag in stty.split_whitespace() {
        assert!(
            !matches!(flag, "-icanon" | "-echo" | "-isig" | "-opost"),
            "the terminal is left in raw mode ({flag}):\n{stty}"
        );
    }
}

fn exit_code(screen: &str) -> Option<i32> {
    let at = screen.find("EXIT=")? + "EXIT=".len();
    screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[test]
fn the_dashboard_shows_the_run_live_and_ctrl_c_gives_the_terminal_back() {
    let server = target();
    let tmux = Tmux::start(&testbed(
        &server.url(""),
        "TESTBED_SCENARIOS=ok,fail",
        "-w 2 -d 60 --console-update 0.2",
    ));
    let panels = [
        "Molotov v",
        "Ctrl+C to abort",
        "Workers",
        "Errors",
        "Runs per second",
        "Responses",
        "Scenarios",
        "WORKERS: 2",
        "PROCESSES: 1",
        "ELAPSED:",
    ];
    // A capture may catch a frame half drawn: wait for a whole one.
    let first = tmux.wait_for("every panel, and the footer counting", |s| {
        counter(s, "SUCCESS:").is_some_and(|n| n > 0) && panels.iter().all(|p| s.contains(p))
    });
    assert!(tmux.alternate(), "the dashboard uses the alternate screen");
    let before = counter(&first, "SUCCESS:").unwrap();
    let moving = tmux.wait_for("the counters moving, the table and errors filled", |s| {
        counter(s, "SUCCESS:").is_some_and(|n| n > before)
            && counter(s, "FAILED:").is_some_and(|n| n > 0)
            && s.contains("Failure! fail")
            && s.contains("[W:1] Running scenarios")
            && s.contains("500")
            && s.contains("ms")
    });
    assert!(moving.contains("fail "), "the scenario table:\n{moving}");

    tmux.ctrl_c();
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(130), "{end}");
    assert_restored(&tmux);
    // The summary is printed on the restored screen, after the dashboard's last frame.
    for line in [
        "Stopped: interrupted",
        "SUCCESSES: ",
        "FAILURES: ",
        "*** Bye ***",
    ] {
        assert!(end.contains(line), "{line:?} missing from\n{end}");
    }
    assert!(
        !end.contains("Runs per second"),
        "the dashboard is gone:\n{end}"
    );
    // Exact: every request the server saw is in the summary.
    let ok = counter(&end, "SUCCESSES:").unwrap();
    let failed = counter(&end, "FAILURES:").unwrap();
    assert_eq!(ok + failed, server.requests(), "{end}");
}

#[test]
fn a_run_that_ends_by_itself_or_fails_gives_the_terminal_back_too() {
    let server = target();
    let tmux = Tmux::start(&testbed(&server.url(""), "", "-w 1 -d 1"));
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(0), "{end}");
    assert_restored(&tmux);
    assert!(end.contains("SUCCESSES: "), "{end}");
    drop(tmux);

    // A fixture that fails: the error is shown on the restored screen.
    let tmux = Tmux::start(&testbed(
        &server.url(""),
        "TESTBED_FAIL=global_setup",
        "-w 1 -d 5",
    ));
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(3), "{end}");
    assert_restored(&tmux);
    assert!(end.contains("error: "), "{end}");
    drop(tmux);

    // Panics: in scenarios (counted failures) and in global_teardown, after the run.
    let tmux = Tmux::start(&testbed(
        &server.url(""),
        "TESTBED_SCENARIOS=ok,panic TESTBED_PANIC=global_teardown",
        "-w 2 -d 1",
    ));
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(3), "{end}");
    assert_restored(&tmux);
    assert!(
        end.contains("Fixture failed: global_teardown(): global_teardown panics on purpose"),
        "{end}"
    );
    assert!(counter(&end, "FAILURES:").is_some_and(|n| n > 0), "{end}");
}

#[test]
fn with_processes_what_they_print_lands_in_the_panes_and_ctrl_c_stops_them_all() {
    let server = target();
    let tmux = Tmux::start(&testbed(
        &server.url(""),
        "TESTBED_PRINT=2",
        "-w 2 -p 2 -d 60 --console-update 1",
    ));
    // What the children print (on stdout and on stderr) is drawn inside the panes' borders,
    // not over the drawing.
    let in_pane = |screen: &str, text: &str| {
        screen
            .lines()
            .any(|l| l.starts_with('│') && l.contains(text))
    };
    // The panes scroll: each print must have been seen in its pane at some point.
    let prints = [
        "fixture: setup 3",
        "stderr: setup 3",
        "stderr: setup 0",
        "[W:3]",
    ];
    let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let running = tmux.wait_for("both processes running, their prints in the panes", |s| {
        seen.extend(prints.iter().copied().filter(|p| in_pane(s, p)));
        // The second process's workers are numbered after the first's.
        seen.len() == prints.len()
            && counter(s, "SUCCESS:").is_some_and(|n| n > 0)
            && s.contains("PROCESSES: 2")
            && s.contains("WORKERS: 4")
            && process_ids(s).len() == 2
    });
    let pids = process_ids(&running);
    assert_eq!(pids.len(), 2, "two worker processes on screen:\n{running}");

    tmux.ctrl_c();
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(130), "{end}");
    assert_restored(&tmux);
    assert!(end.contains("with 4 workers in 2 processes"), "{end}");
    let ok = counter(&end, "SUCCESSES:").unwrap();
    assert_eq!(ok, server.requests(), "{end}");
    for pid in pids {
        let gone = poll(|| !Path::new(&format!("/proc/{pid}")).exists());
        assert!(gone, "worker process {pid} outlived the run");
    }
}

/// The worker process ids shown as `[P:pid]`.
fn process_ids(screen: &str) -> std::collections::BTreeSet<u32> {
    screen
        .match_indices("[P:")
        .filter_map(|(at, _)| {
            let digits: String = screen[at + 3..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[test]
fn prints_land_in_their_place_in_the_panes_and_the_columns_follow_percentiles() {
    let server = target();
    // One worker that pauses a minute after its first run: the panes hold still.
    let tmux = Tmux::start(&testbed(
        &server.url(""),
        "TESTBED_PRINT=2 TESTBED_SCENARIOS=chatty",
        "-w 1 -d 60 --delay 60 --percentiles 75,99.99 --console-update 0.2",
    ));
    let screen = tmux.wait_for("the first run, its print and the table", |s| {
        s.contains("scenario 0.1") && s.contains("p99.99") && counter(s, "SUCCESS:") == Some(1)
    });
    let workers: Vec<&str> = screen
        .lines()
        .map(|l| l.split('│').nth(1).unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let expected = [
        "fixture: global_setup",
        "Preparing 1 worker...",
        "[W:0] Starting",
        "fixture: setup 0",
        "[W:0] Setting up session",
        "fixture: setup_session 0",
        "[W:0] Running scenarios",
        "scenario 0.1",
    ];
    let mut from = 0;
    for line in expected {
        let at = workers[from..]
            .iter()
            .position(|l| l.starts_with(line))
            .unwrap_or_else(|| {
                panic!("{line:?} missing or out of order in the worker pane:\n{screen}")
            });
        from += at + 1;
    }
    let errors: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.split('│').nth(3))
        .map(str::trim)
        .filter(|l| l.starts_with("stderr:"))
        .collect();
    assert_eq!(
        errors,
        [
            "stderr: global_setup",
            "stderr: setup 0",
            "stderr: setup_session 0"
        ],
        "the error pane, in order:\n{screen}"
    );
    let header = screen
        .lines()
        .find(|l| l.contains("scenario") && l.contains("rate/s"))
        .unwrap();
    for column in ["p75", "p99.99", "max"] {
        assert!(header.contains(column), "{column}: {header}");
    }
    assert!(!header.contains("p50"), "{header}");
    tmux.ctrl_c();
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert_eq!(exit_code(&end), Some(130), "{end}");
    assert!(
        end.contains("p99.99"),
        "the summary has the same columns:\n{end}"
    );
}

#[test]
fn a_run_where_every_run_fails_says_so_on_the_dashboard() {
    let url = crate::support::refused_url();
    let tmux = Tmux::start(&testbed(&url, "", "-w 2 -d 60"));
    tmux.wait_for("the failing line", |s| {
        s.contains("every run is failing: connect: cannot connect (127.0.0.1:")
    });
    tmux.ctrl_c();
    let end = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert!(end.contains("Every run failed: connect"), "{end}");
}
