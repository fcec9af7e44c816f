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

/// Why a part is not read: it is no longer the object listed.
const CHANGED: &str = "the blob changed after the root was listed (a run is being written over it); the month is left as it is and the next sync reads the run anew";

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

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;
    use crate::location::Dest;
    use crate::source::exports::root::Root;

    /// A part rewritten after the root was listed (same size, new content) is not read: the
    /// month would otherwise mix two runs.
    #[tokio::test]
    async fn a_part_replaced_after_the_listing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("part_0_0001.csv");
        std::fs::write(&part, "Date,Cost\n2025-03-01,1\n").unwrap();
        let root = Root::open(&Dest::Local(dir.path().to_path_buf())).unwrap();
        let listing = root.list().await.unwrap();
        let run = super::super::manifest::Run {
            export_name: "d".into(),
            dataset: super::super::manifest::Dataset::Usage(
                crate::source::cost_details::Metric::Actual,
            ),
            scope: super::super::manifest::Scope::Enrollment("1".into()),
            month: Ok((2025, 3)),
            submitted: chrono::Utc::now(),
            run_id: "r".into(),
            format: Some(PartFormat::Csv),
            parts: vec![super::super::manifest::Part {
                name: "part_0_0001.csv".into(),
                bytes: Some(23),
                rows: None,
            }],
            rows: None,
            blob_count: None,
        };
        let located = listing.complete(&run).unwrap();
        assert!(located[0].etag.is_some(), "the local store lists an ETag");
        let opened = root.opened();
        let reader = PartReader {
            store: opened.store.clone(),
            prefix: opened.prefix.clone(),
            local_root: opened.local_root.clone(),
            shown: opened.url.to_string(),
        };
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
