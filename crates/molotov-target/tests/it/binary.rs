//! The `molotov-target` binary: its one stdout line, signals, and command-line errors.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};

use crate::support::Conn;

const BINARY: &str = env!("CARGO_BIN_EXE_molotov-target");

/// Starts the binary on a free port; returns it and its announced URL.
fn spawn(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_suffix('\n')
        .and_then(|line| line.strip_prefix("molotov-target listening on "))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

/// Sends `signal` (e.g. `-TERM`) to the child.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn run(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).output().unwrap()
}

#[test]
fn serves_until_sigterm_then_exits_0() {
    let (mut child, url) = spawn(&[]);
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().parse().unwrap();
    assert!(addr.ip().is_loopback());
    assert_eq!(Conn::open(addr).get("/").body, br#"{"result": "OK"}"#);
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
}

#[test]
fn sigint_stops_it_too_and_tls_is_announced() {
    let (mut child, url) = spawn(&["--tls", "--threads", "2"]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    signal(&child, "-INT");
    assert!(child.wait().unwrap().success());
}

/// The one stderr line of a failed run.
fn single_error_line(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(output.stdout.is_empty());
    stderr
}

#[test]
fn bad_arguments_exit_2_with_one_error_line() {
    for args in [
        &["--port", "banana"][..],
        &["--threads", "0"],
        &["--nope"],
        &["extra"],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        single_error_line(&output);
    }
    let stderr = single_error_line(&run(&["--port", "banana"]));
    assert!(stderr.contains("banana"), "{stderr}");
}

#[test]
fn a_busy_port_exits_1_with_one_error_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let output = run(&["--port", &port]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = single_error_line(&output);
    assert!(
        stderr.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{stderr}"
    );
}

#[test]
fn help_and_version_exit_0() {
    let help = run(&["--help"]);
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in ["--host", "--port", "--tls", "--threads"] {
        assert!(help.contains(flag), "{flag} missing from {help}");
    }
    let version = run(&["--version"]);
    assert!(version.status.success());
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!("molotov-target {}", env!("CARGO_PKG_VERSION"))
    );
}
