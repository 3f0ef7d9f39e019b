//! Differential tests of the response decoder against a reference, hyper's HTTP/1.1 client
//! (over an in-memory duplex stream): the same bytes, cut the same way, must give the same
//! status and body wherever both accept them.
//!
//! The deliberate differences are allow-listed in `wire_known`, each with an input that shows
//! it (checked by `known_differences_are_still_what_they_were`); any other disagreement
//! fails. Deterministic (fixed seed) and bounded, like the property tests.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use molotov_http::{MAX_HEAD, MAX_HEADERS, Method};
use proptest::prelude::*;
use proptest::sample::Index;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use crate::harness::{check, split};
use crate::wire_damage::{cuts, mutated, positions, soup};
use crate::wire_gen::{Framing, Message, message, runner};
use crate::wire_known::{Case, KNOWN, Reference, explain, ours};

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Hyper's client reads `pieces` (written one at a time, then the end of the stream) as the
/// response to a GET (a HEAD when `head_request`).
fn hyper_reads(rt: &Runtime, pieces: &[&[u8]], head_request: bool) -> Reference {
    let pieces: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
    rt.block_on(async move {
        let (client_io, mut server_io) = tokio::io::duplex(1 << 20);
        let server = tokio::spawn(async move {
            // The whole request first: hyper reads a response only to a request it sent.
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match server_io.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            for piece in pieces {
                if server_io.write_all(&piece).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
            let _ = server_io.shutdown().await;
            let _ = server_io.read_to_end(&mut Vec::new()).await;
        });
        let exchange = async {
            let (mut sender, connection) = http1::Builder::new()
                .max_headers(MAX_HEADERS)
                .max_header_size(MAX_HEAD)
                .handshake::<_, Empty<Bytes>>(TokioIo::new(client_io))
                .await?;
            let driver = tokio::spawn(connection);
            let method = if head_request {
                Method::HEAD
            } else {
                Method::GET
            };
            let request = http::Request::builder()
                .method(method)
                .uri("/")
                .header("host", "reference")
                .body(Empty::new())?;
            let response = sender.send_request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes().to_vec();
            driver.abort();
            Ok::<_, Box<dyn std::error::Error>>(Reference::Complete { status, body })
        };
        let reference = tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .unwrap_or_else(|_| panic!("hyper did not finish reading"))
            .unwrap_or_else(|error| Reference::Failed(error.to_string()));
        server.abort();
        reference
    })
}

#[test]
fn known_differences_are_still_what_they_were() {
    let rt = runtime();
    for known in KNOWN {
        let example = (known.example)();
        let verdict = check(&example, &[], known.head_request, u64::MAX);
        let hyper = hyper_reads(&rt, &[&example], known.head_request);
        assert_ne!(ours(&verdict), hyper, "{}: no difference", known.name);
        let case = Case {
            bytes: &example,
            ours: &verdict,
            hyper: &hyper,
        };
        assert_eq!(explain(&case), Some(known.name), "{verdict:?} / {hyper:?}");
    }
}

/// Valid responses with what the allow-list explains left out: no 101, chunks in HTTP/1.1.
fn comparable() -> impl Strategy<Value = (Message, Vec<Index>)> {
    (message(), cuts()).prop_map(|(mut m, cuts)| {
        for (status, _) in &mut m.interim {
            if *status == 101 {
                *status = 100;
            }
        }
        if matches!(m.framing, Framing::Chunked { .. }) {
            m.minor = 1;
        }
        (m, cuts)
    })
}

/// Runs `test` on `cases` values of `strategy` with the fixed seed; panics on a failure.
fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    if let Err(failure) = runner(cases).run(&strategy, |value| {
        test(value);
        Ok(())
    }) {
        panic!("{failure}");
    }
}

#[test]
fn hyper_reads_valid_responses_as_we_do() {
    let rt = runtime();
    run(300, comparable(), |(message, cuts)| {
        let (bytes, _) = message.encode();
        let at = positions(&cuts, bytes.len());
        let verdict = check(&bytes, &at, message.head_request, u64::MAX);
        let hyper = hyper_reads(&rt, &split(&bytes, &at), message.head_request);
        assert_eq!(ours(&verdict), hyper, "{}", bytes.escape_ascii());
    });
}

/// Compares our reading and hyper's of `cases` inputs (bytes, HEAD or not, cut points): where
/// they differ, the allow-list must explain it. Returns how many both read alike.
fn compare<S>(cases: u32, inputs: S) -> u32
where
    S: Strategy<Value = (Vec<u8>, bool, Vec<Index>)>,
{
    let rt = runtime();
    let alike = RefCell::new(0u32);
    let unexplained = RefCell::new(Vec::<String>::new());
    run(cases, inputs, |(bytes, head_request, cuts)| {
        let at = positions(&cuts, bytes.len());
        let verdict = check(&bytes, &at, head_request, u64::MAX);
        let hyper = hyper_reads(&rt, &split(&bytes, &at), head_request);
        let ours = ours(&verdict);
        match (&ours, &hyper) {
            (Reference::Complete { .. }, _) if ours == hyper => *alike.borrow_mut() += 1,
            (Reference::Failed(_), Reference::Failed(_)) => {}
            _ => {
                let case = Case {
                    bytes: &bytes,
                    ours: &verdict,
                    hyper: &hyper,
                };
                if explain(&case).is_none() {
                    unexplained
                        .borrow_mut()
                        .push(format!("{verdict:?} / {hyper:?}: {}", bytes.escape_ascii()));
                }
            }
        }
    });
    let unexplained = unexplained.into_inner();
    assert!(unexplained.is_empty(), "{unexplained:#?}");
    alike.into_inner()
}

#[test]
fn hyper_reads_damaged_responses_as_we_do_where_both_accept() {
    let inputs = (mutated(), cuts()).prop_map(|((m, bytes), cuts)| (bytes, m.head_request, cuts));
    let alike = compare(1000, inputs);
    // Damaged as they are, a good part still decodes: the comparison means something.
    assert!(alike > 250, "{alike}");
}

#[test]
fn hyper_reads_token_soup_as_we_do_where_both_accept() {
    let inputs = (soup(), any::<bool>(), cuts());
    let alike = compare(600, inputs);
    assert!(alike > 100, "{alike}");
}
