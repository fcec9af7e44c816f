//! Sink: the lake. Opens the object store for `--dest`, encodes batches into one Parquet
//! object per partition while uploading it, and commits it atomically; keeps raw pages.

pub mod layout;
pub mod raw;
pub mod store;
pub mod writer;

pub use layout::PartitionKey;
pub use store::{Lake, open_lake};
pub use writer::{CommittedFile, PartitionWriter, WriteSettings};

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
    #[error("storage error on {object} in {store}: {source}")]
    Store {
        /// The store URL (no credentials, no query).
        store: String,
        /// The object path.
        object: String,
        /// The underlying error.
        #[source]
        source: object_store::Error,
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
    /// A worker task died.
    #[error("internal error while writing {object}: {reason}")]
    Internal {
        /// The object path.
        object: String,
        /// What happened.
        reason: String,
    },
}
