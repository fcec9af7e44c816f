//! Small text helpers shared by every stage: error chains (whole, and with secrets redacted)
//! and printable body snippets.

/// An error and its sources on one line, `outer: inner: innermost`.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
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

/// A message as an error (a cause known only by its text).
#[derive(Debug)]
pub(crate) struct Message(pub String);

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

/// Any error, boxed, as a cause.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Removes signature-bearing query values (SAS `sig`, AWS presigned parameters) from a message.
pub(crate) fn redact_secrets(text: &str) -> String {
    const KEYS: [&str; 5] = [
        "sig=",
        "X-Amz-Signature=",
        "X-Amz-Credential=",
        "X-Amz-Security-Token=",
        "x-amz-security-token=",
    ];
    let mut out = text.to_string();
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = out[from..].find(key) {
            let start = from + pos + key.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace() || c == ')')
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "REDACTED");
            from = start + "REDACTED".len();
        }
    }
    out
}

/// An error chain copied level by level with every message redacted: it keeps the causes (each
/// level is its own `source()`) while no signature can reach a log or a summary through it.
#[derive(Debug)]
pub(crate) struct RedactedError {
    message: String,
    source: Option<Box<RedactedError>>,
}

impl RedactedError {
    /// A redacted copy of `e` and its sources.
    pub(crate) fn of(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut messages = vec![redact_secrets(&e.to_string())];
        let mut cur = e.source();
        while let Some(s) = cur {
            messages.push(redact_secrets(&s.to_string()));
            cur = s.source();
        }
        let mut chain: Option<Box<RedactedError>> = None;
        for message in messages.into_iter().rev() {
            chain = Some(Box::new(RedactedError {
                message,
                source: chain,
            }));
        }
        *chain.expect("at least the error itself")
    }
}

impl std::fmt::Display for RedactedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RedactedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// The first `max` bytes of a body as one printable, quoted line.
pub(crate) fn body_snippet(body: &[u8], max: usize) -> String {
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
    fn signatures_are_redacted() {
        let msg = "Error performing PUT https://a.blob.core.windows.net/c/x?sv=2022&sig=abc%2Bdef&se=1 (status 403)";
        let r = redact_secrets(msg);
        assert!(!r.contains("abc%2Bdef"), "{r}");
        assert!(r.contains("sig=REDACTED&se=1"), "{r}");
        assert_eq!(redact_secrets("no secrets"), "no secrets");
        assert!(!redact_secrets("X-Amz-Signature=deadbeef").contains("deadbeef"));
    }

    #[test]
    fn a_redacted_chain_keeps_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer for https://x/y?sig=SECRET")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner ?sig=ALSO"));
        let r = RedactedError::of(&e);
        assert_eq!(
            error_chain(&r),
            "outer for https://x/y?sig=REDACTED: inner ?sig=REDACTED"
        );
        assert!(std::error::Error::source(&r).is_some());
    }

    #[test]
    fn snippets_are_printable_and_bounded() {
        assert_eq!(body_snippet(b"<html>\n</html>", 100), "\"<html> </html>\"");
        assert_eq!(body_snippet(b"abcdef", 3), "\"abc…\"");
        assert_eq!(body_snippet(&[0xff, b'a'], 10), "\"\u{fffd}a\"");
    }
}
