//! JSON string escapes: finding the bytes a string must escape, and turning a string's
//! contents into text. Pure.

/// Offset of the first `"`, `\` or control character at or after `i` (`b.len()` if none),
/// eight bytes at a time.
#[inline]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (after the xor) or below 0x20. Borrows only run
        // upwards, so the lowest flagged byte is always a true match.
        let hit = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hit = hit & HIGH;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if must_escape(c) {
            return i;
        }
        i += 1;
    }
    i
}

/// Whether JSON must escape byte `c` inside a string: `"`, `\` and control characters.
#[inline]
fn must_escape(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// Whether `text` can stand between quotes as it is, with no escape: only such text may be
/// passed to [`Scanner::next_key_like`] as the likely key.
pub(crate) fn is_plain(text: &str) -> bool {
    !text.bytes().any(must_escape)
}

/// Writes the text of a string's contents (as read by [`Scanner`], so its escapes are valid)
/// into `out`, replacing what was there. Returns `false` if a `\u` escape is an unpaired
/// surrogate, which has no text: the caller keeps the contents as written.
pub(crate) fn unescape(inner: &str, out: &mut String) -> bool {
    out.clear();
    let mut rest = inner;
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let b = rest.as_bytes();
        let (ch, used) = match b.get(at + 1) {
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => match code_point(rest, at) {
                Some(v) => v,
                None => return false,
            },
            Some(&c @ (b'"' | b'\\' | b'/')) => (char::from(c), 2),
            _ => return false,
        };
        out.push(ch);
        rest = &rest[at + used..];
    }
    out.push_str(rest);
    true
}

/// The character of the `\uXXXX` escape at `at` (with its low surrogate when it is a high one)
/// and the bytes it takes.
fn code_point(s: &str, at: usize) -> Option<(char, usize)> {
    let hex = |from: usize| {
        s.get(from..from + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let first = hex(at + 2)?;
    match first {
        0xD800..=0xDBFF => {
            if s.get(at + 6..at + 8) != Some("\\u") {
                return None;
            }
            let low = hex(at + 8).filter(|l| (0xDC00..=0xDFFF).contains(l))?;
            let c = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
            char::from_u32(c).map(|c| (c, 12))
        }
        0xDC00..=0xDFFF => None,
        _ => char::from_u32(first).map(|c| (c, 6)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_in_every_lane() {
        for at in 0..20 {
            for special in [b'"', b'\\', 0x1f, 0x00] {
                let mut b = vec![b'a'; 20];
                b[at] = special;
                assert_eq!(find_special(&b, 0), at);
            }
            // Bytes just above the special ones (and multi-byte UTF-8) are not flagged.
            let b = [b' ', b'#', b']', 0x80, 0xff, b'~', b'!', b'a', b'a', b'a'];
            assert_eq!(find_special(&b, 0), b.len());
        }
        assert!(is_plain("consumedQuantity") && is_plain("Zürich") && is_plain(""));
        for s in ["a\"b", "a\\b", "a\tb", "\u{1}"] {
            assert!(!is_plain(s), "{s:?}");
        }
    }

    #[test]
    fn unescape_decodes_every_escape() {
        let mut out = String::from("old");
        assert!(unescape(
            r#"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00z"#,
            &mut out
        ));
        assert_eq!(out, "a\"b\\c/d\u{8}\u{c}\n\r\té😀z");
        assert!(unescape("plain", &mut out));
        assert_eq!(out, "plain");
        assert!(!unescape(r#"\ud83d"#, &mut out));
        assert!(!unescape(r#"\ude00"#, &mut out));
        assert!(!unescape(r#"\ud83d\u0041"#, &mut out));
    }
}
