//! The metrics exporters with a Rust load test, which needs no change: `/metrics` scraped while
//! the run lasts (`--prometheus-listen`), alone and with `-p 2` (one `instance` per process,
//! served by the parent), a web socket load test's figures, and bad exporter options refused before any load.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use molotov_target::Target;

use crate::support::{Molotov, Running, molotov, target, testbed, wait_until};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `example` against `server` with `args`, serving `/metrics` on a free port: the run, and
/// the port.
fn serving(example: Molotov, server: &Target, args: &[&str]) -> (Running, u16) {
    let port = free_port();
    let running = example
        .at(server)
        .args(args)
        .args(["--prometheus-listen", &port.to_string()])
        .spawn();
    (running, port)
}

/// `GET /metrics` on `port`, its body (empty when nothing answers).
fn scrape(port: u16) -> String {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 200 OK\r\n"),
        "{answer}"
    );
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The sum of the samples of `name` whose labels contain `with`, and their `instance`s.
fn total(text: &str, name: &str, with: &str) -> (f64, Vec<String>) {
    let mut sum = 0.0;
    let mut instances = Vec::new();
    for line in text.lines().filter(|l| l.starts_with(&format!("{name}{{"))) {
        if !line.contains(with) {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        sum += value.parse::<f64>().unwrap();
        let instance = series
            .split("instance=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        if !instances.iter().any(|i| i == instance) {
            instances.push(instance.to_owned());
        }
    }
    (sum, instances)
}

#[test]
fn metrics_are_served_while_a_rust_load_test_runs_alone_or_in_two_processes() {
    for processes in ["1", "2"] {
        let server = target();
        let (mut running, port) = serving(
            testbed(),
            &server,
            &[
                "-w", "2", "-d", "5", "-c", "-p", processes, "--run-id", "rust-1",
            ],
        );
        let mut seen = String::new();
        wait_until(Duration::from_secs(20), "metrics of every process", || {
            assert!(
                !running.has_exited(),
                "the run ended before its metrics were seen"
            );
            seen = scrape(port);
            let (requests, instances) = total(&seen, "molotov_requests_total", "run_id=\"rust-1\"");
            // Each process's thread is measured from its first second on.
            let (_, measured) = total(&seen, "molotov_generator_busy_ratio", "run_id=\"rust-1\"");
            requests > 0.0
                && instances.len().to_string() == processes
                && measured.len().to_string() == processes
        });
        let done = running.wait(Duration::from_secs(30));
        done.code(0).stdout_has(&["Metrics: run_id rust-1"]);
        let (requests, _) = total(&seen, "molotov_requests_total", "status=\"200\"");
        assert!(requests <= server.requests() as f64, "{seen}");
        assert!(
            seen.contains("# TYPE molotov_request_duration_seconds histogram"),
            "{seen}"
        );
        assert!(seen.contains("molotov_workers{run_id=\"rust-1\""), "{seen}");
        let (busy, _) = total(&seen, "molotov_generator_busy_ratio", "run_id=\"rust-1\"");
        assert!((0.0..=2.0).contains(&busy), "a share per process: {seen}");
        assert!(
            seen.contains("# TYPE molotov_generator_busy_ratio gauge"),
            "{seen}"
        );
        assert!(
            done.stderr
                .contains(&format!("served on http://127.0.0.1:{port}/metrics")),
            "{done}"
        );
    }
}

#[test]
fn the_achieved_rate_is_the_last_seconds_as_the_target_rate_is_the_schedules_now() {
    // A ramp from 0 to 40 runs/s over 1 s (20 runs), then 40/s: over the last second the
    // achieved rate reads about 40; averaged over the run (setup, ramp) it would stay under
    // 37.2 (40 - 20/7) for the whole run.
    for processes in ["1", "2"] {
        let server = target();
        let (mut running, port) = serving(
            testbed(),
            &server,
            &[
                "--rate-stages",
                "1s:40,6s:40",
                "-w",
                "2",
                "--max-workers",
                "10",
                "-d",
                "7",
                "-q",
                "-p",
                processes,
                "--run-id",
                "rate-1",
            ],
        );
        let mut seen = String::new();
        wait_until(
            Duration::from_secs(20),
            "the achieved rate near 40/s",
            || {
                assert!(
                    !running.has_exited(),
                    "the run ended before its achieved rate read about 40/s: {seen}"
                );
                seen = scrape(port);
                let (achieved, instances) =
                    total(&seen, "molotov_achieved_rate", "run_id=\"rate-1\"");
                instances.len().to_string() == processes && (37.5..=43.0).contains(&achieved)
            },
        );
        assert!(
            seen.contains("# TYPE molotov_achieved_rate gauge"),
            "{seen}"
        );
        running.wait(Duration::from_secs(30)).code(0);
    }
}

#[test]
// Counts of whole messages and sockets: exact in an f64.
#[allow(clippy::float_cmp)]
fn web_socket_figures_are_exported_beside_the_requests() {
    let server = target();
    let (mut running, port) = serving(
        molotov("ws_echo"),
        &server,
        &["-w", "2", "-d", "3", "-q", "--run-id", "ws-1"],
    );
    let mut seen = String::new();
    wait_until(Duration::from_secs(20), "web socket metrics", || {
        assert!(
            !running.has_exited(),
            "the run ended before its metrics were seen"
        );
        seen = scrape(port);
        // A socket sends 100 messages and closes: wait for a closed one.
        total(
            &seen,
            "molotov_websockets_ended_total",
            "outcome=\"closed\"",
        )
        .0 > 0.0
    });
    running.wait(Duration::from_secs(30)).code(0);
    let socket = "socket=\"echo\"";
    let (opened, _) = total(&seen, "molotov_websockets_opened_total", socket);
    let (closed, _) = total(&seen, "molotov_websockets_ended_total", socket);
    let (sent, _) = total(
        &seen,
        "molotov_websocket_messages_total",
        "direction=\"sent\"",
    );
    let (received, _) = total(
        &seen,
        "molotov_websocket_messages_total",
        "direction=\"received\"",
    );
    let (bytes, _) = total(
        &seen,
        "molotov_websocket_message_bytes_total",
        "direction=\"sent\"",
    );
    assert!(opened >= closed && closed >= 1.0, "{seen}");
    // Each message waits for its echo: at most one sent and not yet received per socket open.
    assert!(
        sent >= closed * 100.0 && received >= sent - opened,
        "{seen}"
    );
    assert_eq!(bytes, sent * 5.0, "\"hello\" is 5 bytes: {seen}");
    let (durations, _) = total(&seen, "molotov_websocket_duration_seconds_count", socket);
    assert_eq!(
        durations, closed,
        "one duration per socket that ended: {seen}"
    );
    assert!(
        seen.contains("# TYPE molotov_websocket_duration_seconds histogram"),
        "{seen}"
    );
    // The handshakes are requests, as every request is.
    let (handshakes, _) = total(&seen, "molotov_requests_total", "status=\"101\"");
    assert!(handshakes >= opened, "{seen}");
}

#[test]
fn bad_exporter_options_are_one_line_and_exit_2_before_any_load() {
    let server = target();
    for (args, says) in [
        (
            &["--prometheus-write", "localhost:9090"][..],
            "--prometheus-write",
        ),
        (&["--otlp", "ftp://collector/"][..], "--otlp"),
        (&["--run-id", "two words"][..], "--run-id"),
        (&["--export-interval", "-1"][..], "--export-interval"),
    ] {
        let done = testbed().at(&server).args(args).args(["-d", "1"]).run();
        done.code(2);
        assert!(done.one_error_line().contains(says), "{done}");
    }
    // A port in use: said before any load.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let done = testbed()
        .at(&server)
        .args(["--prometheus-listen", &port, "-d", "1"])
        .run();
    done.code(2);
    assert!(
        done.one_error_line().contains("cannot serve /metrics"),
        "{done}"
    );
    assert_eq!(server.requests(), 0);
}
