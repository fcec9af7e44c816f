//! The versions of a month: the current object and the replaced ones kept in `_history/`, as
//! `history` lists them, `diff` compares them and `restore` brings one back.

mod cell_text;
pub(crate) mod diff;
pub(crate) mod restore;

use serde::Serialize;

use crate::sink::lake::object::ObjectFacts;
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
    /// What its footer says (all `None` for an object whose footer cannot be read).
    #[serde(flatten)]
    pub facts: ObjectFacts,
    /// Object size.
    pub bytes: u64,
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
    let (facts, bytes) = match footer {
        Footer::Found { kv, size } => (ObjectFacts::from_metadata(kv), *size),
        Footer::Unreadable { size, .. } => (ObjectFacts::default(), *size),
        Footer::Missing => (ObjectFacts::default(), 0),
    };
    VersionInfo {
        version: id,
        current,
        facts,
        bytes,
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
