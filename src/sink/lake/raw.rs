//! `--keep-raw`: every page fetched, zstd-compressed. Pages are staged under
//! `<dest>/_staging/…/<run-id>.raw/` while the run is in flight and moved to
//! `<dest>/_raw/enrollment=<n>/year=<yyyy>/month=<mm>/<run-id>/page-NNNNN.json.zst` once the
//! month's object is committed, so a failed or killed run leaves no raw pages in `_raw/`.
//! `--from-dir` reads the folder back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use object_store::ObjectStoreExt;

use super::layout::{self, PartitionKey};
use super::staging::clear_prefix;
use crate::sink::{Lake, SinkError};

/// The raw copy of one partition's pages in one run.
#[derive(Debug, Clone)]
pub(crate) struct RawArchive {
    lake: Lake,
    key: PartitionKey,
    run_id: String,
    /// Highest page number staged.
    pages: Arc<AtomicU64>,
    /// The pages' kind (`json` or `csv`).
    ext: Arc<std::sync::Mutex<&'static str>>,
}

impl RawArchive {
    /// A raw archive for `key` in run `run_id`.
    pub(crate) fn new(lake: &Lake, key: &PartitionKey, run_id: &str) -> Self {
        Self {
            lake: lake.clone(),
            key: key.clone(),
            run_id: run_id.to_string(),
            pages: Arc::new(AtomicU64::new(0)),
            ext: Arc::new(std::sync::Mutex::new("json")),
        }
    }

    /// The committed folder's URL.
    pub(crate) fn url(&self) -> String {
        self.lake
            .object_url(&layout::raw_dir(&self.lake.prefix, &self.key, &self.run_id))
    }

    /// Compresses and stages one page; `ext` is its kind (`json`, or `csv` for a CSV page
    /// stored with its header).
    pub(crate) async fn put_page(
        &self,
        number: u64,
        body: Bytes,
        ext: &'static str,
    ) -> Result<(), SinkError> {
        *self.ext.lock().unwrap_or_else(|e| e.into_inner()) = ext;
        let path =
            layout::raw_staging_page_path(&self.lake.prefix, &self.key, &self.run_id, number, ext);
        let internal = |source: crate::text::BoxError| SinkError::Internal {
            object: path.to_string(),
            source,
        };
        let compressed = tokio::task::spawn_blocking(move || zstd::encode_all(body.as_ref(), 3))
            .await
            .map_err(|e| internal(e.into()))?
            .map_err(|e| internal(e.into()))?;
        self.lake
            .store
            .put(&path, Bytes::from(compressed).into())
            .await
            .map_err(|e| self.lake.error(&path, e))?;
        self.pages.fetch_max(number, Ordering::Relaxed);
        Ok(())
    }

    /// Moves every staged page into `_raw/` (after the month's object is committed).
    pub(crate) async fn promote(&self) -> Result<(), SinkError> {
        let (prefix, key, run) = (&self.lake.prefix, &self.key, self.run_id.as_str());
        for page in 1..=self.pages.load(Ordering::Relaxed) {
            let ext = *self.ext.lock().unwrap_or_else(|e| e.into_inner());
            let from = layout::raw_staging_page_path(prefix, key, run, page, ext);
            let to = layout::raw_page_path(prefix, key, run, page, ext);
            self.lake
                .store
                .rename(&from, &to)
                .await
                .map_err(|e| self.lake.error(&to, e))?;
        }
        Ok(())
    }

    /// Removes every staged page of this run (after a failure).
    pub(crate) async fn discard(&self) -> Result<(), SinkError> {
        clear_prefix(
            &self.lake,
            &layout::raw_staging_dir(&self.lake.prefix, &self.key, &self.run_id),
        )
        .await
    }
}
