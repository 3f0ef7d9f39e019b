//! Property tests of the response decoder (`molotov_http::wire`, the client's own code): valid
//! responses decode to exactly what was sent however the bytes arrive, damaged ones never make
//! it panic nor give a response inconsistent with the bytes, and the limits hold whatever the
//! reads. Deterministic: a fixed seed, a bounded number of cases (see `wire_gen::runner`).

use molotov_http::wire::{Verdict, decode_response};
use molotov_http::{MAX_CHUNK_LINE, MAX_HEAD, MAX_HEADERS};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;

use crate::harness::{check, fuzz_one, split};
use crate::wire_damage::{cuts, mutated, positions, soup};
use crate::wire_gen::{message, runner};

/// Runs `test` on `cases` values of `strategy`; a failure panics with the smallest input found.
fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let mut runner: TestRunner = runner(cases);
    if let Err(failure) = runner.run(&strategy, |value| {
        test(value);
        Ok(())
    }) {
        panic!("{failure}");
    }
}

#[test]
fn valid_responses_decode_to_what_was_sent_however_they_arrive() {
    run(600, (message(), cuts()), |(message, cuts)| {
        let (bytes, expected) = message.encode();
        let at = positions(&cuts, bytes.len());
        let verdict = check(&bytes, &at, message.head_request, u64::MAX);
        assert_eq!(verdict, expected, "{:?}", String::from_utf8_lossy(&bytes));
    });
}

#[test]
fn a_body_within_max_body_is_accepted_and_one_byte_over_is_too_large() {
    run(200, (message(), cuts()), |(message, cuts)| {
        let (bytes, expected) = message.encode();
        let Verdict::Complete { body, .. } = &expected else {
            unreachable!("a model encodes a complete response")
        };
        let at = positions(&cuts, bytes.len());
        let limit = body.len() as u64;
        assert_eq!(check(&bytes, &at, message.head_request, limit), expected);
        if limit > 0 {
            let verdict = check(&bytes, &at, message.head_request, limit - 1);
            assert!(
                matches!(
                    verdict,
                    Verdict::Refused {
                        kind: "too-large",
                        ..
                    }
                ),
                "{verdict:?}"
            );
        }
    });
}

#[test]
fn damaged_responses_never_panic_and_stay_consistent() {
    run(
        1500,
        (mutated(), cuts(), any::<bool>()),
        |((message, bytes), cuts, small)| {
            let at = positions(&cuts, bytes.len());
            let max_body = if small { 64 } else { u64::MAX };
            check(&bytes, &at, message.head_request, max_body);
        },
    );
}

#[test]
fn any_token_soup_gives_one_verdict_however_it_arrives() {
    run(
        1500,
        (soup(), cuts(), any::<bool>()),
        |(bytes, cuts, head_request)| {
            let at = positions(&cuts, bytes.len());
            check(&bytes, &at, head_request, u64::MAX);
        },
    );
}

fn too_large(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::Refused {
            kind: "too-large",
            ..
        }
    )
}

/// A head of `len` bytes in all (the blank line included, a body of 2 bytes after it).
fn head_of(len: usize) -> Vec<u8> {
    let start = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ";
    let mut head = start.to_vec();
    head.resize(len - 4, b'p');
    head.extend_from_slice(b"\r\n\r\nok");
    head
}

#[test]
fn heads_over_64_kib_are_too_large_however_they_are_cut() {
    run(40, (0usize..3, cuts()), |(extra, cuts)| {
        // At the limit: accepted.
        let fits = head_of(MAX_HEAD);
        let at = positions(&cuts, fits.len());
        let verdict = decode_response(&split(&fits, &at), false, u64::MAX);
        assert!(matches!(verdict, Verdict::Complete { .. }), "{verdict:?}");
        // Over it, complete or never ending.
        let over = head_of(MAX_HEAD + 1 + extra);
        let endless = head_of(MAX_HEAD + 8 + extra);
        let endless = &endless[..endless.len() - 6];
        for input in [&over[..], endless] {
            let at = positions(&cuts, input.len());
            let verdict = decode_response(&split(input, &at), false, u64::MAX);
            assert!(too_large(&verdict), "{verdict:?}");
        }
    });
}

#[test]
fn heads_of_over_128_lines_are_too_large_however_they_are_cut() {
    run(40, (0usize..3, cuts()), |(extra, cuts)| {
        let lines = |n: usize| {
            let mut head = b"HTTP/1.1 204 No Content\r\n".to_vec();
            head.extend_from_slice(&b"A: b\r\n".repeat(n));
            head.extend_from_slice(b"\r\n");
            head
        };
        let fits = lines(MAX_HEADERS);
        let at = positions(&cuts, fits.len());
        let verdict = decode_response(&split(&fits, &at), false, u64::MAX);
        assert!(matches!(verdict, Verdict::Complete { .. }), "{verdict:?}");
        let over = lines(MAX_HEADERS + 1 + extra);
        let at = positions(&cuts, over.len());
        assert!(too_large(&decode_response(
            &split(&over, &at),
            false,
            u64::MAX
        )));
    });
}

/// A chunked response whose first chunk-size line is `len` bytes, CRLF included.
fn size_line_of(len: usize) -> Vec<u8> {
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=".to_vec();
    wire.resize(wire.len() + len - 6, b'e');
    wire.extend_from_slice(b"\r\nok\r\n0\r\n\r\n");
    wire
}

#[test]
fn chunk_size_lines_over_4_kib_are_too_large_however_they_are_cut() {
    run(
        60,
        (0usize..3, cuts(), any::<Index>()),
        |(extra, cuts, end)| {
            let fits = size_line_of(MAX_CHUNK_LINE);
            let at = positions(&cuts, fits.len());
            let verdict = decode_response(&split(&fits, &at), false, u64::MAX);
            assert!(matches!(verdict, Verdict::Complete { .. }), "{verdict:?}");
            let over = size_line_of(MAX_CHUNK_LINE + 1 + extra);
            // Cut anywhere past the limit, even before the line ends: too large.
            let head = over.len() - (MAX_CHUNK_LINE + 1 + extra) - 9;
            let cut = head + MAX_CHUNK_LINE + end.index(over.len() - head - MAX_CHUNK_LINE + 1);
            let input = &over[..cut];
            let at = positions(&cuts, input.len());
            let verdict = decode_response(&split(input, &at), false, u64::MAX);
            assert!(too_large(&verdict), "cut at {cut}: {verdict:?}");
        },
    );
}

#[test]
fn the_fuzz_seeds_and_saved_crashes_replay() {
    // `fuzz/seeds/response`: the fuzz target's starting corpus, and where an input it found
    // failing is kept once fixed (docs/fuzzing.md), so that it stays checked on stable.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/response");
    let mut complete = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let verdict = fuzz_one(&std::fs::read(&path).unwrap());
        complete += usize::from(matches!(verdict, Some(Verdict::Complete { .. })));
    }
    assert!(complete >= 4, "the seeds are valid responses");
}
