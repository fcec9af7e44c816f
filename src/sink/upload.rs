//! The upload of one partition's object: the encoder's bytes (one message per closed row group,
//! then the footer) go to the store as they come; the object is completed only on `Commit`, and
//! aborted otherwise.
//!
//! Remote stores get parts of `part_bytes` through `object_store`'s `BufWriter` (S3 refuses
//! parts under 5 MiB, and a part-sized buffer keeps uploads parallel). Local disk has no part
//! minimum, so each row group is written as its own part as soon as it arrives: no buffer holds
//! up to a part's worth of bytes (and the row-group allocations its slices pin) between row
//! groups, which made peak memory depend on where part boundaries fell (BENCHMARKS.md).

use bytes::Bytes;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use tokio::sync::mpsc;
use tracing::debug;

use super::{Lake, SinkError};

/// What the encoder sends the uploader.
pub enum UploadMsg {
    /// The next bytes of the object.
    Data(Bytes),
    /// Everything was sent: complete the object.
    Commit,
}

/// Where the bytes go.
pub enum Upload {
    /// Parts of a fixed size (remote stores).
    Buffered(Box<BufWriter>),
    /// One part per message (local disk).
    Direct(Box<dyn MultipartUpload>),
}

impl Upload {
    /// Starts the upload of `path` with parts of `part_bytes` and `concurrency` parts in flight
    /// (remote stores only).
    pub async fn start(
        lake: &Lake,
        path: &Path,
        part_bytes: usize,
        concurrency: usize,
    ) -> Result<Self, SinkError> {
        if lake.is_local() {
            let upload = lake
                .store
                .put_multipart(path)
                .await
                .map_err(|e| lake.error(path, e))?;
            return Ok(Self::Direct(upload));
        }
        let buf = BufWriter::with_capacity(lake.store.clone(), path.clone(), part_bytes)
            .with_max_concurrency(concurrency);
        Ok(Self::Buffered(Box::new(buf)))
    }

    async fn put(&mut self, bytes: Bytes, lake: &Lake, path: &Path) -> Result<(), SinkError> {
        let done = match self {
            Self::Buffered(buf) => buf.put(bytes).await,
            Self::Direct(upload) => upload.put_part(PutPayload::from(bytes)).await,
        };
        done.map_err(|e| lake.error(path, e))
    }

    async fn complete(&mut self, lake: &Lake, path: &Path) -> Result<(), SinkError> {
        match self {
            Self::Buffered(buf) => {
                use tokio::io::AsyncWriteExt;
                buf.shutdown().await.map_err(|e| lake.error(path, e))
            }
            Self::Direct(upload) => upload
                .complete()
                .await
                .map(|_| ())
                .map_err(|e| lake.error(path, e)),
        }
    }

    async fn abort(&mut self) {
        let _ = match self {
            Self::Buffered(buf) => buf.abort().await,
            Self::Direct(upload) => upload.abort().await,
        };
    }
}

/// Sends what arrives on `rx` to `upload`; completes it on `Commit` and returns the bytes
/// written. Aborts it on a store error, or when the channel closes without `Commit`.
pub async fn upload_loop(
    mut rx: mpsc::Receiver<UploadMsg>,
    mut upload: Upload,
    lake: Lake,
    path: Path,
) -> Result<u64, SinkError> {
    let mut written = 0u64;
    while let Some(msg) = rx.recv().await {
        let step = match msg {
            UploadMsg::Data(bytes) => {
                written += bytes.len() as u64;
                upload.put(bytes, &lake, &path).await
            }
            UploadMsg::Commit => {
                let done = upload.complete(&lake, &path).await;
                if done.is_ok() {
                    debug!(object = %path, bytes = written, "upload complete");
                    return Ok(written);
                }
                done
            }
        };
        if let Err(e) = step {
            upload.abort().await;
            return Err(e);
        }
    }
    upload.abort().await;
    Err(SinkError::Internal {
        object: path.to_string(),
        reason: "upload aborted".into(),
    })
}
