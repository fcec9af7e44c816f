//! Small text helpers shared by every stage: error chains and printable body snippets.

/// An error and its sources on one line, `outer: inner: innermost`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// The first `max` bytes of a body as one printable, quoted line.
pub fn body_snippet(body: &[u8], max: usize) -> String {
    let head = &body[..body.len().min(max)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > max {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_printable_and_bounded() {
        assert_eq!(body_snippet(b"<html>\n</html>", 100), "\"<html> </html>\"");
        assert_eq!(body_snippet(b"abcdef", 3), "\"abc…\"");
        assert_eq!(body_snippet(&[0xff, b'a'], 10), "\"\u{fffd}a\"");
    }
}
