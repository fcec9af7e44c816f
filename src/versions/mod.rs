//! The versions of a month: the current object and the replaced ones kept in `_history/`, as
//! `history` lists them, `diff` compares them and `restore` brings one back.

mod cell_text;
pub(crate) mod diff;
pub(crate) mod restore;

use serde::Serialize;

use crate::sink::layout::data_path;
use crate::sink::read::{Footer, read_footer};
use crate::sink::{Lake, PartitionKey, SinkError, history};

/// One version of a month, from its own footer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VersionInfo {
    /// The id `diff` and `restore` take.
    pub version: String,
    /// Whether it is the month's current object.
    pub current: bool,
    /// When its pull started.
    pub pulled_at: Option<String>,
    /// The run that wrote it.
    pub run_id: Option<String>,
    /// EA API version, or the source's kind.
    pub api_version: Option<String>,
    /// Where its rows came from.
    pub source: Option<String>,
    /// Rows (footer metadata).
    pub rows: Option<u64>,
    /// Exact cost total (footer metadata).
    pub cost_total: Option<String>,
    /// Object size.
    pub bytes: u64,
    /// The version it was restored from, for a restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<String>,
    /// Object URL.
    pub path: String,
}

fn info(
    lake: &Lake,
    id: String,
    current: bool,
    footer: &Footer,
    path: &object_store::path::Path,
) -> VersionInfo {
    let (kv, bytes) = match footer {
        Footer::Found { kv, size } => (Some(kv), *size),
        Footer::Unreadable { size, .. } => (None, *size),
        Footer::Missing => (None, 0),
    };
    let get = |k: &str| kv.and_then(|kv| kv.get(k).cloned());
    VersionInfo {
        version: id,
        current,
        pulled_at: get("pulled_at"),
        run_id: get("run_id"),
        api_version: get("api_version"),
        source: get("source"),
        rows: get("row_count").and_then(|v| v.parse().ok()),
        cost_total: get("cost_total"),
        bytes,
        restored_from: get("restored_from"),
        path: lake.object_url(path),
    }
}

/// Every version of `key`: the current one first, then history, newest first.
pub(crate) async fn list(lake: &Lake, key: &PartitionKey) -> Result<Vec<VersionInfo>, SinkError> {
    let mut out = Vec::new();
    let current_path = data_path(&lake.prefix, key);
    let current = read_footer(lake, &current_path).await?;
    if let Some(id) = history::id_of(&current) {
        out.push(info(lake, id, true, &current, &current_path));
    }
    for (id, meta) in history::versions(lake, key).await?.into_iter().rev() {
        let footer = read_footer(lake, &meta.location).await?;
        out.push(info(lake, id, false, &footer, &meta.location));
    }
    Ok(out)
}
