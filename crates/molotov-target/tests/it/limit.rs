//! `/limit/{n}`: concurrency beyond `n` shows up as 503s.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{get, start};

/// Spins until `done` holds; a deadline turns a hang into a failure.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::yield_now();
    }
}

#[test]
fn requests_beyond_the_limit_are_refused() {
    let target = start();
    thread::scope(|scope| {
        // Two requests fill the limit and stay in flight.
        let held: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| get(&target, "/limit/2?hold=3000")))
            .collect();
        // A request is in flight once counted: the server enters it before counting it.
        wait_for("two held requests", || target.requests_to("/limit/2") == 2);
        let refused = get(&target, "/limit/2");
        assert_eq!(refused.status, 503);
        assert_eq!(refused.body, br#"{"result": "busy"}"#);
        for handle in held {
            let response = handle.join().unwrap();
            assert_eq!(response.status, 200);
            assert_eq!(response.json(), json!({"result": "OK"}));
        }
    });
    assert_eq!(target.requests_to("/limit/2"), 3);
}

#[test]
fn finished_requests_free_their_place() {
    let target = start();
    for _ in 0..3 {
        assert_eq!(get(&target, "/limit/1").status, 200);
    }
    assert_eq!(get(&target, "/limit/0").status, 503);
    assert_eq!(get(&target, "/limit/x").status, 400);
    assert_eq!(get(&target, "/limit/1?hold=x").status, 400);
    // The refused and bad requests above left nothing in flight.
    assert_eq!(get(&target, "/limit/1").status, 200);
}
