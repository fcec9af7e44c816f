//! Input that would put a wrong month in the lake is refused or made visible: hand-assembled
//! replay folders, plain-http keys, the current period's month, rows filed under the wrong
//! month, and what `--skip-unchanged` does under both readings of the API's ETag.

use std::time::Instant;

use chrono::{Datelike, Utc};
use ea_usage_archiver::sim::{self, EtagMode, SimConfig};

use crate::common::*;

async fn replay(dir: &std::path::Path, dest: &str, extra: &[&str]) -> std::process::Output {
    let d = dir.to_str().unwrap();
    let mut a = vec![
        "--enrollment",
        ENROLLMENT,
        "--month",
        "2024-07",
        "--from-dir",
        d,
        "--dest",
        dest,
    ];
    a.extend_from_slice(extra);
    archive(&a, None).await
}

/// Saves the simulator's pages of 2024-07 (3 pages) with --keep-raw; returns their folder.
async fn saved_pages(lake: &std::path::Path) -> std::path::PathBuf {
    let sim = start_sim(Some(2500), &[]).await;
    let url = sim.base_url();
    let dest = lake.to_str().unwrap();
    let out = archive(
        &args(&url, dest, &["--month", "2024-07", "--keep-raw"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    sim.stop().await;
    let run = summary(&out)["run_id"].as_str().unwrap().to_string();
    lake.join(format!(
        "_raw/enrollment={ENROLLMENT}/year=2024/month=07/{run}"
    ))
}

fn unpack(zst: &std::path::Path, to: &std::path::Path) {
    let bytes = zstd::decode_all(std::fs::File::open(zst).unwrap()).unwrap();
    std::fs::write(to, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_assembled_replay_folders_are_refused_naming_the_file() {
    let source = tempfile::tempdir().unwrap();
    let raw = saved_pages(source.path()).await;
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();

    // The saved folder itself replays.
    let out = replay(&raw, &dest, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&out)["partitions"][0]["rows"], 2500);
    let good = std::fs::read(data_file(lake.path(), 2024, 7)).unwrap();

    // A page unpacked for a look beside its .zst: the same page twice.
    let dup = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&raw).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dup.path().join(f.file_name().unwrap())).unwrap();
    }
    unpack(
        &raw.join("page-00002.json.zst"),
        &dup.path().join("page-00002.json"),
    );
    let out = replay(dup.path(), &dest, &[]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("page-00002.json and ") && err.contains("page-00002.json.zst"),
        "{err}"
    );

    // A folder missing its last page: the last page present still has a nextLink.
    let short = tempfile::tempdir().unwrap();
    for n in [1, 2] {
        let name = format!("page-{n:05}.json.zst");
        std::fs::copy(raw.join(&name), short.path().join(&name)).unwrap();
    }
    let out = replay(short.path(), &dest, &["--allow-shrink"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("page 2") && err.contains("page-00002.json.zst") && err.contains("missing"),
        "{err}"
    );

    // Pages after the end of the chain (another pull's page 1 sorted after the last page).
    let extra = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&raw).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, extra.path().join(f.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        raw.join("page-00001.json.zst"),
        extra.path().join("page-00004.json.zst"),
    )
    .unwrap();
    let out = replay(extra.path(), &dest, &[]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("page-00004.json.zst") && err.contains("page 3 has no nextLink"),
        "{err}"
    );

    assert_eq!(
        std::fs::read(data_file(lake.path(), 2024, 7)).unwrap(),
        good,
        "the month is untouched"
    );
    assert_eq!(
        lake_files(lake.path()),
        vec!["enrollment=1234567/year=2024/month=07/usage-details.parquet"]
    );
}

#[tokio::test]
async fn a_plain_http_key_is_sent_only_to_loopback() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let base = [
        "--enrollment",
        ENROLLMENT,
        "--month",
        "2024-01",
        "--dest",
        dest.as_str(),
    ];
    let started = Instant::now();
    let mut a = base.to_vec();
    a.extend(["--base-url", "http://consumption.example.com"]);
    let out = archive(&a, Some(KEY)).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--base-url") && err.contains("--allow-http") && err.contains("unencrypted"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 5);
    assert!(lake_files(lake.path()).is_empty());
    // With --allow-http the run goes ahead (to an unroutable address: a network error, exit 4).
    let mut a = base.to_vec();
    a.extend([
        "--base-url",
        "http://192.0.2.1:9",
        "--allow-http",
        "--request-timeout",
        "1",
        "--max-retries",
        "0",
    ]);
    let out = archive(&a, Some(KEY)).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(!stderr(&out).contains(KEY) && !stdout(&out).contains(KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_http_next_link_to_another_host_is_refused() {
    let sim = start_sim(Some(2500), &["foreign@1"]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let extra = [
        "--month",
        "2024-01",
        "--allow-next-link-host",
        "foreign.invalid",
    ];
    let out = archive(&args(&url, &dest, &extra), Some(KEY)).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("http://foreign.invalid") && err.contains("--allow-http"),
        "{err}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_current_period_is_filed_under_the_month_of_its_rows() {
    // An API whose current period is still last month (a run just after the month turned).
    let today = Utc::now().date_naive();
    let last = today.with_day(1).unwrap() - chrono::Days::new(1);
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(1500);
    cfg.current_period = Some((last.year(), last.month()));
    let sim = sim::start(([127, 0, 0, 1], 0).into(), cfg).await.unwrap();
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &[]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let p = &summary(&out)["partitions"][0];
    assert_eq!(
        p["month"],
        format!("{:04}-{:02}", last.year(), last.month())
    );
    assert_eq!(p["out_of_month_rows"], 0);
    let rb = read_partition(&data_file(lake.path(), last.year(), last.month()));
    assert_eq!(rb.batch.num_rows(), 1500);
    assert_eq!(
        lake_files(lake.path()),
        vec![format!(
            "enrollment={ENROLLMENT}/year={:04}/month={:02}/usage-details.parquet",
            last.year(),
            last.month()
        )]
    );
    sim.stop().await;
}

/// `--skip-unchanged` on the open period just after the month turned: the API still serves last
/// month, so the ETag to compare is last month's object's, not the clock month's (which has
/// none). Under either reading of the ETag, a re-run costs page 1 only and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn skip_unchanged_on_the_open_period_uses_the_etag_of_the_month_of_its_rows() {
    let today = Utc::now().date_naive();
    let last = today.with_day(1).unwrap() - chrono::Days::new(1);
    for mode in [EtagMode::Month, EtagMode::Page] {
        let mut cfg = SimConfig::new(KEY);
        cfg.rows_per_month = Some(2500);
        cfg.current_period = Some((last.year(), last.month()));
        cfg.etag = mode;
        let sim = sim::start(([127, 0, 0, 1], 0).into(), cfg).await.unwrap();
        let lake = tempfile::tempdir().unwrap();
        let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
        let out = archive(&args(&url, &dest, &[]), Some(KEY)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            sim.page_bytes().len(),
            3,
            "{mode:?}: the first pull reads every page"
        );
        let file = data_file(lake.path(), last.year(), last.month());
        let before = std::fs::read(&file).unwrap();
        let out = archive(&args(&url, &dest, &["--skip-unchanged"]), Some(KEY)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let p = &summary(&out)["partitions"][0];
        assert_eq!(p["status"], "unchanged", "{mode:?}: {p}");
        assert_eq!(
            p["month"],
            format!("{:04}-{:02}", last.year(), last.month())
        );
        assert_eq!(p["rows"], 2500, "{mode:?}: {p}");
        assert_eq!(
            sim.page_bytes().len(),
            4,
            "{mode:?}: the re-run asked for page 1 only"
        );
        assert_eq!(std::fs::read(&file).unwrap(), before, "{mode:?}");
        assert_eq!(
            lake_files(lake.path()).len(),
            1,
            "{mode:?}: nothing else written"
        );
        sim.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_outside_the_month_are_counted_warned_and_reported_by_verify() {
    let sim = start_sim(Some(2500), &["misdate@2"]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &["--month", "2024-05"]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&out)["partitions"][0]["out_of_month_rows"], 1000);
    assert!(
        stderr(&out).contains("out_of_month_rows=1000"),
        "{}",
        stderr(&out)
    );
    let rb = read_partition(&data_file(lake.path(), 2024, 5));
    assert_eq!(rb.metadata["ea_usage_archiver.out_of_month_rows"], "1000");
    let v = tokio::process::Command::new(bin())
        .args(["verify", "--dest", &dest, "--format", "json"])
        .output()
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    let p = &report["partitions"][0];
    assert_eq!(p["out_of_month_rows"], 1000);
    assert!(
        p["warnings"][0].as_str().unwrap().contains("1000 row(s)"),
        "{p}"
    );
    sim.stop().await;
}

/// `--skip-unchanged` against both readings of the API's ETag, with a change on page 3 only.
#[tokio::test(flavor = "multi_thread")]
async fn skip_unchanged_under_both_etag_readings() {
    for (mode, want) in [(EtagMode::Month, "ok"), (EtagMode::Page, "unchanged")] {
        let lake = tempfile::tempdir().unwrap();
        let dest = lake.path().to_str().unwrap().to_string();
        let start = |faults: &[&str]| {
            let mut cfg = SimConfig::new(KEY);
            cfg.rows_per_month = Some(2500);
            cfg.etag = mode;
            cfg.faults = faults
                .iter()
                .map(|f| sim::Fault::parse(f).unwrap())
                .collect();
            sim::start(([127, 0, 0, 1], 0).into(), cfg)
        };
        let sim = start(&[]).await.unwrap();
        let out = archive(
            &args(&sim.base_url(), &dest, &["--month", "2024-06"]),
            Some(KEY),
        )
        .await;
        assert!(out.status.success(), "{}", stderr(&out));
        sim.stop().await;
        // The month's data changes on page 3 only.
        let sim = start(&["change@3"]).await.unwrap();
        let extra = ["--month", "2024-06", "--skip-unchanged"];
        let out = archive(&args(&sim.base_url(), &dest, &extra), Some(KEY)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let p = &summary(&out)["partitions"][0];
        assert_eq!(p["status"], want, "{mode:?}: {p}");
        let rb = read_partition(&data_file(lake.path(), 2024, 6));
        let changed = (0..rb.batch.num_rows())
            .filter(|&i| {
                map_at(&rb.batch, "extra_fields", i)
                    .is_some_and(|m| m.iter().any(|(k, _)| k == "simChanged"))
            })
            .count();
        // A month-wide ETag sees the change; a page-1 ETag misses it and keeps the old month.
        assert_eq!(changed, if want == "ok" { 500 } else { 0 }, "{mode:?}");
        sim.stop().await;
    }
}

/// Pages are asked for gzip-compressed and decoded as they come: far fewer bytes on the wire,
/// the same rows.
#[tokio::test(flavor = "multi_thread")]
async fn pages_travel_gzip_compressed() {
    let sim = start_sim(Some(3000), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &["--month", "2024-05"]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let wire = sim.page_bytes();
    assert_eq!(wire.len(), 3);
    assert!(wire.iter().all(|(gzip, _)| *gzip), "{wire:?}");
    // The same page without compression, for comparison.
    ea_usage_archiver::tls::install_crypto_provider();
    let plain = reqwest::Client::builder().no_gzip().build().unwrap();
    let page1 = plain
        .get(format!(
            "{url}/v2/enrollments/{ENROLLMENT}/billingPeriods/202405/usagedetails"
        ))
        .header("authorization", format!("bearer {KEY}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (gz1, plain1) = (wire[0].1, page1.len() as u64);
    eprintln!("page 1 of 1,000 rows: {plain1} bytes plain, {gz1} bytes gzip");
    assert!(gz1 * 4 < plain1, "{gz1} vs {plain1}");
    let rb = read_partition(&data_file(lake.path(), 2024, 5));
    assert_eq!(rb.batch.num_rows(), 3000);
    sim.stop().await;
}
