//! How the simulated export container writes its parts: CSV with CRLF line ends, gzip CSV,
//! and Parquet with typed columns (dates, UTC timestamps, decimals at scale 18, doubles,
//! booleans, strings), snappy-compressed, as Cost Management writes them.

use std::io::Write as _;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array};
use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;

use super::cost_csv::{self, Generation, SimMetric};
use super::data::MonthSpec;

/// LF line ends as CRLF (quoted newlines included: a CSV reader keeps them as written).
pub(super) fn crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 40);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

pub(super) fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes)?;
    enc.finish()
}

/// Rows `from..to` as a Parquet part with typed columns, as exports write them.
pub(super) fn parquet(
    spec: &MonthSpec,
    from: u64,
    to: u64,
    metric: SimMetric,
) -> std::io::Result<Vec<u8>> {
    let header = cost_csv::header(Generation::Current);
    let records: Vec<Vec<String>> = (from..to)
        .map(|i| cost_csv::record(spec, i, metric))
        .collect();
    let text = |c: usize| {
        records
            .iter()
            .map(move |r| Some(r[c].as_str()).filter(|t| !t.is_empty()))
    };
    let day = |t: &str| {
        NaiveDate::parse_from_str(t, "%m/%d/%Y")
            .ok()
            .map(|d| (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32)
    };
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        let (dt, array): (DataType, ArrayRef) = match *name {
            "Date" => (
                DataType::Date32,
                Arc::new(text(c).map(|t| t.and_then(day)).collect::<Date32Array>()),
            ),
            "BillingPeriodStartDate" | "BillingPeriodEndDate" => {
                let a: TimestampMicrosecondArray = text(c)
                    .map(|t| t.and_then(day).map(|d| i64::from(d) * 86_400_000_000))
                    .collect();
                let a = a.with_timezone("UTC");
                (
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    Arc::new(a),
                )
            }
            "CostInBillingCurrency" => {
                let a: Decimal128Array = text(c)
                    .map(|t| {
                        t.and_then(crate::decode::decimal::parse_decimal)
                            .map(|d| d.scaled())
                    })
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(38, 18)
                    .map_err(std::io::Error::other)?;
                (DataType::Decimal128(38, 18), Arc::new(a))
            }
            "Quantity" | "EffectivePrice" | "UnitPrice" | "PayGPrice" => (
                DataType::Float64,
                Arc::new(
                    text(c)
                        .map(|t| t.and_then(|t| t.parse::<f64>().ok()))
                        .collect::<Float64Array>(),
                ),
            ),
            "IsAzureCreditEligible" => (
                DataType::Boolean,
                Arc::new(
                    text(c)
                        .map(|t| t.map(|t| t.eq_ignore_ascii_case("true")))
                        .collect::<BooleanArray>(),
                ),
            ),
            _ => (DataType::Utf8, Arc::new(text(c).collect::<StringArray>())),
        };
        fields.push(Field::new(*name, dt, true));
        arrays.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(std::io::Error::other)?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1000))
        .build();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .map_err(std::io::Error::other)?;
    w.write(&batch).map_err(std::io::Error::other)?;
    w.close().map_err(std::io::Error::other)?;
    Ok(out)
}
