//! Synchronous requests, for fixtures that are not async.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method};
use molotov_core::{Plan, Request, SessionOptions, blocking_request};
use serde_json::Value;

use crate::support::{Log, config, logged, target};

#[tokio::test]
async fn blocking_requests_work_from_a_fixture_of_a_running_test() {
    let target = target();
    let url = url::Url::parse(&target.url("/echo?from=global_setup")).unwrap();
    let log = Log::default();
    let recorded = log.clone();
    let plan = Plan::new()
        .scenario(logged("s", &Log::default()))
        .global_setup(move |info| {
            let mut request = Request::new(Method::POST, url);
            request.body = "payload".into();
            let mut headers = HeaderMap::new();
            headers.insert("x-token", HeaderValue::from_static("t0"));
            let options = SessionOptions {
                headers,
                ..SessionOptions::default()
            };
            let response = blocking_request(request, options)?;
            let echo = response.json()?;
            info.vars.set("echo", echo);
            recorded.push(format!(
                "{} {} {} {}",
                response.status,
                response.reason,
                response.text().len() == response.content.len(),
                response
                    .headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v == "application/json")
            ));
            Ok(())
        });
    let runner = molotov_core::Runner::new(plan, config(1, 1)).unwrap();
    let vars = runner.vars().clone();
    let summary = runner.run(molotov_core::Shutdown::new()).await.unwrap();

    assert_eq!(summary.successes(), 1);
    assert_eq!(log.entries(), ["200 OK true true"]);
    let echo = vars.get::<Value>("echo").unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["query"], "from=global_setup");
    assert_eq!(echo["headers"]["x-token"], "t0");
    assert_eq!(echo["body"], "payload");
}

#[test]
fn blocking_requests_report_errors_and_timeouts() {
    let target = target();
    let url = url::Url::parse(&target.url("/delay/2000")).unwrap();
    let options = SessionOptions {
        timeout: Some(Duration::from_millis(100)),
        ..SessionOptions::default()
    };
    let err = blocking_request(Request::new(Method::GET, url), options).unwrap_err();
    assert!(err.is_timeout(), "{err}");

    let refused = url::Url::parse(&crate::support::refused_url()).unwrap();
    let err = blocking_request(
        Request::new(Method::GET, refused),
        SessionOptions::default(),
    )
    .unwrap_err();
    assert!(err.is_connect(), "{err}");

    let ok = url::Url::parse(&target.url("/redirect/1")).unwrap();
    let response =
        blocking_request(Request::new(Method::GET, ok), SessionOptions::default()).unwrap();
    assert_eq!(response.status, 200);
    assert!(response.url.ends_with('/'), "{}", response.url);
    assert_eq!(
        response.json().unwrap()["result"],
        "OK",
        "{}",
        response.text()
    );
}
