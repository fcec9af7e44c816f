//! Recorded pages (`tests/data/`, written by hand in the API's real shapes) replayed and served
//! over HTTP, checked against values worked out by hand: the decoder is not tested only against
//! the simulator's own rendering.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use chrono::NaiveDate;

use crate::common::*;

const E18: i128 = 1_000_000_000_000_000_000;

fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn day(y: i32, m: u32, d: u32) -> i32 {
    (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
}

fn decimals(b: &arrow_array::RecordBatch, col: &str) -> Vec<Option<i128>> {
    let a = b
        .column_by_name(col)
        .unwrap()
        .as_primitive::<Decimal128Type>();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect()
}

fn dates(b: &arrow_array::RecordBatch) -> Vec<i32> {
    let a = b
        .column_by_name("usage_date")
        .unwrap()
        .as_primitive::<Date32Type>();
    (0..a.len()).map(|i| a.value(i)).collect()
}

/// Replays `folder` as `month` of enrollment 100; returns the summary's partition and the file.
async fn replay(folder: &str, month: &str) -> (serde_json::Value, ReadBack) {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let dir = data_dir(folder);
    let a = [
        "--enrollment",
        "100",
        "--month",
        month,
        "--from-dir",
        dir.to_str().unwrap(),
        "--dest",
        &dest,
    ];
    let out = archive(&a, None).await;
    assert!(out.status.success(), "{folder}: {}", stderr(&out));
    let (y, m) = month.split_once('-').unwrap();
    let file = lake.path().join(format!(
        "enrollment=100/year={y}/month={m}/usage-details.parquet"
    ));
    (
        summary(&out)["partitions"][0].clone(),
        read_partition(&file),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_pages_with_report_id() {
    let (p, rb) = replay("v1-report-id", "2017-04").await;
    let b = &rb.batch;
    assert_eq!(b.num_rows(), 3);
    let cost = vec![
        Some(4_608 * E18 / 1000),
        Some(9_185_690_916_626_793),
        Some(15 * E18 / 1000),
    ];
    assert_eq!(decimals(b, "cost"), cost);
    assert_eq!(decimals(b, "extended_cost"), cost);
    assert_eq!(p["cost_total"], "4.632185690916626793");
    // 0.499222332425423563466 has 21 fractional digits: rounded half-even to 18, and counted.
    assert_eq!(
        decimals(b, "consumed_quantity"),
        vec![
            Some(24 * E18),
            Some(499_222_332_425_423_563),
            Some(15_000_000_000_000)
        ]
    );
    assert_eq!(p["rounded_decimals"], 1);
    assert_eq!(
        dates(b),
        vec![day(2017, 4, 1), day(2017, 4, 2), day(2017, 4, 30)]
    );
    assert_eq!(string_at(b, "enrollment_number", 2).as_deref(), Some("100"));
    assert_eq!(
        b.column_by_name("consumed_service_id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        11
    );
    assert_eq!(
        map_at(b, "tags", 0),
        pairs(&[("env", Some("prod")), ("costCenter", Some("1234"))])
    );
    assert_eq!(map_at(b, "tags", 1), None, "\"\" is a null map");
    assert_eq!(map_at(b, "tags", 2), None, "null is a null map");
    assert_eq!(
        map_at(b, "extra_fields", 2),
        pairs(&[("orderNumber", Some("ORD-77"))])
    );
    assert_eq!(
        string_at(b, "additional_info", 0).as_deref(),
        Some(r#"{"ImageType":null,"ServiceType":"Standard_D4_v3"}"#)
    );
    assert_eq!(
        (p["pages"].as_u64(), p["unknown_fields"].as_u64()),
        (Some(2), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_pages_with_sample_spellings() {
    let (p, rb) = replay("v2", "2024-01").await;
    let b = &rb.batch;
    assert_eq!(
        decimals(b, "cost"),
        vec![Some(744 * E18 / 10), Some(106_575 * E18 / 100_000)]
    );
    assert_eq!(p["cost_total"], "75.46575");
    let csid = b
        .column_by_name("consumed_service_id")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(
        (csid.value(0), csid.value(1)),
        (13, 13),
        "a string and a number, one column"
    );
    assert_eq!(
        map_at(b, "tags", 0),
        pairs(&[("env", Some("prod")), ("team", Some("web"))])
    );
    assert_eq!(map_at(b, "tags", 1), Some(vec![]), "{{}} is an empty map");
    assert_eq!(
        string_at(b, "resource_group", 1).as_deref(),
        Some(""),
        "\"\" stays text"
    );
    assert_eq!(
        string_at(b, "enrollment_number", 0).as_deref(),
        Some("100"),
        "from the request"
    );
    assert_eq!(dates(b), vec![day(2024, 1, 5), day(2024, 1, 31)]);
    assert_eq!(p["out_of_month_rows"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn older_pascal_case_export_without_next_link() {
    let (p, rb) = replay("pascal-case", "2017-03").await;
    let b = &rb.batch;
    assert_eq!(b.num_rows(), 2);
    assert_eq!(
        string_at(b, "account_owner_email", 0).as_deref(),
        Some("fin@contoso.com")
    );
    assert_eq!(
        string_at(b, "department_name", 0).as_deref(),
        Some("Finance")
    );
    assert_eq!(
        decimals(b, "extended_cost"),
        vec![Some(24_194 * E18 / 10_000), Some(5 * E18 / 10)]
    );
    assert_eq!(
        decimals(b, "cost"),
        vec![None, None],
        "these exports carry ExtendedCost only"
    );
    assert_eq!(dates(b), vec![day(2017, 3, 1), day(2017, 3, 31)]);
    assert_eq!(map_at(b, "tags", 0), pairs(&[("owner", Some("anna"))]));
    assert_eq!(
        map_at(b, "extra_fields", 0),
        pairs(&[("ChargesBilledSeparately", Some("False"))])
    );
    // An unparseable number and unparseable tags are kept verbatim, under their own spelling.
    assert_eq!(
        map_at(b, "extra_fields", 1),
        pairs(&[
            ("ConsumedQuantity", Some("N/A")),
            ("Tags", Some("env=prod;team=ops"))
        ])
    );
    assert_eq!(
        (p["unknown_fields"].as_u64(), p["unparsed_values"].as_u64()),
        (Some(1), Some(2))
    );
}

/// Serves `folder`'s pages over HTTP: page N for `$skiptoken=N` (page 1 without one).
async fn serve(folder: &'static str) -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    let app = axum::Router::new().route(
        "/v2/enrollments/{e}/billingPeriods/{p}/usagedetails",
        axum::routing::get(
            move |q: Query<HashMap<String, String>>, h: HeaderMap| async move {
                if h.get("authorization").and_then(|v| v.to_str().ok())
                    != Some(&format!("bearer {KEY}"))
                {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                let n: u32 = q
                    .get("$skiptoken")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1);
                let f = data_dir(folder).join(format!("page-{n:05}.json"));
                match std::fs::read_to_string(f) {
                    Ok(body) => (StatusCode::OK, body),
                    Err(_) => (StatusCode::NOT_FOUND, String::new()),
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relative_next_link_is_followed_on_the_api_host() {
    let (url, server) = serve("relative-next-link").await;
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    let a = [
        "--enrollment",
        "100",
        "--month",
        "2024-02",
        "--base-url",
        &url,
        "--dest",
        &dest,
        "--retry-base-delay-ms",
        "10",
    ];
    let out = archive(&a, Some(KEY)).await;
    server.abort();
    assert!(out.status.success(), "{}", stderr(&out));
    let p = &summary(&out)["partitions"][0];
    assert_eq!(
        (p["pages"].as_u64(), p["rows"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(p["cost_total"], "2");
    let rb = read_partition(
        &lake
            .path()
            .join("enrollment=100/year=2024/month=02/usage-details.parquet"),
    );
    assert_eq!(
        decimals(&rb.batch, "cost"),
        vec![Some(23 * E18 / 10), Some(-3 * E18 / 10)]
    );
}
