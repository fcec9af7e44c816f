//! Unit tests of typed pages.

use super::*;
use crate::schema::{COST, TAGS, USAGE_DATE, index_of};
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Float32Array, Float64Array,
    Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{Field, Schema};

const E18: i128 = 1_000_000_000_000_000_000;

fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn days(y: i32, m: u32, d: u32) -> i32 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
    .num_days() as i32
}

#[test]
fn typed_columns_become_their_exact_values() {
    let cost = Decimal128Array::from(vec![Some(12_345_678_901_234_567), None, Some(-5)])
        .with_precision_and_scale(38, 10)
        .unwrap();
    let b = batch(vec![
        (
            "Date",
            Arc::new(Date32Array::from(vec![days(2025, 3, 1); 3])),
        ),
        ("CostInBillingCurrency", Arc::new(cost)),
        (
            "Quantity",
            Arc::new(Float64Array::from(vec![0.1, 1e-20, 2.5e6])),
        ),
        (
            "EffectivePrice",
            Arc::new(Float32Array::from(vec![1.1f32, 0.0, 3.0])),
        ),
        ("AccountId", Arc::new(Int64Array::from(vec![7, 8, 9]))),
        (
            "IsAzureCreditEligible",
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
        ),
        (
            "Tags",
            Arc::new(StringArray::from(vec![
                Some(r#""env": "prod""#),
                None,
                Some(""),
            ])),
        ),
        (
            "BillingPeriodStartDate",
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_740_787_200_000_000; 3])
                    .with_timezone("UTC"),
            ),
        ),
        ("NewThing", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
    ]);
    let p = decode_table_page(&b, 1, "100", None).unwrap();
    let out = &p.batch;
    assert_eq!(out.num_rows(), 3, "no row is dropped");
    let date = out.column(USAGE_DATE).as_primitive::<Date32Type>();
    assert_eq!(date.value(2), days(2025, 3, 1));
    let c = out.column(COST).as_primitive::<Decimal128Type>();
    // 1234567.8901234567 at scale 10, exactly, and -0.0000000005.
    assert_eq!(c.value(0), 12_345_678_901_234_567 * 100_000_000);
    assert!(c.is_null(1));
    assert_eq!(c.value(2), -5 * 100_000_000);
    let q = out
        .column(index_of("consumed_quantity"))
        .as_primitive::<Decimal128Type>();
    // A double is the decimal of its shortest text: 0.1 is exactly 0.1, not 0.1000000000000000055.
    assert_eq!(q.value(0), E18 / 10);
    assert_eq!(q.value(1), 0, "1e-20 has 20 fractional digits: rounded");
    assert_eq!(q.value(2), 2_500_000 * E18);
    assert_eq!(p.stats.rounded_decimals, 1, "only where digits are lost");
    let price = out
        .column(index_of("resource_rate"))
        .as_primitive::<Decimal128Type>();
    assert_eq!(price.value(0), 11 * E18 / 10, "a float's own shortest text");
    assert_eq!(
        out.column(index_of("account_id"))
            .as_primitive::<Int64Type>()
            .value(1),
        8
    );
    let credit = out
        .column(index_of("is_azure_credit_eligible"))
        .as_boolean();
    assert!(credit.value(0) && !credit.value(1) && credit.is_null(2));
    assert_eq!(out.column(TAGS).as_map().value(0).len(), 1);
    let period = out
        .column(index_of("billing_period_start"))
        .as_primitive::<Date32Type>();
    assert_eq!(period.value(0), days(2025, 3, 1));
    assert_eq!(
        crate::decode::extra_at(&p.batch, 1),
        vec![("NewThing".into(), "b".into())]
    );
    assert_eq!(p.stats.unparsed_values, 0);
    assert_eq!(p.row_digests.len(), 3);
    assert_eq!(
        p.stats.cost_total,
        Some(12_345_678_901_234_567 * 100_000_000 - 500_000_000)
    );
}

#[test]
fn digests_tell_null_from_empty_and_dictionaries_read_as_their_values() {
    let plain = batch(vec![
        ("Date", Arc::new(StringArray::from(vec!["2025-03-01"; 2]))),
        (
            "MeterName",
            Arc::new(StringArray::from(vec![None, Some("")])),
        ),
    ]);
    let p = decode_table_page(&plain, 1, "1", None).unwrap();
    assert_ne!(p.row_digests[0], p.row_digests[1]);
    let dict: DictionaryArray<Int32Type> = vec![Some("vm"), None, Some("vm")].into_iter().collect();
    let b = batch(vec![
        ("Date", Arc::new(StringArray::from(vec!["2025-03-01"; 3]))),
        ("MeterName", Arc::new(dict)),
    ]);
    let p = decode_table_page(&b, 1, "1", None).unwrap();
    let meter = p.batch.column(index_of("meter_name")).as_string::<i32>();
    assert_eq!(meter.value(2), "vm");
    assert!(meter.is_null(1));
}

#[test]
fn a_column_without_text_refuses_the_page_naming_it() {
    let mut list = ListBuilder::new(StringBuilder::new());
    list.values().append_value("x");
    list.append(true);
    let b = batch(vec![
        ("Date", Arc::new(StringArray::from(vec!["2025-03-01"]))),
        ("Odd", Arc::new(list.finish())),
    ]);
    let err = crate::text::error_chain(&decode_table_page(&b, 3, "1", None).unwrap_err());
    assert!(
        err.contains("page 3 is not a valid usage-details Parquet page") && err.contains("Odd"),
        "{err}"
    );
}

#[test]
fn times_are_written_in_iso_8601_with_their_fraction_and_zone() {
    use arrow_array::{Date64Array, TimestampMillisecondArray};
    let b = batch(vec![
        ("Date", Arc::new(StringArray::from(vec!["2025-03-01"; 2]))),
        (
            "ServiceInfo1",
            Arc::new(
                TimestampMillisecondArray::from(vec![1_740_787_200_250, -1]).with_timezone("UTC"),
            ),
        ),
        (
            "ServiceInfo2",
            Arc::new(TimestampMillisecondArray::from(vec![1_740_787_200_000, 0])),
        ),
        (
            "AdditionalInfo",
            Arc::new(Date64Array::from(vec![1_740_787_200_000, 0])),
        ),
        (
            "ResourceName",
            Arc::new(Date32Array::from(vec![days(2025, 3, 1), -1])),
        ),
    ]);
    let p = decode_table_page(&b, 1, "1", None).unwrap();
    let text = |c: &str, row| {
        p.batch
            .column(index_of(c))
            .as_string::<i32>()
            .value(row)
            .to_string()
    };
    assert_eq!(text("service_info1", 0), "2025-03-01T00:00:00.25Z");
    assert_eq!(text("service_info1", 1), "1969-12-31T23:59:59.999Z");
    assert_eq!(text("service_info2", 0), "2025-03-01T00:00:00");
    assert_eq!(text("additional_info", 1), "1970-01-01T00:00:00");
    assert_eq!(text("resource_name", 0), "2025-03-01");
    assert_eq!(text("resource_name", 1), "1969-12-31");
}

/// A row's digest is the hash of its values' texts laid out as before this decoder read typed
/// columns directly (per value: 0x01 and its text, or 0x00 for NULL; then 0x1f), so a month
/// archived from Parquet parts keeps its fingerprint; and every kind of text column, plain or
/// dictionary-encoded, reads to the same values and digests.
#[test]
fn digests_are_the_hash_of_each_values_text_for_every_kind_of_text_column() {
    use arrow_array::{LargeStringArray, StringViewArray};
    let cost = Decimal128Array::from(vec![Some(15), None])
        .with_precision_and_scale(38, 1)
        .unwrap();
    let text = [Some("vm é"), None];
    let dict = |t: &[Option<&'static str>]| -> ArrayRef {
        Arc::new(t.iter().copied().collect::<DictionaryArray<Int32Type>>())
    };
    let kinds: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(text.to_vec())),
        Arc::new(LargeStringArray::from(text.to_vec())),
        Arc::new(StringViewArray::from(text.to_vec())),
        dict(&text),
    ];
    let want_row0 = xxh3_64(b"\x012025-03-01\x1f\x011.5\x1f\x012.5\x1f\x01vm \xc3\xa9\x1f");
    let want_row1 = xxh3_64(b"\x012025-03-02\x1f\x00\x1f\x010.1\x1f\x00\x1f");
    for meter in kinds {
        let kind = meter.data_type().clone();
        let b = batch(vec![
            (
                "Date",
                Arc::new(Date32Array::from(vec![days(2025, 3, 1), days(2025, 3, 2)])),
            ),
            ("Cost", Arc::new(cost.clone())),
            ("Quantity", Arc::new(Float64Array::from(vec![2.5, 0.1]))),
            ("MeterName", meter),
        ]);
        let p = decode_table_page(&b, 1, "1", None).unwrap();
        let name = p.batch.column(index_of("meter_name")).as_string::<i32>();
        assert_eq!(name.value(0), "vm é", "{kind}");
        assert!(name.is_null(1), "{kind}");
        assert_eq!(p.row_digests[0], want_row0, "{kind}");
        assert_eq!(p.row_digests[1], want_row1, "{kind}");
    }
}
