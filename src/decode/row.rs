//! One usage row: every field is converted and appended to its column as it is read; unknown
//! fields and values that cannot be converted go verbatim to `extra_fields`.

use xxhash_rust::xxh3::xxh3_64;

use super::DecodeStats;
use super::date::parse_usage_date;
use super::decimal::{Decimal, parse_decimal};
use super::fields::FieldLookup;
use super::json::{JsonValue, text};
use super::tags::{Tags, parse_tags};
use crate::batch::{EXTRA, UsageBatchBuilder};
use crate::json::scan::{ScanError, Scanner};
use crate::schema::{COLUMNS, COST, ENROLLMENT_NUMBER, Kind};

/// Key under which a row that is not a JSON object is kept in `extra_fields`.
pub(crate) const NON_OBJECT_ROW_KEY: &str = "_row";

/// Everything a row decoder writes into.
pub(crate) struct RowSink<'s> {
    /// The column builders.
    pub builder: &'s mut UsageBatchBuilder,
    /// Counters for the run summary.
    pub stats: &'s mut DecodeStats,
    /// Enrollment used when a row does not carry one (v2).
    pub enrollment: &'s str,
    /// Reused per-row buffer of `extra_fields` entries.
    pub extra: &'s mut Vec<(String, String)>,
    /// Key → column lookup, cached by position.
    pub fields: &'s mut FieldLookup,
    /// Per row, a 64-bit hash of its JSON text as received (the month's fingerprint is built
    /// from these, in order).
    pub digests: &'s mut Vec<u64>,
}

impl RowSink<'_> {
    pub(crate) fn push_extra(&mut self, key: &str, value: &str) {
        // Keys in a map must be unique for every reader: suffix a repeated key.
        let mut key = key.to_owned();
        let mut n = 2;
        while self.extra.iter().any(|(k, _)| *k == key) {
            key = format!("{key}#{n}");
            n += 1;
        }
        self.extra.push((key, value.to_owned()));
    }

    /// One field; `col` is the column its key maps to, if any.
    pub(crate) fn field(&mut self, col: Option<usize>, key: &str, value: JsonValue<'_>) {
        let col = match col {
            Some(col) if !self.builder.has_value(col) => col,
            _ => {
                // Unknown field, or a second spelling of a field already filled in this row.
                self.stats.unknown_fields += 1;
                if let Some(v) = value.verbatim() {
                    self.push_extra(key, v);
                } else {
                    self.push_extra(key, "null");
                }
                return;
            }
        };
        if self.convert(col, &value).is_err() {
            self.stats.unparsed_values += 1;
            let verbatim = value.verbatim().unwrap_or("null").to_owned();
            self.push_extra(key, &verbatim);
        }
    }

    /// Appends `value` to `col`; on failure appends a null and returns `Err`.
    fn convert(&mut self, col: usize, value: &JsonValue<'_>) -> Result<(), ()> {
        let text: Option<&str> = value.verbatim();
        let is_string = matches!(value, JsonValue::Str(_));
        let blank = text.is_none_or(|t| is_string && t.trim_ascii().is_empty());
        match COLUMNS[col].kind {
            Kind::Utf8 => {
                self.builder.append_str(col, text);
                Ok(())
            }
            Kind::Int64 if blank => {
                self.builder.append_i64(col, None);
                Ok(())
            }
            Kind::Int64 => {
                let v = text.and_then(parse_i64);
                self.builder.append_i64(col, v);
                v.map(drop).ok_or(())
            }
            Kind::Decimal if blank => {
                self.builder.append_decimal(col, None);
                Ok(())
            }
            Kind::Decimal => {
                let parsed = text
                    .filter(|_| !value_is_structural(value))
                    .and_then(parse_decimal);
                if let Some(Decimal::Rounded(_)) = parsed {
                    self.stats.rounded_decimals += 1;
                }
                let v = parsed.map(Decimal::scaled);
                if let (COST, Some(v)) = (col, v) {
                    self.stats.add_cost(v);
                }
                self.builder.append_decimal(col, v);
                v.map(drop).ok_or(())
            }
            Kind::Date if blank => {
                self.builder.append_date(col, None);
                Ok(())
            }
            Kind::Date => {
                let v = if is_string {
                    text.and_then(parse_usage_date)
                } else {
                    None
                };
                self.builder.append_date(col, v);
                v.map(drop).ok_or(())
            }
            Kind::Bool if blank => {
                self.builder.append_bool(col, None);
                Ok(())
            }
            Kind::Bool => {
                let v = text.and_then(parse_bool);
                self.builder.append_bool(col, v);
                v.map(drop).ok_or(())
            }
            Kind::Tags => {
                let tags = match value {
                    JsonValue::Null => Tags::Null,
                    JsonValue::Str(s) => parse_tags(s),
                    JsonValue::Other(raw) if raw.starts_with('{') => parse_tags(raw),
                    JsonValue::Other(_) => Tags::Invalid,
                };
                match tags {
                    Tags::Map(entries) => {
                        let it = entries.iter().map(|(k, v)| (k.as_ref(), v.as_deref()));
                        self.builder.append_map(col, Some(it));
                        Ok(())
                    }
                    Tags::Repeated(entries) => {
                        // The map keeps the last value of a repeated key; the caller keeps the
                        // whole text verbatim in extra_fields and counts it.
                        let it = entries.iter().map(|(k, v)| (k.as_ref(), v.as_deref()));
                        self.builder.append_map(col, Some(it));
                        Err(())
                    }
                    Tags::Null => {
                        self.builder
                            .append_map(col, None::<[(&str, Option<&str>); 0]>);
                        Ok(())
                    }
                    Tags::Invalid => {
                        self.builder
                            .append_map(col, None::<[(&str, Option<&str>); 0]>);
                        Err(())
                    }
                }
            }
            Kind::Extra => unreachable!("extra_fields has no source field"),
        }
    }

    pub(crate) fn end_row(&mut self) {
        if !self.builder.has_value(ENROLLMENT_NUMBER) {
            self.builder
                .append_str(ENROLLMENT_NUMBER, Some(self.enrollment));
        }
        if self.extra.is_empty() {
            self.builder
                .append_map(EXTRA, None::<[(&str, Option<&str>); 0]>);
        } else {
            let it = self
                .extra
                .iter()
                .map(|(k, v)| (k.as_str(), Some(v.as_str())));
            self.builder.append_map(EXTRA, Some(it));
            self.extra.clear();
        }
        self.builder.end_row();
        self.fields.next_row();
        self.stats.rows += 1;
    }
}

fn value_is_structural(v: &JsonValue<'_>) -> bool {
    matches!(v, JsonValue::Other(raw) if raw.starts_with(['{', '[', 't', 'f']))
}

/// `true`/`false` in any case (`True`, `TRUE` as exports write them), or `1`/`0`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim_ascii();
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

fn parse_i64(text: &str) -> Option<i64> {
    let t = text.trim_ascii();
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    // `12.0` or `1.2e1`: accept integral values written as decimals.
    let scaled = parse_decimal(t)?;
    let Decimal::Exact(v) = scaled else {
        return None;
    };
    let one = 10i128.pow(crate::schema::DECIMAL_SCALE as u32);
    if v % one != 0 {
        return None;
    }
    i64::try_from(v / one).ok()
}

/// Reusable buffers for unescaped keys and values.
#[derive(Default)]
struct Scratch {
    key: String,
    value: String,
}

/// Reads the `data` array at the scanner's position, appending every element as a row.
pub(crate) fn read_rows(scan: &mut Scanner<'_>, sink: &mut RowSink<'_>) -> Result<(), ScanError> {
    if scan.peek() != Some(b'[') {
        return Err(scan.error("`data` is not an array of usage rows"));
    }
    scan.begin_array()?;
    let mut scratch = Scratch::default();
    let mut first = true;
    while scan.next_element(&mut first)? {
        let is_object = scan.peek() == Some(b'{');
        let start = scan.offset();
        if is_object {
            read_row(scan, sink, &mut scratch)?;
            sink.digests.push(xxh3_64(scan.since(start).as_bytes()));
        } else {
            // A `data` element that is not an object is still a row: all nulls, its text kept.
            let value = JsonValue::read(scan.value()?, &mut scratch.value);
            sink.stats.unparsed_values += 1;
            sink.push_extra(NON_OBJECT_ROW_KEY, value.verbatim().unwrap_or("null"));
            sink.end_row();
            sink.digests.push(xxh3_64(scan.since(start).as_bytes()));
        }
    }
    Ok(())
}

fn read_row(
    scan: &mut Scanner<'_>,
    sink: &mut RowSink<'_>,
    scratch: &mut Scratch,
) -> Result<(), ScanError> {
    scan.begin_object()?;
    let mut first = true;
    while let Some(key) = scan.next_key_like(&mut first, sink.fields.likely())? {
        let (col, key) = if key.expected {
            (sink.fields.likely_column(), key.text)
        } else {
            let key = text(key.text, key.escaped, &mut scratch.key);
            (sink.fields.lookup(key), key)
        };
        let value = JsonValue::read(scan.value()?, &mut scratch.value);
        sink.field(col, key, value);
    }
    sink.end_row();
    Ok(())
}
