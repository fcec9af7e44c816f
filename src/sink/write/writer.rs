//! One partition's Parquet object: batches are encoded (column-parallel, see `encode`) while
//! finished row groups are uploaded, and the object becomes visible only on commit.
//!
//! Commit: on S3 and Azure the upload goes straight to the final key (a single PUT, or a
//! multipart upload completed last), which appears whole or not at all. On local disk it goes
//! to `_staging/…` and is renamed into place. A failure aborts the upload, so the previous
//! object stays untouched and no parts or staged files are left behind.

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::schema::arrow_schema;
use crate::sink::encode::ParallelWriter;
use crate::sink::layout::PartitionKey;
use crate::sink::upload::{Upload, UploadMsg, upload_loop};
use crate::sink::{Lake, SinkError};

/// Tunables of the writer.
#[derive(Debug, Clone)]
pub(crate) struct WriteSettings {
    /// Rows per Parquet row group; bounds the encoder's memory.
    pub row_group_rows: usize,
    /// Bytes per upload part (S3 needs at least 5 MiB).
    pub part_bytes: usize,
    /// Parts uploaded at once per partition.
    pub upload_concurrency: usize,
    /// Threads that encode a partition's columns (see `encode`).
    pub encode_lanes: usize,
}

/// The committed object.
#[derive(Debug, Clone)]
pub(crate) struct CommittedFile {
    /// Full URL of the object.
    pub url: String,
    /// Object size in bytes.
    pub bytes: u64,
}

enum EncoderMsg {
    Batch(RecordBatch),
    Finish(Vec<KeyValue>),
}

/// Writer of one partition's object. Call [`write`](Self::write) per batch, then
/// [`finish`](Self::finish) to get the object staged, or [`abort`](Self::abort) on any failure.
pub(crate) struct PartitionWriter {
    object: String,
    batches: Option<mpsc::Sender<EncoderMsg>>,
    encoder: Option<JoinHandle<Result<(), SinkError>>>,
    uploader: Option<JoinHandle<Result<Upload, SinkError>>>,
}

/// A month's object with every byte uploaded, not yet visible: [`complete`](Self::complete)
/// commits it, [`abort`](Self::abort) discards it. Dropping it without either leaves the
/// upload for the store to expire (never visible).
pub(crate) struct StagedObject {
    upload: Upload,
    lake: Lake,
}

impl StagedObject {
    /// Makes the object the month's content, atomically.
    pub(crate) async fn complete(self) -> Result<CommittedFile, SinkError> {
        let url = self.lake.object_url(self.upload.final_path());
        let bytes = self.upload.complete().await?;
        Ok(CommittedFile { url, bytes })
    }

    /// Discards the object; the month's current object is untouched.
    pub(crate) async fn abort(self) {
        self.upload.abort().await;
    }
}

/// Measures that are nearly unique per row: a dictionary would only be built to be dropped, so
/// they are written plainly (smaller and faster; see BENCHMARKS.md).
const NO_DICTIONARY: [&str; 3] = ["cost", "consumed_quantity", "extended_cost"];

/// Leaf columns written without min/max statistics. Map entries and JSON text: no engine can
/// use them. Decimals: parquet-rs keeps, for every min and max it records, the whole buffer of
/// the batch the value came from until the footer is written, so memory grew with the month
/// (about 12 KB per row group per decimal column); min/max of unsorted costs prune nothing.
const NO_STATISTICS: [&[&str]; 11] = [
    &["additional_info"],
    &["tags", "key_value", "key"],
    &["tags", "key_value", "value"],
    &["extra_fields", "key_value", "key"],
    &["extra_fields", "key_value", "value"],
    &["consumed_quantity"],
    &["resource_rate"],
    &["cost"],
    &["extended_cost"],
    &["unit_price"],
    &["payg_price"],
];

/// Statistics are kept per row group (what Spark, Athena, DuckDB and DataFusion prune with), and
/// no page index is written. parquet-rs holds a file's page index in memory until the footer:
/// about 23 KB per row group here, so a month's peak memory grew with its size (10M rows: +1.7
/// MiB). Rows come in API order, not sorted by any column, so page-level min/max would span
/// nearly the whole range and prune nothing that row-group statistics do not (BENCHMARKS.md).
const STATISTICS: EnabledStatistics = EnabledStatistics::Chunk;

/// Data pages end at parquet-rs's size limit (1 MiB) only, not also every 20,000 rows (its
/// default): a page per ~20,000 rows restarted zstd and the RLE runs of every column seven times
/// per row group. Without it the month is 0.87 MB (2.5%) smaller, the map columns alone 0.6 MB,
/// and encoding is a little faster (BENCHMARKS.md, "Output size"). With no page index written,
/// page boundaries are invisible to readers.
const PAGE_ROWS: usize = usize::MAX;

fn writer_properties(settings: &WriteSettings) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid zstd level"),
        ))
        .set_statistics_enabled(STATISTICS)
        .set_offset_index_disabled(true)
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_max_row_group_row_count(Some(settings.row_group_rows))
        .set_created_by(concat!("ea-usage-archiver ", env!("CARGO_PKG_VERSION")).to_string());
    for column in NO_DICTIONARY {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    for leaf in NO_STATISTICS {
        props = props.set_column_statistics_enabled(leaf_path(leaf), EnabledStatistics::None);
    }
    props.build()
}

/// The Parquet path of a leaf column given by its parts.
fn leaf_path(parts: &[&str]) -> ColumnPath {
    ColumnPath::new(parts.iter().map(|p| p.to_string()).collect())
}

impl PartitionWriter {
    /// Starts the encoder and the upload of `key`'s object for run `run_id`.
    pub(crate) async fn begin(
        lake: &Lake,
        key: &PartitionKey,
        run_id: &str,
        settings: &WriteSettings,
    ) -> Result<Self, SinkError> {
        let upload = Upload::start(
            lake,
            key,
            run_id,
            settings.part_bytes,
            settings.upload_concurrency,
        )
        .await?;
        let object = upload.upload_path().to_string();
        // One batch queued ahead of the encoder: decoding of the next page overlaps encoding.
        let (batch_tx, batch_rx) = mpsc::channel::<EncoderMsg>(1);
        // Two row groups' bytes queued ahead of the upload: encoding overlaps the store's I/O.
        let (bytes_tx, bytes_rx) = mpsc::channel::<UploadMsg>(2);
        let props = writer_properties(settings);
        let lanes = settings.encode_lanes;
        let name = object.clone();
        let encoder = tokio::task::spawn_blocking(move || {
            encode_loop(batch_rx, bytes_tx, props, lanes, &name)
        });
        let uploader = tokio::spawn(upload_loop(bytes_rx, upload));
        Ok(Self {
            object,
            batches: Some(batch_tx),
            encoder: Some(encoder),
            uploader: Some(uploader),
        })
    }

    /// Queues a batch for encoding; waits while the encoder is busy (backpressure).
    pub(crate) async fn write(&mut self, batch: RecordBatch) -> Result<(), SinkError> {
        let tx = self.batches.as_ref().expect("write after finish or abort");
        if tx.send(EncoderMsg::Batch(batch)).await.is_ok() {
            return Ok(());
        }
        // The encoder or the uploader stopped: report why.
        Err(self.failure().await)
    }

    fn internal(&self, source: impl Into<crate::text::BoxError>) -> SinkError {
        SinkError::Internal {
            object: self.object.clone(),
            source: source.into(),
        }
    }

    async fn failure(&mut self) -> SinkError {
        self.batches = None;
        if let Some(enc) = self.encoder.take() {
            match enc.await {
                Ok(Err(e)) => return e,
                Err(e) => return self.internal(e),
                Ok(Ok(())) => {}
            }
        }
        if let Some(up) = self.uploader.take() {
            match up.await {
                Ok(Err(e)) => return e,
                Err(e) => return self.internal(e),
                Ok(Ok(upload)) => upload.abort().await,
            }
        }
        self.internal("the encoder stopped unexpectedly")
    }

    /// Writes the footer with `metadata` and waits until every byte is uploaded. The object is
    /// not visible yet: the caller completes or aborts the returned [`StagedObject`].
    pub(crate) async fn finish(
        mut self,
        lake: &Lake,
        metadata: Vec<KeyValue>,
    ) -> Result<StagedObject, SinkError> {
        let tx = self.batches.take().expect("finish twice");
        if tx.send(EncoderMsg::Finish(metadata)).await.is_err() {
            return Err(self.failure().await);
        }
        drop(tx);
        let enc = self.encoder.take().expect("encoder").await;
        let up = self.uploader.take().expect("uploader").await;
        let enc_err = match enc {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(e) => Some(self.internal(e)),
        };
        match (enc_err, up) {
            (None, Ok(Ok(upload))) => Ok(StagedObject {
                upload,
                lake: lake.clone(),
            }),
            (Some(e), Ok(Ok(upload))) => {
                upload.abort().await;
                Err(e)
            }
            (Some(e), _) | (None, Ok(Err(e))) => Err(e),
            (None, Err(e)) => Err(self.internal(e)),
        }
    }

    /// Abandons the object: stops the encoder, aborts the upload, removes staged data.
    pub(crate) async fn abort(mut self) {
        self.batches = None; // the encoder sees the channel close without Finish
        if let Some(enc) = self.encoder.take() {
            let _ = enc.await;
        }
        if let Some(up) = self.uploader.take()
            && let Ok(Ok(upload)) = up.await
        {
            upload.abort().await;
        }
    }
}

fn encode_loop(
    mut rx: mpsc::Receiver<EncoderMsg>,
    out: mpsc::Sender<UploadMsg>,
    props: WriterProperties,
    lanes: usize,
    object: &str,
) -> Result<(), SinkError> {
    let encode_err = |source| SinkError::Encode {
        object: object.to_string(),
        source,
    };
    let mut writer = ParallelWriter::try_new(arrow_schema(), props, lanes).map_err(encode_err)?;
    // Bytes appear once per closed row group; they are handed over at once so the encoder
    // never holds more than one row group.
    let send = |w: &mut ParallelWriter| -> bool {
        let bytes = w.take_bytes();
        bytes.is_empty()
            || out
                .blocking_send(UploadMsg::Data(Bytes::from(bytes)))
                .is_ok()
    };
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            EncoderMsg::Batch(batch) => {
                writer.write(&batch).map_err(encode_err)?;
                if !send(&mut writer) {
                    return Ok(()); // uploader failed; it reports the error
                }
            }
            EncoderMsg::Finish(metadata) => {
                writer.finish(metadata).map_err(encode_err)?;
                if send(&mut writer) {
                    let _ = out.blocking_send(UploadMsg::Finished);
                }
                return Ok(());
            }
        }
    }
    Ok(()) // aborted: no Finished is sent, so the uploader aborts
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::arrow::ArrowSchemaConverter;

    #[test]
    fn tuned_columns_exist_and_are_tuned() {
        let schema = ArrowSchemaConverter::new()
            .convert(&arrow_schema())
            .expect("schema converts");
        let leaves: Vec<ColumnPath> = schema.columns().iter().map(|c| c.path().clone()).collect();
        let props = writer_properties(&WriteSettings {
            row_group_rows: 128 * 1024,
            part_bytes: 8 << 20,
            upload_concurrency: 4,
            encode_lanes: 2,
        });
        assert_eq!(props.data_page_row_count_limit(), usize::MAX);
        for column in NO_DICTIONARY {
            let path = ColumnPath::from(column);
            assert!(leaves.contains(&path), "{column} is not a leaf column");
            assert!(!props.dictionary_enabled(&path));
        }
        for leaf in NO_STATISTICS {
            let path = leaf_path(leaf);
            assert!(leaves.contains(&path), "{leaf:?} is not a leaf column");
            assert_eq!(props.statistics_enabled(&path), EnabledStatistics::None);
        }
        let meter = ColumnPath::from("meter_category");
        assert!(props.dictionary_enabled(&meter));
        assert_eq!(props.statistics_enabled(&meter), EnabledStatistics::Chunk);
        assert!(props.offset_index_disabled());
    }
}
