//! Replay: page files saved earlier, read in file-name order. Accepts `*.json` and the
//! zstd-compressed `*.json.zst` that `--keep-raw` writes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;

use super::{PageFormat, PageStream, RawPage, SourceError};

/// Page files in `dir`, sorted by name.
pub(crate) fn list_page_files(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let err = |e: std::io::Error| SourceError::Replay {
        path: dir.display().to_string(),
        source: e.into(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.is_file()
                && (name.ends_with(".json")
                    || name.ends_with(".json.zst")
                    || super::csv_frame::is_csv_name(name))
        })
        .collect();
    files.sort();
    check_no_duplicate_pages(&files).map_err(|reason| SourceError::Replay {
        path: dir.display().to_string(),
        source: reason.into(),
    })?;
    if files.is_empty() {
        return Err(SourceError::Replay {
            path: dir.display().to_string(),
            source:
                "no page files (*.json, *.json.zst, *.csv, *.csv.gz or *.csv.zst) in the directory"
                    .into(),
        });
    }
    let csv = files.iter().filter(|f| is_csv(f)).count();
    if csv != 0 && csv != files.len() {
        return Err(SourceError::Replay {
            path: dir.display().to_string(),
            source: "the folder mixes JSON pages and CSV reports; replay one kind at a time".into(),
        });
    }
    Ok(files)
}

fn is_csv(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(super::csv_frame::is_csv_name)
}

/// Refuses a folder in which two files hold the same page: the same name with and without
/// `.zst` (a page unpacked for a look), which would archive its rows twice.
pub(crate) fn check_no_duplicate_pages(files: &[PathBuf]) -> Result<(), String> {
    let mut seen: std::collections::BTreeMap<String, &Path> = std::collections::BTreeMap::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let page = name
            .strip_suffix(".zst")
            .or_else(|| name.strip_suffix(".gz"))
            .unwrap_or(name)
            .to_string();
        if let Some(other) = seen.insert(page, f) {
            return Err(format!(
                "{} and {} hold the same page; remove one of them (each page must be replayed once)",
                other.display(),
                f.display()
            ));
        }
    }
    Ok(())
}

/// Page buffers kept for reuse: a page read into memory that was used before costs no page
/// faults, and there are never more buffers than pages in flight.
#[derive(Default)]
pub(crate) struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
}

/// Buffers kept at most; pages in flight beyond this get fresh ones.
const POOL_BUFFERS: usize = 8;

/// Larger buffers (an unusually big page) are freed, not kept.
const POOL_MAX_BYTES: usize = 16 << 20;

impl BufferPool {
    fn take(&self) -> Vec<u8> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.pop().unwrap_or_default()
    }

    fn give_back(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < POOL_BUFFERS && buf.capacity() <= POOL_MAX_BYTES {
            free.push(buf);
        }
    }
}

/// A page body that returns its buffer to the pool when the last `Bytes` of it is dropped.
struct PooledBody {
    buf: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for PooledBody {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buf));
    }
}

/// Reads one page file: a plain one mapped (`mapped`), a `.zst` one decompressed into a buffer
/// of `pool` (as is a plain one the system will not map).
pub(crate) fn read_page_file(path: &Path, pool: &Arc<BufferPool>) -> Result<Bytes, SourceError> {
    let err = |source: crate::text::BoxError| SourceError::Replay {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.into()))?;
    let zst = path.extension().is_some_and(|e| e == "zst");
    let len = file.metadata().map_or(0, |m| m.len() as usize);
    if !zst && let Some(mapped) = super::mapped::MappedFile::map(&file, len) {
        return Ok(Bytes::from_owner(mapped));
    }
    let mut buf = pool.take();
    if zst {
        zstd::stream::read::Decoder::new(file)
            .and_then(|mut d| d.read_to_end(&mut buf))
            .map_err(|e| {
                #[derive(Debug, thiserror::Error)]
                #[error("not a valid zstd file")]
                struct NotZstd(#[source] std::io::Error);
                err(NotZstd(e).into())
            })?;
    } else {
        buf.reserve(len.saturating_add(1));
        (&file).read_to_end(&mut buf).map_err(|e| err(e.into()))?;
    }
    Ok(Bytes::from_owner(PooledBody {
        buf,
        pool: pool.clone(),
    }))
}

/// The pages of `dir` as a stream: JSON page files read on the blocking pool one at a time, or
/// CSV reports streamed and framed into pages (never a whole file in memory). The flag says
/// whether the pages are linked by `nextLink` (JSON pages), so their chain must be whole.
pub(crate) fn pages(dir: &Path) -> Result<(PageStream, bool), SourceError> {
    let files = list_page_files(dir)?;
    if files.iter().all(|f| is_csv(f)) {
        return Ok((csv_pages(files), false));
    }
    let pool = Arc::new(BufferPool::default());
    let stream = futures::stream::iter(files.into_iter().enumerate()).then(move |(i, path)| {
        let pool = pool.clone();
        let origin = path.display().to_string();
        async move {
            let body = tokio::task::spawn_blocking(move || read_page_file(&path, &pool))
                .await
                .map_err(|e| SourceError::Replay {
                    path: "<replay reader>".into(),
                    source: e.into(),
                })??;
            Ok(RawPage {
                number: i as u64 + 1,
                body,
                etag: None,
                origin,
                format: PageFormat::EaJson,
            })
        }
    });
    Ok((Box::pin(stream), true))
}

/// The CSV reports `files`, in order, framed into pages numbered across all of them.
fn csv_pages(files: Vec<PathBuf>) -> PageStream {
    use super::csv_frame::{self, Compression};
    let per_file = futures::stream::iter(files).flat_map(|path| {
        let origin = path.display().to_string();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        csv_frame::pages(file_bytes(path), Compression::of(&name), origin, 1)
    });
    Box::pin(csv_frame::number_across(per_file))
}

/// Bytes read from a CSV file at a time. Below glibc's mmap threshold (128 KiB, set in
/// `alloc_tuning`), so each chunk reuses heap memory instead of mapping and faulting in fresh
/// pages: with 1 MiB chunks a 1M-row report (595 MB) took 838k page faults and 1.3 s of system
/// time (BENCHMARKS.md §5).
const CHUNK_BYTES: usize = 64 * 1024;

/// Chunks read ahead of the framer.
const CHUNKS_AHEAD: usize = 16;

/// A file's bytes in chunks of [`CHUNK_BYTES`], read by one blocking task (one task per file,
/// not one per chunk) at most [`CHUNKS_AHEAD`] chunks ahead.
pub(crate) fn file_bytes(path: PathBuf) -> super::csv_frame::ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, SourceError>>(CHUNKS_AHEAD);
    tokio::task::spawn_blocking(move || {
        let err = |e: std::io::Error| SourceError::Replay {
            path: path.display().to_string(),
            source: e.into(),
        };
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(err(e)));
                return;
            }
        };
        loop {
            let mut buf = Vec::with_capacity(CHUNK_BYTES);
            let chunk = match (&mut file).take(CHUNK_BYTES as u64).read_to_end(&mut buf) {
                Ok(0) => return,
                Ok(_) => Ok(Bytes::from(buf)),
                Err(e) => Err(err(e)),
            };
            let failed = chunk.is_err();
            // A closed channel: the month stopped reading (failure or signal).
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_kept_twice_is_refused_by_name() {
        let f = |n: &str| PathBuf::from(format!("/p/{n}"));
        assert!(
            check_no_duplicate_pages(&[f("page-00001.json.zst"), f("page-00002.json")]).is_ok()
        );
        let err = check_no_duplicate_pages(&[f("page-00001.json"), f("page-00001.json.zst")])
            .unwrap_err();
        assert!(
            err.contains("/p/page-00001.json and /p/page-00001.json.zst"),
            "{err}"
        );
    }
}
