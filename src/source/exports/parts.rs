//! A run's parts, in the manifest's order, as one stream of pages numbered across them: CSV and
//! gzip CSV parts framed into whole-record pages (each part with its own header), Parquet parts
//! read row group by row group into typed pages. The next part starts downloading while one is
//! read (at most [`PARTS_AHEAD`] at once, each through a bounded channel), so memory stays flat
//! however many parts a month has.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::errors::ParquetError;

use super::discover::LocatedPart;
use super::manifest::{PartFormat, sniff};
use crate::range_reader::StoreReader;
use crate::source::csv_frame::{self, ByteStream, Compression};
use crate::source::{PageFormat, PageStream, RawPage, SourceError};

/// Parts open at once: the one being read and the next.
const PARTS_AHEAD: usize = 2;

/// Chunks of a remote part buffered ahead of its reader.
const CHUNKS_AHEAD: usize = 8;

/// Rows per typed page.
const TABLE_PAGE_ROWS: usize = 4096;

/// Where a run's parts are read from.
#[derive(Clone)]
pub(crate) struct PartReader {
    /// The root's store.
    pub store: Arc<dyn ObjectStore>,
    /// The root's prefix in it.
    pub prefix: Path,
    /// The root's directory when it is local (read by plain file reads).
    pub local_root: Option<std::path::PathBuf>,
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
                let bytes = self.bytes(&rel).await?;
                Box::pin(csv_frame::pages(bytes, compression, part.blob, 1))
            }
            PartFormat::Parquet => {
                self.table_pages(&rel, part.located.bytes, part.blob)
                    .await?
            }
        })
    }

    /// A part's bytes, read ahead of the framer through a bounded channel.
    async fn bytes(&self, rel: &str) -> Result<ByteStream, SourceError> {
        if let Some(dir) = &self.local_root {
            return Ok(crate::source::replay::file_bytes(dir.join(rel)));
        }
        let got = self
            .store
            .get(&self.path(rel))
            .await
            .map_err(|e| self.store_error(rel, &e))?;
        let reader = self.clone();
        let rel = rel.to_string();
        let stream = got
            .into_stream()
            .map_err(move |e| reader.store_error(&rel, &e));
        Ok(ahead(Box::pin(stream)))
    }

    /// A Parquet part's row groups as typed pages of [`TABLE_PAGE_ROWS`] rows.
    async fn table_pages(
        &self,
        rel: &str,
        size: u64,
        blob: String,
    ) -> Result<PageStream, SourceError> {
        let reader = StoreReader::new(self.store.clone(), self.path(rel), size);
        let unreadable = |blob: &str, e: ParquetError| match e {
            ParquetError::External(inner) => SourceError::Root {
                object: blob.to_string(),
                source: crate::text::RedactedError::of(inner.as_ref()),
            },
            other => SourceError::Replay {
                path: blob.to_string(),
                source: format!("not a readable Parquet part: {other}").into(),
            },
        };
        let stream = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .map_err(|e| unreadable(&blob, e))?
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
