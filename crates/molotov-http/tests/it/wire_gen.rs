//! Generated responses for the property and differential tests of the decoder: a [`Message`]
//! is a model of a valid response (informational responses before it, status line, header
//! lines with their whitespace and line ends, a body framed by `Content-Length`, chunks or the
//! end of the stream, trailers, bytes after it) that encodes to bytes and knows the verdict
//! they must give. `wire_damage` makes invalid inputs from them.

use molotov_http::wire::Verdict;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The seed of every run: the same cases on every machine, every time.
const SEED: [u8; 32] = *b"molotov-http wire decoder tests!";

/// A runner of `cases` cases, deterministic (fixed seed) and writing no regression files.
///
/// For a deeper run by hand (never in CI), `WIRE_TEST_SCALE=N` runs N times as many cases and
/// `WIRE_TEST_SEED=text` starts from another seed.
pub(crate) fn runner(cases: u32) -> TestRunner {
    let scale = std::env::var("WIRE_TEST_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    let mut seed = SEED;
    if let Ok(text) = std::env::var("WIRE_TEST_SEED") {
        for (i, b) in text.bytes().enumerate() {
            seed[i % seed.len()] ^= b;
        }
    }
    let config = Config {
        cases: cases.saturating_mul(scale),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// A header line: name, value, the whitespace around the value, and whether it ends with a
/// bare LF instead of CRLF.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) name: String,
    pub(crate) value: Vec<u8>,
    pub(crate) before: &'static str,
    pub(crate) after: &'static str,
    pub(crate) bare_lf: bool,
}

/// One chunk of a chunked body, with the spelling of its size line.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub(crate) data: Vec<u8>,
    /// Leading zeros of the size (at most 16 hexadecimal digits in all).
    pub(crate) zeros: usize,
    pub(crate) upper: bool,
    /// Whitespace after the size.
    pub(crate) space: &'static str,
    /// Extensions (each starting with `;`).
    pub(crate) ext: Vec<u8>,
}

/// How the body is framed.
#[derive(Debug, Clone)]
pub(crate) enum Framing {
    /// `Content-Length` (on one or two lines, with leading zeros).
    Length { lines: Vec<usize> },
    /// `Transfer-Encoding: chunked` (maybe after another coding), chunks, the last chunk's
    /// extensions, trailers.
    Chunked {
        te: &'static str,
        chunks: Vec<Chunk>,
        last: Chunk,
        trailers: Vec<Line>,
    },
    /// Neither: the body ends with the stream.
    UntilClose,
}

/// A valid response, as a model.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// Informational responses before it: status and header lines.
    pub(crate) interim: Vec<(u16, Vec<Line>)>,
    /// HTTP/1.`minor`.
    pub(crate) minor: u8,
    pub(crate) status: u16,
    pub(crate) reason: Option<Vec<u8>>,
    pub(crate) headers: Vec<Line>,
    /// Where the framing headers go among `headers`.
    pub(crate) framing_at: Index,
    pub(crate) framing: Framing,
    pub(crate) body: Vec<u8>,
    pub(crate) head_request: bool,
    /// Bytes after the response (dropped for a close-delimited body: they are its end).
    pub(crate) leftover: Vec<u8>,
    /// Whether the blank line ending the head is a bare LF.
    pub(crate) bare_lf_end: bool,
}

const TCHAR: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn token() -> impl Strategy<Value = String> {
    vec(prop::sample::select(TCHAR), 1..12).prop_map(|b| String::from_utf8(b).unwrap())
}

/// A header value: visible characters, inner spaces and tabs, obs-text; no whitespace at
/// either end.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x21u8..=0x7e,
        1 => prop::sample::select(&b" \t"[..]),
        1 => 0x80u8..=0xff,
    ];
    vec(byte, 0..24).prop_map(|mut v| {
        while v.last().is_some_and(u8::is_ascii_whitespace) {
            v.pop();
        }
        while v.first().is_some_and(u8::is_ascii_whitespace) {
            v.remove(0);
        }
        v
    })
}

fn ows() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["", "", " ", "  ", "\t", " \t "][..])
}

/// A header line whose name is none of the framing or connection headers.
pub(crate) fn line() -> impl Strategy<Value = Line> {
    let name = token().prop_filter("not a framing header", |n| {
        !["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|f| n.eq_ignore_ascii_case(f))
    });
    (name, value(), ows(), ows(), prop::bool::weighted(0.2)).prop_map(
        |(name, value, before, after, bare_lf)| Line {
            name,
            value,
            before,
            after,
            bare_lf,
        },
    )
}

fn connection_line() -> impl Strategy<Value = Line> {
    const VALUES: &[&str] = &[
        "close",
        "keep-alive",
        "Keep-Alive",
        "upgrade",
        "te, CLOSE",
        "x , keep-alive",
    ];
    (prop::sample::select(VALUES), ows()).prop_map(|(v, before)| Line {
        name: "Connection".to_owned(),
        value: v.as_bytes().to_vec(),
        before,
        after: "",
        bare_lf: false,
    })
}

fn chunk(data: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Chunk> {
    let ext = vec(
        prop_oneof![
            token().prop_map(|t| format!(";{t}")),
            (token(), token()).prop_map(|(n, v)| format!(";{n}={v}")),
            (token(), "[ -!#-~]{0,8}").prop_map(|(n, v)| format!("; {n}=\"{v}\"")),
        ],
        0..3,
    )
    .prop_map(|e| e.concat().into_bytes());
    let space = prop::sample::select(&["", "", "", " ", "\t "][..]);
    (data, 0usize..4, any::<bool>(), space, ext).prop_map(|(data, zeros, upper, space, ext)| {
        Chunk {
            data,
            zeros,
            upper,
            space,
            ext,
        }
    })
}

fn framing() -> impl Strategy<Value = Framing> {
    let te = prop::sample::select(&["chunked", "Chunked", "gzip, chunked", "CHUNKED "][..]);
    prop_oneof![
        vec(0usize..3, 1..3).prop_map(|lines| Framing::Length { lines }),
        (
            te,
            vec(chunk(vec(any::<u8>(), 1..200)), 0..6),
            chunk(Just(Vec::new())),
            vec(line(), 0..3),
        )
            .prop_map(|(te, chunks, last, trailers)| Framing::Chunked {
                te,
                chunks,
                last,
                trailers: trailers
                    .into_iter()
                    .map(|t| Line {
                        bare_lf: false,
                        ..t
                    })
                    .collect(),
            }),
        Just(Framing::UntilClose),
    ]
}

/// Valid responses, with at most `interim` informational responses before them.
pub(crate) fn message() -> impl Strategy<Value = Message> {
    let interim = vec((100u16..200, vec(line(), 0..3)), 0..3);
    let status = prop_oneof![Just(200u16), Just(204), Just(304), 200u16..1000];
    let reason = prop::option::weighted(0.9, vec(prop_oneof![0x20u8..=0x7e, 0x80u8..=0xff], 0..16));
    let headers = (vec(line(), 0..6), vec(connection_line(), 0..2)).prop_map(|(mut h, c)| {
        h.extend(c);
        h
    });
    let body = vec(any::<u8>(), 0..300);
    let leftover = prop_oneof![Just(Vec::new()), vec(any::<u8>(), 1..40)];
    let head = (interim, 0u8..2, status, reason, headers, any::<Index>());
    let rest = (
        framing(),
        body,
        prop::bool::weighted(0.15),
        leftover,
        any::<bool>(),
    );
    (head, rest).prop_map(
        |((interim, minor, status, reason, headers, framing_at), rest)| {
            let (framing, body, head_request, leftover, bare_lf_end) = rest;
            Message {
                interim,
                minor,
                status,
                reason,
                headers,
                framing_at,
                framing,
                body,
                head_request,
                leftover,
                bare_lf_end,
            }
        },
    )
}

fn push_line(out: &mut Vec<u8>, line: &Line) {
    out.extend_from_slice(line.name.as_bytes());
    out.push(b':');
    out.extend_from_slice(line.before.as_bytes());
    out.extend_from_slice(&line.value);
    out.extend_from_slice(line.after.as_bytes());
    out.extend_from_slice(if line.bare_lf { b"\n" } else { b"\r\n" });
}

fn push_size_line(out: &mut Vec<u8>, chunk: &Chunk) {
    let digits = if chunk.upper {
        format!("{:X}", chunk.data.len())
    } else {
        format!("{:x}", chunk.data.len())
    };
    out.extend_from_slice("0".repeat(chunk.zeros).as_bytes());
    out.extend_from_slice(digits.as_bytes());
    out.extend_from_slice(chunk.space.as_bytes());
    out.extend_from_slice(&chunk.ext);
    out.extend_from_slice(b"\r\n");
}

impl Message {
    /// Whether the response has no body whatever its headers say.
    fn no_body(&self) -> bool {
        self.head_request || self.status == 204 || self.status == 304
    }

    /// The body the framing carries (chunked: the chunks' data).
    pub(crate) fn framed_body(&self) -> Vec<u8> {
        match &self.framing {
            Framing::Chunked { chunks, .. } => chunks.iter().flat_map(|c| c.data.clone()).collect(),
            _ => self.body.clone(),
        }
    }

    /// The framing header lines.
    fn framing_lines(&self) -> Vec<Line> {
        let line = |name: &str, value: String| Line {
            name: name.to_owned(),
            value: value.into_bytes(),
            before: " ",
            after: "",
            bare_lf: false,
        };
        match &self.framing {
            Framing::Length { lines } => {
                let n = self.body.len();
                let zeros = |z: usize| "0".repeat(z);
                lines
                    .iter()
                    .map(|&z| line("Content-Length", format!("{}{n}", zeros(z))))
                    .collect()
            }
            Framing::Chunked { te, .. } => vec![line("Transfer-Encoding", (*te).to_owned())],
            Framing::UntilClose => Vec::new(),
        }
    }

    /// The header lines of the final response, in order.
    pub(crate) fn header_lines(&self) -> Vec<Line> {
        let mut lines = self.headers.clone();
        let at = self.framing_at.index(lines.len() + 1);
        lines.splice(at..at, self.framing_lines());
        lines
    }

    /// The bytes a server sends, and the verdict they must give.
    pub(crate) fn encode(&self) -> (Vec<u8>, Verdict) {
        let (bytes, verdict, _) = self.encode_marked();
        (bytes, verdict)
    }

    /// [`encode`](Self::encode), and where the final head ends in the bytes.
    pub(crate) fn encode_marked(&self) -> (Vec<u8>, Verdict, usize) {
        let mut out = Vec::new();
        for (status, lines) in &self.interim {
            out.extend_from_slice(format!("HTTP/1.1 {status} Interim\r\n").as_bytes());
            for l in lines {
                push_line(&mut out, l);
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("HTTP/1.{} {}", self.minor, self.status).as_bytes());
        if let Some(reason) = &self.reason {
            out.push(b' ');
            out.extend_from_slice(reason);
        }
        out.extend_from_slice(b"\r\n");
        let lines = self.header_lines();
        for l in &lines {
            push_line(&mut out, l);
        }
        out.extend_from_slice(if self.bare_lf_end { b"\n" } else { b"\r\n" });
        let head_end = out.len();

        let mut body = Vec::new();
        let mut leftover = self.leftover.clone();
        if !self.no_body() {
            match &self.framing {
                Framing::Length { .. } => out.extend_from_slice(&self.body),
                Framing::Chunked {
                    chunks,
                    last,
                    trailers,
                    ..
                } => {
                    for chunk in chunks {
                        push_size_line(&mut out, chunk);
                        out.extend_from_slice(&chunk.data);
                        out.extend_from_slice(b"\r\n");
                    }
                    push_size_line(&mut out, last);
                    for t in trailers {
                        push_line(&mut out, t);
                    }
                    out.extend_from_slice(b"\r\n");
                }
                Framing::UntilClose => {
                    out.extend_from_slice(&self.body);
                    // What follows is more of the body.
                    body.extend_from_slice(&leftover);
                    leftover.clear();
                }
            }
            body.splice(0..0, self.framed_body());
        }
        out.extend_from_slice(&self.leftover);
        let verdict = Verdict::Complete {
            status: self.status,
            headers: lines
                .iter()
                .map(|l| (l.name.clone(), l.value.trim_ascii().to_vec()))
                .collect(),
            body,
            leftover,
            keep_alive: self.keep_alive(),
        };
        (out, verdict, head_end)
    }

    /// Keep-alive as RFC 9112 §9.3 says: HTTP/1.1 unless `close`, HTTP/1.0 with `keep-alive`
    /// and without `close` or `Transfer-Encoding`; never when the body ends with the
    /// connection.
    fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers.iter().any(|l| {
                l.name == "Connection"
                    && l.value
                        .split(|&b| b == b',')
                        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
        };
        // Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): closed after it.
        let chunked = matches!(self.framing, Framing::Chunked { .. });
        let persistent = if self.minor == 0 {
            has("keep-alive") && !has("close") && !chunked
        } else {
            !has("close")
        };
        persistent && (self.no_body() || !matches!(self.framing, Framing::UntilClose))
    }
}
