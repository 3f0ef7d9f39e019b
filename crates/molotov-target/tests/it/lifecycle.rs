//! Starting and stopping: `Target` and the embeddable `serve`.

use std::net::TcpStream;
use std::sync::Arc;

use molotov_target::{Counters, Target, TargetConfig, serve};

use crate::support::Conn;

#[test]
fn stopping_a_target_closes_its_port() {
    let target = Target::start(TargetConfig::default()).unwrap();
    let addr = target.addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(target.url("/echo"), format!("http://{addr}/echo"));
    // An open keep-alive connection must not keep the server alive.
    let mut conn = Conn::open(addr);
    assert_eq!(conn.get("/").status, 200);
    target.stop();
    assert!(conn.at_eof());
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn several_worker_threads_serve_too() {
    let target = Target::start(TargetConfig {
        tls: false,
        threads: 4,
    })
    .unwrap();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| assert_eq!(Conn::open(target.addr()).get("/").status, 200));
        }
    });
    assert_eq!(target.requests_to("/"), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_the_callers_listener_until_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        TargetConfig::default(),
        counters.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let status = tokio::task::spawn_blocking(move || Conn::open(addr).get("/echo").status)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(counters.requests_to("/echo"), 1);
    assert_eq!(counters.connections(), 1);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
