//! A replay file mapped into memory, read-only, instead of copied: the decoder reads the page
//! cache's own pages, so the kernel's copy of every byte into a buffer (about a tenth of a
//! replay's CPU time, BENCHMARKS.md) is not paid.
//!
//! Mapped files must not shrink while mapped: a file truncated underneath a run makes the
//! process fail on SIGBUS (nothing is committed then, and the month's lease expires after
//! `--lease-ttl`). Saved pages are written once and never changed, so this is documented
//! rather than guarded against.

use std::fs::File;
use std::os::fd::AsRawFd;

/// A whole file mapped read-only; unmapped on drop.
pub(crate) struct MappedFile {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and private; it is only read through `as_ref`, and
// unmapped exactly once, in `drop`.
unsafe impl Send for MappedFile {}
// SAFETY: as above; shared reads of immutable memory.
unsafe impl Sync for MappedFile {}

impl MappedFile {
    /// Maps all of `file` (`len` bytes, its current size). `None` for an empty file or when
    /// the system refuses, so the caller reads it the ordinary way instead.
    pub(crate) fn map(file: &File, len: usize) -> Option<Self> {
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh read-only private mapping of an open file descriptor; the result is
        // checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(Self { ptr, len })
    }
}

impl AsRef<[u8]> for MappedFile {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for the life of `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `map`, once.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn maps_the_whole_file_and_nothing_for_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let body: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&body)
            .unwrap();
        let f = File::open(&path).unwrap();
        let m = MappedFile::map(&f, body.len()).expect("mapped");
        drop(f);
        assert_eq!(m.as_ref(), &body[..]);
        let empty = dir.path().join("e.json");
        std::fs::File::create(&empty).unwrap();
        assert!(MappedFile::map(&File::open(&empty).unwrap(), 0).is_none());
    }
}
