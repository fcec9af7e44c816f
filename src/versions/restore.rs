//! `restore`: makes an earlier version of a month current again, under the month's lease and
//! through the same commit as a pull, so the object it replaces is kept in history like any
//! replaced version. The restored object holds the version's rows exactly (read and re-encoded
//! row group by row group, so memory stays flat) and its metadata names the version
//! (`restored_from`) and the restoring run.

use chrono::{SecondsFormat, Utc};
use parquet::file::metadata::KeyValue;

use crate::cancel::Cancel;
use crate::sink::lake::commit::NewVersion;
use crate::sink::lake::object::LakeObject;
use crate::sink::layout::data_path;
use crate::sink::lease::Lease;
use crate::sink::lease::LeaseError;
use crate::sink::publish::{PublishError, PublishSettings, Published, publish};
use crate::sink::read::{Footer, META_PREFIX, read_footer};
use crate::sink::{Lake, PartitionKey, PartitionWriter, SinkError, WriteSettings, history};

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Restored {
    /// The version made current.
    pub restored: String,
    /// The version it replaced, now in history (`None` when the month held these rows already).
    pub replaced: Option<String>,
    /// `restored` or `unchanged` (the current version already holds exactly these rows).
    pub status: &'static str,
    /// Rows.
    pub rows: u64,
    /// Exact cost total.
    pub cost_total: String,
    /// The month's object.
    pub path: String,
}

/// Why a restore did not happen; the month is as it was.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RestoreError {
    /// No such version.
    #[error("--version {0:?} is not a version of this month (run `history` to list them)")]
    Unknown(String),
    /// It is the current one already.
    #[error("--version {0:?} is the month's current version already")]
    Current(String),
    /// Reading the version, writing it or publishing it failed (or a signal came first).
    #[error(transparent)]
    Failed(#[from] PublishError),
}

impl From<SinkError> for RestoreError {
    fn from(e: SinkError) -> Self {
        RestoreError::Failed(e.into())
    }
}

impl From<LeaseError> for RestoreError {
    fn from(e: LeaseError) -> Self {
        RestoreError::Failed(e.into())
    }
}

/// One restore: which version of which month, by which run, with which settings.
pub(crate) struct RestoreJob<'a> {
    /// The lake.
    pub lake: &'a Lake,
    /// The month.
    pub key: &'a PartitionKey,
    /// The version to make current.
    pub version: &'a str,
    /// The restoring run.
    pub run_id: &'a str,
    /// `--lease-ttl`.
    pub lease_ttl: std::time::Duration,
    /// `--history-keep`.
    pub history_keep: usize,
    /// How the version is re-encoded.
    pub write: &'a WriteSettings,
    /// The run's cancellation.
    pub cancel: &'a Cancel,
}

/// Restores `job.version` of `job.key` under the month's lease.
pub(crate) async fn restore(job: &RestoreJob<'_>) -> Result<Restored, RestoreError> {
    let lease = Lease::acquire(job.lake, job.key, job.run_id, job.lease_ttl).await?;
    let result = restore_held(job, &lease).await;
    lease.release().await;
    result
}

async fn restore_held(job: &RestoreJob<'_>, lease: &Lease) -> Result<Restored, RestoreError> {
    let RestoreJob {
        lake,
        key,
        version,
        run_id,
        history_keep,
        write,
        cancel,
        ..
    } = *job;
    let current_path = data_path(&lake.prefix, key);
    let current = read_footer(lake, &current_path).await?;
    let Some(path) = history::locate(lake, key, version, &current).await? else {
        return Err(RestoreError::Unknown(version.to_string()));
    };
    if path == current_path {
        return Err(RestoreError::Current(version.to_string()));
    }
    let Footer::Found { kv, size } = read_footer(lake, &path).await? else {
        return Err(RestoreError::Unknown(version.to_string()));
    };
    // The version cannot be read back: a storage failure, as any other read of the lake.
    let unreadable = |reason: String| lake.error(&path, crate::text::Message(reason));
    let object = LakeObject::open(lake, &path, size)
        .await
        .map_err(unreadable)?;
    let original_kv = object.original_metadata().to_vec();
    let mut data = object.rows(None).map_err(unreadable)?;
    let mut writer = PartitionWriter::begin(lake, key, run_id, write).await?;
    let copied: Result<(), RestoreError> = async {
        while let Some(batch) = data.next_batch().await.map_err(unreadable)? {
            if let Some(s) = cancel.signal() {
                return Err(PublishError::Cancelled(s).into());
            }
            writer.write(batch).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = copied {
        writer.abort().await;
        return Err(e);
    }
    let (rows, total) = (data.rows(), data.cost_total());
    let expected = (kv.get("row_count").cloned(), kv.get("cost_total").cloned());
    if expected != (Some(rows.to_string()), Some(total.clone())) {
        writer.abort().await;
        return Err(RestoreError::from(SinkError::Internal {
            object: lake.object_url(&path),
            source: format!(
                "the version holds {rows} rows costing {total}, its metadata says {:?} and {:?}: run `verify`",
                expected.0,
                expected.1
            )
            .into(),
        }));
    }
    let pulled_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let metadata = restored_metadata(&original_kv, run_id, &pulled_at, version);
    let staged = writer.finish(lake, metadata).await?;
    let fingerprint = kv.get("fingerprint").cloned().unwrap_or_default();
    let new = NewVersion {
        source_run: None,
        source_submitted: None,
        rows,
        pulled_at: &pulled_at,
        fingerprint: &fingerprint,
    };
    let settings = PublishSettings {
        lake,
        allow_shrink: true,
        history_keep,
        cancel,
    };
    let (status, replaced, url) = match publish(&settings, key, staged, &new, Some(lease)).await? {
        Published::Committed { file, kept } => ("restored", kept, file.url),
        Published::Unchanged { url, .. } => ("unchanged", None, url),
    };
    Ok(Restored {
        restored: version.to_string(),
        replaced,
        status,
        rows,
        cost_total: total,
        path: url,
    })
}

/// The restored object's metadata: the version's own, with the restoring run, the time of the
/// restore and the version it came from.
fn restored_metadata(
    original: &[KeyValue],
    run_id: &str,
    pulled_at: &str,
    version: &str,
) -> Vec<KeyValue> {
    let set = |k: &str| format!("{META_PREFIX}{k}");
    let mut out: Vec<KeyValue> = original
        .iter()
        .filter(|kv| kv.key.starts_with(META_PREFIX) && kv.key != set("restored_from"))
        .map(|kv| {
            let value = match kv.key.strip_prefix(META_PREFIX) {
                Some("run_id") => Some(run_id.to_string()),
                Some("pulled_at") => Some(pulled_at.to_string()),
                Some("tool_version") => Some(env!("CARGO_PKG_VERSION").to_string()),
                _ => kv.value.clone(),
            };
            KeyValue {
                key: kv.key.clone(),
                value,
            }
        })
        .collect();
    out.push(KeyValue::new(set("restored_from"), version.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_keeps_the_versions_facts_and_names_it() {
        let p = |k: &str, v: &str| KeyValue::new(format!("{META_PREFIX}{k}"), v.to_string());
        let original = vec![
            p("run_id", "old-run"),
            p("pulled_at", "2026-11-01T00:00:00Z"),
            p("row_count", "7"),
            p("restored_from", "older"),
            KeyValue::new("ARROW:schema".into(), "x".to_string()),
        ];
        let got = restored_metadata(&original, "new-run", "2026-12-01T00:00:00Z", "v1");
        let find = |k: &str| {
            got.iter()
                .find(|kv| kv.key == format!("{META_PREFIX}{k}"))
                .and_then(|kv| kv.value.clone())
        };
        assert_eq!(find("run_id").as_deref(), Some("new-run"));
        assert_eq!(find("pulled_at").as_deref(), Some("2026-12-01T00:00:00Z"));
        assert_eq!(find("row_count").as_deref(), Some("7"));
        assert_eq!(find("restored_from").as_deref(), Some("v1"));
        assert!(
            got.iter().all(|kv| kv.key != "ARROW:schema"),
            "the writer adds its own schema"
        );
        assert_eq!(
            got.iter()
                .filter(|kv| kv.key.ends_with("restored_from"))
                .count(),
            1
        );
    }
}
