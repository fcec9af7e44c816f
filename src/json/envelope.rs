//! The page envelope, `{"id"|"reportId": …, "data": [rows…], "nextLink": …}`, read once by one
//! function for HTTP paging, replay and the decoder. The caller says what to do with `data`
//! (decode its rows, or skip it); everything else is read here.
//!
//! Rules: the body must be one JSON object (checked to the last byte); `data` must be an
//! array and is read at its first occurrence (keys match case-insensitively, as the API's
//! spellings vary); `nextLink` is null, a string, or absent, and null, `""`, blank and absent
//! all end the page sequence.

use super::scan::{Raw, ScanError, Scanner, unescape};

/// What the envelope says besides the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// The `nextLink`; `None` when null, empty, blank or absent.
    pub next_link: Option<String>,
}

/// Why a body is not a usage-details page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The first byte that is not whitespace is not `{`.
    #[error("the body is not a JSON object")]
    NotAnObject,
    /// The body is not UTF-8.
    #[error("the body is not valid UTF-8 (at byte {0})")]
    NotUtf8(usize),
    /// The JSON is malformed (or `data`/`nextLink` has the wrong type).
    #[error(transparent)]
    Json(#[from] ScanError),
    /// A CSV page could not be read.
    #[error("the CSV cannot be read: {0}")]
    Csv(String),
    /// A typed page (a Parquet part) cannot be archived as it is.
    #[error("{0}")]
    Table(String),
    /// There is no `data` key.
    #[error("it has no `data` array")]
    NoData,
}

/// Reads the envelope of `body`, calling `on_data` with the scanner at the `data` value.
/// `on_data` must consume the value (or fail); it is called at most once.
pub(crate) fn read<'a>(
    body: &'a [u8],
    mut on_data: impl FnMut(&mut Scanner<'a>) -> Result<(), ScanError>,
) -> Result<Envelope, EnvelopeError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(EnvelopeError::NotAnObject);
    }
    // Validate UTF-8 once for the whole page (much faster than string by string).
    let text = std::str::from_utf8(body).map_err(|e| EnvelopeError::NotUtf8(e.valid_up_to()))?;
    let mut scan = Scanner::new(text);
    let mut saw_data = false;
    let mut next_link = None;
    let mut scratch = String::new();
    scan.begin_object()?;
    let mut first = true;
    while let Some((key, escaped)) = scan.next_key(&mut first)? {
        let key = if escaped && unescape(key, &mut scratch) {
            scratch.as_str()
        } else {
            key
        };
        if key.eq_ignore_ascii_case("data") && !saw_data {
            if scan.peek() != Some(b'[') {
                return Err(scan.error("`data` is not an array of usage rows").into());
            }
            on_data(&mut scan)?;
            saw_data = true;
        } else if key.eq_ignore_ascii_case("nextLink") {
            next_link = match scan.value()? {
                Raw::Null => None,
                Raw::Str { inner, escaped } => {
                    let mut link = String::new();
                    if escaped && unescape(inner, &mut link) {
                        Some(link)
                    } else {
                        Some(inner.to_owned())
                    }
                }
                Raw::Other(_) => {
                    return Err(scan.error("`nextLink` is neither a string nor null").into());
                }
            };
        } else {
            scan.value()?;
        }
    }
    scan.finish()?;
    if !saw_data {
        return Err(EnvelopeError::NoData);
    }
    Ok(Envelope {
        next_link: next_link.filter(|l| !l.trim().is_empty()),
    })
}

/// Reads the envelope only, checking that `data` is a well-formed array without decoding it.
pub(crate) fn read_skipping_rows(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    read(body, |scan| scan.value().map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_next_link_in_every_form() {
        let link = |b: &str| read_skipping_rows(b.as_bytes()).map(|e| e.next_link);
        assert_eq!(
            link(r#"{"id":"x","data":[{"a":1}],"nextLink":"u"}"#),
            Ok(Some("u".into()))
        );
        assert_eq!(link(r#"{"data":[],"nextLink":""}"#), Ok(None));
        assert_eq!(link(r#"{"data":[],"nextLink":"  "}"#), Ok(None));
        assert_eq!(link(r#"{"data":[],"nextLink":null}"#), Ok(None));
        assert_eq!(link(r#"{"data":[]}"#), Ok(None));
        assert_eq!(
            link(r#"{"NextLink":"a\/b","Data":[]}"#),
            Ok(Some("a/b".into()))
        );
        assert_eq!(
            link(r#"{"reportId":"r","data":[],"nextLink":"/v1/x?skiptoken=2"}"#),
            Ok(Some("/v1/x?skiptoken=2".into()))
        );
    }

    #[test]
    fn refuses_what_is_not_a_page() {
        let err = |b: &[u8]| read_skipping_rows(b).unwrap_err().to_string();
        assert!(err(br#"{"data":{}}"#).contains("array"));
        assert!(err(br#"{"id":"x"}"#).contains("no `data` array"));
        assert!(err(b"\"Usage Data Extract\",").contains("not a JSON object"));
        assert!(err(br#"{"data":[{"a":"#).contains("at byte"));
        assert!(err(b"").contains("not a JSON object"));
        assert!(err(br#"{"data":[],"nextLink":5}"#).contains("neither a string nor null"));
        assert!(err(br#"{"data":[]} x"#).contains("trailing"));
        assert!(err(b"{\"data\":[\"\xff\"]}").contains("UTF-8"));
    }

    #[test]
    fn the_first_data_key_is_the_one_decoded() {
        let mut calls = 0;
        let env = read(br#"{"data":[1],"DATA":[2,3]}"#, |s| {
            calls += 1;
            s.value().map(drop)
        })
        .unwrap();
        assert_eq!((calls, env.next_link), (1, None));
    }
}
