//! Sink: the lake. Opens the object store for `--dest`, encodes batches into one Parquet
//! object per partition while uploading it, and commits it atomically; keeps raw pages.

pub mod encode;
pub mod layout;
pub mod lease;
pub mod raw;
pub mod read;
pub mod staging;
pub mod store;
pub mod upload;
pub mod writer;

pub use layout::PartitionKey;
pub use store::{Lake, open_lake};
pub use writer::{CommittedFile, PartitionWriter, StagedObject, WriteSettings};

/// Why the lake refused or failed a write.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
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
