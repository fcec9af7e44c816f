//! A place in storage given as a local path or a URL (`--dest`, and the exports root): opened as
//! an `object_store` plus a path prefix. Local paths, `file://`, `s3://`, `az://`, `azure://`,
//! `abfs[s]://` and `https://<account>.blob.core.windows.net/…` are all built by `object_store`
//! from the URL and the standard `AWS_*` / `AZURE_*` environment variables. Shared by the sink
//! and the sources; imports neither.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

/// A checked location (see `config::dest`): a local directory or a store URL.
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

/// A location opened.
pub(crate) struct Opened {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The location's prefix inside the store.
    pub prefix: Path,
    /// Its URL for messages: no credentials, no query string.
    pub url: Url,
    /// Its directory when the store is the local file system.
    pub local_root: Option<std::path::PathBuf>,
}

/// Opens `dest`. A local directory is created when `create`, and must exist otherwise. `Err`
/// says why, without credentials.
pub(crate) fn open(dest: &Dest, create: bool) -> Result<Opened, String> {
    let (url, local_root) = match dest {
        Dest::Local(path) => {
            if create {
                std::fs::create_dir_all(path)
                    .map_err(|e| format!("cannot create the directory: {e}"))?;
            } else if !path.is_dir() {
                return Err("no such directory".into());
            }
            let abs = path
                .canonicalize()
                .map_err(|e| format!("cannot resolve the directory: {e}"))?;
            let url =
                Url::from_directory_path(&abs).map_err(|()| "not an absolute path".to_string())?;
            (url, Some(abs))
        }
        Dest::Remote(u) => (u.clone(), None),
    };
    crate::tls::install_crypto_provider();
    let (store, prefix) =
        object_store::parse_url_opts(&url, store_env()).map_err(|e| e.to_string())?;
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    Ok(Opened {
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
}
