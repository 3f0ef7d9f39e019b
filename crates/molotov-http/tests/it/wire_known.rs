//! The deliberate differences between our response decoder and the reference (hyper's client),
//! each with an input that shows it and a test telling whether a disagreement is that one.
//! `wire_diff` fails on any disagreement none of them explains; `docs/fuzzing.md` says why
//! each is deliberate.

use molotov_http::wire::Verdict;

/// What a decoder makes of a response, in terms both share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    Complete { status: u16, body: Vec<u8> },
    Failed(String),
}

/// Our verdict in the reference's terms.
pub(crate) fn ours(verdict: &Verdict) -> Reference {
    match verdict {
        Verdict::Complete { status, body, .. } => Reference::Complete {
            status: *status,
            body: body.clone(),
        },
        other => Reference::Failed(format!("{other:?}")),
    }
}

/// A disagreement: the bytes and both readings.
pub(crate) struct Case<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) ours: &'a Verdict,
    pub(crate) hyper: &'a Reference,
}

/// A deliberate difference: its name, an input that shows it (with the request it answers),
/// and whether a disagreement is this one.
pub(crate) struct Known {
    pub(crate) name: &'static str,
    pub(crate) example: fn() -> Vec<u8>,
    pub(crate) head_request: bool,
    pub(crate) shown_by: fn(&Case<'_>) -> bool,
}

/// Every allow-listed difference, the most specific first.
pub(crate) const KNOWN: &[Known] = &[
    Known {
        name: "101 is skipped as any 1xx; hyper takes it as the response (an upgrade)",
        example: || {
            b"HTTP/1.1 101 Switching\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()
        },
        head_request: false,
        shown_by: |case| {
            matches!(case.hyper, Reference::Complete { status: 101, .. })
                && heads(case.bytes).iter().any(|h| h.status == 101)
        },
    },
    Known {
        name: "Transfer-Encoding with Content-Length is refused; hyper decodes the chunks",
        example: || {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n\
                   2\r\nok\r\n0\r\n\r\n"
                .to_vec()
        },
        head_request: false,
        shown_by: |case| refused_for(case, "transfer-encoding and content-length together"),
    },
    Known {
        name: "an HTTP/1.0 response with Transfer-Encoding is decoded (and the connection \
               closed after it, RFC 9112 §6.1); hyper refuses it",
        example: || {
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()
        },
        head_request: false,
        shown_by: |case| {
            matches!(case.hyper, Reference::Failed(_))
                && final_head(case.bytes)
                    .is_some_and(|h| h.minor == 0 && h.has("transfer-encoding"))
        },
    },
    Known {
        name: "empty lines before a status line: httparse skips them, but two of them are \
               also a blank line ending a head: refused; hyper skips any number",
        example: || b"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        head_request: false,
        shown_by: |case| {
            let empty_lines = |at: usize| {
                let rest = &case.bytes[at..];
                [&b"\r\n\r\n"[..], b"\r\n\n", b"\n\r\n", b"\n\n"]
                    .iter()
                    .any(|p| rest.starts_with(p))
            };
            refused_for(case, "cannot parse the response head")
                && std::iter::once(0)
                    .chain(heads(case.bytes).iter().map(|h| h.end))
                    .any(empty_lines)
        },
    },
    Known {
        name: "Content-Length is one number a line, checked on every response, even one \
               without a body (HEAD, 1xx, 204, 304); hyper takes a list of equal numbers and \
               ignores it where there is no body",
        example: || b"HTTP/1.1 304 Not Modified\r\nContent-Length: banana\r\n\r\n".to_vec(),
        head_request: false,
        shown_by: |case| {
            refused_for(case, "invalid content-length")
                || refused_for(case, "conflicting content-length headers")
        },
    },
    Known {
        name: "Transfer-Encoding: the last non-empty coding of the last line decides, whatever \
               its bytes; hyper's last comma-separated part of a visible-ASCII value (an \
               empty one, or obs-text, means not chunked)",
        example: || {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()
        },
        head_request: false,
        shown_by: |case| {
            final_head(case.bytes).is_some_and(|h| {
                h.values("transfer-encoding")
                    .last()
                    .is_some_and(|v| our_chunked(v) != hyper_chunked(v))
            })
        },
    },
    Known {
        name: "trailer lines are skipped unparsed (CRLF-ended, 64 KiB in all); hyper parses \
               them as header fields (no bare CR, valid names, no obs-fold)",
        example: || {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\
                   not a header\r\n\r\n"
                .to_vec()
        },
        head_request: false,
        shown_by: |case| {
            matches!(case.ours, Verdict::Complete { .. })
                && matches!(case.hyper, Reference::Failed(_))
                && walk_chunks(case.bytes)
                    .is_some_and(|w| w.trailers.is_some_and(|t| !hyper_trailers(t)))
        },
    },
    Known {
        name: "chunk-size lines: whitespace before the size and bare CR or LF in extensions \
               are accepted, more than 16 hex digits are not; hyper the other way round",
        example: || {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nok\r\n0\r\n\r\n".to_vec()
        },
        head_request: false,
        shown_by: |case| {
            walk_chunks(case.bytes).is_some_and(|w| {
                w.size_lines
                    .iter()
                    .any(|l| our_size(l).is_some() != hyper_size(l))
            })
        },
    },
    Known {
        name: "limits: a chunk-size line is at most 4 KiB (hyper: 16 KiB of extensions in a \
               body), a head 64 KiB and 128 lines once it is complete or not (hyper: the same \
               for a complete head, about 400 KiB of buffer for one still arriving)",
        example: || {
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=".to_vec();
            wire.resize(wire.len() + 5000, b'x');
            wire.extend_from_slice(b"\r\nok\r\n0\r\n\r\n");
            wire
        },
        head_request: false,
        shown_by: |case| {
            matches!(
                case.ours,
                Verdict::Refused {
                    kind: "too-large",
                    ..
                }
            )
        },
    },
];

/// The first allow-listed difference that explains `case`.
pub(crate) fn explain(case: &Case<'_>) -> Option<&'static str> {
    KNOWN.iter().find(|k| (k.shown_by)(case)).map(|k| k.name)
}

fn refused_for(case: &Case<'_>, reason: &str) -> bool {
    matches!(case.ours, Verdict::Refused { reason: r, .. } if *r == reason)
        && matches!(case.hyper, Reference::Complete { .. })
}

/// A head as httparse reads it.
#[derive(Debug)]
struct Head {
    status: u16,
    minor: u8,
    headers: Vec<(String, Vec<u8>)>,
    /// Where it ends in the input.
    end: usize,
}

impl Head {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }

    fn has(&self, name: &str) -> bool {
        self.values(name).next().is_some()
    }
}

/// The end of the head starting at `from`: the first LF followed by LF or CRLF.
fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len()).find_map(|i| match &bytes[i..] {
        [b'\n', b'\n', ..] => Some(i + 2),
        [b'\n', b'\r', b'\n', ..] => Some(i + 3),
        _ => None,
    })
}

/// The heads at the start of `bytes`: informational ones, then the final one, as far as they
/// parse.
fn heads(bytes: &[u8]) -> Vec<Head> {
    let mut heads = Vec::new();
    let mut from = 0;
    while let Some(end) = head_end(bytes, from) {
        let mut raw = [httparse::EMPTY_HEADER; 256];
        let mut parsed = httparse::Response::new(&mut raw);
        let Ok(httparse::Status::Complete(_)) = parsed.parse(&bytes[from..end]) else {
            break;
        };
        let head = Head {
            status: parsed.code.unwrap_or_default(),
            minor: parsed.version.unwrap_or_default(),
            headers: parsed
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
            end,
        };
        let last = !(100..200).contains(&head.status);
        heads.push(head);
        if last {
            break;
        }
        from = end;
    }
    heads
}

fn final_head(bytes: &[u8]) -> Option<Head> {
    heads(bytes)
        .into_iter()
        .find(|h| !(100..200).contains(&h.status))
}

fn our_chunked(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .rfind(|t| !t.is_empty())
        .is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"))
}

fn hyper_chunked(value: &[u8]) -> bool {
    let visible = value.iter().all(|&b| b == b'\t' || (32..127).contains(&b));
    visible
        && value
            .rsplit(|&b| b == b',')
            .next()
            .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// A chunked body as we walk it: its size lines (without CRLF) and its trailer section
/// (trailer lines with their CRLF, without the blank line), as far as it goes.
struct Walk<'a> {
    size_lines: Vec<&'a [u8]>,
    trailers: Option<&'a [u8]>,
}

fn line(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|at| from + at)
}

fn walk_chunks(bytes: &[u8]) -> Option<Walk<'_>> {
    let head = final_head(bytes)?;
    let mut walk = Walk {
        size_lines: Vec::new(),
        trailers: None,
    };
    let mut at = head.end;
    loop {
        let end = line(bytes, at)?;
        let size_line = &bytes[at..end];
        walk.size_lines.push(size_line);
        let Some(size) = our_size(size_line) else {
            return Some(walk);
        };
        at = end + 2;
        if size == 0 {
            break;
        }
        at = at.checked_add(usize::try_from(size).ok()?)? + 2;
    }
    let start = at;
    loop {
        let Some(end) = line(bytes, at) else {
            return Some(walk);
        };
        if end == at {
            walk.trailers = Some(&bytes[start..at]);
            return Some(walk);
        }
        at = end + 2;
    }
}

/// A chunk size as we read it: hex digits (1 to 16) before any `;`, whitespace trimmed.
fn our_size(line: &[u8]) -> Option<u64> {
    let hex = line.split(|&b| b == b';').next()?.trim_ascii();
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// Whether hyper reads a size line: hex digits first (any number, no overflow), spaces or
/// tabs, then an extension with neither CR nor LF.
fn hyper_size(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, rest) = line.split_at(digits);
    let significant = hex.iter().skip_while(|&&b| b == b'0').count();
    let space = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let ext_ok = match &rest[space..] {
        [] => true,
        [b';', ext @ ..] => !ext.contains(&b'\r') && !ext.contains(&b'\n'),
        _ => false,
    };
    digits > 0 && significant <= 16 && ext_ok
}

/// Whether hyper reads a trailer section (lines with their CRLF): no bare CR, and httparse
/// finds in it header fields, no more of them than CRLF-ended lines (a bare LF makes two).
fn hyper_trailers(section: &[u8]) -> bool {
    let bare_cr = section.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n');
    let lines = section.windows(2).filter(|w| w == b"\r\n").count();
    let mut block = section.to_vec();
    block.extend_from_slice(b"\r\n");
    let mut raw = vec![httparse::EMPTY_HEADER; lines];
    let parsed = httparse::parse_headers(&block, &mut raw);
    !bare_cr && matches!(parsed, Ok(httparse::Status::Complete(_)))
}
