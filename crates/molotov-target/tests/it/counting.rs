//! The counters tests and load tests read: exact, and untouched by `GET /stats`.

use serde_json::json;

use crate::support::{Conn, get, request, start};

#[test]
fn keep_alive_reuses_one_connection() {
    let target = start();
    let mut conn = Conn::open(target.addr());
    assert_eq!(conn.get("/").status, 200);
    assert_eq!(conn.get("/echo").status, 200);
    assert_eq!(conn.get("/").status, 200);
    assert_eq!(target.connections(), 1);
    assert_eq!(target.requests(), 3);
}

#[test]
fn requests_are_counted_per_path_but_not_stats() {
    let target = start();
    get(&target, "/");
    get(&target, "/");
    get(&target, "/echo?x=1");
    get(&target, "/echo");
    get(&target, "/nope");
    get(&target, "/stats");
    assert_eq!(request(&target, "POST", "/stats", &[], b"").status, 405);
    assert_eq!(target.requests(), 6);
    assert_eq!(target.requests_to("/"), 2);
    assert_eq!(target.requests_to("/echo"), 2);
    assert_eq!(target.requests_to("/echo?ignored=1"), 2);
    assert_eq!(target.requests_to("/nope"), 1);
    assert_eq!(target.requests_to("/stats"), 1);
    assert_eq!(target.requests_to("/never"), 0);
    assert_eq!(target.connections(), 7);
}

#[test]
fn stats_reports_the_counters() {
    let target = start();
    let mut conn = Conn::open(target.addr());
    conn.get("/");
    conn.get("/");
    conn.get("/delay/0");
    let stats = conn.get("/stats");
    assert_eq!(stats.status, 200);
    assert_eq!(stats.header("content-type"), Some("application/json"));
    let mut body = stats.json();
    // Requests per 10 ms since the start: three, in the first few buckets.
    let arrivals = body["arrivals_10ms"].take();
    let arrivals: Vec<u64> = serde_json::from_value(arrivals).unwrap();
    assert_eq!(arrivals.iter().sum::<u64>(), 3, "{arrivals:?}");
    assert_eq!(arrivals, target.arrivals());
    assert_eq!(
        body,
        json!({"requests": 3, "connections": 1, "http2": 0,
               "paths": {"/": 2, "/delay/0": 1}, "arrivals_10ms": null})
    );
    assert_eq!(target.requests(), 3);
}
