//! A field value as the row decoder sees it: null, a string's text, or any other value's JSON
//! text, all borrowed (from the page, or from a scratch buffer for unescaped strings).

use crate::json::scan::{Raw, unescape};

/// A JSON value seen through its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonValue<'a> {
    /// `null`.
    Null,
    /// A string, unescaped.
    Str(&'a str),
    /// Any other value (number, bool, object, array) as its raw JSON text.
    Other(&'a str),
}

impl<'a> JsonValue<'a> {
    /// The value of `raw`. A string with escapes is unescaped into `scratch`.
    pub(crate) fn read(raw: Raw<'a>, scratch: &'a mut String) -> Self {
        match raw {
            Raw::Null => JsonValue::Null,
            Raw::Str { inner, escaped } => JsonValue::Str(text(inner, escaped, scratch)),
            Raw::Other(t) => JsonValue::Other(t),
        }
    }

    /// The value kept verbatim: a string's text, or any other value's JSON text.
    pub(crate) fn verbatim(&self) -> Option<&'a str> {
        match *self {
            JsonValue::Null => None,
            JsonValue::Str(s) | JsonValue::Other(s) => Some(s),
        }
    }
}

/// The text of a string's contents: borrowed when it has no escapes, else unescaped into
/// `scratch`. An unpaired `\u` surrogate has no text, so such contents are kept as written.
pub(crate) fn text<'a>(inner: &'a str, escaped: bool, scratch: &'a mut String) -> &'a str {
    if escaped && unescape(inner, scratch) {
        scratch
    } else {
        inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan::Scanner;

    fn classify(text: &str, f: impl FnOnce(JsonValue<'_>)) {
        let mut scratch = String::new();
        let raw = Scanner::new(text).value().unwrap();
        f(JsonValue::read(raw, &mut scratch));
    }

    #[test]
    fn classifies_values() {
        classify("null", |v| assert_eq!(v, JsonValue::Null));
        classify(r#""abc""#, |v| assert_eq!(v, JsonValue::Str("abc")));
        classify(r#""a\"b\u00e9""#, |v| {
            assert_eq!(v, JsonValue::Str("a\"bé"))
        });
        classify(r#""bad \ud800 pair""#, |v| {
            assert_eq!(v, JsonValue::Str(r"bad \ud800 pair"))
        });
        classify("0.499222332425423563466", |v| {
            assert_eq!(v, JsonValue::Other("0.499222332425423563466"))
        });
        classify("true", |v| assert_eq!(v, JsonValue::Other("true")));
        classify(r#"{"a": 1}"#, |v| {
            assert_eq!(v, JsonValue::Other(r#"{"a": 1}"#))
        });
        classify("1.5E-05", |v| assert_eq!(v.verbatim(), Some("1.5E-05")));
        classify(r#""x""#, |v| assert_eq!(v.verbatim(), Some("x")));
    }
}
