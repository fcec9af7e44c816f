//! Replaced versions of a month, kept under `<dest>/_history/enrollment=<n>/year=<yyyy>/month=<mm>/`
//! as `<version>.parquet.prev` (never `.parquet`: no glob a user is likely to write reads a
//! month twice; folders starting with `_` are skipped by Spark, Hive and Athena).
//!
//! A version's id comes from its own footer (`pulled_at` and `run_id`), so the same version
//! always lands under the same name: a run that crashed between keeping the current object and
//! committing its own leaves the current object and its copy (never a gap), and the re-run finds
//! the copy there and makes no second one. The copy is server-side (`ObjectStore::copy`).

use chrono::SecondsFormat;
use futures::StreamExt;
use object_store::ObjectMeta;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use tracing::info;

use super::layout::{self, PartitionKey};
use super::read::Footer;
use crate::sink::{Lake, SinkError};

/// The version id of the object whose footer is `footer` (`None`: no object).
pub(crate) fn id_of(footer: &Footer) -> Option<String> {
    match footer {
        Footer::Missing => None,
        Footer::Found { kv, .. } => {
            let pulled = kv.get("pulled_at").map_or("unknown", String::as_str);
            let run = kv.get("run_id").map_or("unknown", String::as_str);
            let id = layout::version_id(pulled, run);
            Some(if layout::is_version_id(&id) {
                id
            } else {
                layout::version_id(pulled, "unnamed")
            })
        }
        Footer::Unreadable { last_modified, .. } => Some(layout::version_id(
            &last_modified.to_rfc3339_opts(SecondsFormat::Secs, true),
            "unreadable",
        )),
    }
}

/// Keeps the month's current object as a history version before it is replaced. Returns the
/// version id, or `None` when there is no current object. Copies nothing when that version is
/// in history already.
pub(crate) async fn keep_current(
    lake: &Lake,
    key: &PartitionKey,
    current: &Footer,
) -> Result<Option<String>, SinkError> {
    let Some(id) = id_of(current) else {
        return Ok(None);
    };
    let to = layout::history_path(&lake.prefix, key, &id);
    match lake.store.head(&to).await {
        Ok(_) => return Ok(Some(id)), // kept by an earlier attempt
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(lake.error(&to, e)),
    }
    let from = layout::data_path(&lake.prefix, key);
    lake.store
        .copy(&from, &to)
        .await
        .map_err(|e| lake.error(&to, e))?;
    info!(version = %id, "previous version kept in history");
    Ok(Some(id))
}

/// The month's history versions, oldest first: by the time in their id, then by when they were
/// kept (ids of one second, from older files that wrote seconds only, keep their order).
pub(crate) async fn versions(
    lake: &Lake,
    key: &PartitionKey,
) -> Result<Vec<(String, ObjectMeta)>, SinkError> {
    let dir = layout::history_dir(&lake.prefix, key);
    let mut out = Vec::new();
    let mut listing = lake.store.list(Some(&dir));
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(lake.error(&dir, e)),
        };
        let Some(id) = meta
            .location
            .filename()
            .and_then(layout::parse_history_name)
        else {
            continue;
        };
        out.push((id.to_string(), meta));
    }
    let time = |id: &str| id.split('-').next().unwrap_or_default().to_string();
    out.sort_by(|a, b| {
        (time(&a.0), a.1.last_modified, &a.0).cmp(&(time(&b.0), b.1.last_modified, &b.0))
    });
    Ok(out)
}

/// Deletes the oldest history versions beyond `keep`. The current object is never among them.
pub(crate) async fn prune(
    lake: &Lake,
    key: &PartitionKey,
    keep: usize,
) -> Result<usize, SinkError> {
    let all = versions(lake, key).await?;
    let excess = all.len().saturating_sub(keep);
    for (id, meta) in all.into_iter().take(excess) {
        match lake.store.delete(&meta.location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                info!(version = %id, "history version pruned (--history-keep)");
            }
            Err(e) => return Err(lake.error(&meta.location, e)),
        }
    }
    Ok(excess)
}

/// The path of version `id` of `key`: the current object when `id` is its id, else a history
/// file. `None` when no such version exists.
pub(crate) async fn locate(
    lake: &Lake,
    key: &PartitionKey,
    id: &str,
    current: &Footer,
) -> Result<Option<Path>, SinkError> {
    if id_of(current).as_deref() == Some(id) {
        return Ok(Some(layout::data_path(&lake.prefix, key)));
    }
    if !layout::is_version_id(id) {
        return Ok(None);
    }
    let path = layout::history_path(&lake.prefix, key, id);
    match lake.store.head(&path).await {
        Ok(_) => Ok(Some(path)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(lake.error(&path, e)),
    }
}
