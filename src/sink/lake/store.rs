//! `--dest` → an `object_store` plus a path prefix. Local paths, `file://`, `s3://`, `az://`,
//! `azure://`, `abfs[s]://` and `https://<account>.blob.core.windows.net/…` are all built by
//! `object_store` from the URL and the standard `AWS_*` / `AZURE_*` environment variables.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

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

/// Where the lake is: a checked `--dest` (see `config::dest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    /// A local directory (a path or a `file://` URL).
    Local(std::path::PathBuf),
    /// An object store URL (S3, Azure).
    Remote(Url),
}

impl Dest {
    /// For messages: no query string, password or SAS.
    pub(crate) fn shown(&self) -> String {
        match self {
            Dest::Local(p) => p.display().to_string(),
            Dest::Remote(u) => redact(u.as_str()),
        }
    }
}

/// Opens the lake at `dest`. A local lake's folder is created when `create` (archiving), and
/// must exist otherwise (read-only commands).
pub(crate) fn open_lake(dest: &Dest, create: bool) -> Result<Lake, SinkError> {
    let bad = |reason: String| SinkError::Destination {
        dest: dest.shown(),
        reason,
    };
    let (url, local_root) = match dest {
        Dest::Local(path) => {
            if create {
                std::fs::create_dir_all(path)
                    .map_err(|e| bad(format!("cannot create the directory: {e}")))?;
            } else if !path.is_dir() {
                return Err(bad("no such directory".into()));
            }
            let abs = path
                .canonicalize()
                .map_err(|e| bad(format!("cannot resolve the directory: {e}")))?;
            let url =
                Url::from_directory_path(&abs).map_err(|()| bad("not an absolute path".into()))?;
            (url, Some(abs))
        }
        Dest::Remote(u) => (u.clone(), None),
    };
    crate::tls::install_crypto_provider();
    let (store, prefix) =
        object_store::parse_url_opts(&url, store_env()).map_err(|e| bad(e.to_string()))?;
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    Ok(Lake {
        store: Arc::from(store),
        prefix,
        local_root,
        url: shown,
    })
}

/// The environment variables handed to `object_store`: only `AWS_*` and `AZURE_*`.
/// (`parse_url_opts` also accepts bare names such as `TIMEOUT` or `REGION`, which an
/// unrelated variable on a worker could set by accident.)
pub(crate) fn store_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("AZURE_"))
        .collect()
}

/// The destination with any query string (SAS token) and password removed.
pub(crate) fn redact(dest: &str) -> String {
    match Url::parse(dest) {
        Ok(mut u) if u.scheme().len() > 1 => {
            if u.query().is_some() {
                u.set_query(Some("REDACTED"));
            }
            if u.password().is_some() {
                let _ = u.set_password(Some("<redacted>"));
            }
            u.to_string()
        }
        _ => dest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_sas_and_passwords() {
        assert_eq!(
            redact("https://acct.blob.core.windows.net/c/p?sv=2020&sig=SECRET"),
            "https://acct.blob.core.windows.net/c/p?REDACTED"
        );
        assert!(!redact("s3://user:pw@bucket/p").contains("pw"));
        assert_eq!(redact("./lake"), "./lake");
    }

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
