//! Data safety under real operations, on every store: SIGTERM and SIGINT mid-month, two runs
//! of one month at once (the lease), a run killed with SIGKILL and retried.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use crate::common::*;
use crate::stores::Target;

const MONTH: &str = "2024-03";
const FILE: &str = "enrollment=1234567/year=2024/month=03/usage-details.parquet";

/// A running `archive` whose stderr lines are forwarded as they come.
pub struct Running {
    pub child: tokio::process::Child,
    pub lines: mpsc::UnboundedReceiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn spawn(args: &[&str]) -> Self {
        let mut child = tokio::process::Command::new(bin())
            .arg("archive")
            .args(args)
            .env("EA_API_KEY", KEY)
            .env("RUST_LOG", "debug")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        let stderr = child.stderr.take().unwrap();
        tokio::spawn(async move {
            let mut r = BufReader::new(stderr).lines();
            while let Ok(Some(l)) = r.next_line().await {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until `n` stderr lines contain `needle` (panics after 60 s or if the run ends).
    pub async fn wait_for(&mut self, needle: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.seen.iter().filter(|l| l.contains(needle)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(l)) => self.seen.push(l),
                Ok(None) => panic!("the run ended before {n}× {needle:?}: {:#?}", self.seen),
                Err(_) => panic!("no {n}× {needle:?} within 60 s: {:#?}", self.seen),
            }
        }
    }

    pub fn signal(&self, sig: i32) {
        let pid = self.child.id().unwrap() as i32;
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    /// Waits for the exit; returns the code, stdout and the whole stderr.
    pub async fn finish(mut self) -> (Option<i32>, String, String) {
        let mut stdout = String::new();
        use tokio::io::AsyncReadExt;
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .await
            .unwrap();
        let status = self.child.wait().await.unwrap();
        while let Some(l) = self.lines.recv().await {
            self.seen.push(l);
        }
        (status.code(), stdout, self.seen.join("\n"))
    }
}

/// A committed first version of the month on `t`, returned as bytes.
async fn committed_first(t: &Target) -> bytes::Bytes {
    let sim = start_sim(Some(2500), &[]).await;
    let url = sim.base_url();
    let extra = ["--month", MONTH, "--allow-shrink"];
    let out = archive(&args(&url, &t.url, &extra), Some(KEY)).await;
    assert!(out.status.success(), "[{}] {}", t.kind, stderr(&out));
    sim.stop().await;
    t.bytes(FILE).await
}

/// SIGTERM (or SIGINT) mid-upload: exit 143 (130) within a few seconds, the month exactly as
/// it was, no staged file, no open multipart upload, the lease released, and the summary
/// marking the month `cancelled`.
async fn signal_mid_upload(t: &Target, sig: i32, code: i32, name: &str) {
    let before = committed_first(t).await;
    let sim = start_sim(Some(400_000), &["latency=15"]).await;
    let url = sim.base_url();
    let extra = [
        "--month",
        MONTH,
        "--keep-raw",
        "--row-group-rows",
        "8192",
        "--upload-part-bytes",
        "5242880",
    ];
    let mut run = Running::spawn(&args(&url, &t.url, &extra));
    // Far enough for row groups (and on S3 a multipart upload) and raw pages to be in flight.
    run.wait_for("decoded page", 200).await;
    let signalled = Instant::now();
    run.signal(sig);
    let (exit, out, log) = run.finish().await;
    let took = signalled.elapsed();
    sim.stop().await;
    assert_eq!(exit, Some(code), "[{}] {log}", t.kind);
    assert!(
        took < Duration::from_secs(5),
        "[{}] exit took {took:?}",
        t.kind
    );
    let s: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(s["cancelled_by"], name);
    let p = &s["partitions"][0];
    assert_eq!(p["status"], "cancelled", "[{}] {s}", t.kind);
    assert_eq!(p["exit_code"], code);
    assert!(
        log.contains("WARN") && log.contains(&format!("run cancelled by {name}")),
        "[{}] {log}",
        t.kind
    );
    assert_eq!(
        t.bytes(FILE).await,
        before,
        "[{}] the month changed",
        t.kind
    );
    assert_eq!(
        split_history(t.objects().await).0,
        vec![FILE.to_string()],
        "[{}]",
        t.kind
    );
    if let Some(pending) = t.pending_uploads().await {
        assert!(
            pending.is_empty(),
            "[{}] open multipart upload: {pending:?}",
            t.kind
        );
    }
}

/// Two runs of one month at once: the second exits 8 at once naming the first, which is not
/// disturbed and commits.
async fn overlapping_runs(t: &Target) {
    let sim = start_sim(Some(20_000), &["latency=40"]).await;
    let url = sim.base_url();
    let mut first = Running::spawn(&args(&url, &t.url, &["--month", MONTH]));
    first.wait_for("decoded page", 2).await;
    let started = Instant::now();
    let out = archive(&args(&url, &t.url, &["--month", MONTH]), Some(KEY)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "[{}] not at once",
        t.kind
    );
    assert_eq!(out.status.code(), Some(8), "[{}] {}", t.kind, stderr(&out));
    let (code, first_out, log) = first.finish().await;
    assert_eq!(code, Some(0), "[{}] {log}", t.kind);
    let first_summary: serde_json::Value = serde_json::from_str(&first_out).unwrap();
    let first_run = first_summary["run_id"].as_str().unwrap();
    let err = first_error(&out);
    assert!(
        err.contains(&format!("run {first_run}")) && err.contains("since 20"),
        "[{}] {err}",
        t.kind
    );
    assert_eq!(summary(&out)["partitions"][0]["exit_code"], 8);
    let rb = t.read(FILE).await;
    assert_eq!(rb.batch.num_rows(), 20_000, "[{}]", t.kind);
    assert_eq!(
        rb.metadata["ea_usage_archiver.run_id"], first_run,
        "[{}] the first run's version is the month's",
        t.kind
    );
    assert_eq!(
        split_history(t.objects().await).0,
        vec![FILE.to_string()],
        "[{}]",
        t.kind
    );
    sim.stop().await;
}

/// A run killed with SIGKILL blocks the month no longer than its lease's time-to-live: a retry
/// at once is turned away with exit 8, one after the time-to-live commits.
async fn killed_then_retried(t: &Target) {
    let before = committed_first(t).await;
    let sim = start_sim(Some(100_000), &["latency=20"]).await;
    let url = sim.base_url();
    let mut run = Running::spawn(&args(&url, &t.url, &["--month", MONTH, "--lease-ttl", "5"]));
    run.wait_for("decoded page", 5).await;
    run.signal(libc::SIGKILL);
    let (code, _, _) = run.finish().await;
    assert_eq!(code, None, "killed by a signal");
    assert_eq!(t.bytes(FILE).await, before, "[{}]", t.kind);
    sim.stop().await;
    let sim = start_sim(Some(3000), &[]).await;
    let url = sim.base_url();
    let out = archive(&args(&url, &t.url, &["--month", MONTH]), Some(KEY)).await;
    assert_eq!(out.status.code(), Some(8), "[{}] {}", t.kind, stderr(&out));
    let waited = Instant::now();
    let out = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out = archive(&args(&url, &t.url, &["--month", MONTH]), Some(KEY)).await;
        if out.status.code() != Some(8) || waited.elapsed() > Duration::from_secs(20) {
            break out;
        }
    };
    assert!(out.status.success(), "[{}] {}", t.kind, stderr(&out));
    assert!(
        waited.elapsed() < Duration::from_secs(8),
        "[{}] {:?}",
        t.kind,
        waited.elapsed()
    );
    assert_eq!(t.read(FILE).await.batch.num_rows(), 3000);
    assert_eq!(
        split_history(t.objects().await).0,
        vec![FILE.to_string()],
        "[{}]",
        t.kind
    );
    sim.stop().await;
}

async fn all(t: Option<Target>) {
    let Some(t) = t else { return };
    signal_mid_upload(&t, libc::SIGTERM, 143, "SIGTERM").await;
    overlapping_runs(&t).await;
    killed_then_retried(&t).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn local_disk_signals_and_leases() {
    all(Some(Target::local())).await;
    signal_mid_upload(&Target::local(), libc::SIGINT, 130, "SIGINT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_signals_and_leases() {
    all(Target::cloud("EAUA_TEST_S3_URL", "s3")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_signals_and_leases() {
    all(Target::cloud("EAUA_TEST_AZURE_URL", "azure")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_a_request_waits_on_a_slow_api_ends_the_run_at_once() {
    let t = Target::local();
    let sim = start_sim(Some(3000), &["slow=60000@2"]).await;
    let url = sim.base_url();
    let mut run = Running::spawn(&args(&url, &t.url, &["--month", MONTH]));
    run.wait_for("decoded page", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // page 2 is now being waited for
    let signalled = Instant::now();
    run.signal(libc::SIGTERM);
    let (code, out, log) = run.finish().await;
    assert_eq!(code, Some(143), "{log}");
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "{:?}",
        signalled.elapsed()
    );
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["partitions"][0]["status"], "cancelled");
    assert!(
        t.objects().await.is_empty(),
        "nothing committed, nothing staged"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_month_committed_before_the_signal_stays_committed() {
    let t = Target::local();
    // One month is small and quick, the other slow: SIGTERM once the quick one is committed.
    let quick = start_sim(Some(1500), &[]).await;
    let url = quick.base_url();
    let out = archive(&args(&url, &t.url, &["--month", "2024-01"]), Some(KEY)).await;
    assert!(out.status.success());
    quick.stop().await;
    let sim = start_sim(Some(3000), &["slow=60000@2#2024-02"]).await;
    let url = sim.base_url();
    let mut run = Running::spawn(&args(
        &url,
        &t.url,
        &[
            "--month",
            "2024-02",
            "--month",
            "2024-01",
            "--concurrency",
            "2",
        ],
    ));
    run.wait_for("partition committed", 1).await;
    run.signal(libc::SIGTERM);
    let (code, out, log) = run.finish().await;
    assert_eq!(code, Some(143), "{log}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    let status: Vec<(&str, &str)> = s["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["month"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(status, vec![("2024-01", "ok"), ("2024-02", "cancelled")]);
    assert_eq!(
        split_history(t.objects().await),
        (
            vec!["enrollment=1234567/year=2024/month=01/usage-details.parquet".to_string()],
            1
        )
    );
    sim.stop().await;
}
