//! The upload of one partition's object, and the only place that knows how each store makes it
//! visible. The encoder's bytes (one message per closed row group, then the footer) go to the
//! store as they come; when the last bytes are in, the upload waits, *staged*, until the caller
//! decides to [`complete`](Upload::complete) it (the commit) or [`abort`](Upload::abort) it.
//!
//! - **Local disk**: the bytes go to `_staging/…/<run-id>.parquet.tmp`, one part per row group
//!   (local disk has no part minimum, so no buffer holds up to a part's worth of bytes, and the
//!   row-group allocations its slices pin, between row groups; BENCHMARKS.md). Completing
//!   renames the staged file over the month's object (`rename(2)`, atomic).
//! - **S3 and Azure**: the bytes go straight to the month's key through `object_store`'s
//!   `BufWriter` in parts of `part_bytes` (S3 refuses parts under 5 MiB): a single PUT when
//!   small, else a multipart upload / block list that appears whole only when completed.

use bytes::Bytes;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use tokio::sync::mpsc;
use tracing::debug;

use crate::sink::layout::{self, PartitionKey};
use crate::sink::{Lake, SinkError};

/// What the encoder sends the uploader.
pub(crate) enum UploadMsg {
    /// The next bytes of the object.
    Data(Bytes),
    /// Every byte was sent: hold the upload for the commit decision.
    Finished,
}

enum Target {
    /// Parts of a fixed size, straight to the final key (remote stores).
    Buffered(Box<BufWriter>),
    /// One part per message into a staged file, renamed on completion (local disk).
    Staged {
        upload: Box<dyn MultipartUpload>,
        staged: Path,
    },
}

/// An upload in progress, or staged and waiting for the commit decision.
pub(crate) struct Upload {
    target: Target,
    lake: Lake,
    /// The month's object.
    final_path: Path,
    /// Bytes written so far.
    written: u64,
}

impl Upload {
    /// Starts the upload of `key`'s object for run `run_id`, with parts of `part_bytes` and
    /// `concurrency` parts in flight (remote stores).
    pub(crate) async fn start(
        lake: &Lake,
        key: &PartitionKey,
        run_id: &str,
        part_bytes: usize,
        concurrency: usize,
    ) -> Result<Self, SinkError> {
        let final_path = layout::data_path(&lake.prefix, key);
        let target = if lake.is_local() {
            let staged = layout::staging_path(&lake.prefix, key, run_id);
            let upload = lake
                .store
                .put_multipart(&staged)
                .await
                .map_err(|e| lake.error(&staged, e))?;
            Target::Staged { upload, staged }
        } else {
            let buf = BufWriter::with_capacity(lake.store.clone(), final_path.clone(), part_bytes)
                .with_max_concurrency(concurrency);
            Target::Buffered(Box::new(buf))
        };
        Ok(Self {
            target,
            lake: lake.clone(),
            final_path,
            written: 0,
        })
    }

    /// The path bytes are written to now (the staged file on local disk).
    pub(crate) fn upload_path(&self) -> &Path {
        match &self.target {
            Target::Staged { staged, .. } => staged,
            Target::Buffered(_) => &self.final_path,
        }
    }

    /// The month's object.
    pub(crate) fn final_path(&self) -> &Path {
        &self.final_path
    }

    async fn put(&mut self, bytes: Bytes) -> Result<(), SinkError> {
        self.written += bytes.len() as u64;
        let done = match &mut self.target {
            Target::Buffered(buf) => buf.put(bytes).await,
            Target::Staged { upload, .. } => upload.put_part(PutPayload::from(bytes)).await,
        };
        done.map_err(|e| self.lake.error(self.upload_path(), e))
    }

    /// Makes the object the month's content: completes the upload (and renames the staged
    /// file into place on local disk). Returns the bytes written.
    pub(crate) async fn complete(mut self) -> Result<u64, SinkError> {
        let final_path = self.final_path.clone();
        let result = match &mut self.target {
            Target::Buffered(buf) => {
                use tokio::io::AsyncWriteExt;
                buf.shutdown()
                    .await
                    .map_err(|e| self.lake.error(&final_path, e))
            }
            Target::Staged { upload, staged } => {
                let staged = staged.clone();
                match upload.complete().await {
                    Ok(_) => self
                        .lake
                        .store
                        .rename(&staged, &final_path)
                        .await
                        .map_err(|e| self.lake.error(&final_path, e)),
                    Err(e) => Err(self.lake.error(&staged, e)),
                }
            }
        };
        match result {
            Ok(()) => {
                debug!(object = %final_path, bytes = self.written, "upload complete");
                Ok(self.written)
            }
            Err(e) => {
                self.abort().await;
                Err(e)
            }
        }
    }

    /// Abandons the object: aborts the upload and removes what was staged. The month's
    /// current object is untouched.
    pub(crate) async fn abort(mut self) {
        match &mut self.target {
            Target::Buffered(buf) => {
                let _ = buf.abort().await;
            }
            Target::Staged { upload, staged } => {
                let _ = upload.abort().await;
                let _ = self.lake.store.delete(staged).await;
            }
        }
    }
}

/// Sends what arrives on `rx` to `upload`. On `Finished` returns the upload, staged and
/// waiting for the commit decision. Aborts it on a store error, or when the channel closes
/// without `Finished` (the partition failed or was cancelled).
pub(crate) async fn upload_loop(
    mut rx: mpsc::Receiver<UploadMsg>,
    mut upload: Upload,
) -> Result<Upload, SinkError> {
    while let Some(msg) = rx.recv().await {
        match msg {
            UploadMsg::Data(bytes) => {
                if let Err(e) = upload.put(bytes).await {
                    upload.abort().await;
                    return Err(e);
                }
            }
            UploadMsg::Finished => return Ok(upload),
        }
    }
    let object = upload.upload_path().to_string();
    upload.abort().await;
    Err(SinkError::Internal {
        object,
        source: "upload aborted: the encoder stopped before the last bytes".into(),
    })
}
