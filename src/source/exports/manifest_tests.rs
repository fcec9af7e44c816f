//! Unit tests of manifest reading: the documented shape, its quirks, and what is refused.

use super::*;

/// A manifest in the documented shape (manifestVersion 2024-04-01), with the given parts of
/// its JSON replaced.
fn manifest(kind: &str, resource: &str, start: &str, end: &str, rows: &str) -> String {
    format!(
        r#"{{
  "manifestVersion": "2024-04-01",
  "byteCount": 300,
  "blobCount": 2,
  "dataRowCount": {rows},
  "somethingNew": {{"x": 1}},
  "exportConfig": {{
    "exportName": "daily-actual",
    "resourceId": "{resource}/providers/Microsoft.CostManagement/exports/daily-actual",
    "dataVersion": "2023-12-01-preview",
    "apiVersion": "2023-07-01-preview",
    "type": "{kind}",
    "timeFrame": "MonthToDate",
    "granularity": null
  }},
  "deliveryConfig": {{
    "partitionData": true,
    "dataOverwriteBehavior": "CreateNewReport",
    "fileFormat": "Csv",
    "compressionMode": "gzip",
    "containerUri": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
    "rootFolderPath": "exports"
  }},
  "runInfo": {{
    "executionType": "Scheduled",
    "submittedTime": "2025-03-05T02:10:11.1234567Z",
    "runId": "a1b2c3",
    "startDate": "{start}",
    "endDate": "{end}"
  }},
  "blobs": [
    {{"blobName": "exports/daily-actual/20250301-20250331/a1b2c3/part_0_0001.csv.gz", "byteCount": 100, "dataRowCount": {rows}}},
    {{"blobName": "exports/daily-actual/20250301-20250331/a1b2c3/part_0_0002.csv.gz", "byteCount": 200}}
  ]
}}"#
    )
}

const ENROLLMENT: &str = "/providers/Microsoft.Billing/billingAccounts/1234567";

#[test]
fn the_documented_manifest_is_read_with_its_quirks() {
    // startDate without a zone, endDate with one; unknown fields; a null granularity.
    let run = parse(
        manifest(
            "ActualCost",
            ENROLLMENT,
            "2025-03-01T00:00:00",
            "2025-03-31T00:00:00Z",
            "7",
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(run.export_name, "daily-actual");
    assert_eq!(run.dataset, Dataset::Usage(Metric::Actual));
    assert_eq!(run.scope, Scope::Enrollment("1234567".into()));
    assert_eq!(run.month, Ok((2025, 3)));
    assert_eq!(
        run.submitted.to_rfc3339(),
        "2025-03-05T02:10:11.123456700+00:00"
    );
    assert_eq!(run.run_id, "a1b2c3");
    assert_eq!(run.format, Some(PartFormat::CsvGzip));
    assert_eq!(run.rows, Some(7));
    assert_eq!(run.blob_count, Some(2));
    assert_eq!(run.parts.len(), 2);
    assert_eq!(run.parts[0].bytes, Some(100));
    assert_eq!(run.parts[0].rows, Some(7));
    assert_eq!(run.parts[1].rows, None, "a missing count is unknown");
    assert!(run.parts[1].name.ends_with("part_0_0002.csv.gz"));
}

#[test]
fn a_null_row_count_is_unknown_not_zero() {
    let run = parse(
        manifest(
            "AmortizedCost",
            ENROLLMENT,
            "2025-03-01",
            "2025-03-31",
            "null",
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(run.dataset, Dataset::Usage(Metric::Amortized));
    assert_eq!((run.rows, run.parts[0].rows), (None, None));
}

#[test]
fn other_datasets_narrower_scopes_and_month_spans_are_told_apart() {
    let focus =
        parse(manifest("FocusCost", ENROLLMENT, "2025-03-01", "2025-03-31", "1").as_bytes())
            .unwrap();
    assert_eq!(focus.dataset, Dataset::Other("FocusCost".into()));
    for narrower in [
        "/providers/Microsoft.Billing/billingAccounts/1234567/departments/42",
        "/providers/Microsoft.Billing/billingAccounts/1234567/enrollmentAccounts/7",
        "/subscriptions/00000000-0000-0000-0000-000000000000",
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
    ] {
        let run =
            parse(manifest("ActualCost", narrower, "2025-03-01", "2025-03-31", "1").as_bytes())
                .unwrap();
        assert_eq!(run.scope, Scope::Narrower(narrower.into()), "{narrower}");
    }
    let spans = parse(
        manifest(
            "ActualCost",
            ENROLLMENT,
            "2025-02-15T00:00:00Z",
            "2025-03-14T00:00:00Z",
            "1",
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        spans.month,
        Err("it spans 2025-02-15 to 2025-03-14, more than one month".into())
    );
}

#[test]
fn a_bom_is_skipped_and_broken_manifests_say_why() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        manifest("ActualCost", ENROLLMENT, "2025-03-01", "2025-03-31", "1").as_bytes(),
    );
    assert!(parse(&bytes).is_ok());
    assert!(
        parse(b"{")
            .unwrap_err()
            .starts_with("not an export manifest")
    );
    let no_time = manifest("ActualCost", ENROLLMENT, "2025-03-01", "2025-03-31", "1")
        .replace("2025-03-05T02:10:11.1234567Z", "yesterday");
    assert!(
        parse(no_time.as_bytes())
            .unwrap_err()
            .contains("submittedTime \"yesterday\"")
    );
}

#[test]
fn times_with_and_without_a_zone_are_utc() {
    let a = parse_time("2025-03-05T02:10:11Z").unwrap();
    assert_eq!(parse_time("2025-03-05T02:10:11"), Some(a));
    assert_eq!(parse_time("2025-03-05T04:10:11+02:00"), Some(a));
    assert_eq!(
        parse_time("2025-03-05").unwrap().to_rfc3339(),
        "2025-03-05T00:00:00+00:00"
    );
    assert_eq!(parse_time("05/03/2025"), None);
}

#[test]
fn parts_are_told_by_their_first_bytes() {
    assert_eq!(sniff(b"PAR1\x15\x04"), PartFormat::Parquet);
    assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), PartFormat::CsvGzip);
    assert_eq!(sniff(b"\xEF\xBB\xBFDate,Cost"), PartFormat::Csv);
}

#[test]
fn another_dataset_is_read_whatever_its_run_information_and_a_run_without_blobs_is_not() {
    let focus = r#"{"exportConfig":{"exportName":"prices","type":"PriceSheet"},
        "deliveryConfig":{"fileFormat":"Json"},"runInfo":{"startDate":null},"blobs":[]}"#;
    let run = parse(focus.as_bytes()).unwrap();
    assert_eq!(run.dataset, Dataset::Other("PriceSheet".into()));
    let empty = r#"{"exportConfig":{"exportName":"d","resourceId":"/providers/Microsoft.Billing/billingAccounts/1","type":"ActualCost"},
        "runInfo":{"submittedTime":"2025-03-02T00:00:00Z","runId":"r","startDate":"2025-03-01","endDate":"2025-03-01"}}"#;
    assert_eq!(
        parse(empty.as_bytes()).unwrap_err(),
        "the manifest lists no blobs"
    );
}
