//! `verify` recomputes each partition against its metadata and finds strays;
//! `--skip-unchanged` keeps a month whose page-1 ETag has not changed.

use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::money::format_scaled;
use ea_usage_archiver::schema::arrow_schema;
use ea_usage_archiver::sim::SimConfig;
use ea_usage_archiver::sim::data::month_totals;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;

use crate::common::*;

async fn verify(dest: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = tokio::process::Command::new(bin())
        .args(["verify", "--dest", dest, "--format", "json"])
        .args(extra)
        .output()
        .await
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.code(), v)
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_recomputes_partitions_and_reports_strays_and_mismatches() {
    let sim = start_sim(Some(1500), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(
        &args(&url, &dest, &["--month", "2024-01", "--month", "2024-02"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    sim.stop().await;

    let (code, report) = verify(&dest, &[]).await;
    assert_eq!(code, Some(0), "{report}");
    let parts = report["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    for (p, m) in parts.iter().zip([1u32, 2]) {
        let mut cfg = SimConfig::new(KEY);
        cfg.rows_per_month = Some(1500);
        let (rows, total) = month_totals(&cfg.month(ENROLLMENT, 2024, m, ApiVersion::V2));
        assert_eq!(p["rows"], rows);
        assert_eq!(p["cost_total"].as_str().unwrap(), format_scaled(total));
        assert_eq!(p["status"], "ok");
        assert_eq!(p["api_version"], "v2");
        assert!(p["pulled_at"].as_str().unwrap().ends_with('Z'));
    }
    let (code, report) = verify(&dest, &["--month", "2024-02"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(report["partitions"].as_array().unwrap().len(), 1);

    // A stray file in a partition folder.
    let stray = partition_dir(lake.path(), 2024, 1).join("part-0000.parquet");
    std::fs::copy(data_file(lake.path(), 2024, 1), &stray).unwrap();
    let (code, report) = verify(&dest, &[]).await;
    assert_eq!(code, Some(7));
    assert!(
        report["stray_files"][0]
            .as_str()
            .unwrap()
            .ends_with("month=01/part-0000.parquet"),
        "{report}"
    );
    std::fs::remove_file(&stray).unwrap();

    // A file whose metadata disagrees with its data.
    let bad = data_file(lake.path(), 2023, 12);
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&bad).unwrap(), arrow_schema(), None).unwrap();
    w.append_key_value_metadata(KeyValue::new(
        "ea_usage_archiver.row_count".into(),
        "5".to_string(),
    ));
    w.append_key_value_metadata(KeyValue::new(
        "ea_usage_archiver.cost_total".into(),
        "1".to_string(),
    ));
    w.close().unwrap();
    // And a file that is not Parquet at all.
    let junk = data_file(lake.path(), 2023, 11);
    std::fs::create_dir_all(junk.parent().unwrap()).unwrap();
    std::fs::write(&junk, b"not parquet").unwrap();
    let (code, report) = verify(&dest, &[]).await;
    assert_eq!(code, Some(7));
    let by_month = |m: &str| {
        report["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["month"] == m)
            .unwrap()
            .clone()
    };
    let mismatch = by_month("2023-12");
    assert_eq!(mismatch["status"], "mismatch");
    assert!(
        mismatch["problems"][0]
            .as_str()
            .unwrap()
            .contains("metadata says 5 rows, the data has 0"),
        "{mismatch}"
    );
    assert_eq!(by_month("2023-11")["status"], "unreadable");
    assert_eq!(by_month("2024-01")["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_unchanged_keeps_a_month_whose_etag_did_not_change() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let file = data_file(lake.path(), 2024, 6);
    let sim = start_sim(Some(1500), &[]).await;
    let url = sim.base_url();
    assert!(
        archive(&args(&url, &dest, &["--month", "2024-06"]), Some(KEY))
            .await
            .status
            .success()
    );
    let first = read_partition(&file);
    assert!(first.metadata["ea_usage_archiver.etag"].starts_with('"'));
    let before = std::fs::read(&file).unwrap();

    // Same data: 304, nothing rewritten.
    let out = archive(
        &args(&url, &dest, &["--month", "2024-06", "--skip-unchanged"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let p = &summary(&out)["partitions"][0];
    assert_eq!(p["status"], "unchanged");
    assert_eq!(p["rows"], 1500);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    sim.stop().await;

    // Refreshed data: a new ETag, so the month is pulled again.
    let sim = start_sim(Some(1600), &[]).await;
    let url = sim.base_url();
    let out = archive(
        &args(&url, &dest, &["--month", "2024-06", "--skip-unchanged"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(summary(&out)["partitions"][0]["status"], "ok");
    assert_eq!(read_partition(&file).batch.num_rows(), 1600);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_whose_cost_is_not_a_decimal_is_unreadable_not_a_crash() {
    use arrow_array::{Float64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let file = data_file(lake.path(), 2024, 1);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let schema = std::sync::Arc::new(Schema::new(vec![Field::new(
        "cost",
        DataType::Float64,
        true,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![std::sync::Arc::new(Float64Array::from(vec![1.5, 2.25]))],
    )
    .unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(&file).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (code, report) = verify(&dest, &[]).await;
    assert_eq!(code, Some(7), "{report}");
    let p = &report["partitions"][0];
    assert_eq!(p["status"], "unreadable");
    assert!(
        p["problems"][0]
            .as_str()
            .unwrap()
            .contains("`cost` column is Float64"),
        "{p}"
    );
}
