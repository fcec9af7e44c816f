//! A whole page: `{"id"|"reportId": …, "data": [rows…], "nextLink": …}`, read by the shared
//! envelope reader (`crate::json::envelope`) with the rows decoded into one batch.

use std::sync::Arc;

use arrow_array::RecordBatch;

use super::fields::FieldLookup;
use super::row::{RowSink, read_rows};
use super::{DecodeError, DecodeStats};
use crate::batch::{SizeHints, UsageBatchBuilder};
use crate::json::envelope;
use crate::text::body_snippet;

/// Rows per page the API sends; builders are sized for it.
const PAGE_ROWS: usize = 1000;

/// A decoded page.
#[derive(Debug)]
pub struct DecodedPage {
    /// The page's rows in API order.
    pub batch: RecordBatch,
    /// Counters for this page.
    pub stats: DecodeStats,
    /// The page's `nextLink`, `None` when null, empty or absent.
    pub next_link: Option<String>,
    /// Per row, in order, a 64-bit hash of its text as received.
    pub row_digests: Vec<u64>,
}

/// Decodes one page body. `page` is 1-based and only used in errors; `enrollment` fills
/// `enrollment_number` for rows that do not carry it.
pub fn decode_page(body: &[u8], page: u64, enrollment: &str) -> Result<DecodedPage, DecodeError> {
    decode_page_sized(body, page, enrollment, None)
}

/// [`decode_page`] with the text columns sized by `hints` from the month's previous pages.
pub(crate) fn decode_page_sized(
    body: &[u8],
    page: u64,
    enrollment: &str,
    hints: Option<Arc<SizeHints>>,
) -> Result<DecodedPage, DecodeError> {
    let malformed = |source| DecodeError::Malformed {
        page,
        format: "JSON",
        source,
        snippet: body_snippet(body, 200),
    };
    decode_rows(PAGE_ROWS, enrollment, hints, |sink| {
        let envelope = envelope::read(body, |scan| read_rows(scan, sink)).map_err(malformed)?;
        Ok(envelope.next_link)
    })
}

/// Decodes one page's rows with `decode`, which feeds a fresh [`RowSink`] (builders sized for
/// `rows` rows, or by `hints`) and returns the page's `nextLink`; the page is what it filled.
/// Every page format (JSON, CSV) decodes through this one place.
pub(super) fn decode_rows(
    rows: usize,
    enrollment: &str,
    hints: Option<Arc<SizeHints>>,
    decode: impl FnOnce(&mut RowSink<'_>) -> Result<Option<String>, DecodeError>,
) -> Result<DecodedPage, DecodeError> {
    let mut builder = UsageBatchBuilder::with_hints(rows, hints);
    let mut stats = DecodeStats::new();
    let mut extra = Vec::new();
    let mut fields = FieldLookup::default();
    let mut digests = Vec::with_capacity(rows);
    let next_link = decode(&mut RowSink {
        builder: &mut builder,
        stats: &mut stats,
        enrollment,
        extra: &mut extra,
        fields: &mut fields,
        digests: &mut digests,
    })?;
    Ok(DecodedPage {
        batch: builder.finish(),
        stats,
        next_link,
        row_digests: digests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COST, TAGS, USAGE_DATE, index_of};
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};

    #[test]
    fn decodes_v2_row_with_aliases_and_extras() {
        let body = br#"{"id":"x","data":[{"accountId":7,"Cost":0.499222332425423563466,
            "consumedServiceID":"12","date":"04/27/2017","tags":"\"env\": \"prod\"",
            "resourceRate":"N/A","brandNew":{"a":1},"consumedQuantity":"1.5E-05"}],"nextLink":""}"#;
        let p = decode_page(body, 1, "100").unwrap();
        let b = &p.batch;
        assert_eq!(b.num_rows(), 1);
        assert_eq!(p.next_link, None);
        assert_eq!(
            b.column(index_of("account_id"))
                .as_primitive::<Int64Type>()
                .value(0),
            7
        );
        assert_eq!(
            b.column(index_of("consumed_service_id"))
                .as_primitive::<Int64Type>()
                .value(0),
            12
        );
        assert_eq!(
            b.column(COST).as_primitive::<Decimal128Type>().value(0),
            499_222_332_425_423_563
        );
        assert_eq!(
            b.column(index_of("consumed_quantity"))
                .as_primitive::<Decimal128Type>()
                .value(0),
            15_000_000_000_000
        );
        assert_eq!(
            b.column(USAGE_DATE).as_primitive::<Date32Type>().value(0),
            17283
        );
        assert_eq!(
            b.column(index_of("enrollment_number"))
                .as_string::<i32>()
                .value(0),
            "100"
        );
        assert!(b.column(index_of("resource_rate")).is_null(0));
        assert!(b.column(TAGS).is_valid(0));
        assert_eq!(
            crate::decode::extra_at(b, 0),
            vec![
                ("resourceRate".to_string(), "N/A".to_string()),
                ("brandNew".to_string(), r#"{"a":1}"#.to_string())
            ]
        );
        assert_eq!(p.stats.rows, 1);
        assert_eq!(p.stats.unknown_fields, 1);
        assert_eq!(p.stats.unparsed_values, 1);
        assert_eq!(p.stats.rounded_decimals, 1);
        assert_eq!(p.stats.cost_total, Some(499_222_332_425_423_563));
    }

    #[test]
    fn v1_cost_and_extended_cost_are_separate_and_enrollment_comes_from_row() {
        let body =
            br#"{"reportId":"r","data":[{"cost":1,"extendedCost":2,"enrollmentNumber":"555"}],
            "nextLink":"https://h/next"}"#;
        let p = decode_page(body, 1, "100").unwrap();
        let b = &p.batch;
        assert_eq!(
            b.column(COST).as_primitive::<Decimal128Type>().value(0),
            10i128.pow(18)
        );
        assert_eq!(
            b.column(index_of("extended_cost"))
                .as_primitive::<Decimal128Type>()
                .value(0),
            2 * 10i128.pow(18)
        );
        assert_eq!(
            b.column(index_of("enrollment_number"))
                .as_string::<i32>()
                .value(0),
            "555"
        );
        assert_eq!(p.next_link.as_deref(), Some("https://h/next"));
    }

    #[test]
    fn duplicate_spelling_goes_to_extra_and_bad_tags_are_kept() {
        let body = br#"{"data":[{"cost":1,"Cost":2,"tags":"{broken"},null,[1,"a"]]}"#;
        let p = decode_page(body, 3, "1").unwrap();
        assert_eq!(p.batch.num_rows(), 3);
        assert_eq!(
            crate::decode::extra_at(&p.batch, 0),
            vec![
                ("Cost".into(), "2".into()),
                ("tags".into(), "{broken".into())
            ]
        );
        assert!(p.batch.column(TAGS).is_null(0));
        assert_eq!(
            crate::decode::extra_at(&p.batch, 1),
            vec![("_row".into(), "null".into())]
        );
        assert_eq!(
            crate::decode::extra_at(&p.batch, 2),
            vec![("_row".into(), r#"[1,"a"]"#.into())]
        );
    }

    #[test]
    fn repeated_tag_keys_keep_the_text_and_are_counted() {
        let body = br#"{"data":[{"cost":1,"tags":"{\"env\":\"dev\",\"env\":\"prod\"}"}]}"#;
        let p = decode_page(body, 1, "1").unwrap();
        let tags = p.batch.column(TAGS).as_map();
        let (keys, values) = (
            tags.keys().as_string::<i32>(),
            tags.values().as_string::<i32>(),
        );
        assert_eq!(
            (tags.value_length(0), keys.value(0), values.value(0)),
            (1, "env", "prod")
        );
        assert_eq!(
            crate::decode::extra_at(&p.batch, 0),
            vec![("tags".into(), r#"{"env":"dev","env":"prod"}"#.into())]
        );
        assert_eq!(p.stats.unparsed_values, 1);
    }

    #[test]
    fn empty_page_and_missing_next_link() {
        let p = decode_page(br#"{"id":"x","data":[]}"#, 1, "1").unwrap();
        assert_eq!(p.batch.num_rows(), 0);
        assert_eq!(p.next_link, None);
        let p = decode_page(br#"{"data":[],"nextLink":null}"#, 1, "1").unwrap();
        assert_eq!(p.next_link, None);
    }

    #[test]
    fn malformed_pages_name_the_page_and_show_the_body() {
        let cases: [&[u8]; 5] = [
            b"<html>Service Unavailable</html>",
            b"\"Usage Data Extract\",\n\"AccountOwnerId\"",
            br#"{"data":[{"cost":1},{"co"#,
            br#"{"data":{"cost":1}}"#,
            br#"{"id":"x"}"#,
        ];
        for body in cases {
            let err = decode_page(body, 7, "1").unwrap_err().to_string();
            assert!(err.contains("page 7"), "{err}");
            let head = String::from_utf8_lossy(&body[..5]).into_owned();
            assert!(
                err.contains(&head.replace('\n', " ").replace('"', "\\\"")),
                "{err}"
            );
        }
    }
}
