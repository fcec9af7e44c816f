//! Validated configuration, one checked config per command: every flag is checked here, before
//! any request or write, and a bad one is reported with the flag's name (exit code 2). clap's
//! `cli` types are the raw flags; these are what the commands run on (ripgrep's low and high
//! args).

pub(crate) mod archive;
pub(crate) mod dest;
pub(crate) mod months;
pub(crate) mod verify;
pub(crate) mod versions;

use std::path::PathBuf;

pub(crate) use archive::{ArchiveConfig, PartitionPlan};
pub(crate) use months::{parse_month, today_utc};
pub(crate) use verify::VerifyConfig;

use crate::source::Secret;

/// A flag that failed validation.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {reason}")]
pub(crate) struct ConfigError {
    /// The flag, e.g. `--month`.
    pub flag: &'static str,
    /// What is wrong.
    pub reason: String,
}

pub(crate) fn bad(flag: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        reason: reason.into(),
    }
}

/// Validates `--enrollment`: digits only, because it becomes a path segment.
pub(crate) fn parse_enrollment(s: &str) -> Result<String, ConfigError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "--enrollment",
            format!("{s:?} is not an enrollment number (digits only)"),
        ));
    }
    Ok(s.to_string())
}

/// Reads a secret from the file named by `flag`, else from the environment variable's value
/// `env`; `None` when neither gives one. A named file that cannot be read, or is empty, is an
/// error naming the flag.
pub(crate) fn load_secret(
    flag: &'static str,
    file: Option<&PathBuf>,
    env: Option<String>,
) -> Result<Option<Secret>, ConfigError> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(flag, format!("cannot read {}: {e}", path.display())))?;
            Secret::new(&text)
                .map(Some)
                .ok_or_else(|| bad(flag, format!("{} is empty", path.display())))
        }
        None => Ok(env.as_deref().and_then(Secret::new)),
    }
}

/// Reads the EA API key from `--api-key-file` or `EA_API_KEY`; one of them must give it.
pub(crate) fn load_api_key(
    file: Option<&PathBuf>,
    env: Option<String>,
) -> Result<Secret, ConfigError> {
    load_secret("--api-key-file", file, env)?.ok_or_else(|| {
        bad(
            "EA_API_KEY",
            "no API key: set EA_API_KEY or pass --api-key-file PATH",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrollment_must_be_digits() {
        assert_eq!(parse_enrollment("1234567").unwrap(), "1234567");
        for bad in ["", "12a", "../etc", "1 2", "123456789012345678901"] {
            let e = parse_enrollment(bad).unwrap_err();
            assert_eq!(e.flag, "--enrollment");
        }
    }

    #[test]
    fn api_key_sources() {
        assert!(load_api_key(None, None).is_err());
        assert!(load_api_key(None, Some("  ".into())).is_err());
        let k = load_api_key(None, Some("abc\n".into())).unwrap();
        assert_eq!(k.expose(), "abc");
        assert_eq!(format!("{k:?}"), "Secret(<redacted>)");
    }
}
