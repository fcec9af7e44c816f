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
    let (url, options) = store_options(url, store_env());
    let (store, prefix) = object_store::parse_url_opts(&url, options).map_err(|e| e.to_string())?;
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

/// The URL to open and the store's options: the environment's `AWS_*`/`AZURE_*` settings, or,
/// for an Azure URL that carries a SAS token as its query string
/// (`https://<account>.blob.core.windows.net/<container>/<path>?sv=…&sig=…`, also on `az://`
/// and `abfs[s]://`), that token as the location's only credential: the environment's other
/// Azure credentials are left out for it (an account key would otherwise win), its
/// non-secret settings (account name, emulator) kept. The token never stays in the URL.
fn store_options(mut url: Url, env: Vec<(String, String)>) -> (Url, Vec<(String, String)>) {
    let azure = matches!(url.scheme(), "az" | "azure" | "abfs" | "abfss")
        || url.host_str().is_some_and(|h| {
            h.ends_with(".blob.core.windows.net") || h.ends_with(".dfs.core.windows.net")
        });
    let sas = match url.query() {
        Some(q) if azure && !q.is_empty() => q.to_string(),
        _ => return (url, env),
    };
    url.set_query(None);
    const SECRET: [&str; 8] = [
        "KEY",
        "TOKEN",
        "SECRET",
        "CLIENT",
        "TENANT",
        "FEDERATED",
        "MSI",
        "CLI",
    ];
    let mut options: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AZURE_") || !SECRET.iter().any(|s| k.contains(s)))
        .collect();
    options.push(("azure_storage_sas_key".to_string(), sas));
    (url, options)
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
    fn a_sas_in_an_azure_url_is_its_only_credential_and_leaves_the_url() {
        let env = || {
            vec![
                ("AZURE_STORAGE_ACCOUNT_NAME".to_string(), "acct".to_string()),
                ("AZURE_STORAGE_ACCOUNT_KEY".to_string(), "k".to_string()),
                ("AZURE_CLIENT_SECRET".to_string(), "s".to_string()),
                ("AWS_REGION".to_string(), "r".to_string()),
            ]
        };
        let u = Url::parse("https://acct.blob.core.windows.net/c/p?sv=1&sig=S").unwrap();
        let (url, opts) = store_options(u, env());
        assert_eq!(url.as_str(), "https://acct.blob.core.windows.net/c/p");
        let keys: Vec<&str> = opts.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "AZURE_STORAGE_ACCOUNT_NAME",
                "AWS_REGION",
                "azure_storage_sas_key"
            ]
        );
        assert_eq!(opts[2].1, "sv=1&sig=S");
        // Elsewhere, the environment as it is.
        let s3 = Url::parse("s3://b/p").unwrap();
        assert_eq!(store_options(s3.clone(), env()), (s3, env()));
        let plain = Url::parse("az://c/p").unwrap();
        assert_eq!(store_options(plain.clone(), env()).1.len(), 4);
    }
}
