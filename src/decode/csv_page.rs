//! One page of a CSV report (Cost Details, or a saved export) into one `RecordBatch` of the lake
//! schema: whole records (framed by `source::csv_frame`) and the report's header, which maps each
//! column to the schema by name (case-insensitively, both column generations).
//!
//! Rules: an empty field is NULL; every other value goes through the same conversions as an EA
//! API value (exact decimals, both date forms, the tags rules, booleans); a column the schema
//! does not know is kept in `extra_fields` under its header name when it has a value; a record
//! whose field count differs from the header's is still a row, with its raw text under
//! `extra_fields['_row']`. No row is ever dropped. Pure.

use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use super::json::JsonValue;
use super::page::decode_rows;
use super::row::{NON_OBJECT_ROW_KEY, RowSink};
use super::{DecodeError, DecodedPage};
use crate::batch::SizeHints;
use crate::json::envelope::EnvelopeError;
use crate::schema::column_for_csv;
use crate::text::body_snippet;

/// A report's header: each column's name and the schema column it feeds.
#[derive(Debug, Clone)]
pub(crate) struct CsvHeader {
    pub(super) names: Vec<String>,
    pub(super) columns: Vec<Option<usize>>,
}

impl CsvHeader {
    /// Parses a header record (a UTF-8 byte-order mark, if any, already dropped).
    pub(crate) fn parse(line: &[u8]) -> Result<Self, String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line);
        let mut record = csv::StringRecord::new();
        if !r
            .read_record(&mut record)
            .map_err(|e| format!("the CSV header cannot be read: {e}"))?
        {
            return Err("the CSV header is empty".into());
        }
        let names: Vec<String> = record.iter().map(|n| n.trim().to_string()).collect();
        Self::from_names(names)
            .map_err(|why| format!("{why} (header starts: {})", body_snippet(line, 120)))
    }

    /// The header of columns named `names` (a typed part's schema, or a CSV header record).
    pub(crate) fn from_names(names: Vec<String>) -> Result<Self, String> {
        let mut columns: Vec<Option<usize>> = names.iter().map(|n| column_for_csv(n)).collect();
        // Two headers for one column (`Cost` and `CostInBillingCurrency`): the first feeds it,
        // the other is kept as an extra.
        for i in 0..columns.len() {
            if let Some(c) = columns[i]
                && columns[..i].contains(&Some(c))
            {
                columns[i] = None;
            }
        }
        if columns.iter().all(Option::is_none) {
            return Err("no column of the header is a usage column".into());
        }
        Ok(Self { names, columns })
    }
}

/// Decodes one CSV page with `header`. `page` is 1-based and only used in errors.
pub(crate) fn decode_csv_page(
    body: &[u8],
    header: &CsvHeader,
    page: u64,
    enrollment: &str,
    hints: Option<Arc<SizeHints>>,
) -> Result<DecodedPage, DecodeError> {
    decode_rows(1024, enrollment, hints, |sink| {
        read_records(body, header, page, sink)?;
        Ok(None)
    })
}

/// Feeds every record of `body` to `sink`, a row each.
fn read_records(
    body: &[u8],
    header: &CsvHeader,
    page: u64,
    sink: &mut RowSink<'_>,
) -> Result<(), DecodeError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    loop {
        let start = r.position().byte() as usize;
        let more = r
            .read_byte_record(&mut record)
            .map_err(|e| DecodeError::Malformed {
                page,
                format: "CSV",
                source: EnvelopeError::Csv(e.to_string()),
                snippet: body_snippet(&body[start.min(body.len())..], 200),
            })?;
        if !more {
            break;
        }
        let end = (r.position().byte() as usize).min(body.len());
        let raw = trim_line_end(&body[start..end]);
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        sink.digests.push(xxh3_64(raw));
        if record.len() != header.columns.len() {
            // A record that does not fit the header: a row of nulls, its text kept.
            sink.stats.unparsed_values += 1;
            sink.push_extra(NON_OBJECT_ROW_KEY, &String::from_utf8_lossy(raw));
            sink.end_row();
            continue;
        }
        // The record checked as UTF-8 once (at once when it is ASCII), not field by field.
        match csv::StringRecord::from_byte_record(std::mem::take(&mut record)) {
            Ok(text) => {
                for (i, value) in text.iter().enumerate() {
                    field(sink, header, i, value);
                }
                record = text.into_byte_record();
            }
            Err(not_utf8) => {
                record = not_utf8.into_byte_record();
                for (i, value) in record.iter().enumerate() {
                    let text = String::from_utf8_lossy(value);
                    if matches!(text, std::borrow::Cow::Owned(_)) {
                        sink.stats.unparsed_values += 1; // not UTF-8: kept with replacement characters
                    }
                    field(sink, header, i, &text);
                }
            }
        }
        sink.end_row();
    }
    Ok(())
}

/// Field `i` of a record that fits the header; an empty one is NULL (its column stays null
/// at the end of the row).
fn field(sink: &mut RowSink<'_>, header: &CsvHeader, i: usize, value: &str) {
    if !value.is_empty() {
        sink.field(header.columns[i], &header.names[i], JsonValue::Str(value));
    }
}

/// A record's text without the line ends around it (the reader's positions fall on either side
/// of a `\r\n`).
fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let [b'\r' | b'\n', rest @ ..] = l {
        l = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = l {
        l = rest;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COST, TAGS, USAGE_DATE, index_of};
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Decimal128Type};

    const E18: i128 = 1_000_000_000_000_000_000;

    fn decode(header: &str, body: &str) -> DecodedPage {
        let h = CsvHeader::parse(header.as_bytes()).unwrap();
        decode_csv_page(body.as_bytes(), &h, 1, "100", None).unwrap()
    }

    #[test]
    fn current_generation_row_with_every_rule() {
        let p = decode(
            "Date,CostInBillingCurrency,Quantity,BillingCurrencyCode,Tags,SubscriptionId,IsAzureCreditEligible,AdditionalInfo,NewThing,Term",
            "09/21/2023,0.1234567890123456789012345678,2,EUR,\"\"\"env\"\": \"\"prod\"\",\"\"team\"\": \"\"data\"\"\",a1b2,TRUE,\"{\"\"a\"\": 1, \"\"b\"\": \"\"x,y\"\"}\",hello,\n",
        );
        let b = &p.batch;
        assert_eq!(b.num_rows(), 1);
        let day = (chrono::NaiveDate::from_ymd_opt(2023, 9, 21).unwrap()
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32;
        assert_eq!(
            b.column(USAGE_DATE).as_primitive::<Date32Type>().value(0),
            day
        );
        // 28 fractional digits, rounded half-even to 18, and counted.
        assert_eq!(
            b.column(COST).as_primitive::<Decimal128Type>().value(0),
            123_456_789_012_345_679
        );
        assert_eq!(p.stats.rounded_decimals, 1);
        assert_eq!(
            b.column(index_of("consumed_quantity"))
                .as_primitive::<Decimal128Type>()
                .value(0),
            2 * E18
        );
        assert_eq!(
            b.column(index_of("billing_currency"))
                .as_string::<i32>()
                .value(0),
            "EUR"
        );
        assert_eq!(
            b.column(index_of("subscription_guid"))
                .as_string::<i32>()
                .value(0),
            "a1b2"
        );
        assert!(
            b.column(index_of("is_azure_credit_eligible"))
                .as_boolean()
                .value(0)
        );
        assert_eq!(
            b.column(index_of("additional_info"))
                .as_string::<i32>()
                .value(0),
            r#"{"a": 1, "b": "x,y"}"#
        );
        let tags = b.column(TAGS).as_map();
        assert_eq!(tags.value(0).len(), 2);
        assert!(
            b.column(index_of("term")).is_null(0),
            "an empty field is NULL"
        );
        assert_eq!(
            crate::decode::extra_at(&p.batch, 0),
            vec![("NewThing".to_string(), "hello".to_string())]
        );
        assert_eq!(
            b.column(index_of("enrollment_number"))
                .as_string::<i32>()
                .value(0),
            "100"
        );
        assert_eq!(p.row_digests.len(), 1);
    }

    #[test]
    fn older_generation_names_and_a_bad_record_kept() {
        let p = decode(
            "Date,Cost,BillingCurrency,InvoiceSection,Product",
            "2023-09-01,1.5,USD,Finance,VM\r\n2023-09-02,oops\r\n2023-09-03,N/A,USD,Finance,VM\r\n",
        );
        let b = &p.batch;
        assert_eq!(b.num_rows(), 3, "no row is dropped");
        let cost = b.column(COST).as_primitive::<Decimal128Type>();
        assert_eq!(cost.value(0), 15 * E18 / 10);
        assert_eq!(
            b.column(index_of("department_name"))
                .as_string::<i32>()
                .value(0),
            "Finance"
        );
        assert_eq!(
            b.column(index_of("product")).as_string::<i32>().value(0),
            "VM"
        );
        assert_eq!(
            crate::decode::extra_at(&p.batch, 1),
            vec![("_row".to_string(), "2023-09-02,oops".to_string())]
        );
        assert!(cost.is_null(2));
        assert_eq!(
            crate::decode::extra_at(&p.batch, 2),
            vec![("Cost".to_string(), "N/A".to_string())]
        );
        assert_eq!(p.stats.unparsed_values, 2);
        assert_eq!(p.stats.cost_total, Some(15 * E18 / 10));
        assert_eq!(p.row_digests.len(), 3);
    }

    #[test]
    fn a_field_that_is_not_utf8_is_kept_with_replacement_characters_and_counted() {
        let header = CsvHeader::parse(b"Date,Product,ResourceGroup").unwrap();
        // Row 1: a valid non-ASCII field beside a byte that is no UTF-8. Row 2: one character
        // split over two fields (valid only if the fields were joined). Row 3: all valid.
        let body = b"2024-01-01,Caf\xc3\xa9,rg\xff\n2024-01-02,x\xc3,\xa9y\n2024-01-03,\xc3\xa9,\xe2\x82\xac\n";
        let p = decode_csv_page(body, &header, 1, "100", None).unwrap();
        let text = |col: &str, row: usize| {
            p.batch
                .column(index_of(col))
                .as_string::<i32>()
                .value(row)
                .to_string()
        };
        assert_eq!(text("product", 0), "Caf\u{e9}");
        assert_eq!(text("resource_group", 0), "rg\u{fffd}");
        assert_eq!(text("product", 1), "x\u{fffd}");
        assert_eq!(text("resource_group", 1), "\u{fffd}y");
        assert_eq!(text("product", 2), "\u{e9}");
        assert_eq!(text("resource_group", 2), "\u{20ac}");
        assert_eq!(p.stats.unparsed_values, 3);
    }

    #[test]
    fn headers_that_map_to_nothing_are_refused_and_an_empty_page_is_fine() {
        assert!(
            CsvHeader::parse(b"Foo,Bar")
                .unwrap_err()
                .contains("no column")
        );
        assert!(CsvHeader::parse(b"").is_err());
        let p = decode("Date,Cost", "");
        assert_eq!(p.batch.num_rows(), 0);
        // Both cost spellings in one header: the first feeds the column, the other is kept.
        let p = decode("Cost,CostInBillingCurrency", "1,2\n");
        assert_eq!(
            p.batch
                .column(COST)
                .as_primitive::<Decimal128Type>()
                .value(0),
            E18
        );
        assert_eq!(
            crate::decode::extra_at(&p.batch, 0),
            vec![("CostInBillingCurrency".to_string(), "2".to_string())]
        );
    }
}
