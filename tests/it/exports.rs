//! `--source exports` on the real binary: the simulator's export container (three days at the
//! turn of a month) archived from a local folder, from Azurite with the lake elsewhere, and from
//! S3 (moto); and each refusal, each on a container changed by hand the way storage really
//! changes (a copied run, a part that has not landed, an edited manifest).

use std::path::Path;
use std::process::Output;

use ea_usage_archiver::sim::exports::{ExpectedMonth, ExportScenario, write};
use serde_json::Value;

use crate::common::*;
use crate::stores::Target;

const FEB: &str = "exports/daily-actual/20250201-20250228";
const MAR: &str = "exports/daily-actual/20250301-20250331";
const JAN_RUN: &str = "exports/daily-actual/20250101-20250131/run-202501-final";

/// The container as it is on `day`, written into `dir`.
fn container(dir: &Path, day: u32) -> Vec<ExpectedMonth> {
    let s = ExportScenario {
        enrollment: ENROLLMENT.into(),
        year: 2025,
        month: 3,
        day,
        rows: Some(620),
    };
    write(dir, &s).unwrap()
}

async fn sync(root: &str, lake: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--source",
        "exports",
        "--exports-root",
        root,
        "--dest",
        lake,
    ];
    args.extend_from_slice(extra);
    archive(&args, None).await
}

fn month(o: &Output, m: &str) -> Value {
    summary(o)["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["month"] == m)
        .unwrap_or_else(|| panic!("no {m} in {}", stdout(o)))
        .clone()
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

/// The month's object in a local lake, read back: rows, exact cost and footer.
fn object(lake: &Path, m: u32) -> ReadBack {
    read_partition(&data_file(lake, 2025, m))
}

fn scaled(text: &str) -> i128 {
    ea_usage_archiver::money::parse_scaled(text).unwrap()
}

/// Checks the month's report and its object against what the container should give.
fn assert_archived(o: &Output, lake: &Path, want: &ExpectedMonth, status: &str) {
    let m: u32 = want.month[5..].parse().unwrap();
    let p = month(o, &want.month);
    assert_eq!(p["status"], status, "{p}");
    assert_eq!(p["export"]["run_id"], want.run_id.as_str(), "{p}");
    assert_eq!(p["export"]["name"], "daily-actual");
    assert_eq!(p["rows"].as_u64(), Some(want.rows), "{p}");
    assert_eq!(p["cost_total"], want.cost_total.as_str(), "{p}");
    let back = object(lake, m);
    assert_eq!(back.batch.num_rows() as u64, want.rows);
    assert_eq!(decimal_sum(&back.batch, "cost"), scaled(&want.cost_total));
    let meta = |k: &str| {
        back.metadata
            .get(&format!("ea_usage_archiver.{k}"))
            .cloned()
    };
    assert_eq!(meta("export_run_id").as_deref(), Some(want.run_id.as_str()));
    assert_eq!(meta("export_name").as_deref(), Some("daily-actual"));
    assert!(meta("export_submitted_time").is_some() && meta("export_blob_count").is_some());
}

/// Overwrites `file` with as many bytes of garbage: a read of it would fail, its size would not.
fn spoil(file: &Path) {
    let n = std::fs::metadata(file).unwrap().len() as usize;
    std::fs::write(file, vec![b'#'; n]).unwrap();
}

/// Copies the run folder `from` to `to` (both relative to `root`), rewriting blob names, and
/// lets `edit` change the new manifest.
fn copy_run(root: &Path, from: &str, to: &str, edit: impl FnOnce(&mut Value)) {
    let (src, dst) = (root.join(from), root.join(to));
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    edit_manifest(&dst.join("manifest.json"), |m| {
        for b in m["blobs"].as_array_mut().unwrap() {
            let name = b["blobName"].as_str().unwrap().replace(from, to);
            b["blobName"] = name.into();
        }
        edit(m);
    });
}

fn edit_manifest(file: &Path, edit: impl FnOnce(&mut Value)) {
    let mut m: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(file, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[tokio::test]
async fn three_days_of_a_daily_sync_from_a_local_container() {
    let (root, lake) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (r, l) = (path(root.path()), path(lake.path()));

    // Day 1: three months, from Parquet, gzip CSV (dataRowCount null) and CSV parts.
    let want = container(root.path(), 1);
    let o = sync(r, l, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for w in &want {
        assert_archived(&o, lake.path(), w, "ok");
    }
    let err = stderr(&o);
    assert!(
        err.contains("export daily-amortized holds amortized cost"),
        "{err}"
    );
    assert!(err.contains("export focus is a FocusCost export"), "{err}");
    // Parquet parts: typed values kept exactly (a timestamp column is a date, booleans too).
    let jan = object(lake.path(), 1);
    let start = col(&jan.batch, "billing_period_start");
    assert_eq!(start.null_count(), 0);
    assert!(col(&jan.batch, "is_azure_credit_eligible").null_count() < jan.batch.num_rows());

    // Day 2: January's run is the one archived: nothing of it is read (its parts are spoiled);
    // March's newest run lists a part that has not landed: refused, the month left as it was.
    let want2 = container(root.path(), 2);
    for part in ["part_0_0001.parquet", "part_0_0002.parquet"] {
        spoil(&root.path().join(JAN_RUN).join(part));
    }
    let march_before = std::fs::read(data_file(lake.path(), 2025, 3)).unwrap();
    let o = sync(r, l, &[]).await;
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    assert_archived(&o, lake.path(), &want2[0], "unchanged");
    assert_archived(&o, lake.path(), &want2[1], "unchanged");
    let mar = month(&o, "2025-03");
    assert_eq!(mar["exit_code"], 6);
    let why = mar["error"].as_str().unwrap();
    assert!(
        why.contains("run-mtd-03") && why.contains("part_0_0002.csv is missing"),
        "{why}"
    );
    assert_eq!(
        std::fs::read(data_file(lake.path(), 2025, 3)).unwrap(),
        march_before
    );

    // Day 3: the part has landed; February is regenerated with restated rows: replaced, the
    // previous version kept, and `diff` explains it.
    let want3 = container(root.path(), 3);
    let o = sync(r, l, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_archived(&o, lake.path(), &want3[1], "ok");
    assert_archived(&o, lake.path(), &want3[2], "ok");
    assert!(month(&o, "2025-02")["previous_version"].is_string());
    assert_ne!(want3[1].cost_total, want[1].cost_total);
    let diff = tokio::process::Command::new(bin())
        .args([
            "diff",
            "--dest",
            l,
            "--enrollment",
            ENROLLMENT,
            "--month",
            "2025-02",
        ])
        .args(["--format", "json"])
        .output()
        .await
        .unwrap();
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    let d: Value = serde_json::from_slice(&diff.stdout).unwrap();
    let groups = d["groups"].as_array().unwrap();
    assert!(!groups.is_empty(), "{d}");

    // An older run copied back over the newest (the regenerated run's folder removed): the
    // month keeps the newer version.
    let feb_now = std::fs::read(data_file(lake.path(), 2025, 2)).unwrap();
    std::fs::remove_dir_all(root.path().join(FEB).join("run-regenerated")).unwrap();
    let o = sync(r, l, &["--month", "2025-02"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(month(&o, "2025-02")["status"], "unchanged");
    assert!(
        stderr(&o).contains("older than the one archived"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(data_file(lake.path(), 2025, 2)).unwrap(),
        feb_now
    );
    let verify = tokio::process::Command::new(bin())
        .args(["verify", "--dest", l])
        .output()
        .await
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
}

#[tokio::test]
async fn a_newer_run_with_the_same_rows_renews_the_footer_and_keeps_no_version() {
    let (root, lake) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (r, l) = (path(root.path()), path(lake.path()));
    let want = container(root.path(), 1);
    assert_eq!(sync(r, l, &[]).await.status.code(), Some(0));
    copy_run(
        root.path(),
        &format!("{MAR}/run-mtd-02"),
        &format!("{MAR}/run-mtd-02-again"),
        |m| {
            m["runInfo"]["runId"] = "run-mtd-02-again".into();
            m["runInfo"]["submittedTime"] = "2025-03-02T09:00:00Z".into();
        },
    );
    let o = sync(r, l, &["--month", "2025-03"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let p = month(&o, "2025-03");
    assert_eq!(p["status"], "unchanged", "{p}");
    assert_eq!(p["export"]["run_id"], "run-mtd-02-again");
    assert!(p.get("previous_version").is_none(), "{p}");
    let (_, versions) = split_history(lake_files(lake.path()));
    assert_eq!(versions, 0, "identical rows keep no history version");
    let back = object(lake.path(), 3);
    assert_eq!(
        decimal_sum(&back.batch, "cost"),
        scaled(&want[2].cost_total)
    );
    // The next sync reads none of that run again.
    spoil(
        &root
            .path()
            .join(MAR)
            .join("run-mtd-02-again/part_0_0001.csv"),
    );
    let o = sync(r, l, &["--month", "2025-03"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(month(&o, "2025-03")["status"], "unchanged");
}

/// A fresh day-1 container changed by `change`, synced into a fresh lake.
async fn changed(change: impl FnOnce(&Path), extra: &[&str]) -> (Output, tempfile::TempDir) {
    let (root, lake) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    container(root.path(), 1);
    change(root.path());
    let o = sync(path(root.path()), path(lake.path()), extra).await;
    (o, lake)
}

#[tokio::test]
async fn two_exports_of_a_month_are_refused_unless_one_is_named() {
    let second = |root: &Path| {
        copy_run(
            root,
            &format!("{MAR}/run-mtd-02"),
            "exports/monthly-actual/20250301-20250331/run-m",
            |m| {
                m["exportConfig"]["exportName"] = "monthly-actual".into();
                m["runInfo"]["runId"] = "run-m".into();
            },
        )
    };
    let (o, lake) = changed(second, &[]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let why = month(&o, "2025-03")["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("daily-actual")
            && why.contains("monthly-actual")
            && why.contains("--export-name"),
        "{why}"
    );
    assert!(!data_file(lake.path(), 2025, 3).exists());
    assert_eq!(month(&o, "2025-01")["status"], "ok", "other months go on");
    let (o, _) = changed(second, &["--export-name", "monthly-actual"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(month(&o, "2025-03")["export"]["name"], "monthly-actual");
}

#[tokio::test]
async fn two_runs_at_the_same_newest_time_are_refused() {
    let tie = |root: &Path| {
        copy_run(
            root,
            &format!("{MAR}/run-mtd-02"),
            &format!("{MAR}/run-twin"),
            |m| m["runInfo"]["runId"] = "run-twin".into(),
        )
    };
    let (o, lake) = changed(tie, &[]).await;
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    let why = month(&o, "2025-03")["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("run-mtd-02") && why.contains("run-twin"),
        "{why}"
    );
    assert!(!data_file(lake.path(), 2025, 3).exists());
}

#[tokio::test]
async fn incomplete_runs_are_refused_naming_the_blob_and_both_figures() {
    // A part one byte longer than its manifest says.
    let (o, lake) = changed(
        |root| {
            let f = root.join(MAR).join("run-mtd-02/part_0_0001.csv");
            let mut b = std::fs::read(&f).unwrap();
            b.push(b'\n');
            std::fs::write(f, b).unwrap();
        },
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(6));
    let why = month(&o, "2025-03")["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("part_0_0001.csv has") && why.contains("the manifest says"),
        "{why}"
    );
    assert!(!data_file(lake.path(), 2025, 3).exists());
    // A blob's stated rows that its part does not hold: nothing is committed.
    let (o, lake) = changed(
        |root| {
            edit_manifest(&root.join(MAR).join("run-mtd-02/manifest.json"), |m| {
                let n = m["blobs"][0]["dataRowCount"].as_u64().unwrap();
                m["blobs"][0]["dataRowCount"] = (n + 1).into();
            })
        },
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(6));
    let why = month(&o, "2025-03")["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("part_0_0001.csv holds 20 data rows") && why.contains("dataRowCount 21"),
        "{why}"
    );
    assert!(!data_file(lake.path(), 2025, 3).exists());
    // The run's total likewise.
    let (o, _) = changed(
        |root| {
            edit_manifest(&root.join(MAR).join("run-mtd-02/manifest.json"), |m| {
                m["dataRowCount"] = 7.into()
            })
        },
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(6));
    let why = month(&o, "2025-03")["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("hold 20 data rows") && why.contains("dataRowCount 7"),
        "{why}"
    );
}

#[tokio::test]
async fn unreadable_manifests_narrow_scopes_and_spanning_runs_fail_the_run_not_the_months() {
    let (o, lake) = changed(
        |root| {
            let bad = root.join("exports/broken/run-x");
            std::fs::create_dir_all(&bad).unwrap();
            std::fs::write(bad.join("manifest.json"), "{not json").unwrap();
            copy_run(
                root,
                &format!("{MAR}/run-mtd-02"),
                "exports/sub/run-s",
                |m| {
                    m["exportConfig"]["exportName"] = "sub".into();
                    m["exportConfig"]["resourceId"] =
                        "/subscriptions/0000-1111/providers/Microsoft.CostManagement/exports/sub"
                            .into();
                },
            );
            copy_run(
                root,
                &format!("{MAR}/run-mtd-02"),
                "exports/span/run-w",
                |m| {
                    m["exportConfig"]["exportName"] = "span".into();
                    m["runInfo"]["startDate"] = "2025-02-15T00:00:00".into();
                    m["runInfo"]["endDate"] = "2025-03-14T00:00:00Z".into();
                },
            );
        },
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    for m in ["2025-01", "2025-02", "2025-03"] {
        assert_eq!(month(&o, m)["status"], "ok", "{m}");
    }
    assert!(data_file(lake.path(), 2025, 3).exists());
    let problems = summary(&o)["problems"].as_array().unwrap().clone();
    let text = serde_json::to_string(&problems).unwrap();
    assert!(
        text.contains("exports/broken/run-x/manifest.json"),
        "{text}"
    );
    assert!(text.contains("/subscriptions/0000-1111"), "{text}");
    assert!(text.contains("2025-02-15 to 2025-03-14"), "{text}");
    assert!(problems.iter().all(|p| p["exit_code"] == 6));
    assert!(stderr(&o).contains("export manifest cannot be read"));
}

#[tokio::test]
async fn the_amortized_metric_takes_the_amortized_export_and_flags_are_checked() {
    let (o, _) = changed(|_| {}, &["--metric", "amortized"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let parts = summary(&o)["partitions"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0]["export"]["name"], "daily-amortized");
    assert_eq!(parts[0]["rows"], 20);
    // Asked for what is not there: loud.
    let (o, _) = changed(|_| {}, &["--month", "2024-07"]).await;
    assert_eq!(o.status.code(), Some(6));
    assert!(
        stdout(&o).contains("for 2024-07 was found"),
        "{}",
        stdout(&o)
    );
    for (extra, flag) in [
        (vec!["--keep-raw"], "--keep-raw"),
        (vec!["--from", "2025-01-01", "--to", "2025-01-31"], "--from"),
    ] {
        let (o, _) = changed(|_| {}, &extra).await;
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(flag), "{}", stderr(&o));
    }
    // An empty root (or one with no usage exports): loud, not an empty success.
    let (empty, lake) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let o = sync(path(empty.path()), path(lake.path()), &[]).await;
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no ActualCost export run was found under the root"),
        "{}",
        stdout(&o)
    );
    let o = archive(&["--source", "exports", "--dest", "/tmp/x"], None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--exports-root"), "{}", stderr(&o));
    let o = archive(&["--exports-root", "/tmp", "--enrollment", "1"], None).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("needs --source exports"),
        "{}",
        stderr(&o)
    );
}

/// The day-1 container uploaded to `t` under `exports/`, archived from `<t>/exports` (a folder
/// of the container: blob names resolve by their tail) into a local lake.
async fn from_store(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let want = container(dir.path(), 1);
    for f in files_below(dir.path()) {
        t.put(&f, std::fs::read(dir.path().join(&f)).unwrap()).await;
    }
    let lake = tempfile::tempdir().unwrap();
    let root = format!("{}/exports", t.url);
    let o = sync(&root, path(lake.path()), &[]).await;
    assert_eq!(o.status.code(), Some(0), "[{}] {}", t.kind, stderr(&o));
    for w in &want {
        assert_archived(&o, lake.path(), w, "ok");
    }
    for (_, v) in store_env() {
        if v.len() > 12 {
            assert!(!stderr(&o).contains(&v) && !stdout(&o).contains(&v));
        }
    }
    // The next sync reads footers only.
    let o = sync(&root, path(lake.path()), &[]).await;
    assert_eq!(o.status.code(), Some(0));
    for w in &want {
        assert_eq!(month(&o, &w.month)["status"], "unchanged");
    }
}

#[tokio::test]
async fn a_container_on_azurite_with_the_lake_elsewhere() {
    if let Some(t) = Target::cloud("EAUA_TEST_AZURE_URL", "azure") {
        from_store(&t).await;
        with_sas(&t).await;
    }
}

#[tokio::test]
async fn a_root_on_s3() {
    if let Some(t) = Target::cloud("EAUA_TEST_S3_URL", "s3") {
        from_store(&t).await;
    }
}

/// The container on Azurite read through a SAS token in the root's URL (read and list only):
/// the token is the root's credential (a wrong signature fails with exit 5), and it appears in
/// no output and no footer.
async fn with_sas(t: &Target) {
    let Ok(python) = std::env::var("EAUA_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "EAUA_PYTHON must be set in CI"
        );
        return;
    };
    let container = url::Url::parse(&t.url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    let out = tokio::process::Command::new(python)
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/emu_sas.py"),
            &container,
        ])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sas = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let sig = sas
        .split('&')
        .find_map(|kv| kv.strip_prefix("sig="))
        .unwrap()
        .to_string();
    let lake = tempfile::tempdir().unwrap();
    let root = format!("{}/exports?{sas}", t.url);
    let o = sync(&root, path(lake.path()), &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(month(&o, "2025-01")["status"], "ok");
    let decoded = sig
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    for leaked in [&sig, &decoded] {
        assert!(!stdout(&o).contains(leaked.as_str()) && !stderr(&o).contains(leaked.as_str()));
        for f in files_below(lake.path()) {
            let bytes = std::fs::read(lake.path().join(&f)).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(leaked.as_str()),
                "{f} holds the SAS signature"
            );
        }
    }
    let wrong = root.replace(
        &format!("sig={sig}"),
        "sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D",
    );
    let o = sync(&wrong, path(tempfile::tempdir().unwrap().path()), &[]).await;
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("under the exports root"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("AAAAAAAAAAAAAAAA"), "{}", stderr(&o));
}

#[tokio::test]
async fn a_newer_run_with_far_fewer_rows_is_refused_by_the_shrink_guard() {
    let (root, lake) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (r, l) = (path(root.path()), path(lake.path()));
    container(root.path(), 1);
    assert_eq!(sync(r, l, &[]).await.status.code(), Some(0));
    let before = std::fs::read(data_file(lake.path(), 2025, 3)).unwrap();
    let to = format!("{MAR}/run-short");
    copy_run(root.path(), &format!("{MAR}/run-mtd-02"), &to, |m| {
        m["runInfo"]["runId"] = "run-short".into();
        m["runInfo"]["submittedTime"] = "2025-03-02T10:00:00Z".into();
    });
    // Its part: the header and the first record only.
    let part = root.path().join(&to).join("part_0_0001.csv");
    let text = std::fs::read(&part).unwrap();
    let keep: Vec<u8> = text
        .split_inclusive(|b| *b == b'\n')
        .take(2)
        .flatten()
        .copied()
        .collect();
    std::fs::write(&part, &keep).unwrap();
    edit_manifest(&root.path().join(&to).join("manifest.json"), |m| {
        m["blobs"][0]["byteCount"] = keep.len().into();
        m["blobs"][0]["dataRowCount"] = 1.into();
        m["byteCount"] = keep.len().into();
        m["dataRowCount"] = 1.into();
    });
    let o = sync(r, l, &["--month", "2025-03"]).await;
    assert_eq!(o.status.code(), Some(9), "{}", stdout(&o));
    let p = month(&o, "2025-03");
    assert_eq!(
        (p["status"].as_str(), p["rows"].as_u64()),
        (Some("refused"), Some(1))
    );
    assert_eq!(
        std::fs::read(data_file(lake.path(), 2025, 3)).unwrap(),
        before
    );
    let o = sync(r, l, &["--month", "2025-03", "--allow-shrink"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(month(&o, "2025-03")["export"]["run_id"], "run-short");
    assert_eq!(object(lake.path(), 3).batch.num_rows(), 1);
}
