//! Lenient parsing of the `tags` field into key/value pairs.
//!
//! Forms seen in the wild: a JSON object serialized into the string, the same object without
//! its outer braces (`"env": "prod","team": "data"`), `""`, `null`, and garbage. Values that are
//! not strings keep their JSON text (`3`, `true`); a JSON `null` value stays null. A key that
//! repeats keeps its last value in the map, and the text is reported as [`Tags::Repeated`] so the
//! caller keeps it verbatim: the earlier values are never dropped silently.

use std::borrow::Cow;

use crate::json::scan::{Raw, ScanError, Scanner, unescape};

/// One tag: key and optional value.
pub type Tag<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// What a `tags` text parses to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags<'a> {
    /// No tags (`""`, whitespace or `null`): a null map.
    Null,
    /// A map, possibly empty (`{}`), in first-seen key order; no key repeats.
    Map(Vec<Tag<'a>>),
    /// A map in which some key repeats: first-seen key order with last-wins values. The map
    /// loses the earlier values, so the caller keeps the text verbatim as well and counts it.
    Repeated(Vec<Tag<'a>>),
    /// Text that is neither: the caller keeps it verbatim and stores a null map.
    Invalid,
}

/// Parses a tags text: JSON object, brace-less object, or empty.
pub fn parse_tags(text: &str) -> Tags<'_> {
    let trimmed = text.trim_ascii();
    if trimmed.is_empty() || trimmed == "null" {
        return Tags::Null;
    }
    if trimmed.starts_with('{') {
        return match parse_object(trimmed) {
            Some(tags) => dedup_last_wins(tags),
            None => Tags::Invalid,
        };
    }
    if !trimmed.starts_with('"') {
        return Tags::Invalid;
    }
    // Read as the object it is once wrapped in braces, without the copy that wrapping makes.
    match read_members(&mut Scanner::new(trimmed), false) {
        Ok(tags) => dedup_last_wins(tags),
        Err(_) => Tags::Invalid,
    }
}

fn parse_object(text: &str) -> Option<Vec<Tag<'_>>> {
    read_members(&mut Scanner::new(text), true).ok()
}

/// An object's members: with its braces (`braced`), or the whole input without them.
fn read_members<'a>(scan: &mut Scanner<'a>, braced: bool) -> Result<Vec<Tag<'a>>, ScanError> {
    if braced {
        scan.begin_object()?;
    }
    let mut tags = Vec::new();
    let mut first = true;
    loop {
        let next = if braced {
            scan.next_key(&mut first)?
        } else {
            scan.next_bare_key(&mut first)?
        };
        let Some((key, escaped)) = next else { break };
        let value = match scan.value()? {
            Raw::Null => None,
            Raw::Str { inner, escaped } => Some(cow_text(inner, escaped)),
            Raw::Other(t) => Some(Cow::Borrowed(t)),
        };
        tags.push((cow_text(key, escaped), value));
    }
    scan.finish()?;
    Ok(tags)
}

/// A string's text: borrowed without escapes; kept as written if it cannot be unescaped.
fn cow_text(inner: &str, escaped: bool) -> Cow<'_, str> {
    let mut out = String::new();
    if escaped && unescape(inner, &mut out) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(inner)
    }
}

/// [`Tags::Map`] when no key repeats; otherwise [`Tags::Repeated`] with the first position of
/// each key and the value of its last occurrence.
fn dedup_last_wins(mut tags: Vec<Tag<'_>>) -> Tags<'_> {
    let repeated = (1..tags.len()).any(|i| tags[..i].iter().any(|(k, _)| *k == tags[i].0));
    if !repeated {
        return Tags::Map(tags);
    }
    let mut out: Vec<Tag<'_>> = Vec::with_capacity(tags.len());
    for (k, v) in tags.drain(..) {
        match out.iter_mut().find(|(ok, _)| *ok == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Tags::Repeated(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Option<&str>)]) -> Tags<'static> {
        Tags::Map(
            pairs
                .iter()
                .map(|(k, v)| {
                    (
                        Cow::Owned(k.to_string()),
                        v.map(|v| Cow::Owned(v.to_string())),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn json_object_in_string() {
        assert_eq!(
            parse_tags(r#"{"env":"prod","costCenter":"1234"}"#),
            map(&[("env", Some("prod")), ("costCenter", Some("1234"))])
        );
        assert_eq!(
            parse_tags(r#"{  "env": "prod",  "team": "data"}"#),
            map(&[("env", Some("prod")), ("team", Some("data"))])
        );
    }

    #[test]
    fn braceless_form() {
        assert_eq!(
            parse_tags(r#""env": "prod","team": "data""#),
            map(&[("env", Some("prod")), ("team", Some("data"))])
        );
    }

    #[test]
    fn empty_null_and_empty_object() {
        assert_eq!(parse_tags(""), Tags::Null);
        assert_eq!(parse_tags("  "), Tags::Null);
        assert_eq!(parse_tags("null"), Tags::Null);
        assert_eq!(parse_tags("{}"), Tags::Map(vec![]));
    }

    #[test]
    fn non_string_values_keep_json_text() {
        assert_eq!(
            parse_tags(r#"{"n":3,"b":true,"z":null,"o":{"a":1},"f":1.50}"#),
            map(&[
                ("n", Some("3")),
                ("b", Some("true")),
                ("z", None),
                ("o", Some(r#"{"a":1}"#)),
                ("f", Some("1.50"))
            ])
        );
    }

    #[test]
    fn repeated_keys_are_reported_with_last_value() {
        let Tags::Map(want) = map(&[("env", Some("prod")), ("team", Some("x"))]) else {
            unreachable!()
        };
        assert_eq!(
            parse_tags(r#"{"env":"dev","team":"x","env":"prod"}"#),
            Tags::Repeated(want.clone())
        );
        assert_eq!(
            parse_tags(r#""env":"dev","team":"x","env":"prod""#),
            Tags::Repeated(want)
        );
    }

    #[test]
    fn escapes_and_unicode() {
        assert_eq!(
            parse_tags(r#"{"owner":"O\"Brien","city":"Zürich","説明":"データ"}"#),
            map(&[
                ("owner", Some("O\"Brien")),
                ("city", Some("Zürich")),
                ("説明", Some("データ"))
            ])
        );
    }

    #[test]
    fn garbage_is_invalid() {
        for g in [
            "garbage",
            "{not json",
            r#"{"a":"b"} trailing"#,
            "[1,2]",
            r#""a":"b","#,
            "{\"a\"}",
            "42",
        ] {
            assert_eq!(parse_tags(g), Tags::Invalid, "{g}");
        }
    }
}
