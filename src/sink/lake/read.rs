//! A lake object's footer: the archiver's key-value metadata, read by a range read of the
//! Parquet footer only.

pub(crate) use crate::range_reader::StoreReader;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::arrow::async_reader::AsyncFileReader;

/// What a month's object (or a history version) says about itself.
#[derive(Debug, Clone)]
pub(crate) enum Footer {
    /// No object.
    Missing,
    /// The archiver's key-value metadata (prefix stripped), and the object's size and time.
    Found {
        /// Key-value metadata.
        kv: std::collections::BTreeMap<String, String>,
        /// Bytes.
        size: u64,
    },
    /// An object whose footer cannot be read (written by hand, damaged).
    Unreadable {
        /// Bytes.
        size: u64,
        /// When it was last written.
        last_modified: chrono::DateTime<chrono::Utc>,
    },
}

/// Reads only the footer of `path`: its size and the archiver's key-value metadata.
pub(crate) async fn read_footer(
    lake: &crate::sink::Lake,
    path: &Path,
) -> Result<Footer, crate::sink::SinkError> {
    let head = match lake.store.head(path).await {
        Ok(h) => h,
        Err(object_store::Error::NotFound { .. }) => return Ok(Footer::Missing),
        Err(e) => return Err(lake.error(path, e)),
    };
    let mut reader = StoreReader::new(lake.store.clone(), path.clone(), head.size);
    let Ok(meta) = reader.get_metadata(None).await else {
        return Ok(Footer::Unreadable {
            size: head.size,
            last_modified: head.last_modified,
        });
    };
    let kv = meta
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter_map(|kv| {
                    Some((
                        kv.key.strip_prefix(META_PREFIX)?.to_string(),
                        kv.value.clone()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Footer::Found {
        kv,
        size: head.size,
    })
}

/// The archiver's key-value metadata of a partition's current object (prefix stripped), or
/// `None` when there is no object or it cannot be read. Reads only the footer.
pub(crate) async fn existing_metadata(
    lake: &crate::sink::Lake,
    key: &crate::sink::PartitionKey,
) -> Option<std::collections::BTreeMap<String, String>> {
    let path = super::layout::data_path(&lake.prefix, key);
    match read_footer(lake, &path).await {
        Ok(Footer::Found { kv, .. }) => Some(kv),
        _ => None,
    }
}

/// Prefix of every key the archiver writes into a file's key-value metadata.
pub(crate) const META_PREFIX: &str = "ea_usage_archiver.";
