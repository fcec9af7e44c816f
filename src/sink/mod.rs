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
    #[error("storage error on {object} in {store}: {reason}")]
    Store {
        /// The store URL (no credentials, no query).
        store: String,
        /// The object path.
        object: String,
        /// The store's error chain, with any signature or SAS token redacted.
        reason: String,
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

/// Removes signature-bearing query values (SAS `sig`, AWS presigned parameters) from a message.
pub fn redact_secrets(text: &str) -> String {
    const KEYS: [&str; 5] = [
        "sig=",
        "X-Amz-Signature=",
        "X-Amz-Credential=",
        "X-Amz-Security-Token=",
        "x-amz-security-token=",
    ];
    let mut out = text.to_string();
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = out[from..].find(key) {
            let start = from + pos + key.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace() || c == ')')
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "REDACTED");
            from = start + "REDACTED".len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn signatures_are_redacted() {
        let msg = "Error performing PUT https://a.blob.core.windows.net/c/x?sv=2022&sig=abc%2Bdef&se=1 (status 403)";
        let r = redact_secrets(msg);
        assert!(!r.contains("abc%2Bdef"), "{r}");
        assert!(r.contains("sig=REDACTED&se=1"), "{r}");
        assert_eq!(redact_secrets("no secrets"), "no secrets");
        assert!(!redact_secrets("X-Amz-Signature=deadbeef").contains("deadbeef"));
    }
}
