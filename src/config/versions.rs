//! The checked configs of `history`, `diff` and `restore`.

use super::dest::{Dest, check_dest};
use super::{ConfigError, bad, parse_enrollment, parse_month};
use crate::cli::{DiffArgs, HistoryArgs, MonthArgs, OutputFormat, RestoreArgs};
use crate::schema::ungroupable;
use crate::sink::PartitionKey;
use crate::sink::layout::is_version_id;

/// A checked month of a lake.
#[derive(Debug, Clone)]
pub(crate) struct MonthConfig {
    /// The lake.
    pub dest: Dest,
    /// The month.
    pub key: PartitionKey,
}

impl MonthConfig {
    fn from_args(a: &MonthArgs) -> Result<Self, ConfigError> {
        let (year, month) = parse_month(&a.month)?;
        Ok(Self {
            dest: check_dest(&a.dest)?,
            key: PartitionKey {
                enrollment: parse_enrollment(&a.enrollment)?,
                year,
                month,
            },
        })
    }
}

fn version(flag: &'static str, v: &str) -> Result<String, ConfigError> {
    let v = v.trim();
    if !is_version_id(v) {
        return Err(bad(
            flag,
            format!("{v:?} is not a version id (run `history` to list them)"),
        ));
    }
    Ok(v.to_string())
}

/// A checked `history`.
#[derive(Debug, Clone)]
pub(crate) struct HistoryConfig {
    /// The month.
    pub month: MonthConfig,
    /// Report format.
    pub format: OutputFormat,
}

impl HistoryConfig {
    /// Checks `history`'s flags.
    pub(crate) fn from_args(a: &HistoryArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            month: MonthConfig::from_args(&a.month)?,
            format: a.format,
        })
    }
}

/// A checked `diff`.
#[derive(Debug, Clone)]
pub(crate) struct DiffConfig {
    /// The month.
    pub month: MonthConfig,
    /// `--from`.
    pub from: Option<String>,
    /// `--to`.
    pub to: Option<String>,
    /// `--by`, in order, without repeats.
    pub by: Vec<String>,
    /// Report format.
    pub format: OutputFormat,
}

impl DiffConfig {
    /// Checks `diff`'s flags.
    pub(crate) fn from_args(a: &DiffArgs) -> Result<Self, ConfigError> {
        let mut by: Vec<String> = Vec::new();
        for c in a.by.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if let Some(why) = ungroupable(c) {
                return Err(bad("--by", why));
            }
            if !by.iter().any(|b| b == c) {
                by.push(c.to_string());
            }
        }
        if by.is_empty() {
            return Err(bad("--by", "names no column"));
        }
        Ok(Self {
            month: MonthConfig::from_args(&a.month)?,
            from: a
                .from
                .as_deref()
                .map(|v| version("--from", v))
                .transpose()?,
            to: a.to.as_deref().map(|v| version("--to", v)).transpose()?,
            by,
            format: a.format,
        })
    }
}

/// A checked `restore`.
#[derive(Debug, Clone)]
pub(crate) struct RestoreConfig {
    /// The month.
    pub month: MonthConfig,
    /// `--version`.
    pub version: String,
    /// `--history-keep`.
    pub history_keep: usize,
    /// `--lease-ttl`.
    pub lease_ttl: std::time::Duration,
    /// The writer's settings (the defaults: a restore re-encodes the version as a pull would).
    pub write: crate::sink::WriteSettings,
}

impl RestoreConfig {
    /// Checks `restore`'s flags.
    pub(crate) fn from_args(a: &RestoreArgs) -> Result<Self, ConfigError> {
        if !(5..=3600).contains(&a.lease_ttl) {
            return Err(bad("--lease-ttl", "must be between 5 and 3600 seconds"));
        }
        Ok(Self {
            month: MonthConfig::from_args(&a.month)?,
            version: version("--version", &a.version)?,
            history_keep: a.history_keep,
            lease_ttl: std::time::Duration::from_secs(a.lease_ttl),
            write: crate::defaults::write_settings(),
        })
    }
}
