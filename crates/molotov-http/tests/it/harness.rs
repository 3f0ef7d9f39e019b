//! The invariants of the response decoder ([`molotov_http::wire`]), as plain functions: the
//! property tests call [`check`], and the fuzz target (`fuzz/fuzz_targets/response.rs`
//! includes this file) calls [`fuzz_one`] on raw fuzzer input. Depends on nothing but the
//! crate and std, so that both can include it.

use molotov_http::wire::{Verdict, decode_response};

/// `input` cut at `cuts` (positions, in any order, clamped to the input; repeats give empty
/// pieces, which the decoder skips).
pub(crate) fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    at.sort_unstable();
    let mut pieces = Vec::with_capacity(at.len() + 1);
    let mut from = 0;
    for cut in at {
        pieces.push(&input[from..cut]);
        from = cut;
    }
    pieces.push(&input[from..]);
    pieces
}

/// Inputs up to this size are also decoded a byte at a time.
const BYTEWISE_UP_TO: usize = 4096;

/// Decodes `input` whole, cut at `cuts`, a byte at a time (when small) and again, and checks
/// that every way gives the same verdict, and that a complete response is consistent with the
/// input: its leftover is the end of the input, its body fits in what is left of the input,
/// its status is final, its body is within `max_body` (and empty for a HEAD), and the input
/// cut right after the response decodes to the same response (cut a byte earlier, to an
/// incomplete one, or to one byte less of a body that ends with the input).
///
/// # Panics
/// When an invariant does not hold: that is the failure being looked for.
pub(crate) fn check(input: &[u8], cuts: &[usize], head_request: bool, max_body: u64) -> Verdict {
    let whole = decode_response(&[input], head_request, max_body);
    assert_eq!(
        decode_response(&[input], head_request, max_body),
        whole,
        "the verdict is not deterministic"
    );
    let pieces = split(input, cuts);
    assert_eq!(
        decode_response(&pieces, head_request, max_body),
        whole,
        "cut at {cuts:?}, the verdict differs from the whole input's"
    );
    if input.len() <= BYTEWISE_UP_TO {
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            decode_response(&bytes, head_request, max_body),
            whole,
            "a byte at a time, the verdict differs from the whole input's"
        );
    }
    if let Verdict::Complete {
        status,
        body,
        leftover,
        ..
    } = &whole
    {
        assert!(
            input.ends_with(leftover),
            "the leftover is not the input's end"
        );
        assert!(
            body.len() + leftover.len() < input.len(),
            "more body and leftover than input"
        );
        assert!((200..=999).contains(status), "status {status} is not final");
        assert!(body.len() as u64 <= max_body, "a body over max_body");
        assert!(!head_request || body.is_empty(), "a body for a HEAD");
        check_end(
            input,
            input.len() - leftover.len(),
            &whole,
            head_request,
            max_body,
        );
    }
    whole
}

/// The response of `whole` takes the first `used` bytes of `input`: those bytes alone decode
/// to it, with nothing left over, and one byte fewer do not.
fn check_end(input: &[u8], used: usize, whole: &Verdict, head_request: bool, max_body: u64) {
    let Verdict::Complete {
        status,
        headers,
        body,
        keep_alive,
        ..
    } = whole.clone()
    else {
        return;
    };
    let exact = decode_response(&[&input[..used]], head_request, max_body);
    let expected = Verdict::Complete {
        status,
        headers: headers.clone(),
        body: body.clone(),
        leftover: Vec::new(),
        keep_alive,
    };
    assert_eq!(exact, expected, "the response alone decodes differently");
    let short = decode_response(&[&input[..used - 1]], head_request, max_body);
    match short {
        Verdict::Incomplete => {}
        // A body that ends with the input ends a byte earlier.
        Verdict::Complete {
            status: s,
            body: b,
            leftover,
            ..
        } if used == input.len() && s == status && leftover.is_empty() && !body.is_empty() => {
            assert_eq!(
                b,
                body[..body.len() - 1],
                "a close-delimited body cut short"
            );
        }
        other => panic!("a byte short of its end, the response decodes to {other:?}"),
    }
}

/// The fuzz target's body: the first byte chooses the request (bit 0: a HEAD) and `max_body`
/// (bit 1 unset: a small one), the second how many cut points follow (two bytes each, modulo
/// 8 of them); the rest is what the server sent. Runs [`check`]; `None` for an input too
/// short to mean anything.
pub(crate) fn fuzz_one(data: &[u8]) -> Option<Verdict> {
    let [flags, count, rest @ ..] = data else {
        return None;
    };
    let head_request = flags & 1 == 1;
    let max_body = if flags & 2 == 0 {
        u64::from(flags >> 2) * 64
    } else {
        u64::MAX
    };
    let count = usize::from(count % 8).min(rest.len() / 2);
    let (positions, input) = rest.split_at(count * 2);
    let cuts: Vec<usize> = positions
        .chunks(2)
        .map(|p| usize::from(u16::from_le_bytes([p[0], p[1]])))
        .collect();
    Some(check(input, &cuts, head_request, max_body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cuts_in_order_and_keeps_every_byte() {
        let pieces = split(b"abcdef", &[4, 1, 9, 1]);
        assert_eq!(pieces, [&b"a"[..], b"", b"bcd", b"ef", b""]);
        assert_eq!(split(b"", &[]), [&b""[..]]);
    }

    #[test]
    fn fuzz_input_is_read_as_documented() {
        assert_eq!(fuzz_one(b""), None);
        assert_eq!(fuzz_one(b"\x03"), None);
        let ok = |data: &[u8], body: &[u8]| match fuzz_one(data) {
            Some(Verdict::Complete { body: b, .. }) => assert_eq!(b, body),
            other => panic!("{other:?}"),
        };
        // No cuts; cuts past the end; a HEAD; a small max_body (flags 0: 0 bytes).
        ok(
            b"\x02\x00HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
        );
        ok(
            b"\x02\x02\x05\x00\xff\xffHTTP/1.1 200 OK\r\n\r\nto the end",
            b"to the end",
        );
        ok(
            b"\x01\x01\x03\x00HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
            b"",
        );
        let over = fuzz_one(b"\x00\x00HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assert!(matches!(
            over,
            Some(Verdict::Refused {
                kind: "too-large",
                ..
            })
        ));
    }
}
