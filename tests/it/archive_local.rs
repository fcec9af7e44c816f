//! End-to-end archiving onto local disk: exact values, tags forms, extra fields, v1 and v2,
//! re-runs, ranges and the current period.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use chrono::{Datelike, NaiveDate, Utc};
use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::money::format_scaled;
use ea_usage_archiver::sim::SimConfig;
use ea_usage_archiver::sim::data::{ROW0_COST_SCALED, month_totals};

use crate::common::*;

const E18: i128 = 1_000_000_000_000_000_000;

fn expected(rows: u64, year: i32, month: u32, v: ApiVersion) -> (u64, i128) {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = Some(rows);
    month_totals(&cfg.month(ENROLLMENT, year, month, v))
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_months_are_archived_with_exact_values() {
    let sim = start_sim(Some(2500), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let url = sim.base_url();
    let dest = lake.path().to_str().unwrap();
    let out = archive(
        &args(
            &url,
            dest,
            &["--month", "2024-01", "--billing-period", "202402"],
        ),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = summary(&out);
    let parts = s["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    for (p, (y, m)) in parts.iter().zip([(2024, 1), (2024, 2)]) {
        let (rows, total) = expected(2500, y, m, ApiVersion::V2);
        let rb = read_partition(&data_file(lake.path(), y, m));
        let b = &rb.batch;
        // Numbers: rows and exact cost sum equal the simulator's own totals, in the file and summary.
        assert_eq!(b.num_rows() as u64, rows);
        assert_eq!(decimal_sum(b, "cost"), total);
        assert_eq!(p["rows"], rows);
        assert_eq!(p["pages"], 3);
        assert_eq!(p["cost_total"].as_str().unwrap(), format_scaled(total));
        assert_eq!(p["status"], "ok");
        assert_eq!(p["unknown_fields"], 50); // rows 3, 53, … carry `newField`
        assert!(p["bytes"].as_u64().unwrap() > 10_000);
        assert_eq!(rb.metadata["ea_usage_archiver.row_count"], rows.to_string());
        assert_eq!(
            rb.metadata["ea_usage_archiver.cost_total"],
            format_scaled(total)
        );
        assert_eq!(rb.metadata["ea_usage_archiver.api_version"], "v2");
        assert_eq!(rb.metadata["ea_usage_archiver.schema_version"], "2");
        assert_eq!(
            rb.metadata["ea_usage_archiver.run_id"],
            s["run_id"].as_str().unwrap()
        );
        assert!(rb.metadata["ea_usage_archiver.source"].starts_with(&url));
        assert!(rb.metadata.contains_key("ea_usage_archiver.pulled_at"));
        // Row 0: 21-digit cost rounded half-even, exponent-form quantity, plain JSON tags.
        let cost = b
            .column_by_name("cost")
            .unwrap()
            .as_primitive::<Decimal128Type>();
        assert_eq!(cost.value(0), ROW0_COST_SCALED);
        let qty = b
            .column_by_name("consumed_quantity")
            .unwrap()
            .as_primitive::<Decimal128Type>();
        assert_eq!(qty.value(0), 15 * E18 / 1_000_000);
        assert_eq!(p["rounded_decimals"], 1);
        let day = b
            .column_by_name("usage_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(day.value(0), (first - epoch).num_days() as i32);
        assert_eq!(day.null_count(), 0, "every date form parses");
        // Row-group statistics (min/max of the dates actually written); no page index.
        let (lo, hi) = (
            (0..day.len()).map(|i| day.value(i)).min().unwrap(),
            (0..day.len()).map(|i| day.value(i)).max().unwrap(),
        );
        assert_eq!(
            rb.parquet_metadata.num_row_groups(),
            1,
            "the batch is row group 0"
        );
        let row_group = rb.parquet_metadata.row_group(0);
        let date_chunk = row_group.column(0);
        assert_eq!(date_chunk.column_path().string(), "usage_date");
        match date_chunk.statistics() {
            Some(parquet::file::statistics::Statistics::Int32(st)) => {
                assert_eq!((st.min_opt(), st.max_opt()), (Some(&lo), Some(&hi)));
            }
            other => panic!("usage_date statistics: {other:?}"),
        }
        for chunk in row_group.columns() {
            let path = chunk.column_path().string();
            assert!(
                chunk.column_index_offset().is_none(),
                "{path}: column index"
            );
            assert!(
                chunk.offset_index_offset().is_none(),
                "{path}: offset index"
            );
        }
        assert_eq!(
            string_at(b, "enrollment_number", 0).as_deref(),
            Some(ENROLLMENT)
        );
        let acct = b
            .column_by_name("account_id")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert!(acct.value(0) >= 10_000);
        let csid = b.column_by_name("consumed_service_id").unwrap();
        assert_eq!(
            csid.null_count(),
            0,
            "both consumedServiceId spellings feed one column"
        );
        assert_eq!(cost.null_count(), 0, "Cost and cost feed one column");
    }
    // Layout: one object per partition, no partition columns inside, spec map names.
    let files = lake_files(lake.path());
    assert_eq!(
        files,
        vec![
            "enrollment=1234567/year=2024/month=01/usage-details.parquet",
            "enrollment=1234567/year=2024/month=02/usage-details.parquet",
        ]
    );
    let rb = read_partition(&data_file(lake.path(), 2024, 1));
    for c in ["enrollment", "year", "month"] {
        assert!(
            rb.schema.field_with_name(c).is_err(),
            "{c} must live only in the path"
        );
    }
    assert!(
        rb.parquet_schema.contains("REPEATED group key_value"),
        "{}",
        rb.parquet_schema
    );
    assert!(
        rb.parquet_schema
            .contains("REQUIRED BYTE_ARRAY key (STRING)"),
        "{}",
        rb.parquet_schema
    );
    assert!(
        rb.parquet_schema
            .contains("OPTIONAL BYTE_ARRAY value (STRING)"),
        "{}",
        rb.parquet_schema
    );
    assert!(!stderr(&out).contains(KEY), "the key leaked into the logs");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tags_form_and_extra_fields_land_as_specified() {
    let sim = start_sim(Some(600), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &["--month", "2023-11"]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let b = read_partition(&data_file(lake.path(), 2023, 11)).batch;
    let inst = b.column_by_name("instance_id").unwrap().as_string::<i32>();
    let row_of = |form: &str| {
        (0..b.num_rows())
            .find(|&i| inst.value(i).ends_with(&format!("-{form}")))
            .unwrap_or_else(|| panic!("no row with tags form {form}"))
    };
    let env_of = |row: usize| {
        let sub = string_at(&b, "subscription_name", row).unwrap();
        sub.split('-').nth(1).unwrap().to_string()
    };
    let tags = |form: &str| {
        let r = row_of(form);
        (
            map_at(&b, "tags", r),
            map_at(&b, "extra_fields", r),
            env_of(r),
        )
    };
    let (t, _, env) = tags("json");
    assert_eq!(
        t,
        pairs(&[("env", Some(&env)), ("costCenter", Some("1234"))])
    );
    let (t, _, env) = tags("spaced");
    assert_eq!(
        t,
        pairs(&[
            ("env", Some(&env)),
            ("owner", Some("anna.smith@contoso.com"))
        ])
    );
    let (t, _, env) = tags("braceless");
    assert_eq!(t, pairs(&[("env", Some(&env)), ("team", Some("data"))]));
    let (t, _, env) = tags("typed");
    assert_eq!(
        t,
        pairs(&[
            ("env", Some(&env)),
            ("replicas", Some("3")),
            ("critical", Some("true"))
        ])
    );
    let (t, _, env) = tags("dupkeys");
    assert_eq!(t, pairs(&[("env", Some(&env)), ("app", Some("web"))]));
    let (t, _, env) = tags("unicode");
    assert_eq!(
        t,
        pairs(&[
            ("env", Some(&env)),
            ("owner", Some("O\"Brien")),
            ("city", Some("Zürich")),
            ("説明", Some("データ基盤"))
        ])
    );
    assert_eq!(tags("emptyobj").0, Some(vec![]), "{{}} is an empty map");
    assert_eq!(tags("empty").0, None, "\"\" is a null map");
    assert_eq!(tags("null").0, None, "null is a null map");
    let (t, extra, _) = tags("garbage");
    assert_eq!(t, None);
    let extra = extra.unwrap();
    assert!(
        extra.contains(&("tags".to_string(), Some("env=prod;team=ops".to_string()))),
        "{extra:?}"
    );
    // Unknown field and unparseable value are kept verbatim.
    assert_eq!(
        map_at(&b, "extra_fields", 3),
        pairs(&[("newField", Some("x3"))])
    );
    let rate = b.column_by_name("resource_rate").unwrap();
    assert!(rate.is_null(5));
    let e5 = map_at(&b, "extra_fields", 5).unwrap();
    assert!(
        e5.contains(&("resourceRate".to_string(), Some("N/A".to_string()))),
        "{e5:?}"
    );
    assert!(
        map_at(&b, "extra_fields", 1).is_none(),
        "nothing extra: null map"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_keeps_cost_and_extended_cost_and_row_enrollment() {
    let sim = start_sim(Some(1200), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(
        &args(&url, &dest, &["--api-version", "v1", "--month", "2019-06"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rb = read_partition(&data_file(lake.path(), 2019, 6));
    let (rows, total) = expected(1200, 2019, 6, ApiVersion::V1);
    assert_eq!(rb.batch.num_rows() as u64, rows);
    assert_eq!(decimal_sum(&rb.batch, "cost"), total);
    assert_eq!(decimal_sum(&rb.batch, "extended_cost"), total);
    assert_eq!(rb.metadata["ea_usage_archiver.api_version"], "v1");
    assert_eq!(
        string_at(&rb.batch, "enrollment_number", 7).as_deref(),
        Some(ENROLLMENT)
    );
    assert!(
        rb.metadata["ea_usage_archiver.source"]
            .contains("/v1/enrollments/1234567/billingPeriods/201906/")
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rerunning_a_month_replaces_it_and_an_empty_month_is_a_valid_file() {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let file = data_file(lake.path(), 2024, 5);
    for (replaced, rows) in [2100u64, 1300, 0].into_iter().enumerate() {
        let sim = start_sim(Some(rows), &[]).await;
        let url = sim.base_url();
        let mut extra = vec!["--month", "2024-05"];
        if rows == 0 {
            // An empty answer for a month that holds rows is refused (exit 9) unless allowed.
            let before = std::fs::read(&file).unwrap();
            let out = archive(&args(&url, &dest, &extra), Some(KEY)).await;
            assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
            let p = &summary(&out)["partitions"][0];
            assert_eq!(p["status"], "refused");
            assert_eq!(
                (p["rows"].as_u64(), p["current_rows"].as_u64()),
                (Some(0), Some(1300))
            );
            assert!(
                p["error"].as_str().unwrap().contains("--allow-shrink"),
                "{p}"
            );
            assert_eq!(
                std::fs::read(&file).unwrap(),
                before,
                "a refused month is untouched"
            );
            extra.push("--allow-shrink");
        }
        let out = archive(&args(&url, &dest, &extra), Some(KEY)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let rb = read_partition(&file);
        assert_eq!(
            rb.batch.num_rows() as u64,
            rows,
            "re-run replaces, never appends"
        );
        assert_eq!(
            decimal_sum(&rb.batch, "cost"),
            expected(rows, 2024, 5, ApiVersion::V2).1
        );
        assert_eq!(rb.metadata["ea_usage_archiver.row_count"], rows.to_string());
        assert_eq!(
            split_history(lake_files(lake.path())),
            (
                vec!["enrollment=1234567/year=2024/month=05/usage-details.parquet".to_string()],
                replaced
            ),
            "one object, and every replaced version in history"
        );
        sim.stop().await;
    }
    let rb = read_partition(&file);
    assert_eq!(
        rb.schema.fields().len(),
        ea_usage_archiver::schema::NUM_COLUMNS
    );
    assert_eq!(rb.metadata["ea_usage_archiver.cost_total"], "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_range_is_split_into_whole_months() {
    let sim = start_sim(Some(1500), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(
        &args(&url, &dest, &["--from", "2023-12-10", "--to", "2024-01-05"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = summary(&out);
    let months: Vec<&str> = s["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, vec!["2023-12", "2024-01"]);
    for (y, m) in [(2023, 12), (2024, 1)] {
        let rb = read_partition(&data_file(lake.path(), y, m));
        let (rows, total) = expected(1500, y, m, ApiVersion::V2);
        assert_eq!(
            rb.batch.num_rows() as u64,
            rows,
            "whole month, not the partial range"
        );
        assert_eq!(decimal_sum(&rb.batch, "cost"), total);
        assert!(
            rb.metadata["ea_usage_archiver.source"].contains("usagedetailsbycustomdate?startTime=")
        );
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_period_archives_the_current_month_and_months_run_concurrently() {
    let sim = start_sim(Some(1100), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(&args(&url, &dest, &[]), Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let today = Utc::now().date_naive();
    let rb = read_partition(&data_file(lake.path(), today.year(), today.month()));
    assert_eq!(rb.batch.num_rows(), 1100);
    assert!(
        rb.metadata["ea_usage_archiver.source"].ends_with("/v2/enrollments/1234567/usagedetails")
    );
    let months = [
        "--month", "2022-01", "--month", "2022-02", "--month", "2022-03", "--month", "2022-04",
    ];
    let mut a = args(&url, &dest, &months);
    a.extend(["--concurrency", "4"]);
    let out = archive(&a, Some(KEY)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    for m in 1..=4 {
        let rb = read_partition(&data_file(lake.path(), 2022, m));
        assert_eq!(
            decimal_sum(&rb.batch, "cost"),
            expected(1100, 2022, m, ApiVersion::V2).1
        );
    }
    sim.stop().await;
}
