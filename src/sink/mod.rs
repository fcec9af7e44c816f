//! Sink: the lake. Opens the object store for `--dest`, encodes batches into one Parquet
//! object per partition while uploading it, and commits it atomically; keeps raw pages.

pub(crate) mod encode;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod lease;
pub(crate) mod metric;
pub(crate) mod pool;
pub(crate) mod raw;
pub(crate) mod read;
pub(crate) mod staging;
pub(crate) mod store;
pub(crate) mod upload;
pub(crate) mod writer;

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
