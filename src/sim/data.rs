//! Deterministic, realistic usage rows for the simulator. Pure: the same (enrollment, month,
//! version, row count) always gives the same bytes, and [`month_totals`] gives the exact
//! expected sums, so tests can check the lake against the simulator's own numbers.
//!
//! Every row is rendered straight to JSON text, so numbers appear exactly as written here,
//! in the forms the real API uses: plain numbers, numeric strings, exponent form, and
//! `0.499222332425423563466` (21 fractional digits) in the first row of every month.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use crate::source::ApiVersion;

/// One month of simulated usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSpec {
    /// Enrollment number.
    pub enrollment: String,
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// API version (field spellings differ).
    pub version: ApiVersion,
    /// Rows in the month.
    pub rows: u64,
    /// Restatement: 0 is the month as first published; each later revision changes the
    /// quantity (and so the cost) of about one row in ten, as the API does for days after a
    /// month closes.
    pub revision: u32,
}

/// The cost of row 0 of every month, more digits than f64 holds.
pub const ROW0_COST_TEXT: &str = "0.499222332425423563466";
/// Its value at scale 18 (half-even: the 19th digit is 4).
pub const ROW0_COST_SCALED: i128 = 499_222_332_425_423_563;

/// Deterministic 64-bit mix (splitmix64).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub(super) fn seed(enrollment: &str, year: i32, month: u32) -> u64 {
    let e = enrollment.bytes().fold(0u64, |a, b| mix(a ^ b as u64));
    mix(e ^ ((year as u64) << 8) ^ month as u64)
}

/// Default rows of a month: 1,500 to 3,499, fixed per enrollment and month.
pub fn default_rows(enrollment: &str, year: i32, month: u32) -> u64 {
    1500 + seed(enrollment, year, month) % 2000
}

/// Days in the month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first_next = NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid");
    (first_next - chrono::Days::new(1)).day()
}

/// Day of month of row `i` (rows are in date order).
pub fn row_day(spec: &MonthSpec, i: u64) -> u32 {
    let days = days_in_month(spec.year, spec.month) as u64;
    1 + (i * days / spec.rows.max(1)) as u32
}

/// The tags forms the simulator produces, by instance.
pub const TAG_FORMS: [&str; 10] = [
    "empty",
    "null",
    "json",
    "spaced",
    "braceless",
    "typed",
    "dupkeys",
    "emptyobj",
    "garbage",
    "unicode",
];

/// The `tags` JSON value (already JSON: a string literal or `null`) for a tags form.
pub fn tags_json(form: &str, env: &str) -> String {
    let inner = match form {
        "empty" => String::new(),
        "null" => return "null".into(),
        "json" => format!(r#"{{"env":"{env}","costCenter":"1234"}}"#),
        "spaced" => format!(r#"{{  "env": "{env}",  "owner": "anna.smith@contoso.com"}}"#),
        "braceless" => format!(r#""env": "{env}","team": "data""#),
        "typed" => format!(r#"{{"env":"{env}","replicas":3,"critical":true}}"#),
        "dupkeys" => format!(r#"{{"env":"stale","app":"web","env":"{env}"}}"#),
        "emptyobj" => "{}".into(),
        "garbage" => "env=prod;team=ops".into(),
        _ => format!(r#"{{"env":"{env}","owner":"O\"Brien","city":"Zürich","説明":"データ基盤"}}"#),
    };
    serde_json::to_string(&inner).expect("string serializes")
}

pub(super) const METERS: [(&str, &str, &str, &str, &str, i128); 6] = [
    (
        "Virtual Machines",
        "Dv3 Series",
        "D4 v3",
        "100 Hours",
        "Microsoft.Compute",
        192_000,
    ),
    (
        "Storage",
        "General Block Blob",
        "Hot LRS Data Stored",
        "1 GB/Month",
        "Microsoft.Storage",
        18_400,
    ),
    (
        "Bandwidth",
        "",
        "Data Transfer Out (GB)",
        "1 GB",
        "Microsoft.Compute",
        87_000,
    ),
    (
        "SQL Database",
        "Single Standard",
        "S2 DTUs",
        "1/Day",
        "Microsoft.Sql",
        2_419_400,
    ),
    (
        "Azure App Service",
        "Standard Plan",
        "S1 App",
        "1 Hour",
        "Microsoft.Web",
        100_000,
    ),
    (
        "Log Analytics",
        "",
        "Data Ingestion",
        "1 GB",
        "Microsoft.OperationalInsights",
        2_300_000,
    ),
];
pub(super) const REGIONS: [(&str, &str, i64); 4] = [
    ("EastUS", "US East", 1),
    ("WestEurope", "EU West", 7),
    ("JapanEast", "JA East", 10),
    ("UKSouth", "UK South", 8),
];
pub(super) const ENVS: [&str; 4] = ["prod", "dev", "test", "staging"];

/// Instance (resource) of row `i`; 40 instances per month, 4 per tags form.
pub fn row_instance(spec: &MonthSpec, i: u64) -> u64 {
    if i == 0 {
        return 2; // row 0 always carries the plain JSON tags form
    }
    mix(seed(&spec.enrollment, spec.year, spec.month) ^ i) % 40
}

/// Cost of row `i` at scale 18, exactly as [`row_json`] writes it.
pub fn row_cost_scaled(spec: &MonthSpec, i: u64) -> i128 {
    if i == 0 {
        return ROW0_COST_SCALED;
    }
    let (q, r) = quantity_and_rate(spec, i);
    // quantity scale 5 × rate scale 6 = scale 11 → scale 18
    q * r * 10_000_000
}

/// Whether row `i` is restated in the spec's revision.
pub fn row_restated(spec: &MonthSpec, i: u64) -> bool {
    spec.revision > 0 && i > 0 && mix(i ^ (u64::from(spec.revision) << 40)).is_multiple_of(10)
}

pub(super) fn quantity_and_rate(spec: &MonthSpec, i: u64) -> (i128, i128) {
    let mut h = mix(seed(&spec.enrollment, spec.year, spec.month).rotate_left(17) ^ i);
    if row_restated(spec, i) {
        h = mix(h ^ u64::from(spec.revision));
    }
    let q = (h % 2_400_000) as i128; // 0 … 23.99999, scale 5
    let meter = METERS[(row_instance(spec, i) % METERS.len() as u64) as usize];
    (q, meter.5)
}

pub(super) fn decimal_text(v: i128, scale: u32) -> String {
    let div = 10i128.pow(scale);
    let (sign, a) = if v < 0 { ("-", -v) } else { ("", v) };
    format!(
        "{sign}{}.{:0width$}",
        a / div,
        a % div,
        width = scale as usize
    )
}

/// Number of rows and exact `cost` total (scale 18) of the month.
pub fn month_totals(spec: &MonthSpec) -> (u64, i128) {
    let total = (0..spec.rows).map(|i| row_cost_scaled(spec, i)).sum();
    (spec.rows, total)
}

fn push_str(out: &mut String, key: &str, value: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    out.push_str(&serde_json::to_string(value).expect("string serializes"));
    out.push(',');
}

fn push_raw(out: &mut String, key: &str, raw: &str) {
    let _ = write!(out, "\"{key}\":{raw},");
}

/// What row `i` of a month is, whichever API serves it: the EA pages (`row_json`) and the
/// Cost Details reports (`cost_csv::record`) write these same facts, so a month reads the same
/// from both sources.
pub(super) struct RowFacts {
    /// The resource instance the row is for.
    pub inst: u64,
    /// Its tags' form (`TAG_FORMS`).
    pub form: &'static str,
    /// Meter category, subcategory, name, unit and consumed service (`METERS`).
    pub meter: (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
    /// Location, region and location id (`REGIONS`).
    pub location: (&'static str, &'static str, i64),
    /// Environment (`ENVS`).
    pub env: &'static str,
    /// Department 0–3.
    pub dept: u64,
    /// Subscription 0–7.
    pub sub_no: u64,
    /// The subscription's GUID.
    pub sub_guid: String,
    /// Resource group.
    pub rg: String,
}

impl RowFacts {
    /// The facts of row `i` of `spec`'s month.
    pub(super) fn of(spec: &MonthSpec, i: u64) -> Self {
        let s = seed(&spec.enrollment, spec.year, spec.month);
        let inst = row_instance(spec, i);
        let (cat, sub, name, unit, service, _) = METERS[(inst % METERS.len() as u64) as usize];
        let env = ENVS[(inst / 10 % 4) as usize];
        let sub_no = inst % 8;
        Self {
            inst,
            form: TAG_FORMS[(inst % TAG_FORMS.len() as u64) as usize],
            meter: (cat, sub, name, unit, service),
            location: REGIONS[(inst % REGIONS.len() as u64) as usize],
            env,
            dept: inst % 4,
            sub_no,
            sub_guid: format!(
                "{:08x}-0000-4000-8000-{:012x}",
                mix(s ^ sub_no) as u32,
                sub_no
            ),
            rg: format!(
                "rg-{}-{env}",
                ["web", "data", "etl", "shared"][(inst % 4) as usize]
            ),
        }
    }
}

/// Row `i` of the month as a JSON object.
pub fn row_json(spec: &MonthSpec, i: u64) -> String {
    let RowFacts {
        inst,
        form,
        meter: (cat, sub, name, unit, service),
        location: (loc, region, loc_id),
        env,
        dept,
        sub_no,
        sub_guid,
        rg,
    } = RowFacts::of(spec, i);
    let day = row_day(spec, i);
    let (y, m) = (spec.year, spec.month);
    let date = match i % 4 {
        0 => format!("{y:04}-{m:02}-{day:02}T00:00:00"),
        1 => format!("{y:04}-{m:02}-{day:02}T00:00:00.0000000"),
        2 => format!("{y:04}-{m:02}-{day:02}T00:00:00Z"),
        _ => format!("{m:02}/{day:02}/{y:04}"),
    };
    let (q, rate) = quantity_and_rate(spec, i);
    let cost_scaled_11 = q * rate;
    let cost_text = if i == 0 {
        ROW0_COST_TEXT.to_string()
    } else {
        match i % 7 {
            1 => format!("\"{}\"", decimal_text(cost_scaled_11, 11)),
            2 => format!("{cost_scaled_11}E-11"),
            _ => decimal_text(cost_scaled_11, 11),
        }
    };
    let mut o = String::with_capacity(1200);
    o.push('{');
    push_raw(&mut o, "accountId", &(10_000 + dept * 37).to_string());
    push_raw(&mut o, "productId", &(1000 + inst).to_string());
    push_raw(&mut o, "resourceLocationId", &loc_id.to_string());
    let csid_key = if i.is_multiple_of(2) {
        "consumedServiceId"
    } else {
        "consumedServiceID"
    };
    push_raw(
        &mut o,
        csid_key,
        &(10 + inst % METERS.len() as u64).to_string(),
    );
    push_raw(&mut o, "departmentId", &(100 + dept * 7).to_string());
    push_str(
        &mut o,
        "accountOwnerEmail",
        &format!("owner{dept}@contoso.com"),
    );
    push_str(
        &mut o,
        "accountName",
        &format!(
            "{} Prod",
            ["Engineering", "Finance", "Data Platform", "Sales"][dept as usize]
        ),
    );
    push_str(&mut o, "serviceAdministratorId", "admin@contoso.com");
    push_raw(&mut o, "subscriptionId", &(20_000_000 + sub_no).to_string());
    push_str(&mut o, "subscriptionGuid", &sub_guid);
    push_str(
        &mut o,
        "subscriptionName",
        &format!("sub-{env}-{sub_no:02}"),
    );
    push_str(&mut o, "date", &date);
    push_str(&mut o, "product", &format!("{name} - {region}"));
    push_str(
        &mut o,
        "meterId",
        &format!("{:08x}-1111-4000-8000-{:012x}", mix(inst) as u32, inst),
    );
    push_str(&mut o, "meterCategory", cat);
    push_str(&mut o, "meterSubCategory", sub);
    push_str(&mut o, "meterRegion", region);
    push_str(&mut o, "meterName", name);
    if i == 0 {
        push_raw(&mut o, "consumedQuantity", "1.5E-05");
    } else {
        push_raw(&mut o, "consumedQuantity", &decimal_text(q, 5));
    }
    if i % 97 == 5 {
        push_str(&mut o, "resourceRate", "N/A");
    } else {
        push_raw(&mut o, "resourceRate", &decimal_text(rate, 6));
    }
    let cost_key = match (spec.version, i % 5) {
        (ApiVersion::V1, _) => "cost",
        (ApiVersion::V2, 0) => "cost",
        (ApiVersion::V2, _) => "Cost",
    };
    push_raw(&mut o, cost_key, &cost_text);
    if spec.version == ApiVersion::V1 {
        push_raw(&mut o, "extendedCost", &cost_text);
        push_str(&mut o, "enrollmentNumber", &spec.enrollment);
    }
    push_str(&mut o, "resourceLocation", loc);
    push_str(&mut o, "consumedService", service);
    push_str(
        &mut o,
        "instanceId",
        &format!(
            "/subscriptions/{sub_guid}/resourceGroups/{rg}/providers/{service}/res-{inst}-{form}"
        ),
    );
    push_str(&mut o, "serviceInfo1", "");
    push_str(&mut o, "serviceInfo2", "");
    let info = if inst.is_multiple_of(3) {
        r#"{"ImageType":null,"ServiceType":"Standard_D4_v3"}"#
    } else {
        ""
    };
    push_str(&mut o, "additionalInfo", info);
    push_raw(&mut o, "tags", &tags_json(form, env));
    push_str(&mut o, "storeServiceIdentifier", "");
    push_str(
        &mut o,
        "departmentName",
        ["Engineering", "Finance", "Data Platform", "Sales"][dept as usize],
    );
    push_str(&mut o, "costCenter", &(1000 + dept * 111).to_string());
    push_str(&mut o, "unitOfMeasure", unit);
    if i % 50 == 3 {
        push_str(&mut o, "newField", &format!("x{i}"));
    }
    push_str(&mut o, "resourceGroup", &rg);
    o.pop(); // trailing comma
    o.push('}');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rows: u64) -> MonthSpec {
        MonthSpec {
            enrollment: "100".into(),
            year: 2024,
            month: 2,
            version: ApiVersion::V2,
            rows,
            revision: 0,
        }
    }

    #[test]
    fn rows_are_valid_json_and_deterministic() {
        let s = spec(300);
        for i in 0..300 {
            let row = row_json(&s, i);
            let v: serde_json::Value =
                serde_json::from_str(&row).unwrap_or_else(|e| panic!("{e}: {row}"));
            assert!(v.is_object());
            assert_eq!(row, row_json(&s, i));
        }
    }

    #[test]
    fn dates_stay_in_the_month_and_in_order() {
        let s = spec(1000);
        let days: Vec<u32> = (0..1000).map(|i| row_day(&s, i)).collect();
        assert_eq!(days[0], 1);
        assert_eq!(*days.last().unwrap(), 29);
        assert!(days.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_revision_restates_about_one_row_in_ten() {
        let first = spec(1000);
        let later = MonthSpec {
            revision: 1,
            ..first.clone()
        };
        let changed = (0..1000)
            .filter(|&i| row_json(&first, i) != row_json(&later, i))
            .count();
        assert!((60..=140).contains(&changed), "{changed}");
        assert_eq!(row_json(&first, 0), row_json(&later, 0));
        assert_ne!(month_totals(&first).1, month_totals(&later).1);
    }

    #[test]
    fn totals_include_the_high_precision_row() {
        let (rows, total) = month_totals(&spec(1));
        assert_eq!((rows, total), (1, ROW0_COST_SCALED));
        assert!(month_totals(&spec(100)).1 > ROW0_COST_SCALED);
    }
}
