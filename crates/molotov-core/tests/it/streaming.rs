//! Streamed responses through a worker's session: the body is read in pieces as the scenario
//! asks, and the request is recorded once the body is complete (its latency covering it), or
//! when the response is dropped before; compressed bodies count their bytes on the wire and
//! decoded.

use molotov_core::{Plan, Scenario, Session, ensure};

use crate::support::{config, run, target};

#[tokio::test]
async fn a_streamed_body_is_recorded_when_complete_with_its_bytes() {
    let target = target();
    let url = target.url("/bytes/3000000");
    let scenario = Scenario::new("download", move |s: Session| {
        let url = url.clone();
        async move {
            let request = s.get(&url).build()?;
            let mut response = s.send_streamed(&request, None, 0).await?;
            ensure!(!response.is_complete());
            let mut total = 0;
            while let Some(piece) = response.chunk().await? {
                total += piece.len();
            }
            ensure!(total == 3_000_000, "read {total} bytes");
            Ok(())
        }
    });
    let summary = run(Plan::new().scenario(scenario), config(2, 3)).await;
    assert_eq!(summary.successes(), 6);
    let entry = &summary.report.requests["GET /bytes/3000000"];
    assert_eq!((entry.successes, entry.failures), (6, 0));
    assert_eq!(entry.statuses["200"], 6);
    assert_eq!(entry.transfer.body_bytes, 6 * 3_000_000);
    assert!(entry.transfer.received_bytes > 6 * 3_000_000);
}

#[tokio::test]
async fn a_streamed_response_dropped_early_is_recorded_once() {
    let target = target();
    let url = target.url("/bytes/3000000");
    let scenario = Scenario::new("peek", move |s: Session| {
        let url = url.clone();
        async move {
            let request = s.get(&url).build()?;
            let mut response = s.send_streamed(&request, None, 0).await?;
            let first = response.chunk().await?;
            ensure!(first.is_some());
            Ok(())
        }
    });
    let summary = run(Plan::new().scenario(scenario), config(1, 4)).await;
    let entry = &summary.report.requests["GET /bytes/3000000"];
    assert_eq!(
        entry.successes, 4,
        "each request counted once, when dropped"
    );
    assert!(entry.transfer.body_bytes < 4 * 3_000_000);
    assert_eq!(target.requests_to("/bytes/3000000"), 4);
}

#[tokio::test]
async fn compressed_bodies_count_wire_and_decoded_bytes() {
    let target = target();
    let url = target.url("/gzip/200000");
    let scenario = Scenario::new("gzip", move |s: Session| {
        let url = url.clone();
        async move {
            let response = s.get(&url).send().await?;
            ensure!(response.body().len() == 200_000);
            Ok(())
        }
    });
    let summary = run(Plan::new().scenario(scenario), config(1, 2)).await;
    let entry = &summary.report.requests["GET /gzip/200000"];
    assert_eq!(entry.transfer.body_bytes, 400_000);
    assert!(
        entry.transfer.received_bytes < 20_000,
        "{:?}",
        entry.transfer
    );
}
