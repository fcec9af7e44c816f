//! The one reader of a lake object: what its footer says about it ([`ObjectFacts`]) and its
//! rows, streamed row group by row group with the exact cost total summed as they pass.
//! `verify`, `diff`, `restore` and `history` read versions through it, and the commit decision
//! reads the current version's facts with it.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_schema::{DataType, SchemaRef};
use futures::TryStreamExt;
use object_store::path::Path;
use parquet::arrow::async_reader::ParquetRecordBatchStream;
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::KeyValue;

use super::read::{META_PREFIX, StoreReader};
use crate::money::format_scaled;
use crate::schema::{DECIMAL_PRECISION, DECIMAL_SCALE};
use crate::sink::Lake;

/// What a lake object's footer says about itself: the one struct of these facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ObjectFacts {
    /// When its pull started (RFC 3339, UTC).
    pub pulled_at: Option<String>,
    /// The run that wrote it.
    pub run_id: Option<String>,
    /// EA API version, or the source's kind.
    pub api_version: Option<String>,
    /// Where its rows came from.
    pub source: Option<String>,
    /// Rows (`row_count`).
    pub rows: Option<u64>,
    /// Exact cost total.
    pub cost_total: Option<String>,
    /// The version it was restored from, for a restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<String>,
    /// The fingerprint of its rows.
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// Rows whose `usage_date` is outside the month.
    #[serde(skip)]
    pub out_of_month_rows: Option<u64>,
    /// Page 1's `ETag`.
    #[serde(skip)]
    pub etag: Option<String>,
    /// The source's run its rows come from (an export's run id).
    #[serde(skip)]
    pub source_run: Option<String>,
    /// When that run was submitted.
    #[serde(skip)]
    pub source_submitted: Option<String>,
}

impl ObjectFacts {
    /// From the archiver's key-value metadata (prefix stripped).
    pub(crate) fn from_metadata(kv: &BTreeMap<String, String>) -> Self {
        let text = |k: &str| kv.get(k).cloned();
        let number = |k: &str| kv.get(k).and_then(|v| v.parse().ok());
        Self {
            pulled_at: text("pulled_at"),
            run_id: text("run_id"),
            api_version: text("api_version"),
            source: text("source"),
            rows: number("row_count"),
            cost_total: text("cost_total"),
            restored_from: text("restored_from"),
            fingerprint: text("fingerprint"),
            out_of_month_rows: number("out_of_month_rows"),
            etag: text("etag"),
            source_run: text("export_run_id"),
            source_submitted: text("export_submitted_time"),
        }
    }
}

/// A lake object opened for reading: its footer is read, its rows are not yet.
pub(crate) struct LakeObject {
    kv: BTreeMap<String, String>,
    original: Vec<KeyValue>,
    builder: ParquetRecordBatchStreamBuilder<StoreReader>,
}

impl LakeObject {
    /// Opens `path` (of `size` bytes) by reading its footer; `Err` says why it is not a
    /// readable Parquet file (the caller names the object).
    pub(crate) async fn open(lake: &Lake, path: &Path, size: u64) -> Result<Self, String> {
        let reader = StoreReader::new(lake.store.clone(), path.clone(), size);
        let builder = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        let original = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap_or_default();
        let kv = original
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.strip_prefix(META_PREFIX)?.to_string(),
                    e.value.clone()?,
                ))
            })
            .collect();
        Ok(Self {
            kv,
            original,
            builder,
        })
    }

    /// The archiver's key-value metadata (prefix stripped).
    pub(crate) fn metadata(&self) -> &BTreeMap<String, String> {
        &self.kv
    }

    /// Every key-value entry of the footer, as written.
    pub(crate) fn original_metadata(&self) -> &[KeyValue] {
        &self.original
    }

    /// What the footer says about the object.
    pub(crate) fn facts(&self) -> ObjectFacts {
        ObjectFacts::from_metadata(&self.kv)
    }

    /// The object's Arrow schema.
    pub(crate) fn schema(&self) -> SchemaRef {
        self.builder.schema().clone()
    }

    /// Its rows: the columns named (those the file has), and always `cost`, which must be the
    /// lake's exact decimal; `None` reads every column.
    pub(crate) fn rows(self, columns: Option<&[&str]>) -> Result<Rows, String> {
        let schema = self.builder.schema().clone();
        let cost = schema
            .index_of("cost")
            .map_err(|_| "the file has no `cost` column".to_string())?;
        let cost_type = schema.field(cost).data_type();
        if *cost_type != DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE) {
            return Err(format!(
                "the `cost` column is {cost_type}, not the lake schema's Decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE})"
            ));
        }
        let mut builder = self.builder.with_batch_size(8192);
        if let Some(names) = columns {
            let mut roots: Vec<usize> = names
                .iter()
                .filter_map(|n| schema.index_of(n).ok())
                .collect();
            roots.push(cost);
            roots.sort_unstable();
            roots.dedup();
            let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
            builder = builder.with_projection(mask);
        }
        let stream = builder.build().map_err(|e| format!("cannot read: {e}"))?;
        Ok(Rows {
            stream,
            rows: 0,
            cost_total: 0,
        })
    }
}

/// An object's rows as they stream, with the rows and the exact cost total seen so far.
pub(crate) struct Rows {
    stream: ParquetRecordBatchStream<StoreReader>,
    rows: u64,
    cost_total: i128,
}

impl Rows {
    /// The next batch, counted; `None` at the end.
    pub(crate) async fn next_batch(&mut self) -> Result<Option<RecordBatch>, String> {
        let Some(batch) = self
            .stream
            .try_next()
            .await
            .map_err(|e| format!("cannot read: {e}"))?
        else {
            return Ok(None);
        };
        self.rows += batch.num_rows() as u64;
        let cost = batch
            .column_by_name("cost")
            .and_then(|c| c.as_primitive_opt::<Decimal128Type>())
            .ok_or("the `cost` column went missing")?;
        for v in cost.iter().flatten() {
            self.cost_total = self
                .cost_total
                .checked_add(v)
                .ok_or("the cost total overflows")?;
        }
        Ok(Some(batch))
    }

    /// Rows read so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The exact cost total of the rows read so far, as the footer writes it.
    pub(crate) fn cost_total(&self) -> String {
        format_scaled(self.cost_total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_come_from_the_metadata_and_unparsable_numbers_are_none() {
        let kv: BTreeMap<String, String> = [
            ("row_count", "12"),
            ("cost_total", "1.5"),
            ("pulled_at", "2026-12-01T00:00:00.000Z"),
            ("fingerprint", "ab"),
            ("out_of_month_rows", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let f = ObjectFacts::from_metadata(&kv);
        assert_eq!(f.rows, Some(12));
        assert_eq!(f.cost_total.as_deref(), Some("1.5"));
        assert_eq!(f.fingerprint.as_deref(), Some("ab"));
        assert_eq!(f.out_of_month_rows, None);
        assert_eq!(f.run_id, None);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["rows"], 12);
        assert!(json.get("fingerprint").is_none() && json.get("restored_from").is_none());
    }
}
