//! Restatements kept and explained, on every store: an identical re-pull writes nothing, a
//! restated pull keeps the previous version in `_history/`, `diff` explains the change exactly,
//! `restore` brings a version back, retention prunes, and a crash between keeping the previous
//! version and committing leaves no gap and no second copy.

use std::collections::BTreeMap;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::money::format_scaled;
use ea_usage_archiver::sim::{self, SimConfig};

use crate::common::*;
use crate::stores::Target;

const MONTH: &str = "2024-05";
const FILE: &str = "enrollment=1234567/year=2024/month=05/usage-details.parquet";
const HISTORY: &str = "_history/enrollment=1234567/year=2024/month=05/";
const ROWS: u64 = 3000;

fn totals(revision: u32) -> (u64, i128) {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(ROWS);
    cfg.revision = revision;
    sim::data::month_totals(&cfg.month(ENROLLMENT, 2024, 5, ApiVersion::V2))
}

/// Archives the month from a simulator serving `revision`.
async fn pull(t: &Target, revision: u32, extra: &[&str]) -> std::process::Output {
    pull_env(t, revision, extra, &[]).await
}

async fn pull_env(
    t: &Target,
    revision: u32,
    extra: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(ROWS);
    cfg.revision = revision;
    let sim = sim::start(([127, 0, 0, 1], 0).into(), cfg).await.unwrap();
    let url = sim.base_url();
    let mut a = args(&url, &t.url, &["--month", MONTH]);
    a.extend_from_slice(extra);
    let out = archive_env(&a, Some(KEY), env).await;
    sim.stop().await;
    out
}

async fn command(
    t: &Target,
    cmd: &str,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let out = tokio::process::Command::new(bin())
        .args([
            cmd,
            "--dest",
            &t.url,
            "--enrollment",
            ENROLLMENT,
            "--month",
            MONTH,
        ])
        .args(extra)
        .output()
        .await
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), v, stderr(&out))
}

async fn history_files(t: &Target) -> Vec<String> {
    t.all_objects()
        .await
        .into_iter()
        .filter(|o| o.starts_with(HISTORY))
        .collect()
}

/// (subscription_guid, meter_category).
type GroupKey = (Option<String>, Option<String>);
/// (rows, exact cost).
type Sums = (u64, i128);

/// Rows and exact cost per (subscription_guid, meter_category), computed here from the file.
fn groups(rb: &ReadBack) -> BTreeMap<GroupKey, (u64, i128)> {
    let b = &rb.batch;
    let cost = b
        .column_by_name("cost")
        .unwrap()
        .as_primitive::<Decimal128Type>();
    let mut out: BTreeMap<_, (u64, i128)> = BTreeMap::new();
    for i in 0..b.num_rows() {
        let k = (
            string_at(b, "subscription_guid", i),
            string_at(b, "meter_category", i),
        );
        let e = out.entry(k).or_default();
        e.0 += 1;
        e.1 += if cost.is_valid(i) { cost.value(i) } else { 0 };
    }
    out
}

pub async fn suite(t: Target) {
    let kind = t.kind;
    // 1. A pull.
    let out = pull(&t, 0, &[]).await;
    assert!(out.status.success(), "[{kind}] {}", stderr(&out));
    let first_bytes = t.bytes(FILE).await;
    let first = t.read(FILE).await;
    assert!(first.metadata["ea_usage_archiver.fingerprint"].starts_with("xxh3-128:"));

    // 2. An identical re-pull: nothing written, byte for byte, and no history.
    let out = pull(&t, 0, &[]).await;
    assert!(out.status.success(), "[{kind}] {}", stderr(&out));
    let p = &summary(&out)["partitions"][0];
    assert_eq!(p["status"], "unchanged", "[{kind}] {p}");
    assert_eq!(p["rows"], ROWS);
    assert_eq!(t.bytes(FILE).await, first_bytes, "[{kind}] rewritten");
    assert!(
        history_files(&t).await.is_empty(),
        "[{kind}] history for an identical pull"
    );

    // 3. A restated pull: one history version, the previous object byte for byte.
    let out = pull(&t, 1, &[]).await;
    assert!(out.status.success(), "[{kind}] {}", stderr(&out));
    let p = summary(&out)["partitions"][0].clone();
    let v0 = p["previous_version"].as_str().unwrap().to_string();
    let kept = history_files(&t).await;
    assert_eq!(
        kept,
        vec![format!("{HISTORY}{v0}.parquet.prev")],
        "[{kind}]"
    );
    assert_eq!(
        t.bytes(&kept[0]).await,
        first_bytes,
        "[{kind}] the kept copy"
    );
    let second = t.read(FILE).await;
    assert_eq!(decimal_sum(&second.batch, "cost"), totals(1).1);

    // `history`: both versions, current first, with their exact facts.
    let (code, h, err) = command(&t, "history", &["--format", "json"]).await;
    assert_eq!(code, Some(0), "[{kind}] {err}");
    let versions = h["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "[{kind}] {h}");
    assert_eq!(versions[0]["current"], true);
    assert_eq!(versions[1]["version"], v0.as_str());
    assert_eq!(versions[1]["current"], false);
    assert_eq!(versions[0]["cost_total"], format_scaled(totals(1).1));
    assert_eq!(versions[1]["cost_total"], format_scaled(totals(0).1));
    assert_eq!(
        (versions[0]["rows"].as_u64(), versions[1]["rows"].as_u64()),
        (Some(ROWS), Some(ROWS))
    );
    let v1 = versions[0]["version"].as_str().unwrap().to_string();

    // `diff` (previous against current by default): every changed group exactly as computed here.
    let (code, d, err) = command(&t, "diff", &["--format", "json"]).await;
    assert_eq!(code, Some(0), "[{kind}] {err}");
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some(v0.as_str()), Some(v1.as_str()))
    );
    let (before, after) = (groups(&first), groups(&second));
    let mut want: Vec<(GroupKey, Sums, Sums)> = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|k| {
            (
                k.clone(),
                before.get(k).copied().unwrap_or_default(),
                after.get(k).copied().unwrap_or_default(),
            )
        })
        .filter(|(_, b, a)| a != b)
        .collect();
    assert!(!want.is_empty(), "the restatement changes some groups");
    want.sort_by(|x, y| {
        (y.2.1 - y.1.1)
            .unsigned_abs()
            .cmp(&(x.2.1 - x.1.1).unsigned_abs())
            .then(x.0.cmp(&y.0))
    });
    let got: Vec<_> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = (
                g["key"]["subscription_guid"].as_str().map(String::from),
                g["key"]["meter_category"].as_str().map(String::from),
            );
            let n = |k: &str| g[k].as_u64().unwrap();
            let c = |k: &str| g[k].as_str().unwrap().to_string();
            (
                key,
                (n("rows_before"), c("cost_before")),
                (n("rows_after"), c("cost_after")),
                c("cost_delta"),
            )
        })
        .collect();
    let want: Vec<_> = want
        .into_iter()
        .map(|(k, b, a)| {
            (
                k,
                (b.0, format_scaled(b.1)),
                (a.0, format_scaled(a.1)),
                format_scaled(a.1 - b.1),
            )
        })
        .collect();
    assert_eq!(got, want, "[{kind}]");
    assert_eq!(d["total"]["cost_before"], format_scaled(totals(0).1));
    assert_eq!(d["total"]["cost_after"], format_scaled(totals(1).1));
    assert_eq!(
        d["total"]["cost_delta"],
        format_scaled(totals(1).1 - totals(0).1)
    );
    // Bad arguments name the flag.
    let (code, _, err) = command(&t, "diff", &["--by", "nope"]).await;
    assert_eq!(code, Some(2), "[{kind}] {err}");
    assert!(err.contains("--by"), "{err}");
    let (code, _, err) = command(&t, "diff", &["--from", "20200101T000000Z-missing"]).await;
    assert_eq!(
        (code, err.contains("--from")),
        (Some(2), true),
        "[{kind}] {err}"
    );

    // 4. `restore` of the first version: readers see it exactly; the replaced one is kept.
    let (code, r, err) = command(&t, "restore", &["--version", &v0]).await;
    assert_eq!(code, Some(0), "[{kind}] {err}");
    assert_eq!(r["restored"]["replaced"], v1.as_str(), "[{kind}] {r}");
    let restored = t.read(FILE).await;
    assert_eq!(restored.batch, first.batch, "[{kind}] the restored rows");
    assert_eq!(restored.metadata["ea_usage_archiver.restored_from"], v0);
    assert_eq!(
        restored.metadata["ea_usage_archiver.cost_total"],
        format_scaled(totals(0).1)
    );
    let kept = history_files(&t).await;
    assert_eq!(kept.len(), 2, "[{kind}] {kept:?}");
    assert!(kept.contains(&format!("{HISTORY}{v1}.parquet.prev")));
    let (code, _, err) = command(&t, "restore", &["--version", "20200101T000000Z-nope"]).await;
    assert_eq!(
        (code, err.contains("--version")),
        (Some(2), true),
        "[{kind}] {err}"
    );

    // `verify` checks history versions like current ones and calls none of them stray.
    let v = tokio::process::Command::new(bin())
        .args(["verify", "--dest", &t.url, "--format", "json"])
        .output()
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v.status.code(), Some(0), "[{kind}] {report}");
    let checked: Vec<&str> = report["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["history_version"].as_str())
        .collect();
    assert_eq!(checked.len(), 2, "[{kind}] {report}");

    // 5. Retention: with --history-keep 1 only the newest replaced version stays.
    let out = pull(&t, 2, &["--history-keep", "1"]).await;
    assert!(out.status.success(), "[{kind}] {}", stderr(&out));
    let kept = history_files(&t).await;
    assert_eq!(kept.len(), 1, "[{kind}] {kept:?}");
    let restored_id = summary(&out)["partitions"][0]["previous_version"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(kept[0], format!("{HISTORY}{restored_id}.parquet.prev"));

    // 6. A crash between keeping the current version and committing: the current object and a
    //    copy of it, never a gap; the re-run makes no second copy.
    let current = t.bytes(FILE).await;
    let out = pull_env(
        &t,
        3,
        &["--lease-ttl", "5"],
        &[("EAUA_TEST_CRASH_AFTER", "history-copy")],
    )
    .await;
    assert!(!out.status.success(), "[{kind}] the hook aborts");
    assert_eq!(t.bytes(FILE).await, current, "[{kind}] the month is intact");
    let kept = history_files(&t).await;
    assert_eq!(kept.len(), 2, "[{kind}] {kept:?}");
    let copy = kept
        .iter()
        .find(|k| !k.contains(&restored_id))
        .unwrap()
        .clone();
    assert_eq!(t.bytes(&copy).await, current);
    // The killed run's lease expires (it was aborted); wait for it, then re-run.
    let out = loop {
        let out = pull(&t, 3, &["--lease-ttl", "5"]).await;
        if out.status.code() != Some(8) {
            break out;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(out.status.success(), "[{kind}] {}", stderr(&out));
    assert_eq!(
        history_files(&t).await,
        kept,
        "[{kind}] no second copy of the same version"
    );
    assert_eq!(decimal_sum(&t.read(FILE).await.batch, "cost"), totals(3).1);
}

#[tokio::test(flavor = "multi_thread")]
async fn local_disk_history() {
    suite(Target::local()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_history() {
    if let Some(t) = Target::cloud("EAUA_TEST_S3_URL", "s3") {
        suite(t).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_history() {
    if let Some(t) = Target::cloud("EAUA_TEST_AZURE_URL", "azure") {
        suite(t).await;
    }
}
