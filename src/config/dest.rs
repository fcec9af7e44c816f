//! `--dest`, checked without touching it: a URL of a supported store, or a local path. Nothing
//! is created here; `archive` creates a local lake's folder when it opens it, `verify` and the
//! other read-only commands refuse one that does not exist.

use url::Url;

use super::{ConfigError, bad};
pub(crate) use crate::location::Dest;

/// URL schemes `--dest` accepts.
pub(crate) const SCHEMES: [&str; 7] = ["file", "s3", "s3a", "az", "azure", "abfs", "abfss"];

fn is_store_https(u: &Url) -> bool {
    u.scheme() == "https"
        && u.host_str().is_some_and(|h| {
            h.ends_with(".blob.core.windows.net")
                || h.ends_with(".dfs.core.windows.net")
                || h.ends_with("amazonaws.com")
        })
}

/// Checks `--dest`'s form. No I/O: a local path is checked when the lake is opened.
pub(crate) fn check_dest(dest: &str) -> Result<Dest, ConfigError> {
    let shown = crate::location::redact(dest);
    if dest.trim().is_empty() {
        return Err(bad("--dest", "must not be empty"));
    }
    if let Ok(u) = Url::parse(dest)
        && u.scheme().len() > 1
    {
        if u.scheme() == "file" {
            return u
                .to_file_path()
                .map(Dest::Local)
                .map_err(|()| bad("--dest", format!("{shown:?} is not a local path")));
        }
        if !SCHEMES.contains(&u.scheme()) && !is_store_https(&u) {
            return Err(bad(
                "--dest",
                format!(
                    "{shown:?}: unsupported scheme; use a path, file://, s3://, az://, azure://, abfs[s]:// or https://<account>.blob.core.windows.net/<container>/"
                ),
            ));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(bad(
                "--dest",
                format!("{shown:?} names no bucket or container"),
            ));
        }
        return Ok(Dest::Remote(u));
    }
    Ok(Dest::Local(std::path::PathBuf::from(dest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_checked_without_io() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not/yet");
        assert_eq!(
            check_dest(missing.to_str().unwrap()).unwrap(),
            Dest::Local(missing.clone())
        );
        assert!(!missing.exists(), "checking creates nothing");
        assert!(matches!(
            check_dest("s3://bucket/prefix").unwrap(),
            Dest::Remote(_)
        ));
        assert!(matches!(check_dest("az://c/p").unwrap(), Dest::Remote(_)));
        assert!(matches!(
            check_dest("https://acct.blob.core.windows.net/c/p?sig=x").unwrap(),
            Dest::Remote(_)
        ));
        assert_eq!(
            check_dest("file:///tmp/lake").unwrap(),
            Dest::Local("/tmp/lake".into())
        );
        for bad in [
            "",
            "  ",
            "ftp://x/y",
            "https://example.com/x",
            "s3:///nobucket",
        ] {
            assert_eq!(check_dest(bad).unwrap_err().flag, "--dest", "{bad}");
        }
        let e = check_dest("gs://b/p?sig=SECRET").unwrap_err();
        assert!(!e.reason.contains("SECRET"), "{e}");
    }
}
