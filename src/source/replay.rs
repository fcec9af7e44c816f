//! Replay: page files saved earlier, read in file-name order. Accepts `*.json` and the
//! zstd-compressed `*.json.zst` that `--keep-raw` writes.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;

use super::{PageStream, RawPage, SourceError};

/// Page files in `dir`, sorted by name.
pub fn list_page_files(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let err = |e: std::io::Error| SourceError::Replay {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.is_file() && (name.ends_with(".json") || name.ends_with(".json.zst"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(SourceError::Replay {
            path: dir.display().to_string(),
            reason: "no page files (*.json or *.json.zst) in the directory".into(),
        });
    }
    Ok(files)
}

/// Reads one page file, decompressing `.zst`.
pub fn read_page_file(path: &Path) -> Result<Bytes, SourceError> {
    let err = |reason: String| SourceError::Replay {
        path: path.display().to_string(),
        reason,
    };
    let raw = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    if path.extension().is_some_and(|e| e == "zst") {
        zstd::decode_all(raw.as_slice())
            .map(Bytes::from)
            .map_err(|e| err(format!("not a valid zstd file: {e}")))
    } else {
        Ok(Bytes::from(raw))
    }
}

/// The pages of `dir` as a stream, read on the blocking pool one at a time.
pub fn pages(dir: &Path) -> Result<PageStream, SourceError> {
    let files = list_page_files(dir)?;
    let stream =
        futures::stream::iter(files.into_iter().enumerate()).then(|(i, path)| async move {
            let body = tokio::task::spawn_blocking(move || read_page_file(&path))
                .await
                .map_err(|e| SourceError::Replay {
                    path: "<replay reader>".into(),
                    reason: e.to_string(),
                })??;
            Ok(RawPage {
                number: i as u64 + 1,
                body,
                etag: None,
            })
        });
    Ok(Box::pin(stream))
}
