//! The partition's `_staging/` folder: what runs in flight write before their commit (the local
//! staged object, `--keep-raw` pages), and the clean-up of what dead runs left there.
//!
//! Only the holder of the month's lease cleans up, and it removes only what dead runs left: the
//! files of the run whose expired lease it took over, and other runs' files that nobody has
//! written to for a lease time-to-live (a run that has not touched its files for that long has
//! let its lease expire, as it renews every quarter of it, so it can never commit them). A live
//! run's files are never touched.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use tracing::info;

use super::layout::{self, PartitionKey};
use crate::sink::{Lake, SinkError};

/// The run id a staging entry belongs to: its name up to the first `.` (`<run>.parquet.tmp`,
/// `<run>.parquet.tmp#1`, `<run>.raw/`).
pub(crate) fn entry_run_id(name: &str) -> &str {
    name.split(['.', '#']).next().unwrap_or(name)
}

/// Which staged files may go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadRuns<'a> {
    /// This run, whose files stay.
    pub own: &'a str,
    /// A run known to be dead (its expired lease was taken over): its files go whatever their age.
    pub known_dead: Option<&'a str>,
    /// Other runs' files go once idle this long.
    pub idle: Duration,
}

impl DeadRuns<'_> {
    fn removable(&self, run: &str, idle_for: Duration) -> bool {
        run != self.own && (Some(run) == self.known_dead || idle_for >= self.idle)
    }
}

/// Removes the staged files of dead runs of `key` (see the module docs).
pub(crate) async fn clear_dead_runs(
    lake: &Lake,
    key: &PartitionKey,
    runs: DeadRuns<'_>,
) -> Result<u64, SinkError> {
    let removed = match &lake.local_root {
        Some(root) => clear_local(lake, &root.join(layout::staging_rel(key)), runs).await?,
        None => clear_remote(lake, &layout::staging_dir(&lake.prefix, key), runs).await?,
    };
    if removed > 0 {
        info!(
            removed,
            "removed what dead runs left in the month's staging folder"
        );
    }
    Ok(removed)
}

/// Local disk: the folder is walked directly, since `object_store` hides its own in-progress
/// upload files (`name#N`) from listings.
async fn clear_local(
    lake: &Lake,
    dir: &std::path::Path,
    runs: DeadRuns<'_>,
) -> Result<u64, SinkError> {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot clear stale staged files")]
    struct Clearing(#[source] std::io::Error);
    let err = |e: std::io::Error| SinkError::Store {
        store: lake.url.to_string(),
        object: dir.display().to_string(),
        source: crate::text::RedactedError::of(&Clearing(e)),
    };
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(err(e)),
    };
    let now = SystemTime::now();
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await.map_err(err)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let idle_for = match newest_mtime(&path).await {
            Some(t) => now.duration_since(t).unwrap_or_default(),
            None => Duration::MAX,
        };
        if !runs.removable(entry_run_id(&name), idle_for) {
            continue; // this run's, or written to recently: a live run's
        }
        let done = if entry.file_type().await.map_err(err)?.is_dir() {
            tokio::fs::remove_dir_all(&path).await
        } else {
            tokio::fs::remove_file(&path).await
        };
        match done {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
    }
    Ok(removed)
}

/// The latest modification time of a file, or of any file in a folder.
async fn newest_mtime(path: &std::path::Path) -> Option<SystemTime> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        let mut rd = tokio::fs::read_dir(path).await.ok()?;
        while let Ok(Some(e)) = rd.next_entry().await {
            if let Ok(t) = e.metadata().await.and_then(|m| m.modified()) {
                newest = newest.max(t);
            }
        }
    }
    Some(newest)
}

/// S3 and Azure: only `--keep-raw` pages are staged there (`<run>.raw/page-….json.zst`).
async fn clear_remote(lake: &Lake, dir: &Path, runs: DeadRuns<'_>) -> Result<u64, SinkError> {
    use std::collections::BTreeMap;
    let mut by_run: BTreeMap<String, (chrono::DateTime<Utc>, Vec<Path>)> = BTreeMap::new();
    let mut listing = lake.store.list(Some(dir));
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(lake.error(dir, e)),
        };
        let Some(first) = meta.location.prefix_match(dir).and_then(|mut p| p.next()) else {
            continue;
        };
        let run = entry_run_id(first.as_ref()).to_string();
        let e = by_run
            .entry(run)
            .or_insert((meta.last_modified, Vec::new()));
        e.0 = e.0.max(meta.last_modified);
        e.1.push(meta.location);
    }
    let now = Utc::now();
    let mut removed = 0;
    for (run, (newest, paths)) in by_run {
        if !runs.removable(&run, (now - newest).to_std().unwrap_or_default()) {
            continue;
        }
        for p in paths {
            match lake.store.delete(&p).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                Err(e) => return Err(lake.error(&p, e)),
            }
        }
    }
    Ok(removed)
}

/// Deletes every object under `prefix`.
pub(crate) async fn clear_prefix(lake: &Lake, prefix: &Path) -> Result<(), SinkError> {
    let mut listing = lake.store.list(Some(prefix));
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(lake.error(prefix, e)),
        };
        match lake.store.delete(&meta.location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(lake.error(&meta.location, e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_their_run() {
        assert_eq!(
            entry_run_id("20261130T020000Z-1a2b3c4d.parquet.tmp"),
            "20261130T020000Z-1a2b3c4d"
        );
        assert_eq!(
            entry_run_id("20261130T020000Z-1a2b3c4d.parquet.tmp#3"),
            "20261130T020000Z-1a2b3c4d"
        );
        assert_eq!(entry_run_id("r1.raw"), "r1");
        assert_eq!(entry_run_id("r1"), "r1");
    }

    #[tokio::test]
    async fn only_idle_files_of_other_runs_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::sink::open_lake(
            &crate::sink::store::Dest::Local(dir.path().to_path_buf()),
            true,
        )
        .unwrap();
        let key = PartitionKey {
            enrollment: "1".into(),
            year: 2024,
            month: 1,
        };
        let staging = dir.path().join(layout::staging_rel(&key));
        std::fs::create_dir_all(staging.join("dead.raw")).unwrap();
        std::fs::write(staging.join("dead.raw/page-00001.json.zst"), b"x").unwrap();
        std::fs::write(staging.join("dead.parquet.tmp#1"), b"x").unwrap();
        std::fs::write(staging.join("live.parquet.tmp#1"), b"x").unwrap();
        std::fs::write(staging.join("me.parquet.tmp#1"), b"x").unwrap();
        let old = SystemTime::now() - Duration::from_secs(600);
        for f in [
            "dead.raw/page-00001.json.zst",
            "dead.raw",
            "dead.parquet.tmp#1",
            "me.parquet.tmp#1",
        ] {
            let file = std::fs::File::options()
                .write(true)
                .open(staging.join(f))
                .or_else(|_| std::fs::File::open(staging.join(f)))
                .unwrap();
            file.set_modified(old).unwrap();
        }
        std::fs::write(staging.join("killed.parquet.tmp#1"), b"x").unwrap();
        let runs = DeadRuns {
            own: "me",
            known_dead: Some("killed"),
            idle: Duration::from_secs(120),
        };
        let removed = clear_dead_runs(&lake, &key, runs).await.unwrap();
        assert_eq!(removed, 3);
        let mut left: Vec<String> = std::fs::read_dir(&staging)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec!["live.parquet.tmp#1", "me.parquet.tmp#1"]);
    }
}
