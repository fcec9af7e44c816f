//! A run's parts, in the manifest's order, as one stream of pages numbered across them: CSV and
//! gzip CSV parts framed into whole-record pages (each part with its own header), Parquet parts
//! read row group by row group into typed pages. The next part starts downloading while one is
//! read (at most [`PARTS_AHEAD`] at once, each through a bounded channel), so memory stays flat
//! however many parts a month has.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetStatisticsPolicy;

use super::discover::LocatedPart;
use super::manifest::{PartFormat, sniff};
use super::root::Root;
use crate::range_reader::StoreReader;
use crate::source::csv_frame::{self, ByteStream, Compression};
use crate::source::{PageFormat, PageStream, RawPage, SourceError};

/// Parts open at once: the one being read and the next.
const PARTS_AHEAD: usize = 2;

/// Chunks of a remote part buffered ahead of its reader.
const CHUNKS_AHEAD: usize = 8;

/// Why a part is not read: it is no longer the object listed.
const CHANGED: &str = "the blob changed after the root was listed (a run is being written over it); the month is left as it is and the next sync reads the run anew";

/// Rows per typed page.
const TABLE_PAGE_ROWS: usize = 4096;

/// Where a run's parts are read from.
#[derive(Clone)]
pub(crate) struct PartReader {
    /// The root's store.
    store: Arc<dyn ObjectStore>,
    /// The root's prefix in it.
    prefix: Path,
    /// The root's directory when it is local (read by plain file reads).
    local_root: Option<std::path::PathBuf>,
    /// The root's URL for messages (no credentials).
    pub shown: String,
}

/// One part to read: where it is, its blob name (for messages), and its format when the
/// manifest says.
#[derive(Debug, Clone)]
pub(crate) struct PartToRead {
    /// Found under the root.
    pub located: LocatedPart,
    /// The blob's name in the manifest.
    pub blob: String,
    /// The manifest's format; `None`: sniffed from the part's first bytes.
    pub format: Option<PartFormat>,
}

impl PartReader {
    /// The reader of `root`'s parts.
    pub(crate) fn of(root: &Root) -> Self {
        let opened = root.opened();
        Self {
            store: opened.store.clone(),
            prefix: opened.prefix.clone(),
            local_root: opened.local_root.clone(),
            shown: opened.url.to_string(),
        }
    }

    fn path(&self, rel: &str) -> Path {
        Path::from_iter(self.prefix.parts().chain(Path::from(rel).parts()))
    }

    fn store_error(&self, rel: &str, e: &(dyn std::error::Error + 'static)) -> SourceError {
        SourceError::Root {
            object: format!("{}/{rel}", self.shown.trim_end_matches('/')),
            source: crate::text::RedactedError::of(e),
        }
    }

    /// The pages of `parts`, in order, numbered from 1 across them.
    pub(crate) fn pages(&self, parts: Vec<PartToRead>) -> PageStream {
        let reader = self.clone();
        let per_part = futures::stream::iter(parts)
            .map(move |part| {
                let reader = reader.clone();
                async move { reader.part_pages(part).await }
            })
            .buffered(PARTS_AHEAD)
            .flat_map(|opened| match opened {
                Ok(pages) => pages,
                Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
            });
        Box::pin(csv_frame::number_across(per_part))
    }

    /// Opens one part: its download starts now; its pages follow.
    async fn part_pages(&self, part: PartToRead) -> Result<PageStream, SourceError> {
        let rel = part.located.path.clone();
        let format = match part.format {
            Some(f) => f,
            None => {
                let head = self
                    .store
                    .get_range(&self.path(&rel), 0..part.located.bytes.min(4))
                    .await
                    .map_err(|e| self.store_error(&rel, &e))?;
                sniff(&head)
            }
        };
        Ok(match format {
            PartFormat::Csv | PartFormat::CsvGzip => {
                let compression = if format == PartFormat::CsvGzip {
                    Compression::Gzip
                } else {
                    Compression::None
                };
                let bytes = self.bytes(&part).await?;
                Box::pin(csv_frame::pages(bytes, compression, part.blob, 1))
            }
            PartFormat::Parquet => self.table_pages(&part).await?,
        })
    }

    /// A part's bytes, read ahead of the framer through a bounded channel: only if it is still
    /// the object listed (its `ETag`; a local file is checked just before it is read).
    async fn bytes(&self, part: &PartToRead) -> Result<ByteStream, SourceError> {
        let rel = part.located.path.as_str();
        let if_match = part.located.etag.clone();
        if let Some(dir) = &self.local_root {
            if if_match.is_some() {
                let now = self
                    .store
                    .head(&self.path(rel))
                    .await
                    .map_err(|e| self.store_error(rel, &e))?;
                if now.e_tag != if_match || now.size != part.located.bytes {
                    return Err(self.changed(part));
                }
            }
            return Ok(crate::source::replay::file_bytes(dir.join(rel)));
        }
        let options = object_store::GetOptions {
            if_match,
            ..Default::default()
        };
        let got = match self.store.get_opts(&self.path(rel), options).await {
            Ok(got) => got,
            Err(object_store::Error::Precondition { .. }) => return Err(self.changed(part)),
            Err(e) => return Err(self.store_error(rel, &e)),
        };
        let reader = self.clone();
        let rel = rel.to_string();
        let stream = got
            .into_stream()
            .map_err(move |e| reader.store_error(&rel, &e));
        Ok(ahead(Box::pin(stream)))
    }

    /// A part replaced since the root was listed: the month is not read from a mix of runs.
    fn changed(&self, part: &PartToRead) -> SourceError {
        SourceError::Replay {
            path: part.blob.clone(),
            source: CHANGED.into(),
        }
    }

    /// A Parquet part's row groups as typed pages of [`TABLE_PAGE_ROWS`] rows, every range read
    /// on condition that the part is still the object listed.
    async fn table_pages(&self, part: &PartToRead) -> Result<PageStream, SourceError> {
        let (rel, size, blob) = (&part.located.path, part.located.bytes, part.blob.clone());
        let reader = StoreReader::new(self.store.clone(), self.path(rel), size)
            .if_match(part.located.etag.clone());
        let unreadable = |blob: &str, e: ParquetError| match e {
            ParquetError::External(inner)
                if matches!(
                    inner.downcast_ref::<object_store::Error>(),
                    Some(object_store::Error::Precondition { .. })
                ) =>
            {
                SourceError::Replay {
                    path: blob.to_string(),
                    source: CHANGED.into(),
                }
            }
            ParquetError::External(inner) => SourceError::Root {
                object: blob.to_string(),
                source: crate::text::RedactedError::of(inner.as_ref()),
            },
            other => SourceError::Replay {
                path: blob.to_string(),
                source: format!("not a readable Parquet part: {other}").into(),
            },
        };
        let mut reader = reader;
        let footer = ArrowReaderMetadata::load_async(&mut reader, footer_options())
            .await
            .map_err(|e| unreadable(&blob, e))?;
        let footer = match dictionary_hint(&footer) {
            Some(schema) => ArrowReaderMetadata::try_new(
                footer.metadata().clone(),
                footer_options().with_schema(schema),
            )
            .map_err(|e| unreadable(&blob, e))?,
            None => footer,
        };
        let stream = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, footer)
            .with_batch_size(TABLE_PAGE_ROWS)
            .build()
            .map_err(|e| unreadable(&blob, e))?;
        let pages = stream.map(move |batch| {
            batch
                .map(|batch| RawPage {
                    number: 0,
                    body: Bytes::new(),
                    etag: None,
                    origin: blob.clone(),
                    format: PageFormat::Table { batch },
                })
                .map_err(|e| unreadable(&blob, e))
        });
        Ok(Box::pin(pages))
    }
}

/// What of a part's footer is decoded: its schema and where its column chunks are, not the
/// statistics each column chunk carries (min/max, encoding and size statistics), which the
/// archiver never reads. A 500,000-row part in 1,000-row row groups has 21,000 column chunks.
fn footer_options() -> ArrowReaderOptions {
    ArrowReaderOptions::new()
        .with_column_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
}

/// The part's schema with each text column whose first column chunk is dictionary-encoded read
/// as a dictionary array (`None`: no such column). Its values are then decoded once per row
/// group instead of copied out once per row; a column chunk that fell back to plain encoding is
/// still read whole (parquet-rs builds its dictionary).
fn dictionary_hint(footer: &ArrowReaderMetadata) -> Option<SchemaRef> {
    let chunks = footer.metadata().row_groups().first()?.columns();
    let schema = footer.schema();
    let mut hinted = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            // Top-level text columns only: each is the leaf column of the same position then.
            let leaf = footer
                .parquet_schema()
                .columns()
                .iter()
                .position(|c| c.path().parts().len() == 1 && c.path().parts()[0] == *f.name());
            let dictionary = leaf
                .and_then(|i| chunks.get(i))
                .is_some_and(|c| c.dictionary_page_offset().is_some());
            match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 if dictionary => {
                    hinted = true;
                    f.as_ref().clone().with_data_type(DataType::Dictionary(
                        Box::new(DataType::Int32),
                        Box::new(f.data_type().clone()),
                    ))
                }
                _ => f.as_ref().clone(),
            }
        })
        .collect();
    hinted.then(|| Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())))
}

/// `bytes`, read by a task of its own at most [`CHUNKS_AHEAD`] chunks ahead of the reader, so
/// a part downloads while the one before it is still being read.
fn ahead(mut bytes: ByteStream) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    tokio::spawn(async move {
        while let Some(chunk) = bytes.next().await {
            let failed = chunk.is_err();
            // A closed channel: the month stopped reading (failure or signal).
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;
    use crate::location::Dest;

    /// A one-part run of `name` (`bytes` long) in `format`.
    fn one_part_run(name: &str, bytes: u64, format: PartFormat) -> super::super::manifest::Run {
        use super::super::manifest::{Dataset, Part, Run, Scope};
        Run {
            export_name: "d".into(),
            dataset: Dataset::Usage(crate::source::cost_details::Metric::Actual),
            scope: Scope::Enrollment("1".into()),
            month: Ok((2025, 3)),
            submitted: chrono::Utc::now(),
            run_id: "r".into(),
            format: Some(format),
            parts: vec![Part {
                name: name.into(),
                bytes: Some(bytes),
                rows: None,
            }],
            rows: None,
            blob_count: None,
        }
    }

    /// Text columns of a Parquet part are read as dictionaries when its first column chunk is
    /// dictionary-encoded; a later chunk that fell back to plain encoding, a NULL, and a column
    /// that was never dictionary-encoded read to the same values.
    #[tokio::test]
    async fn dictionary_and_plain_text_chunks_read_to_the_same_values() {
        use arrow_array::cast::AsArray;
        use arrow_array::{Array, RecordBatch, StringArray};
        use parquet::file::properties::WriterProperties;

        // Row group 1: 4 rows, two distinct values (a dictionary). Row group 2: 3,000 distinct
        // values, more than the 1 KiB dictionary limit holds (falls back to plain).
        let mut values: Vec<Option<String>> =
            vec![Some("a".into()), None, Some("b".into()), Some("a".into())];
        values.extend((0..3000).map(|i| Some(format!("value-{i:05}"))));
        let col = StringArray::from(values.clone());
        let schema = Arc::new(Schema::new(vec![
            Field::new("ResourceId", DataType::Utf8, true),
            Field::new("Plain", DataType::Utf8, true),
        ]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(col.clone()), Arc::new(col)])
                .unwrap();
        let props = WriterProperties::builder()
            .set_dictionary_page_size_limit(1024)
            .set_column_dictionary_enabled("Plain".into(), false)
            .build();
        let mut bytes = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, Some(props)).unwrap();
        w.write(&batch.slice(0, 4)).unwrap();
        w.flush().unwrap();
        w.write(&batch.slice(4, 3000)).unwrap();
        w.close().unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("part_0_0001.parquet"), &bytes).unwrap();
        let root = Root::open(&Dest::Local(dir.path().to_path_buf())).unwrap();
        let run = one_part_run(
            "part_0_0001.parquet",
            bytes.len() as u64,
            PartFormat::Parquet,
        );
        let located = root.list().await.unwrap().complete(&run).unwrap().remove(0);
        let pages: Vec<RawPage> = PartReader::of(&root)
            .pages(vec![PartToRead {
                located,
                blob: "part_0_0001.parquet".into(),
                format: Some(PartFormat::Parquet),
            }])
            .try_collect()
            .await
            .unwrap();
        let text = |a: &dyn Array, i: usize| -> Option<String> {
            if a.is_null(i) {
                return None;
            }
            Some(match a.data_type() {
                DataType::Dictionary(..) => {
                    let d = a.as_any_dictionary();
                    let k = d.normalized_keys()[i];
                    d.values().as_string::<i32>().value(k).to_string()
                }
                _ => a.as_string::<i32>().value(i).to_string(),
            })
        };
        let (mut got, mut plain) = (Vec::new(), Vec::new());
        for page in &pages {
            let PageFormat::Table { batch } = &page.format else {
                panic!("a Parquet part gives typed pages")
            };
            assert!(matches!(
                batch.column(0).data_type(),
                DataType::Dictionary(..)
            ));
            assert_eq!(batch.column(1).data_type(), &DataType::Utf8);
            for i in 0..batch.num_rows() {
                got.push(text(batch.column(0).as_ref(), i));
                plain.push(text(batch.column(1).as_ref(), i));
            }
        }
        assert_eq!(got, values);
        assert_eq!(plain, values);
    }

    /// A part rewritten after the root was listed (same size, new content) is not read: the
    /// month would otherwise mix two runs.
    #[tokio::test]
    async fn a_part_replaced_after_the_listing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("part_0_0001.csv");
        std::fs::write(&part, "Date,Cost\n2025-03-01,1\n").unwrap();
        let root = Root::open(&Dest::Local(dir.path().to_path_buf())).unwrap();
        let listing = root.list().await.unwrap();
        let run = one_part_run("part_0_0001.csv", 23, PartFormat::Csv);
        let located = listing.complete(&run).unwrap();
        assert!(located[0].etag.is_some(), "the local store lists an ETag");
        let reader = PartReader::of(&root);
        let to_read = || {
            vec![PartToRead {
                located: located[0].clone(),
                blob: "part_0_0001.csv".into(),
                format: Some(PartFormat::Csv),
            }]
        };
        let pages: Vec<RawPage> = reader.pages(to_read()).try_collect().await.unwrap();
        assert_eq!(pages.len(), 1);
        // The same size, another run's content, written a moment later.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&part, "Date,Cost\n2025-03-01,9\n").unwrap();
        let err = reader
            .pages(to_read())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        let text = crate::text::error_chain(&err);
        assert!(text.contains("changed after the root was listed"), "{text}");
    }
}
