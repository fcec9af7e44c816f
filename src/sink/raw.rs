//! `--keep-raw`: every page fetched, zstd-compressed, under
//! `<dest>/_raw/enrollment=<n>/year=<yyyy>/month=<mm>/<run-id>/page-NNNNN.json.zst`.
//! Each page is one atomic PUT; a failed run deletes its raw folder. `--from-dir` reads it back.

use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::path::Path;

use super::layout::{self, PartitionKey};
use super::writer::clear_prefix;
use super::{Lake, SinkError};

/// The raw copy of one partition's pages in one run.
#[derive(Debug, Clone)]
pub struct RawArchive {
    lake: Lake,
    key: PartitionKey,
    run_id: String,
}

impl RawArchive {
    /// A raw archive for `key` in run `run_id`.
    pub fn new(lake: &Lake, key: &PartitionKey, run_id: &str) -> Self {
        Self {
            lake: lake.clone(),
            key: key.clone(),
            run_id: run_id.to_string(),
        }
    }

    /// The folder's URL.
    pub fn url(&self) -> String {
        self.lake.object_url(&self.dir())
    }

    fn dir(&self) -> Path {
        layout::raw_dir(&self.lake.prefix, &self.key, &self.run_id)
    }

    /// Compresses and stores one page.
    pub async fn put_page(&self, number: u64, body: Bytes) -> Result<(), SinkError> {
        let path = layout::raw_page_path(&self.lake.prefix, &self.key, &self.run_id, number);
        let compressed = tokio::task::spawn_blocking(move || zstd::encode_all(body.as_ref(), 3))
            .await
            .map_err(|e| SinkError::Internal {
                object: path.to_string(),
                reason: e.to_string(),
            })?
            .map_err(|e| SinkError::Internal {
                object: path.to_string(),
                reason: format!("zstd: {e}"),
            })?;
        self.lake
            .store
            .put(&path, Bytes::from(compressed).into())
            .await
            .map_err(|e| self.lake.error(&path, e))?;
        Ok(())
    }

    /// Removes every page of this run (after a failure).
    pub async fn discard(&self) -> Result<(), SinkError> {
        clear_prefix(&self.lake, &self.dir()).await
    }
}
