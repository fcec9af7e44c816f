//! Allocator settings that keep peak memory flat over long runs.
//!
//! With glibc's defaults, freeing the ~1 MB page bodies raises the dynamic mmap threshold, so
//! later page buffers come from the heap and fragment it across per-thread arenas: the
//! resident set creeps up with the size of a month (measured: +6 MB per million rows). A fixed
//! mmap threshold returns each page buffer to the OS, and two arenas bound the spread.

/// Applies the settings; call once at startup, before threads start.
pub(crate) fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the free pages inside the allocator's arenas to the OS.
///
/// Called after each row group is written. Over a long month, glibc serves more and more large
/// buffers from free space inside its arenas instead of fresh mappings, so freed-but-resident
/// memory grew for the first ~3M rows of a month before it levelled off (+5 MiB). Trimming at
/// each row group, when the encoders' buffers have just been freed, keeps that from building up:
/// measured 56.8 -> 52.8 MiB for a 1M-row month and 62.2 -> 57.0 MiB for a 10M-row month, for
/// about 2% of wall time (BENCHMARKS.md).
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages of the allocator's own arenas to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
}
