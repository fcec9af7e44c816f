//! Failures end in a complete month or a clear error with the previous month intact.

use std::time::Instant;

use crate::common::*;

async fn rerun_with_fault(faults: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    rerun_with_fault_args(faults, &[]).await
}

/// Archives 2024-03 cleanly, then re-runs it against a faulty simulator with `extra` flags.
/// Returns the faulty run's output after checking the old object survived byte for byte.
async fn rerun_with_fault_args(
    faults: &[&str],
    extra: &[&str],
) -> (std::process::Output, tempfile::TempDir) {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let good = start_sim(Some(2500), &[]).await;
    let url = good.base_url();
    let out = archive(&args(&url, &dest, &["--month", "2024-03"]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    good.stop().await;
    let before = std::fs::read(data_file(lake.path(), 2024, 3)).unwrap();

    let bad = start_sim(Some(3500), faults).await;
    let url = bad.base_url();
    let mut a = args(&url, &dest, &["--month", "2024-03", "--max-retries", "2"]);
    a.extend_from_slice(extra);
    let out = archive(&a, Some(KEY)).await;
    bad.stop().await;
    let after = std::fs::read(data_file(lake.path(), 2024, 3)).unwrap();
    assert!(
        before == after,
        "a failed run must leave the previous object untouched"
    );
    assert_eq!(
        lake_files(lake.path()),
        vec!["enrollment=1234567/year=2024/month=03/usage-details.parquet"],
        "no staged or partial files may remain"
    );
    assert!(!stderr(&out).contains(KEY) && !stdout(&out).contains(KEY));
    (out, lake)
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_page_fails_the_month_naming_the_page() {
    let (out, _lake) = rerun_with_fault(&["truncate@3"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let s = summary(&out);
    let err = s["partitions"][0]["error"].as_str().unwrap();
    assert!(err.contains("page 3"), "{err}");
    assert_eq!(s["partitions"][0]["status"], "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn html_and_csv_bodies_fail_with_the_first_bytes_shown() {
    let (out, _lake) = rerun_with_fault(&["html@2"]).await;
    assert_eq!(out.status.code(), Some(6));
    let err = first_error(&out);
    assert!(err.contains("page 2") && err.contains("<html>"), "{err}");
    let (out, _lake) = rerun_with_fault(&["csv@1"]).await;
    assert_eq!(out.status.code(), Some(6));
    let err = first_error(&out);
    assert!(err.contains("Usage Data Extract"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_that_is_not_an_array_fails_the_month() {
    let (out, _lake) = rerun_with_fault(&["data-object@2"]).await;
    assert_eq!(out.status.code(), Some(6));
    let err = first_error(&out);
    assert!(err.contains("array"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_key_is_refused_with_exit_3_and_never_printed() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let sim = start_sim(Some(100), &[]).await;
    let url = sim.base_url();
    let wrong = "wrong-key-ABCDEFGHIJKLMNOP";
    let out = archive(&args(&url, &dest, &["--month", "2024-03"]), Some(wrong)).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("API key invalid or expired (EA keys expire every six months)"),
        "{err}"
    );
    assert!(!stderr(&out).contains(wrong) && !stdout(&out).contains(wrong));
    assert!(
        lake_files(lake.path()).is_empty(),
        "nothing is written on failure"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_and_throttling_are_retried_to_a_complete_month() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let faults = [
        "status=503@1x2",
        "status=429@2x1",
        "retry-after=429@3x1",
        "status=500@3x1",
    ];
    let sim = start_sim(Some(2500), &faults).await;
    let url = sim.base_url();
    let started = Instant::now();
    let out = archive(&args(&url, &dest, &["--month", "2024-03"]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // 503 ×2 and both 429s ask for 1 s each: the waits were honoured.
    assert!(
        started.elapsed().as_secs_f64() >= 4.0,
        "{:?}",
        started.elapsed()
    );
    let log = stderr(&out);
    assert_eq!(log.matches("retrying request").count(), 5, "{log}");
    assert!(
        log.contains("status=429") && log.contains("status=503"),
        "{log}"
    );
    let rb = read_partition(&data_file(lake.path(), 2024, 3));
    assert_eq!(rb.batch.num_rows(), 2500);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_5xx_gives_up_with_exit_4() {
    let (out, _lake) = rerun_with_fault(&["status=502@2"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("HTTP 502") && err.contains("3 attempt"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_period_reports_that_the_api_may_mean_no_data() {
    let (out, _lake) = rerun_with_fault(&["status=404@1"]).await;
    assert_eq!(out.status.code(), Some(4));
    let err = first_error(&out);
    assert!(
        err.contains("HTTP 404") && err.contains("no usage data for the range"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn next_link_loops_and_foreign_hosts_are_refused() {
    let (out, _lake) = rerun_with_fault(&["loop@2"]).await;
    assert_eq!(out.status.code(), Some(6));
    let err = first_error(&out);
    assert!(err.contains("looping"), "{err}");
    let (out, _lake) = rerun_with_fault(&["foreign@1"]).await;
    assert_eq!(out.status.code(), Some(6));
    let err = first_error(&out);
    assert!(
        err.contains("foreign.invalid") && err.contains("--allow-next-link-host"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_that_refuses_writes_fails_with_exit_5() {
    let lake = tempfile::tempdir().unwrap();
    let blocker = lake.path().join("enrollment=1234567");
    std::fs::write(&blocker, b"a file where a folder must go").unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let sim = start_sim(Some(100), &[]).await;
    let url = sim.base_url();
    let out = archive(&args(&url, &dest, &["--month", "2024-03"]), Some(KEY)).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("storage error") && err.contains("usage-details.parquet"),
        "{err}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_responses_time_out_are_retried_then_fail_with_exit_4() {
    let started = Instant::now();
    let (out, _lake) = rerun_with_fault_args(&["slow=4000@2"], &["--request-timeout", "1"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(
        err.contains("after 3 attempt") && err.contains("timed out"),
        "{err}"
    );
    assert_eq!(
        stderr(&out).matches("retrying request").count(),
        2,
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed().as_secs() < 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_slow_page_within_the_timeout_still_completes() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let sim = start_sim(Some(2500), &["slow=1500@2"]).await;
    let url = sim.base_url();
    let out = archive(
        &args(
            &url,
            &dest,
            &["--month", "2024-03", "--request-timeout", "5"],
        ),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        read_partition(&data_file(lake.path(), 2024, 3))
            .batch
            .num_rows(),
        2500
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runaway_paging_stops_at_max_pages() {
    let (out, _lake) = rerun_with_fault_args(&[], &["--max-pages", "2"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = first_error(&out);
    assert!(err.contains("--max-pages"), "{err}");
}
