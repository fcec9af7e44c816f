//! Peak memory does not grow with the size of a month: the child's own peak RSS (VmHWM, in the
//! run summary) for a large month stays within a constant of a small month's. Sizes can be
//! raised with `EAUA_MEMORY_ROWS` (e.g. 5000000) for a longer check.

use crate::common::*;

async fn peak_rss(rows: u64) -> u64 {
    let sim = start_sim(Some(rows), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &["--month", "2024-01"]), Some(KEY)).await;
    sim.stop().await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(s["partitions"][0]["rows"], rows);
    s["peak_rss_bytes"]
        .as_u64()
        .expect("peak RSS is reported on Linux")
}

#[tokio::test(flavor = "multi_thread")]
async fn peak_memory_is_flat_in_the_size_of_a_month() {
    const MIB: u64 = 1024 * 1024;
    let big: u64 = std::env::var("EAUA_MEMORY_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let small = peak_rss(50_000).await;
    let medium = peak_rss(400_000).await;
    let large = peak_rss(big).await;
    eprintln!(
        "peak RSS: 50,000 rows {} MiB, 400,000 rows {} MiB, {big} rows {} MiB",
        small / MIB,
        medium / MIB,
        large / MIB
    );
    // A full row group (128 Ki rows) is the most a month holds at once.
    assert!(
        large <= small + 32 * MIB,
        "large month {large} vs small {small}"
    );
    // Past one row group, more rows add (almost) nothing.
    assert!(
        large <= medium + 8 * MIB,
        "large month {large} vs medium {medium}"
    );
}
