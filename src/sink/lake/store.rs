//! The lake: `--dest` opened as an `object_store` plus a path prefix (by `crate::location`),
//! and how its objects are named in messages.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

pub(crate) use crate::location::Dest;
use crate::sink::SinkError;

/// An opened lake.
#[derive(Debug, Clone)]
pub(crate) struct Lake {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// Prefix of the lake inside the store.
    pub prefix: Path,
    /// The lake's URL for messages: no credentials, no query string.
    pub url: Url,
    /// The lake's directory when the store is the local file system (atomic rename available).
    pub local_root: Option<std::path::PathBuf>,
}

impl Lake {
    /// Whether the store is the local file system.
    pub(crate) fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// A full URL for an object path, for summaries and messages.
    pub(crate) fn object_url(&self, path: &Path) -> String {
        let rel: Vec<String> = match path.prefix_match(&self.prefix) {
            Some(parts) => parts.map(|p| p.as_ref().to_string()).collect(),
            None => vec![path.to_string()],
        };
        format!(
            "{}/{}",
            self.url.as_str().trim_end_matches('/'),
            rel.join("/")
        )
    }

    /// Wraps a store error with the store and object it concerns, secrets redacted.
    pub(crate) fn error(&self, path: &Path, source: impl std::error::Error + 'static) -> SinkError {
        SinkError::Store {
            store: self.url.to_string(),
            object: path.to_string(),
            source: crate::text::RedactedError::of(&source),
        }
    }
}

/// Opens the lake at `dest`. A local lake's folder is created when `create` (archiving), and
/// must exist otherwise (read-only commands).
pub(crate) fn open_lake(dest: &Dest, create: bool) -> Result<Lake, SinkError> {
    let opened = crate::location::open(dest, create).map_err(|reason| SinkError::Destination {
        dest: dest.shown(),
        reason,
    })?;
    Ok(Lake {
        store: opened.store,
        prefix: opened.prefix,
        local_root: opened.local_root,
        url: opened.url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_lakes_are_created_only_when_archiving() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("new/lake");
        let dest = Dest::Local(d.clone());
        let e = open_lake(&dest, false).unwrap_err();
        assert!(e.to_string().contains("no such directory"), "{e}");
        assert!(!d.exists());
        let lake = open_lake(&dest, true).unwrap();
        assert_eq!(lake.url.scheme(), "file");
        assert!(d.is_dir());
        assert!(open_lake(&dest, false).is_ok());
    }
}
