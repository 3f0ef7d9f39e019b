//! `--statsd`: every request and scenario run reaches a UDP listener on loopback, in the
//! statsd format, with the documented names; the load test's own metrics too.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{target, testbed};

/// A statsd server on `127.0.0.1:0` that keeps every metric line it receives.
struct Listener {
    address: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    fn start() -> Listener {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let address = format!("udp://{}", socket.local_addr().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; 65536];
            // Ends with the test process.
            loop {
                if let Ok(n) = socket.recv(&mut buffer) {
                    let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                    kept.lock().unwrap().extend(text.lines().map(str::to_owned));
                }
            }
        });
        Listener { address, lines }
    }

    /// Waits until no datagram came for a while (UDP on loopback is not lost, but may arrive
    /// after the process ended), then sums the (whole) values of each `name|type`.
    fn totals(&self) -> BTreeMap<String, (u64, u64)> {
        let mut seen = usize::MAX;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.lines.lock().unwrap().len();
            if now == seen {
                break;
            }
            seen = now;
        }
        let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for line in self.lines.lock().unwrap().iter() {
            let (name, rest) = line.split_once(':').expect("name:value|type");
            let (value, kind) = rest.split_once('|').expect("value|type");
            let entry = totals.entry(format!("{name}|{kind}")).or_default();
            entry.0 += 1;
            entry.1 += value.parse::<u64>().expect("a whole number");
        }
        totals
    }
}

/// How many lines of `key` (`name|type`) arrived, and the sum of their values.
fn get(totals: &BTreeMap<String, (u64, u64)>, key: &str) -> (u64, u64) {
    totals.get(key).copied().unwrap_or_default()
}

fn statsd_run(processes: &str) {
    let server = target();
    let listener = Listener::start();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-p", processes, "-w", "3", "-r", "40", "-q", "--statsd"])
        .args(["--statsd-address", &listener.address])
        .run_with_results();
    run.code(0);
    let totals = listener.totals();
    let ok = server.requests_to("/");
    let failed = server.requests_to("/status/500");
    assert!(ok > 0 && failed > 0, "{totals:?}");
    // Per request: one timing and one status count each.
    assert_eq!(
        get(&totals, "molotov.request.GET.root|ms").0,
        ok,
        "{totals:?}"
    );
    assert_eq!(get(&totals, "molotov.request.GET.root.200|c").1, ok);
    assert_eq!(get(&totals, "molotov.request.GET.status.500|ms").0, failed);
    assert_eq!(
        get(&totals, "molotov.request.GET.status.500.500|c").1,
        failed
    );
    // Per scenario run.
    let runs = |s: &str, outcome: &str| results["scenarios"][s][outcome].as_u64().unwrap();
    assert_eq!(
        get(&totals, "molotov.scenario.ok.success|c").1,
        runs("ok", "successes")
    );
    assert_eq!(
        get(&totals, "molotov.scenario.fail.failure|c").1,
        runs("fail", "failures")
    );
    assert_eq!(
        get(&totals, "molotov.scenario.ok|ms").0 + get(&totals, "molotov.scenario.fail|ms").0,
        ok + failed
    );
    // The load test's own metric, through `molotov::statsd(&session)`.
    assert_eq!(get(&totals, "testbed.ok|c").1, ok);
}

#[test]
fn every_request_and_run_is_sent_with_the_documented_names() {
    statsd_run("1");
}

#[test]
fn every_process_sends_its_own_and_nothing_is_lost() {
    statsd_run("2");
}

#[test]
fn no_statsd_server_listening_changes_nothing_but_the_metrics() {
    let server = target();
    // Bound, then released: nobody listens there.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = testbed()
        .at(&server)
        .args(["-w", "2", "-r", "50", "-c", "--statsd"])
        .args(["--statsd-address", &format!("127.0.0.1:{port}")])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 100 | FAILURES: 0"]);
    assert_eq!(server.requests(), 100);
}

#[test]
fn a_bad_statsd_address_is_one_error_line() {
    for address in ["tcp://localhost:8125", "localhost:notaport", "udp://"] {
        let run = testbed()
            .args(["-r", "1", "--statsd", "--statsd-address", address])
            .run();
        run.code(2);
        let line = run.one_error_line();
        assert!(line.contains("statsd address"), "{line}");
    }
}
