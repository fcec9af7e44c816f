//! Borrowing helpers over `serde_json`: object keys without allocation, and a value classified
//! from its raw JSON text so that numbers keep every digit.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::value::RawValue;

/// A JSON value seen through its raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonValue<'a> {
    /// `null`.
    Null,
    /// A string, unescaped (borrowed when it had no escapes).
    Str(Cow<'a, str>),
    /// Any other value (number, bool, object, array) as its raw JSON text.
    Other(&'a str),
}

impl<'a> JsonValue<'a> {
    /// Classifies a raw JSON value. Strings without escapes are borrowed, not copied.
    pub fn from_raw(raw: &'a RawValue) -> Self {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') => {
                let inner = &text[1..text.len() - 1];
                if inner.contains('\\') {
                    // RawValue has already validated the string, so this cannot fail.
                    let owned: String = serde_json::from_str(text).unwrap_or_else(|_| inner.into());
                    JsonValue::Str(Cow::Owned(owned))
                } else {
                    JsonValue::Str(Cow::Borrowed(inner))
                }
            }
            Some(b'n') => JsonValue::Null,
            _ => JsonValue::Other(text),
        }
    }

    /// The value kept verbatim: a string's text, or any other value's JSON text.
    pub fn verbatim(&self) -> Option<&str> {
        match self {
            JsonValue::Null => None,
            JsonValue::Str(s) => Some(s),
            JsonValue::Other(raw) => Some(raw),
        }
    }
}

/// An object key or string that borrows from the input when it has no escapes.
#[derive(Debug)]
pub struct CowStr<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(text: &str) -> JsonValue<'_> {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        // RawValue borrows from `text`; re-borrow with the same lifetime.
        JsonValue::from_raw(raw)
    }

    #[test]
    fn classifies_raw_values() {
        assert_eq!(classify("null"), JsonValue::Null);
        assert_eq!(classify(r#""abc""#), JsonValue::Str(Cow::Borrowed("abc")));
        assert_eq!(
            classify(r#""a\"b\u00e9""#),
            JsonValue::Str(Cow::Owned("a\"bé".into()))
        );
        assert_eq!(
            classify("0.499222332425423563466"),
            JsonValue::Other("0.499222332425423563466")
        );
        assert_eq!(classify("true"), JsonValue::Other("true"));
        assert_eq!(classify(r#"{"a": 1}"#), JsonValue::Other(r#"{"a": 1}"#));
        assert_eq!(classify("1.5E-05").verbatim(), Some("1.5E-05"));
        assert_eq!(classify(r#""x""#).verbatim(), Some("x"));
    }
}
