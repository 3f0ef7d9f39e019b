//! Query strings and percent-encoding, just enough for the endpoints' parameters.

/// The `name=value` pairs of a query string, form-decoded (`+` is a space, `%XX` a byte);
/// a pair without `=` has an empty value, empty pieces are skipped.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name, true), decode(value, true))
        })
}

/// The first value of parameter `name` in an optional query string.
pub(crate) fn param(query: Option<&str>, name: &str) -> Option<String> {
    pairs(query?)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Percent-decodes `text`; `plus_is_space` for query strings, not for path segments.
///
/// A `%` not followed by two hex digits is kept as is, and bytes that do not form UTF-8 are
/// replaced: the endpoints echo or compare the result, they never need to reject it.
pub(crate) fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one hex digit.
fn hex(digit: Option<&u8>) -> Option<u8> {
    let digit = *digit?;
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, pairs, param};

    #[test]
    fn decodes_percent_escapes_and_plus() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("a%20b+c", false), "a b+c");
        assert_eq!(decode("http%3A%2F%2Fx%2F%3Fa%3D1", true), "http://x/?a=1");
    }

    #[test]
    fn keeps_broken_escapes() {
        assert_eq!(decode("100%", true), "100%");
        assert_eq!(decode("%zz%4", true), "%zz%4");
        assert_eq!(decode("%ff", true), "\u{fffd}");
    }

    #[test]
    fn splits_pairs() {
        let got: Vec<_> = pairs("a=1&&b=&c&d=x%3Dy").collect();
        let want = [("a", "1"), ("b", ""), ("c", ""), ("d", "x=y")];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            param(Some("to=%2Fx&status=307"), "status").as_deref(),
            Some("307")
        );
        assert_eq!(param(None, "to"), None);
    }
}
