//! A process killed with SIGKILL in the middle of uploading a month, then re-run: exactly one
//! correct copy of the month and no leftovers.

use std::time::{Duration, Instant};

use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::sim::SimConfig;
use ea_usage_archiver::sim::data::month_totals;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_upload_then_rerun_leaves_one_correct_copy() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let file = data_file(lake.path(), 2024, 4);

    // A committed previous version.
    let sim = start_sim(Some(2500), &[]).await;
    let url = sim.base_url();
    assert!(
        archive(&args(&url, &dest, &["--month", "2024-04"]), Some(KEY))
            .await
            .status
            .success()
    );
    sim.stop().await;
    let before = std::fs::read(&file).unwrap();

    // A slow, large run, killed once its upload and raw pages are in flight.
    let sim = start_sim(Some(200_000), &["latency=15"]).await;
    let url = sim.base_url();
    let extra = [
        "--month",
        "2024-04",
        "--keep-raw",
        "--row-group-rows",
        "8192",
        "--upload-part-bytes",
        "5242880",
        "--lease-ttl",
        "5",
    ];
    let mut child = tokio::process::Command::new(bin())
        .arg("archive")
        .args(args(&url, &dest, &extra))
        .env("EA_API_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let in_flight = |files: &[String]| {
        files
            .iter()
            .any(|f| f.starts_with("_staging/") && f.contains(".parquet.tmp"))
            && files
                .iter()
                .any(|f| f.starts_with("_staging/") && f.ends_with(".json.zst"))
    };
    loop {
        let files = files_below(lake.path());
        if in_flight(&files) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed: {files:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "upload never started: {files:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    sim.stop().await;
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the killed run must not touch the committed month"
    );
    let visible: Vec<String> = files_below(lake.path())
        .into_iter()
        .filter(|f| {
            !f.starts_with("_staging/") && !f.starts_with("_leases/") && !f.starts_with("_lake/")
        })
        .collect();
    assert_eq!(
        visible,
        vec!["enrollment=1234567/year=2024/month=04/usage-details.parquet"],
        "readers see only the old month"
    );

    // The killed run's lease is still live: a re-run at once is turned away (exit 8) naming
    // the killed run, and touches nothing.
    let leases: Vec<String> = files_below(lake.path())
        .into_iter()
        .filter(|f| f.starts_with("_leases/"))
        .collect();
    assert_eq!(leases.len(), 1, "{leases:?}");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lake.path().join(&leases[0])).unwrap()).unwrap();
    assert_eq!(record["released"], false);
    let killed_run = record["run_id"].as_str().unwrap().to_string();
    let sim = start_sim(Some(3000), &[]).await;
    let url = sim.base_url();
    let out = archive(&args(&url, &dest, &["--month", "2024-04"]), Some(KEY)).await;
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(err.contains(&killed_run) && err.contains("since"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Once its time-to-live has passed, the re-run takes the month over, replaces it and clears
    // what the killed run left, without any manual cleanup.
    let waited = Instant::now();
    let out = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out = archive(&args(&url, &dest, &["--month", "2024-04"]), Some(KEY)).await;
        if out.status.code() != Some(8) || waited.elapsed() > Duration::from_secs(20) {
            break out;
        }
    };
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        waited.elapsed() < Duration::from_secs(8),
        "blocked for {:?}",
        waited.elapsed()
    );
    assert!(
        stderr(&out).contains("took over the lease"),
        "{}",
        stderr(&out)
    );
    sim.stop().await;
    assert_eq!(
        split_history(lake_files(lake.path())),
        (
            vec!["enrollment=1234567/year=2024/month=04/usage-details.parquet".to_string()],
            1
        ),
        "the month, and the version it replaced in history"
    );
    let rb = read_partition(&file);
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(3000);
    let (rows, total) = month_totals(&cfg.month(ENROLLMENT, 2024, 4, ApiVersion::V2));
    assert_eq!(rb.batch.num_rows() as u64, rows);
    assert_eq!(decimal_sum(&rb.batch, "cost"), total);
}
