//! `--dest` → an `object_store` plus a path prefix. Local paths, `file://`, `s3://`, `az://`,
//! `azure://`, `abfs[s]://` and `https://<account>.blob.core.windows.net/…` are all built by
//! `object_store` from the URL and the standard `AWS_*` / `AZURE_*` environment variables.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

use super::SinkError;

/// An opened lake.
#[derive(Debug, Clone)]
pub struct Lake {
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
    pub fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// A full URL for an object path, for summaries and messages.
    pub fn object_url(&self, path: &Path) -> String {
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
    pub fn error(&self, path: &Path, source: impl std::error::Error) -> SinkError {
        SinkError::Store {
            store: self.url.to_string(),
            object: path.to_string(),
            reason: super::redact_secrets(&crate::text::error_chain(&source)),
        }
    }
}

/// Parses `--dest` into a URL: a URL with a scheme, or a local path (created if missing).
pub fn dest_url(dest: &str) -> Result<Url, SinkError> {
    let err = |reason: String| SinkError::Destination {
        dest: redact(dest),
        reason,
    };
    if dest.trim().is_empty() {
        return Err(err("it is empty".into()));
    }
    if let Ok(u) = Url::parse(dest)
        && u.scheme().len() > 1
    {
        return Ok(u);
    }
    let path = std::path::Path::new(dest);
    std::fs::create_dir_all(path).map_err(|e| err(format!("cannot create the directory: {e}")))?;
    let abs = path
        .canonicalize()
        .map_err(|e| err(format!("cannot resolve the directory: {e}")))?;
    Url::from_directory_path(&abs).map_err(|()| err("not an absolute path".into()))
}

/// URL schemes `--dest` accepts.
pub const SCHEMES: [&str; 7] = ["file", "s3", "s3a", "az", "azure", "abfs", "abfss"];

/// Opens the lake named by `--dest`.
pub fn open_lake(dest: &str) -> Result<Lake, SinkError> {
    let url = dest_url(dest)?;
    let azure_or_s3_https = url.scheme() == "https"
        && url.host_str().is_some_and(|h| {
            h.ends_with(".blob.core.windows.net")
                || h.ends_with(".dfs.core.windows.net")
                || h.ends_with("amazonaws.com")
        });
    if !SCHEMES.contains(&url.scheme()) && !azure_or_s3_https {
        return Err(SinkError::Destination {
            dest: redact(dest),
            reason: "unsupported scheme; use a path, file://, s3://, az://, azure://, abfs[s]:// or https://<account>.blob.core.windows.net/<container>/".into(),
        });
    }
    let local_root = if url.scheme() == "file" {
        let dir = url.to_file_path().map_err(|()| SinkError::Destination {
            dest: redact(dest),
            reason: "not a local path".into(),
        })?;
        std::fs::create_dir_all(&dir).map_err(|e| SinkError::Destination {
            dest: redact(dest),
            reason: format!("cannot create the directory: {e}"),
        })?;
        Some(dir)
    } else {
        None
    };
    let (store, prefix) =
        object_store::parse_url_opts(&url, store_env()).map_err(|e| SinkError::Destination {
            dest: redact(dest),
            reason: e.to_string(),
        })?;
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
pub fn store_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("AZURE_"))
        .collect()
}

/// The destination with any query string (SAS token) and password removed.
pub fn redact(dest: &str) -> String {
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
    fn local_paths_become_file_urls() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("new/lake");
        let u = dest_url(d.to_str().unwrap()).unwrap();
        assert_eq!(u.scheme(), "file");
        assert!(d.is_dir());
        assert!(dest_url("").is_err());
    }
}
