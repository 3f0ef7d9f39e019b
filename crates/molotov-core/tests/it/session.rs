//! The session scenario code gets: methods, the request builder, responses, cookies,
//! keep-alive and the per-session context.

use std::cell::RefCell;
use std::time::Duration;

use molotov_core::{
    BoxError, Notice, Plan, Scenario, ScenarioResult, Session, SessionOptions, Summary, ensure,
};
use serde_json::{Value, json};

use crate::support::{Log, config, get_ok, run, run_noticed, target};

/// Runs `body` once as a scenario of one worker; returns the summary, failing the test with
/// the scenario's error if it failed.
async fn run_once<F, Fut>(body: F) -> Summary
where
    F: Fn(Session) -> Fut + 'static,
    Fut: std::future::Future<Output = ScenarioResult> + 'static,
{
    let (summary, notices) =
        run_noticed(Plan::new().scenario(Scenario::new("s", body)), config(1, 1)).await;
    for notice in notices {
        if let Notice::Failure { error, .. } = notice {
            panic!("the scenario failed: {error}");
        }
    }
    assert_eq!(summary.successes(), 1);
    summary
}

#[tokio::test]
async fn every_method_reaches_the_server() {
    let target = target();
    let url = target.url("/echo");
    let summary = run_once(move |s: Session| {
        let url = url.clone();
        async move {
            let sent = [
                ("GET", s.get(&url).send().await?),
                ("POST", s.post(&url).send().await?),
                ("PUT", s.put(&url).send().await?),
                ("PATCH", s.patch(&url).send().await?),
                ("DELETE", s.delete(&url).send().await?),
                ("OPTIONS", s.options(&url).send().await?),
            ];
            for (method, response) in sent {
                let echo: Value = response.json()?;
                ensure!(echo["method"] == method, "{method}: {echo}");
            }
            let head = s.head(&url).send().await?;
            ensure!(head.status() == 200 && head.body().is_empty());
            let custom = s
                .request(http::Method::from_bytes(b"PURGE")?, &url)
                .send()
                .await?;
            ensure!(custom.json::<Value>()?["method"] == "PURGE");
            Ok(())
        }
    })
    .await;

    assert_eq!(target.requests_to("/echo"), 8);
    for method in [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PURGE",
    ] {
        let entry = &summary.report.requests[&format!("{method} /echo")];
        assert_eq!(entry.statuses["200"], 1, "{method}");
    }
}

#[tokio::test]
async fn the_request_builder_sets_query_headers_and_bodies() {
    let target = target();
    let url = target.url("/echo");
    let echoes: std::rc::Rc<RefCell<Vec<Value>>> = std::rc::Rc::default();
    let recorded = echoes.clone();
    run_once(move |s: Session| {
        let (url, recorded) = (url.clone(), recorded.clone());
        async move {
            let requests = [
                s.get(&url).query(&[("page", "2"), ("q", "a b&c")]),
                s.post(&url)
                    .json(&json!({"a": [1, 2]}))
                    .header("x-one", "1"),
                s.put(&url).form(&[("name", "Zoë"), ("x", "1&2")]),
                s.patch(&url)
                    .body("raw bytes")
                    .header("content-type", "text/plain"),
                s.post(&url)
                    .header("content-type", "application/vnd+json")
                    .json(&json!(1)),
            ];
            for request in requests {
                let echo = request.send().await?.json()?;
                recorded.borrow_mut().push(echo);
            }
            Ok(())
        }
    })
    .await;

    let echoes = echoes.borrow();
    assert_eq!(echoes[0]["query"], "page=2&q=a+b%26c");
    assert_eq!(echoes[1]["body"], r#"{"a":[1,2]}"#);
    assert_eq!(echoes[1]["headers"]["content-type"], "application/json");
    assert_eq!(echoes[1]["headers"]["x-one"], "1");
    assert_eq!(echoes[2]["body"], "name=Zo%C3%AB&x=1%262");
    assert_eq!(
        echoes[2]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(echoes[3]["body"], "raw bytes");
    assert_eq!(echoes[3]["headers"]["content-type"], "text/plain");
    assert_eq!(
        echoes[4]["headers"]["content-type"], "application/vnd+json",
        "json() keeps a content type already set"
    );
}

#[tokio::test]
async fn auth_timeouts_redirects_and_names() {
    let target = target();
    let base = target.url("");
    let summary = run_once(move |s: Session| {
        let base = base.clone();
        async move {
            let url = |path: &str| format!("{base}{path}");
            let denied = s.get(&url("/basic-auth/u/p")).send().await?;
            ensure!(denied.status() == 401);
            let allowed = s
                .get(&url("/basic-auth/u/p"))
                .basic_auth("u", "p")
                .send()
                .await?;
            ensure!(allowed.status() == 200);
            ensure!(allowed.json::<Value>()?["user"] == "u");

            let slow = s
                .get(&url("/delay/2000"))
                .timeout(Duration::from_millis(100))
                .send()
                .await;
            ensure!(
                slow.as_ref()
                    .is_err_and(molotov_core::http::Error::is_timeout)
            );

            let followed = s.get(&url("/redirect/2")).send().await?;
            ensure!(followed.status() == 200 && followed.history().len() == 2);
            ensure!(followed.url().path() == "/");
            let stopped = s
                .get(&url("/redirect/2"))
                .allow_redirects(false)
                .send()
                .await?;
            ensure!(stopped.status() == 302);
            ensure!(stopped.headers().get("location") == Some("/redirect/1"));

            s.get(&url("/status/204?id=1")).name("item").send().await?;
            s.get(&url("/status/204?id=2")).name("item").send().await?;
            Ok(())
        }
    })
    .await;

    let requests = &summary.report.requests;
    assert_eq!(requests["GET item"].statuses["204"], 2);
    assert!(!requests.contains_key("GET /status/204"));
    assert_eq!(requests["GET /delay/2000"].errors["timeout"], 1);
    assert_eq!(requests["GET /redirect/2"].statuses["200"], 1);
    assert_eq!(requests["GET /redirect/2"].statuses["302"], 1);
}

#[tokio::test]
async fn responses_parse_json_and_check_their_status() {
    let target = target();
    let base = target.url("");
    run_once(move |s: Session| {
        let base = base.clone();
        async move {
            let ok = s.get(&format!("{base}/")).send().await?;
            ensure!(ok.json::<Value>()?.is_object());
            let ok = ok.error_for_status()?;
            ensure!(ok.status() == 200);

            let missing = s.get(&format!("{base}/status/404")).send().await?;
            ensure!(missing.json::<Value>()?["status"] == 404);
            let failure = missing.error_for_status().expect_err("404 is an error");
            ensure!(failure.kind() == "status");
            ensure!(failure.message().contains("404"), "{failure}");
            let broken = s.get(&format!("{base}/status/503")).send().await?;
            ensure!(broken.error_for_status().is_err());
            let not_json = s.post(&format!("{base}/echo")).body("x").send().await?;
            ensure!(not_json.json::<Vec<u8>>().is_err());
            Ok(())
        }
    })
    .await;
}

#[tokio::test]
async fn an_invalid_request_fails_at_send_with_kind_request() {
    let summary = run(
        Plan::new().scenario(Scenario::new("bad", |s: Session| async move {
            let result = s
                .get("http://127.0.0.1:1/")
                .header("bad header", "x")
                .send()
                .await;
            let err = result.expect_err("an invalid header name");
            ensure!(err.kind_name() == "request", "{err}");
            let result = s.get("not a url").send().await;
            let err = result.expect_err("an invalid URL");
            ensure!(err.kind_name() == "url", "{err}");
            Err::<(), BoxError>(err.into())
        })),
        config(1, 1),
    )
    .await;
    assert_eq!(summary.report.scenarios["bad"].errors["url"], 1);
}

#[tokio::test]
async fn each_worker_has_its_own_cookies() {
    let target = target();
    let base = target.url("");
    let seen = Log::default();
    let recorded = seen.clone();
    let plan = Plan::new().scenario(Scenario::new("cookies", move |s: Session| {
        let (base, recorded) = (base.clone(), recorded.clone());
        async move {
            let me = s.worker_id();
            if s.context().step() == 1 {
                s.get(&format!("{base}/cookies/set?who=w{me}"))
                    .send()
                    .await?;
            }
            let cookies: Value = s.get(&format!("{base}/cookies")).send().await?.json()?;
            recorded.push(format!("{cookies} {me}"));
            Ok(())
        }
    }));
    let summary = run(plan, config(2, 2)).await;

    assert_eq!(summary.successes(), 4);
    for w in 0..2 {
        let mine = format!(r#"{{"who":"w{w}"}} {w}"#);
        assert_eq!(seen.of_worker(w), [mine.clone(), mine]);
    }
}

#[tokio::test]
async fn keep_alive_uses_one_connection_per_worker() {
    let target = target();
    let plan = Plan::new().scenario(get_ok("home", &target.url("/")));
    let summary = run(plan, config(2, 50)).await;

    assert_eq!(summary.successes(), 100);
    assert_eq!(target.requests(), 100);
    assert_eq!(target.connections(), 2);
}

#[tokio::test]
async fn the_context_keeps_per_session_data_and_the_step() {
    struct Steps(RefCell<Vec<u64>>);
    let log = Log::default();
    let recorded = log.clone();
    let plan = Plan::new()
        .setup_session(|_, s: Session| {
            s.context().insert(Steps(RefCell::default()));
            s.context().insert(String::from("replaced"));
            s.context().insert(String::from("kept"));
            async { Ok(()) }
        })
        .scenario(Scenario::new("s", |s: Session| {
            let steps = s.context().get::<Steps>();
            async move {
                let steps = steps.ok_or("no Steps in the context")?;
                steps.0.borrow_mut().push(s.context().step());
                ensure!(s.context().worker_id() == s.worker_id());
                Ok(())
            }
        }))
        .teardown_session(move |w, s: Session| {
            let steps = s
                .context()
                .remove::<Steps>()
                .expect("the steps are still there");
            let text = s.context().get::<String>().expect("a String");
            recorded.push(format!("{:?} {text} {}", steps.0.borrow(), w));
            assert!(s.context().get::<Steps>().is_none(), "removed");
            assert!(s.context().get::<u8>().is_none());
            async { Ok(()) }
        });
    let summary = run(plan, config(2, 3)).await;

    assert_eq!(summary.successes(), 6);
    assert_eq!(log.of_worker(0), ["[1, 2, 3] kept 0"]);
    assert_eq!(log.of_worker(1), ["[1, 2, 3] kept 1"]);
}

#[tokio::test]
async fn a_detached_session_runs_scenario_code_outside_a_run() {
    let target = target();
    let session = Session::detached(SessionOptions::default());
    let response = session.get(&target.url("/echo")).send().await.unwrap();
    assert_eq!(response.json::<Value>().unwrap()["method"], "GET");
    assert_eq!(session.worker_id(), 0);
    assert_eq!(session.client().connections_opened(), 1);
}

#[tokio::test]
async fn tls_is_verified_unless_the_session_is_insecure() {
    let target = molotov_target::Target::start(molotov_target::TargetConfig {
        tls: true,
        ..Default::default()
    })
    .unwrap();
    let url = target.url("/");
    assert!(url.starts_with("https://"));
    let plan = Plan::new()
        .setup(|w, _| async move {
            Ok(Some(SessionOptions {
                insecure: w == 1,
                ..SessionOptions::default()
            }))
        })
        .scenario(get_ok("home", &url));
    let summary = run(plan, config(2, 2)).await;

    let home = &summary.report.scenarios["home"];
    assert_eq!((home.successes, home.failures), (2, 2));
    assert_eq!(home.errors["tls"], 2);
    assert_eq!(summary.report.requests["GET /"].statuses["200"], 2);
}

#[tokio::test]
async fn a_session_can_refuse_redirects_unless_a_request_asks() {
    let target = target();
    let base = target.url("");
    let plan = Plan::new()
        .setup(|_, _| async {
            Ok(Some(SessionOptions {
                no_redirects: true,
                ..SessionOptions::default()
            }))
        })
        .scenario(Scenario::new("r", move |s: Session| {
            let url = format!("{base}/redirect/1");
            async move {
                let stopped = s.get(&url).send().await?;
                ensure!(stopped.status() == 302, "{}", stopped.status());
                let followed = s.get(&url).allow_redirects(true).send().await?;
                ensure!(followed.status() == 200, "{}", followed.status());
                Ok(())
            }
        }));
    let summary = run(plan, config(1, 1)).await;
    assert_eq!(summary.successes(), 1);
}

#[tokio::test]
async fn request_headers_append_override_and_win_over_the_sessions() {
    let target = target();
    let url = target.url("/echo");
    let echoes: std::rc::Rc<RefCell<Vec<Value>>> = std::rc::Rc::default();
    let recorded = echoes.clone();
    let plan = Plan::new()
        .setup(|_, _| async {
            let mut headers = http::HeaderMap::new();
            headers.insert("x-default", http::HeaderValue::from_static("session"));
            headers.insert("x-kept", http::HeaderValue::from_static("session"));
            Ok(Some(SessionOptions {
                headers,
                ..SessionOptions::default()
            }))
        })
        .scenario(Scenario::new("h", move |s: Session| {
            let (url, recorded) = (url.clone(), recorded.clone());
            async move {
                let mut replacing = http::HeaderMap::new();
                replacing.insert("x-multi", http::HeaderValue::from_static("replaced"));
                let response = s
                    .get(&url)
                    .header("x-multi", "1")
                    .header("x-multi", "2")
                    .header("x-default", "request")
                    .send()
                    .await?;
                ensure!(response.content_type() == Some("application/json"));
                let echo = response.json()?;
                recorded.borrow_mut().push(echo);
                let response = s
                    .get(&url)
                    .header("x-multi", "1")
                    .headers(replacing)
                    .send()
                    .await?;
                recorded
                    .borrow_mut()
                    .push(serde_json::from_str(&response.text())?);
                Ok(())
            }
        }));
    let summary = run(plan, config(1, 1)).await;

    assert_eq!(summary.successes(), 1);
    let echoes = echoes.borrow();
    let first = &echoes[0]["headers"];
    assert_eq!(first["x-multi"], "1, 2");
    assert_eq!(first["x-default"], "request", "a request's header wins");
    assert_eq!(first["x-kept"], "session");
    assert_eq!(echoes[1]["headers"]["x-multi"], "replaced");
}
