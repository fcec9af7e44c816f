//! The same behavioural suite over every destination: local disk, S3 (moto) and Azure Blob
//! (Azurite). The emulators are started by `scripts/test.sh`, which exports
//! `EAUA_TEST_S3_URL` / `EAUA_TEST_AZURE_URL` and the standard `AWS_*` / `AZURE_*` variables.
//! Outside CI a missing emulator skips its test with a message; in CI it fails.

use std::sync::Arc;

use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::sim::SimConfig;
use ea_usage_archiver::sim::data::month_totals;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::common::*;

/// A lake destination the suite runs against.
pub struct Target {
    pub url: String,
    pub store: Arc<dyn ObjectStore>,
    pub prefix: Path,
    pub kind: &'static str,
    dir: Option<tempfile::TempDir>,
}

impl Target {
    pub fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().to_str().unwrap().to_string();
        let file_url = url::Url::from_directory_path(dir.path()).unwrap();
        let (store, prefix) =
            object_store::parse_url_opts(&file_url, crate::common::store_env()).unwrap();
        Self {
            url,
            store: Arc::from(store),
            prefix,
            kind: "local",
            dir: Some(dir),
        }
    }

    /// A fresh prefix in the emulator named by `var`, or `None` (skip) outside CI.
    pub fn cloud(var: &str, kind: &'static str) -> Option<Self> {
        let Ok(base) = std::env::var(var) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} must be set in CI (scripts/test.sh starts the emulators)"
            );
            eprintln!("skipping the {kind} suite: {var} is not set (run scripts/test.sh)");
            return None;
        };
        let unique = format!(
            "t{}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
            std::process::id()
        );
        let url = format!("{}/{unique}", base.trim_end_matches('/'));
        let (store, prefix) = object_store::parse_url_opts(
            &url::Url::parse(&url).unwrap(),
            crate::common::store_env(),
        )
        .unwrap();
        Some(Self {
            url,
            store: Arc::from(store),
            prefix,
            kind,
            dir: None,
        })
    }

    fn path(&self, rel: &str) -> Path {
        rel.split('/')
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Writes `bytes` at `rel` below the prefix.
    pub async fn put(&self, rel: &str, bytes: Vec<u8>) {
        self.store
            .put(&self.path(rel), bytes.into())
            .await
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    pub async fn read(&self, rel: &str) -> ReadBack {
        let bytes = self.bytes(rel).await;
        read_parquet(bytes)
    }

    pub async fn bytes(&self, rel: &str) -> bytes::Bytes {
        let p = self.path(rel);
        self.store
            .get(&p)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", p))
            .bytes()
            .await
            .unwrap()
    }

    /// Every object below the prefix except lease terms (each checked to be one released
    /// term per month), relative, sorted.
    pub async fn objects(&self) -> Vec<String> {
        let mut all = self.all_objects().await;
        if all.iter().any(|f| f == "_lake/lake.json") {
            let record = self.bytes("_lake/lake.json").await.to_vec();
            assert!(is_lake_record("_lake/lake.json", || record));
            all.retain(|f| f != "_lake/lake.json");
        }
        let (leases, rest): (Vec<String>, Vec<String>) =
            all.into_iter().partition(|f| f.starts_with("_leases/"));
        let mut bodies = std::collections::BTreeMap::new();
        for l in &leases {
            bodies.insert(l.clone(), self.bytes(l).await.to_vec());
        }
        assert_released(&leases, |f| bodies[f].clone());
        rest
    }

    /// Every object below the prefix, relative, sorted.
    pub async fn all_objects(&self) -> Vec<String> {
        if let Some(dir) = &self.dir {
            // The file system itself: object_store hides in-progress upload files.
            return files_below(dir.path());
        }
        let metas: Vec<_> = self
            .store
            .list(Some(&self.prefix))
            .try_collect()
            .await
            .unwrap();
        let mut out: Vec<String> = metas
            .iter()
            .map(|m| {
                m.location
                    .prefix_match(&self.prefix)
                    .unwrap()
                    .map(|p| p.as_ref().to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        out.sort();
        out
    }

    /// In-progress S3 multipart uploads left in moto, via `scripts/s3_leftovers.py` (needs
    /// `EAUA_PYTHON`); `None` when not checkable. Azure is not checked: `object_store`'s abort
    /// cannot delete staged blocks there (the service expires them after 7 days), and they are
    /// never visible as a blob.
    pub async fn pending_uploads(&self) -> Option<Vec<String>> {
        let kind = match self.kind {
            "s3" => "s3",
            _ => return None,
        };
        let python = std::env::var("EAUA_PYTHON").ok()?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/s3_leftovers.py");
        let out = tokio::process::Command::new(python)
            .args([script, kind, self.prefix.as_ref()])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        Some(
            v["pending_uploads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string())
                .collect(),
        )
    }
}

const FILE_01: &str = "enrollment=1234567/year=2024/month=01/usage-details.parquet";
const FILE_02: &str = "enrollment=1234567/year=2024/month=02/usage-details.parquet";

fn totals(rows: u64, month: u32) -> (u64, i128) {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(rows);
    month_totals(&cfg.month(ENROLLMENT, 2024, month, ApiVersion::V2))
}

async fn run(sim_rows: u64, faults: &[&str], dest: &str, extra: &[&str]) -> std::process::Output {
    let sim = start_sim(Some(sim_rows), faults).await;
    let url = sim.base_url();
    let out = archive(&args(&url, dest, extra), Some(KEY)).await;
    sim.stop().await;
    assert!(!stderr(&out).contains(KEY) && !stdout(&out).contains(KEY));
    out
}

/// The suite: two months read back exactly, a re-run replaces, a cut-off run leaves the
/// previous object and nothing else, an empty month is a valid file, raw pages land too.
pub async fn suite(t: Target) {
    let dest = t.url.clone();
    // 1. Two months, exact values.
    let out = run(
        2500,
        &[],
        &dest,
        &["--month", "2024-01", "--month", "2024-02", "--keep-raw"],
    )
    .await;
    assert!(out.status.success(), "[{}] {}", t.kind, stderr(&out));
    let s = summary(&out);
    for (file, m) in [(FILE_01, 1), (FILE_02, 2)] {
        let rb = t.read(file).await;
        let (rows, total) = totals(2500, m);
        assert_eq!(rb.batch.num_rows() as u64, rows, "[{}] {file}", t.kind);
        assert_eq!(decimal_sum(&rb.batch, "cost"), total, "[{}] {file}", t.kind);
        assert_eq!(
            map_at(&rb.batch, "tags", 0).unwrap()[1],
            ("costCenter".to_string(), Some("1234".to_string()))
        );
    }
    let run_id = s["run_id"].as_str().unwrap();
    let path = s["partitions"][0]["path"].as_str().unwrap();
    assert!(path.ends_with(FILE_01), "[{}] summary path {path}", t.kind);
    let objects = t.objects().await;
    let raw: Vec<&String> = objects.iter().filter(|o| o.starts_with("_raw/")).collect();
    assert_eq!(
        raw.len(),
        6,
        "[{}] 3 raw pages per month: {objects:?}",
        t.kind
    );
    assert!(raw[0].contains(run_id));

    // 2. Re-run January with fewer rows: replaced, not duplicated.
    let out = run(1300, &[], &dest, &["--month", "2024-01"]).await;
    assert!(out.status.success(), "[{}] {}", t.kind, stderr(&out));
    let rb = t.read(FILE_01).await;
    assert_eq!(rb.batch.num_rows(), 1300, "[{}]", t.kind);
    assert_eq!(decimal_sum(&rb.batch, "cost"), totals(1300, 1).1);
    let data: Vec<String> = t
        .objects()
        .await
        .into_iter()
        .filter(|o| !o.starts_with("_raw/"))
        .collect();
    assert_eq!(
        split_history(data),
        (vec![FILE_01.to_string(), FILE_02.to_string()], 1),
        "[{}] the replaced January is in history",
        t.kind
    );

    // 3. A run cut off mid-stream, after the multipart upload has begun (small row groups,
    //    5 MiB parts): the previous object is intact and nothing is left behind.
    let before = t.bytes(FILE_01).await;
    let objects = t.objects().await;
    let cut = [
        "--month",
        "2024-01",
        "--keep-raw",
        "--row-group-rows",
        "8192",
        "--upload-part-bytes",
        "5242880",
    ];
    let out = run(200_000, &["truncate@190"], &dest, &cut).await;
    assert_eq!(out.status.code(), Some(6), "[{}] {}", t.kind, stderr(&out));
    assert!(
        stderr(&out).contains("page 190"),
        "[{}] {}",
        t.kind,
        stderr(&out)
    );
    assert_eq!(
        t.bytes(FILE_01).await,
        before,
        "[{}] previous object must be untouched",
        t.kind
    );
    let after: Vec<String> = t.objects().await;
    // The failed run left the store exactly as it found it.
    assert_eq!(
        after, objects,
        "[{}] stray objects after a failed run",
        t.kind
    );
    if let Some(pending) = t.pending_uploads().await {
        assert!(
            pending.is_empty(),
            "[{}] multipart upload left open: {pending:?}",
            t.kind
        );
    }

    // 4. An empty answer for a month that holds rows is refused (exit 9), the object left
    //    byte for byte; with --allow-shrink, a month with no rows is a valid zero-row file.
    let before = t.bytes(FILE_02).await;
    let out = run(0, &[], &dest, &["--month", "2024-02"]).await;
    assert_eq!(out.status.code(), Some(9), "[{}] {}", t.kind, stderr(&out));
    assert_eq!(summary(&out)["partitions"][0]["status"], "refused");
    assert_eq!(
        t.bytes(FILE_02).await,
        before,
        "[{}] refused month touched",
        t.kind
    );
    if let Some(pending) = t.pending_uploads().await {
        assert!(
            pending.is_empty(),
            "[{}] refused upload left open: {pending:?}",
            t.kind
        );
    }
    let out = run(0, &[], &dest, &["--month", "2024-02", "--allow-shrink"]).await;
    assert!(out.status.success(), "[{}] {}", t.kind, stderr(&out));
    let rb = t.read(FILE_02).await;
    assert_eq!(rb.batch.num_rows(), 0);
    assert_eq!(rb.metadata["ea_usage_archiver.row_count"], "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn local_disk_suite() {
    suite(Target::local()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_suite() {
    if let Some(t) = Target::cloud("EAUA_TEST_S3_URL", "s3") {
        suite(t).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_blob_suite() {
    if let Some(t) = Target::cloud("EAUA_TEST_AZURE_URL", "azure") {
        suite(t).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_bucket_and_container_fail_with_exit_5_naming_the_store() {
    for (var, missing) in [
        ("EAUA_TEST_S3_URL", "s3://no-such-bucket-eaua/lake"),
        ("EAUA_TEST_AZURE_URL", "az://no-such-container-eaua/lake"),
    ] {
        if Target::cloud(var, "cloud").is_none() {
            continue;
        }
        let out = run(
            100,
            &[],
            missing,
            &["--month", "2024-01", "--max-retries", "0"],
        )
        .await;
        assert_eq!(out.status.code(), Some(5), "{missing}: {}", stderr(&out));
        // The first storage access (the lake's metric record) fails before any month starts:
        // a run-level error on stderr, no summary.
        let err = stderr(&out);
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert!(
            err.contains("storage error") && err.contains("no-such-"),
            "{err}"
        );
        let secret = std::env::var("AZURE_STORAGE_ACCOUNT_KEY").unwrap_or_default();
        assert!(secret.is_empty() || !err.contains(&secret), "{err}");
    }
}
