//! Sink: the lake. Two halves, each in its folder:
//!
//! - `write/`: the write path. Encodes batches into one Parquet object per partition on the
//!   shared encoder pool while uploading it to a staging name (`writer`, `encode`, `pool`,
//!   `upload`).
//! - `lake/`: the lake's bookkeeping. The store and its paths (`store`, `layout`), the month's
//!   lease, the decision and commit that make a staged object current (`commit`, `publish`),
//!   replaced versions (`history`), the metric record, raw pages, staging clean-up, and reading
//!   an object's facts and rows back (`read`).

pub(crate) mod lake;
pub(crate) mod write;

// The lake's bookkeeping and the write path, by the names the rest of the crate uses.
pub(crate) use lake::{history, layout, lease, metric, publish, raw, read, staging, store};
pub(crate) use write::{encode, pool, upload, writer};

pub(crate) use layout::PartitionKey;
pub(crate) use store::{Lake, open_lake};
pub(crate) use writer::{PartitionWriter, WriteSettings};

/// Why the lake refused or failed a write.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SinkError {
    /// `--dest` could not be turned into a store.
    #[error("invalid --dest {dest:?}: {reason}")]
    Destination {
        /// The destination as given (credentials never appear in it).
        dest: String,
        /// What was wrong.
        reason: String,
    },
    /// The store refused an operation.
    #[error("storage error on {object} in {store}")]
    Store {
        /// The store URL (no credentials, no query).
        store: String,
        /// The object path.
        object: String,
        /// The store's error chain, with any signature or SAS token redacted.
        #[source]
        source: crate::text::RedactedError,
    },
    /// Parquet encoding failed.
    #[error("parquet encoding failed for {object}: {source}")]
    Encode {
        /// The object path.
        object: String,
        /// The underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A worker task died, or the writer stopped without its cause.
    #[error("internal error while writing {object}")]
    Internal {
        /// The object path.
        object: String,
        /// What happened.
        #[source]
        source: crate::text::BoxError,
    },
}
