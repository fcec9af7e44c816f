//! One page of typed columns (a batch read from a Parquet export part) into one `RecordBatch` of
//! the lake schema. Each column is mapped by its name as a CSV header's is (both column
//! generations), and each value becomes its exact text, decoded as a CSV field's: a decimal of
//! any precision and scale its digits, a double or float its shortest round-trip text (so a
//! double gains no digits it did not have; only one that needs more than 18 fractional digits
//! is rounded, and counted), integers and booleans their text, dates `YYYY-MM-DD`, timestamps
//! ISO 8601 (`Z` when they are UTC). A NULL stays NULL. A column of a type with no such text
//! (a list, a struct) refuses the page, naming it. No row is dropped. Pure.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, LargeStringArray, RecordBatch,
    StringArray, StringViewArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};
use xxhash_rust::xxh3::xxh3_64;

use super::csv_page::CsvHeader;
use super::json::JsonValue;
use super::page::decode_rows;
use super::{DecodeError, DecodedPage};
use crate::batch::SizeHints;
use crate::json::envelope::EnvelopeError;

/// Decodes one typed page. `page` is 1-based and only used in errors.
pub(crate) fn decode_table_page(
    batch: &RecordBatch,
    page: u64,
    enrollment: &str,
    hints: Option<Arc<SizeHints>>,
) -> Result<DecodedPage, DecodeError> {
    let malformed = |why: String| DecodeError::Malformed {
        page,
        format: "Parquet",
        source: EnvelopeError::Table(why),
        snippet: String::new(),
    };
    let schema = batch.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let header = CsvHeader::from_names(names).map_err(&malformed)?;
    for f in schema.fields() {
        if !has_text(f.data_type()) {
            return Err(malformed(format!(
                "column {} is of type {}, which has no text to archive",
                f.name(),
                f.data_type()
            )));
        }
    }
    let columns: Vec<Column<'_>> = batch.columns().iter().map(Column::new).collect();
    decode_rows(batch.num_rows(), enrollment, hints, |sink| {
        // The row's text as its digest covers it: per value a NULL/present byte, the value's
        // text and a 0x1f separator. Each value is written straight into it and decoded from
        // there, so a value is copied once.
        let mut row_text = String::new();
        for row in 0..batch.num_rows() {
            row_text.clear();
            for (i, column) in columns.iter().enumerate() {
                let flag = row_text.len();
                row_text.push('\u{1}');
                let start = row_text.len();
                if column.write(row, &mut row_text) {
                    sink.field(
                        header.columns[i],
                        &header.names[i],
                        JsonValue::Str(&row_text[start..]),
                    );
                } else {
                    row_text.truncate(flag);
                    row_text.push('\0');
                }
                row_text.push('\u{1f}');
            }
            sink.digests.push(xxh3_64(row_text.as_bytes()));
            sink.end_row();
        }
        Ok(None)
    })
}

/// Whether values of `t` have an exact text this decoder writes.
fn has_text(t: &DataType) -> bool {
    use DataType as D;
    match t {
        D::Null | D::Boolean | D::Utf8 | D::LargeUtf8 | D::Utf8View => true,
        D::Binary | D::LargeBinary | D::BinaryView => true,
        D::Int8 | D::Int16 | D::Int32 | D::Int64 => true,
        D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => true,
        D::Float32 | D::Float64 => true,
        D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => true,
        D::Date32 | D::Date64 | D::Timestamp(..) => true,
        D::Dictionary(_, v) => has_text(v),
        _ => false,
    }
}

/// A column of the page, its type resolved once per page: the types exports write most read
/// directly, the rest through [`other_cell`]; a dictionary-encoded one with its keys resolved once.
struct Column<'a> {
    /// The NULLs of the column itself (of its keys, when it is dictionary-encoded).
    nulls: Option<&'a NullBuffer>,
    /// A dictionary's keys, normalized to positions in its values.
    keys: Option<Vec<usize>>,
    /// The values (a dictionary's values), by type.
    values: Values<'a>,
}

/// A column's values by type.
enum Values<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Float64(&'a Float64Array),
    Decimal128(&'a Decimal128Array, i8),
    Date32(&'a Date32Array),
    Other(&'a ArrayRef),
}

impl<'a> Values<'a> {
    fn new(a: &'a ArrayRef) -> Self {
        match a.data_type() {
            DataType::Utf8 => Self::Utf8(a.as_string()),
            DataType::LargeUtf8 => Self::LargeUtf8(a.as_string()),
            DataType::Utf8View => Self::Utf8View(a.as_string_view()),
            DataType::Float64 => Self::Float64(a.as_primitive()),
            DataType::Decimal128(_, s) => Self::Decimal128(a.as_primitive(), *s),
            DataType::Date32 => Self::Date32(a.as_primitive()),
            _ => Self::Other(a),
        }
    }

    /// Writes value `i` as text into `out`; `false` when it is NULL.
    fn write(&self, i: usize, out: &mut String) -> bool {
        match self {
            Self::Other(a) => return other_cell(a, i, out),
            Self::Utf8(a) if a.is_valid(i) => out.push_str(a.value(i)),
            Self::LargeUtf8(a) if a.is_valid(i) => out.push_str(a.value(i)),
            Self::Utf8View(a) if a.is_valid(i) => out.push_str(a.value(i)),
            Self::Float64(a) if a.is_valid(i) => push(out, a.value(i)),
            Self::Decimal128(a, s) if a.is_valid(i) => {
                let _ = arrow_data::decimal::write_decimal(out, a.value(i), *s);
            }
            Self::Date32(a) if a.is_valid(i) => day(out, i64::from(a.value(i))),
            _ => return false,
        }
        true
    }
}

impl<'a> Column<'a> {
    fn new(array: &'a ArrayRef) -> Self {
        match array.data_type() {
            DataType::Dictionary(..) => {
                let d = array.as_any_dictionary();
                Self {
                    nulls: array.nulls(),
                    keys: Some(d.normalized_keys()),
                    values: Values::new(d.values()),
                }
            }
            _ => Self {
                nulls: array.nulls(),
                keys: None,
                values: Values::new(array),
            },
        }
    }

    /// Writes row `row` as text into `out`; `false` when it is NULL.
    fn write(&self, row: usize, out: &mut String) -> bool {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            return false;
        }
        match &self.keys {
            Some(keys) => self.values.write(keys[row], out),
            None => self.values.write(row, out),
        }
    }
}

/// Writes row `row` of `a`, a column of a type [`Values`] does not read directly, as text into
/// `out`; `false` when it is NULL.
fn other_cell(a: &ArrayRef, row: usize, out: &mut String) -> bool {
    if a.is_null(row) {
        return false;
    }
    use DataType as D;
    match a.data_type() {
        D::Null => return false,
        D::Boolean => out.push_str(if a.as_boolean().value(row) {
            "true"
        } else {
            "false"
        }),
        D::Binary => out.push_str(&String::from_utf8_lossy(a.as_binary::<i32>().value(row))),
        D::LargeBinary => out.push_str(&String::from_utf8_lossy(a.as_binary::<i64>().value(row))),
        D::BinaryView => out.push_str(&String::from_utf8_lossy(a.as_binary_view().value(row))),
        D::Int8 => push(out, a.as_primitive::<Int8Type>().value(row)),
        D::Int16 => push(out, a.as_primitive::<Int16Type>().value(row)),
        D::Int32 => push(out, a.as_primitive::<Int32Type>().value(row)),
        D::Int64 => push(out, a.as_primitive::<Int64Type>().value(row)),
        D::UInt8 => push(out, a.as_primitive::<UInt8Type>().value(row)),
        D::UInt16 => push(out, a.as_primitive::<UInt16Type>().value(row)),
        D::UInt32 => push(out, a.as_primitive::<UInt32Type>().value(row)),
        D::UInt64 => push(out, a.as_primitive::<UInt64Type>().value(row)),
        // Rust's `Display` of a float is its shortest round-trip text, never in exponent form
        // (a Float64 as well, in `Values::write`).
        D::Float32 => push(out, a.as_primitive::<Float32Type>().value(row)),
        D::Decimal32(_, s) => decimal::<Decimal32Type>(a, row, *s, out),
        D::Decimal64(_, s) => decimal::<Decimal64Type>(a, row, *s, out),
        D::Decimal256(_, s) => decimal::<Decimal256Type>(a, row, *s, out),
        D::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(row);
            time(
                out,
                ms.div_euclid(1000),
                ms.rem_euclid(1000) * 1_000_000,
                Some(false),
            )
        }
        D::Timestamp(unit, zone) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
            };
            let per_s: i64 = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            let nanos = v.rem_euclid(per_s) * (1_000_000_000 / per_s);
            time(out, v.div_euclid(per_s), nanos, Some(zone.is_some()))
        }
        _ => return false,
    }
    true
}

fn push(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn decimal<T: DecimalType>(a: &ArrayRef, row: usize, s: i8, out: &mut String) {
    let _ = arrow_data::decimal::write_decimal(out, a.as_primitive::<T>().value(row), s);
}

fn day(out: &mut String, days: i64) {
    time(out, days * 86_400, 0, None);
}

/// A time `secs` + `nanos` since the epoch: `YYYY-MM-DD` when `zone` is `None` and it is a
/// midnight, else ISO 8601 with its fraction and, when it is UTC (`Some(true)`), `Z`. Written
/// by hand: chrono's `format` parses its pattern on every call.
fn time(out: &mut String, secs: i64, nanos: i64, zone: Option<bool>) {
    use chrono::{Datelike, Timelike};
    let Some(t) = chrono::DateTime::from_timestamp(secs, nanos as u32) else {
        push(out, secs);
        return;
    };
    let _ = write!(out, "{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
    let Some(utc) = zone else { return };
    let _ = write!(out, "T{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    if nanos != 0 {
        let _ = write!(out, ".{:09}", t.nanosecond());
        while out.ends_with('0') {
            out.pop();
        }
    }
    if utc {
        out.push('Z');
    }
}

#[cfg(test)]
#[path = "table_page_tests.rs"]
mod tests;
