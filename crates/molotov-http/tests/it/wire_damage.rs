//! Invalid inputs for the property and differential tests of the decoder: valid responses
//! (`wire_gen`) damaged by byte flips, insertions, deletions, truncations and duplications,
//! a soup of HTTP-ish tokens, and the cut points that split an input into reads.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::wire_gen::{Message, message};

/// A change to a valid response's bytes, at a position relative to the part it may touch.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    Duplicate(Index, usize),
}

/// Bytes that matter to the parser, more likely than others.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    let pieces: &[&[u8]] = &[
        b"\r",
        b"\n",
        b"\r\n",
        b" ",
        b"\t",
        b":",
        b";",
        b",",
        b"0",
        b"f",
        b"9",
        b"\0",
        b"\xff",
        b"chunked",
        b"Content-Length: 3\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"HTTP/1.1 100 C\r\n\r\n",
    ];
    prop_oneof![
        3 => vec(prop::sample::select(pieces), 1..3).prop_map(|p| p.concat()),
        1 => vec(any::<u8>(), 1..4),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        4 => (any::<Index>(), interesting()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        3 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

/// Applies `mutations` to `bytes` in order, at positions from `from` on (clamped).
pub(crate) fn mutate(mut bytes: Vec<u8>, from: usize, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        let from = from.min(len.saturating_sub(1));
        if len == 0 {
            break;
        }
        // A position in `from..len` (`from..=len` for an insertion).
        let pick = |i: &Index, end: usize| from + i.index(end - from);
        match m {
            Mutation::Flip(i, x) => bytes[pick(i, len)] ^= x,
            Mutation::Insert(i, b) => {
                let at = pick(i, len + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = pick(i, len);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(i) => bytes.truncate(pick(i, len)),
            Mutation::Duplicate(i, n) => {
                let at = pick(i, len);
                let copy = bytes[at..(at + n).min(len)].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

/// A valid response with one to four mutations, in its head or (more often) after it: the
/// model and the bytes.
pub(crate) fn mutated() -> impl Strategy<Value = (Message, Vec<u8>)> {
    let after_head = prop::bool::weighted(0.6);
    (message(), vec(mutation(), 1..5), after_head).prop_map(|(m, mutations, after_head)| {
        let (bytes, _, head_end) = m.encode_marked();
        let from = if after_head { head_end } else { 0 };
        let bytes = mutate(bytes, from, &mutations);
        (m, bytes)
    })
}

/// HTTP-ish tokens in any order: heads, framing headers and chunk lines that may or may not
/// fit together.
pub(crate) fn soup() -> impl Strategy<Value = Vec<u8>> {
    let words: &[&[u8]] = &[
        b"HTTP/1.1 ",
        b"HTTP/1.0 ",
        b"200",
        b"100",
        b"204",
        b" OK",
        b"\r\n",
        b"\n",
        b"\r",
        b"\r\n\r\n",
        b"Content-Length:",
        b" 5",
        b"Transfer-Encoding:",
        b" chunked",
        b"Connection: close",
        b"X:",
        b"5",
        b"0",
        b"a",
        b";e=1",
        b"hello",
        b" ",
        b"\t",
    ];
    let heads: &[&[u8]] = &[
        b"",
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
    ];
    let tokens = vec(
        prop_oneof![
            6 => prop::sample::select(words).prop_map(<[u8]>::to_vec),
            1 => vec(any::<u8>(), 1..3),
        ],
        0..40,
    );
    (prop::sample::select(heads), tokens).prop_map(|(head, w)| [head.to_vec(), w.concat()].concat())
}

/// Up to seven cut points, anywhere in an input of any length (see [`positions`]).
pub(crate) fn cuts() -> impl Strategy<Value = Vec<Index>> {
    vec(any::<Index>(), 0..8)
}

/// The positions of `cuts` in an input of `len` bytes.
pub(crate) fn positions(cuts: &[Index], len: usize) -> Vec<usize> {
    cuts.iter().map(|c| c.index(len + 1)).collect()
}
