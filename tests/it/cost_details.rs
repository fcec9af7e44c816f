//! The Cost Details source on the real binary against the simulator's report flow: each
//! metric and column generation, several (gzip) blobs, empty and failed reports, throttling,
//! a refused token, a lake's metric, and no token on any blob request or in any output.

use arrow_array::Array;
use arrow_array::cast::AsArray;

use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::money::format_scaled;
use ea_usage_archiver::sim::cost_csv::{self, Generation, SimMetric};
use ea_usage_archiver::sim::{self, CostDetailsConfig, SimConfig, SimHandle};

use crate::common::*;

const MONTH: &str = "2024-06";
const ROWS: u64 = 2600;

async fn start(rows: u64, cd: CostDetailsConfig) -> SimHandle {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(rows);
    cfg.cost_details = cd;
    sim::start(([127, 0, 0, 1], 0).into(), cfg).await.unwrap()
}

fn totals(rows: u64, metric: SimMetric) -> (u64, i128) {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(rows);
    cost_csv::month_totals(&cfg.month(ENROLLMENT, 2024, 6, ApiVersion::V2), metric)
}

/// `archive --source cost-details` against `sim` into `dest`; the token in AZURE_ACCESS_TOKEN.
async fn pull(sim: &SimHandle, dest: &str, token: &str, extra: &[&str]) -> std::process::Output {
    let url = sim.base_url();
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args([
        "archive",
        "--source",
        "cost-details",
        "--management-url",
        &url,
    ])
    .args([
        "--enrollment",
        ENROLLMENT,
        "--month",
        MONTH,
        "--dest",
        dest,
        "--retry-base-delay-ms",
        "10",
    ])
    .args(extra)
    .env("RUST_LOG", "debug")
    .env_remove("EA_API_KEY")
    .env("AZURE_ACCESS_TOKEN", token);
    cmd.output().await.unwrap()
}

fn no_secrets(out: &std::process::Output, lake: &std::path::Path) {
    for text in [stdout(out), stderr(out)] {
        assert!(!text.contains(KEY), "the token leaked");
        assert!(!text.contains("SECRET"), "a SAS signature leaked: {text}");
    }
    for f in files_below(lake) {
        let bytes = std::fs::read(lake.join(&f)).unwrap();
        for secret in [KEY.as_bytes(), b"SECRET".as_slice()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{f} holds a secret"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_metric_and_generation_archives_exactly_and_no_token_reaches_a_blob() {
    for (metric, flag, generation, gzip) in [
        (SimMetric::Actual, "actual", Generation::Current, false),
        (SimMetric::Amortized, "amortized", Generation::Older, true),
    ] {
        let cd = CostDetailsConfig {
            generation,
            blobs: 4,
            gzip,
            ..Default::default()
        };
        let sim = start(ROWS, cd).await;
        let lake = tempfile::tempdir().unwrap();
        let dest = lake.path().to_str().unwrap();
        let out = pull(&sim, dest, KEY, &["--metric", flag]).await;
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        let (rows, total) = totals(ROWS, metric);
        let p = &summary(&out)["partitions"][0];
        assert_eq!(
            (p["rows"].as_u64(), p["pages"].as_u64()),
            (Some(rows), Some(4)),
            "{flag}: {p}"
        );
        assert_eq!(p["cost_total"], format_scaled(total));
        let rb = read_partition(&data_file(lake.path(), 2024, 6));
        assert_eq!(decimal_sum(&rb.batch, "cost"), total);
        assert_eq!(rb.metadata["ea_usage_archiver.metric"], flag);
        assert_eq!(
            rb.metadata["ea_usage_archiver.api_version"],
            "cost-details-2025-03-01"
        );
        assert_eq!(rb.metadata["ea_usage_archiver.schema_version"], "2");
        // The EA API's columns are filled from either generation's names, the new ones too.
        let b = &rb.batch;
        for col in [
            "department_name",
            "product",
            "subscription_guid",
            "billing_currency",
            "instance_id",
            "charge_type",
        ] {
            assert_eq!(col_nulls(b, col), 0, "{flag}: {col}");
        }
        assert_eq!(string_at(b, "billing_currency", 0).as_deref(), Some("USD"));
        assert_eq!(
            string_at(b, "enrollment_number", 0).as_deref(),
            Some(ENROLLMENT)
        );
        assert!(
            b.column_by_name("is_azure_credit_eligible")
                .unwrap()
                .as_boolean()
                .value(0)
        );
        assert!(
            string_at(b, "instance_id", 1)
                .unwrap()
                .starts_with("/SUBSCRIPTIONS/")
        );
        assert_eq!(
            map_at(b, "tags", 0).unwrap()[0].0,
            "env",
            "{flag}: brace-less tags"
        );
        // Amortized costs with 28 fractional digits were rounded half-even and counted.
        let rounded = p["rounded_decimals"].as_u64().unwrap();
        assert_eq!(
            rounded,
            if metric == SimMetric::Amortized {
                1 + (ROWS - 1) / 3
            } else {
                1
            },
            "{flag}"
        );
        // Every blob was fetched without the token.
        let blobs = sim.blob_requests();
        assert_eq!(blobs.len(), 4, "{blobs:?}");
        assert!(blobs.iter().all(|r| !r.authorization), "{blobs:?}");
        no_secrets(&out, lake.path());
        sim.stop().await;
    }
}

fn col_nulls(b: &arrow_array::RecordBatch, col: &str) -> usize {
    b.column_by_name(col).unwrap().null_count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lake_keeps_one_metric() {
    let sim = start(1200, CostDetailsConfig::default()).await;
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap();
    let out = pull(&sim, dest, KEY, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = pull(
        &sim,
        dest,
        KEY,
        &["--metric", "amortized", "--month", "2024-07"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--metric") && err.contains("--dest") && err.contains("actual"),
        "{err}"
    );
    assert!(
        !lake
            .path()
            .join("enrollment=1234567/year=2024/month=07")
            .exists()
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_data_failed_reports_throttling_and_a_refused_token() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap();
    // NoDataFound: a valid zero-row month.
    let sim = start(0, CostDetailsConfig::default()).await;
    let out = pull(&sim, dest, KEY, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        read_partition(&data_file(lake.path(), 2024, 6))
            .batch
            .num_rows(),
        0
    );
    sim.stop().await;
    // A failed report: exit 4 with the API's status and message; the month untouched.
    let before = std::fs::read(data_file(lake.path(), 2024, 6)).unwrap();
    let cd = CostDetailsConfig {
        final_status: Some("Failed".into()),
        ..Default::default()
    };
    let sim = start(1200, cd).await;
    let out = pull(&sim, dest, KEY, &[]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("Failed") && err.contains("ReportGenerationFailed"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(data_file(lake.path(), 2024, 6)).unwrap(),
        before
    );
    sim.stop().await;
    // Throttled twice, then served: retried with the policy, complete.
    let cd = CostDetailsConfig {
        throttle: 2,
        ..Default::default()
    };
    let sim = start(1200, cd).await;
    let out = pull(&sim, dest, KEY, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("retrying request").count(),
        2,
        "{}",
        stderr(&out)
    );
    assert_eq!(summary(&out)["partitions"][0]["rows"], 1200);
    // A refused token: exit 3, never printed.
    let wrong = "wrong-token-ABCDEFG-SECRET";
    let out = pull(&sim, dest, wrong, &["--month", "2024-08"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(first_error(&out).contains("refused the access token"));
    assert!(!stderr(&out).contains(wrong) && !stdout(&out).contains(wrong));
    // A report that is never ready within --report-timeout.
    sim.stop().await;
    let cd = CostDetailsConfig {
        polls: 1000,
        ..Default::default()
    };
    let sim = start(1200, cd).await;
    let out = pull(
        &sim,
        dest,
        KEY,
        &["--month", "2024-09", "--report-timeout", "2"],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        first_error(&out).contains("--report-timeout"),
        "{}",
        first_error(&out)
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_report_replays_to_the_same_month() {
    // The blobs as a user would save them from a Cost Management export.
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(ROWS);
    let spec = cfg.month(ENROLLMENT, 2024, 6, ApiVersion::V2);
    let saved = tempfile::tempdir().unwrap();
    std::fs::write(
        saved.path().join("part-0.csv"),
        cost_csv::blob(
            &spec,
            0,
            1300,
            SimMetric::Amortized,
            Generation::Current,
            true,
        ),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut gz,
        &cost_csv::blob(
            &spec,
            1300,
            ROWS,
            SimMetric::Amortized,
            Generation::Current,
            false,
        ),
    )
    .unwrap();
    std::fs::write(saved.path().join("part-1.csv.gz"), gz.finish().unwrap()).unwrap();
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap();
    let dir = saved.path().to_str().unwrap();
    let a = [
        "--enrollment",
        ENROLLMENT,
        "--month",
        MONTH,
        "--from-dir",
        dir,
        "--dest",
        dest,
        "--metric",
        "amortized",
        "--keep-raw",
    ];
    let out = archive(&a, None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (rows, total) = totals(ROWS, SimMetric::Amortized);
    let p = &summary(&out)["partitions"][0];
    assert_eq!(
        (p["rows"].as_u64(), p["cost_total"].as_str()),
        (Some(rows), Some(format_scaled(total).as_str()))
    );
    let rb = read_partition(&data_file(lake.path(), 2024, 6));
    assert_eq!(rb.metadata["ea_usage_archiver.metric"], "amortized");
    // The raw copy is itself replayable.
    let run = summary(&out)["run_id"].as_str().unwrap().to_string();
    let raw = lake
        .path()
        .join(format!("_raw/enrollment=1234567/year=2024/month=06/{run}"));
    let lake2 = tempfile::tempdir().unwrap();
    let dest2 = lake2.path().to_str().unwrap();
    let raw_s = raw.to_str().unwrap();
    let a = [
        "--enrollment",
        ENROLLMENT,
        "--month",
        MONTH,
        "--from-dir",
        raw_s,
        "--dest",
        dest2,
        "--metric",
        "amortized",
    ];
    let out = archive(&a, None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let again = read_partition(&data_file(lake2.path(), 2024, 6));
    assert_eq!(
        again.batch, rb.batch,
        "the raw pages replay to the same rows"
    );
}

#[tokio::test]
async fn a_plain_http_management_url_to_another_host_is_refused() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap();
    let out = tokio::process::Command::new(bin())
        .args([
            "archive",
            "--source",
            "cost-details",
            "--management-url",
            "http://management.example.com",
        ])
        .args(["--enrollment", ENROLLMENT, "--month", MONTH, "--dest", dest])
        .env("AZURE_ACCESS_TOKEN", KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--management-url"),
        "{}",
        stderr(&out)
    );
    // No token and no credential of the Azure chain (none configured here, no `az`): exit 3,
    // naming what was tried and how to give a token.
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args([
        "archive",
        "--source",
        "cost-details",
        "--enrollment",
        ENROLLMENT,
    ])
    .args([
        "--month",
        MONTH,
        "--dest",
        dest,
        "--management-url",
        "http://127.0.0.1:9",
    ]);
    for (k, _) in
        std::env::vars().filter(|(k, _)| k.starts_with("AZURE_") || k == "IDENTITY_ENDPOINT")
    {
        cmd.env_remove(k);
    }
    let started = std::time::Instant::now();
    let out = cmd.env("PATH", "/nonexistent").output().await.unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("AZURE_ACCESS_TOKEN")
            && err.contains("managed identity")
            && err.contains("Azure CLI"),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
