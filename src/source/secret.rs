//! A secret (the EA API key, a Cost Management bearer token): held as given, trimmed, and shown
//! by no `Debug` or `Display`. Only the request that carries it to its own host reads it.

/// A secret value. `Debug` prints `Secret(<redacted>)`; there is no `Display`.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret, trimming surrounding whitespace (files end with a newline); `None` if
    /// nothing is left.
    pub(crate) fn new(value: &str) -> Option<Self> {
        let v = value.trim();
        (!v.is_empty()).then(|| Secret(v.to_owned()))
    }

    /// The raw value, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_never_shown_and_never_empty() {
        let s = Secret::new("  abc\n").unwrap();
        assert_eq!(s.expose(), "abc");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(Secret::new(" \n").is_none());
    }
}
