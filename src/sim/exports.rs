//! A simulated Cost Management export container, written to a folder as exports land in a
//! storage account over three days at the turn of a month (`day` 1, 2, 3 of the sequence):
//!
//! - the month before last (`M-2`): one run of the daily actual-cost export, in two Parquet
//!   parts with typed columns (dates, timestamps, decimals, doubles, booleans);
//! - last month (`M-1`): gzip CSV parts with `dataRowCount: null` (API 2025-03-01): an older
//!   month-to-date run and the month-end run beside it; on day 3 the regenerated run of the
//!   first days of a month, with restated rows;
//! - this month (`M`): plain CSV (BOM, CRLF), month-to-date runs, overwrite off: the run of day
//!   1 holds the usage of the 1st; day 2's run lists two parts, but its second part has not
//!   landed yet; on day 3 it has;
//! - beside them, never a usage month of the lake: an amortized-cost export in the FinOps hubs
//!   layout with `_manifest.json`, and a FOCUS export.
//!
//! Blob names in manifests are relative to the container; the folder is the container.
//! Deterministic: the same arguments write the same bytes.

use std::path::Path;

use serde_json::json;

use super::cost_csv::{self, Generation, SimMetric};
use super::data::{MonthSpec, default_rows, row_day};
use super::export_parts::{crlf, gzip, parquet};
use crate::source::ApiVersion;

/// What to write.
#[derive(Debug, Clone)]
pub struct ExportScenario {
    /// The enrollment (billing account).
    pub enrollment: String,
    /// This month, `M`.
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// The day of the sequence: 1, 2 or 3.
    pub day: u32,
    /// Rows of every whole month (default: the simulator's 1,500–3,499).
    pub rows: Option<u64>,
}

/// A month the container holds a usage run of, and what archiving it should give.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExpectedMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// The run that should be archived (the newest), or none when it is incomplete.
    pub run_id: String,
    /// Whether the newest run is complete.
    pub complete: bool,
    /// Its rows.
    pub rows: u64,
    /// Its exact cost total.
    pub cost_total: String,
}

/// The actual-cost export's name.
pub const ACTUAL_EXPORT: &str = "daily-actual";

fn shift(year: i32, month: u32, back: i32) -> (i32, u32) {
    let n = year * 12 + month as i32 - 1 - back;
    (n.div_euclid(12), n.rem_euclid(12) as u32 + 1)
}

fn spec(s: &ExportScenario, (year, month): (i32, u32), revision: u32) -> MonthSpec {
    MonthSpec {
        enrollment: s.enrollment.clone(),
        year,
        month,
        version: ApiVersion::V2,
        rows: s
            .rows
            .unwrap_or_else(|| default_rows(&s.enrollment, year, month)),
        revision,
    }
}

/// Rows of `spec` used through day `through` (rows are in date order).
fn rows_through(spec: &MonthSpec, through: u32) -> u64 {
    (0..spec.rows)
        .find(|&i| row_day(spec, i) > through)
        .unwrap_or(spec.rows)
}

/// How a run's parts are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Csv,
    Gzip,
    Parquet,
}

/// One run to write.
struct RunSpec<'a> {
    export: &'a str,
    kind: &'a str,
    folder: String,
    run_id: String,
    submitted: String,
    month: (i32, u32),
    form: Form,
    /// Row ranges of the parts.
    parts: Vec<(u64, u64)>,
    /// Parts listed in the manifest but not written (yet).
    missing: Vec<usize>,
    null_counts: bool,
    manifest_name: &'a str,
    metric: SimMetric,
}

/// `YYYYMMDD-YYYYMMDD` of a whole month, as export folders name it.
fn month_range((y, m): (i32, u32)) -> String {
    let last = super::data::days_in_month(y, m);
    format!("{y:04}{m:02}01-{y:04}{m:02}{last:02}")
}

/// `YYYY-MM-DDThh:00:00` (no zone, as some manifests write it).
fn at((y, m): (i32, u32), d: u32, h: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00")
}

impl RunSpec<'static> {
    /// A run of the daily actual-cost export: the documented layout, `manifest.json`, every
    /// part present and its rows stated.
    fn actual(month: (i32, u32), run_id: &str, submitted: String, form: Form) -> Self {
        RunSpec {
            export: ACTUAL_EXPORT,
            kind: "ActualCost",
            folder: format!("exports/{ACTUAL_EXPORT}/{}/{run_id}", month_range(month)),
            run_id: run_id.into(),
            submitted,
            month,
            form,
            parts: Vec::new(),
            missing: Vec::new(),
            null_counts: false,
            manifest_name: "manifest.json",
            metric: SimMetric::Actual,
        }
    }
}

/// Writes the container as it is on `s.day` and returns what each usage month should archive.
pub fn write(out: &Path, s: &ExportScenario) -> std::io::Result<Vec<ExpectedMonth>> {
    let this = (s.year, s.month);
    let (last, before) = (shift(s.year, s.month, 1), shift(s.year, s.month, 2));
    let mut expected = Vec::new();
    // M-2: one run in Parquet.
    let jan = spec(s, before, 0);
    let id = format!("run-{:04}{:02}-final", before.0, before.1);
    let half = jan.rows / 2;
    let run = RunSpec::actual(before, &id, format!("{}Z", at(last, 1, 3)), Form::Parquet);
    let parts = vec![(0, half), (half, jan.rows)];
    write_run(out, s, &jan, &RunSpec { parts, ..run })?;
    expected.push(expect(&jan, &id, jan.rows, true));
    // M-1: gzip CSV, counts null; an older partial run, the month-end run, and on day 3 the
    // regenerated (restated) run.
    let feb = spec(s, last, 0);
    for (id, through, submitted) in [
        ("run-mtd-27", 26, at(last, 27, 2)),
        ("run-month-end", 31, at(this, 1, 4)),
    ] {
        let parts = vec![(0, rows_through(&feb, through))];
        let run = RunSpec::actual(last, id, submitted, Form::Gzip);
        write_run(
            out,
            s,
            &feb,
            &RunSpec {
                parts,
                null_counts: true,
                ..run
            },
        )?;
    }
    let mut feb_final = expect(&feb, "run-month-end", feb.rows, true);
    if s.day >= 3 {
        let restated = spec(s, last, 1);
        let third = restated.rows / 3;
        let submitted = format!("{}.5Z", at(this, 4, 5));
        let run = RunSpec::actual(last, "run-regenerated", submitted, Form::Gzip);
        let parts = vec![(0, third), (third, restated.rows)];
        write_run(
            out,
            s,
            &restated,
            &RunSpec {
                parts,
                null_counts: true,
                ..run
            },
        )?;
        feb_final = expect(&restated, "run-regenerated", restated.rows, true);
    }
    expected.push(feb_final);
    // M: month-to-date CSV runs; day 2's second part lands a day late.
    let mar = spec(s, this, 0);
    let day1 = rows_through(&mar, 1);
    let run = RunSpec::actual(
        this,
        "run-mtd-02",
        format!("{}Z", at(this, 2, 2)),
        Form::Csv,
    );
    write_run(
        out,
        s,
        &mar,
        &RunSpec {
            parts: vec![(0, day1)],
            ..run
        },
    )?;
    let mut mar_final = expect(&mar, "run-mtd-02", day1, true);
    if s.day >= 2 {
        let day2 = rows_through(&mar, 2);
        let run = RunSpec::actual(
            this,
            "run-mtd-03",
            format!("{}Z", at(this, 3, 2)),
            Form::Csv,
        );
        let missing = if s.day == 2 { vec![1] } else { vec![] };
        let parts = vec![(0, day1), (day1, day2)];
        write_run(
            out,
            s,
            &mar,
            &RunSpec {
                parts,
                missing,
                ..run
            },
        )?;
        mar_final = expect(&mar, "run-mtd-03", day2, s.day >= 3);
    }
    expected.push(mar_final);
    // Beside them: amortized cost (FinOps hubs layout, `_manifest.json`) and FOCUS.
    let amortized = RunSpec {
        export: "daily-amortized",
        kind: "AmortizedCost",
        folder: format!(
            "exports/{}/daily-amortized/{:04}{:02}020300/6f1d2c3b",
            month_range(this),
            this.0,
            this.1
        ),
        parts: vec![(0, day1)],
        manifest_name: "_manifest.json",
        metric: SimMetric::Amortized,
        ..RunSpec::actual(
            this,
            "run-amortized-02",
            format!("{}Z", at(this, 2, 3)),
            Form::Csv,
        )
    };
    write_run(out, s, &mar, &amortized)?;
    write_focus(out, s, this, &month_range(this))?;
    expected.sort_by(|a, b| a.month.cmp(&b.month));
    Ok(expected)
}

fn expect(spec: &MonthSpec, run_id: &str, rows: u64, complete: bool) -> ExpectedMonth {
    let total: i128 = (0..rows)
        .map(|i| cost_csv::cost_scaled(spec, i, SimMetric::Actual))
        .sum();
    ExpectedMonth {
        month: format!("{:04}-{:02}", spec.year, spec.month),
        run_id: run_id.into(),
        complete,
        rows,
        cost_total: crate::money::format_scaled(total),
    }
}

fn scope(s: &ExportScenario, export: &str) -> String {
    format!(
        "/providers/Microsoft.Billing/billingAccounts/{}/providers/Microsoft.CostManagement/exports/{export}",
        s.enrollment
    )
}

fn write_run(
    out: &Path,
    s: &ExportScenario,
    spec: &MonthSpec,
    r: &RunSpec<'_>,
) -> std::io::Result<()> {
    let dir = out.join(&r.folder);
    std::fs::create_dir_all(&dir)?;
    let ext = match r.form {
        Form::Csv => "csv",
        Form::Gzip => "csv.gz",
        Form::Parquet => "parquet",
    };
    let mut blobs = Vec::new();
    let mut total = 0;
    for (n, &(from, to)) in r.parts.iter().enumerate() {
        let name = format!("part_0_{:04}.{ext}", n + 1);
        let bytes = match r.form {
            Form::Csv => crlf(&cost_csv::blob(
                spec,
                from,
                to,
                r.metric,
                Generation::Current,
                true,
            )),
            Form::Gzip => gzip(&cost_csv::blob(
                spec,
                from,
                to,
                r.metric,
                Generation::Older,
                true,
            ))?,
            Form::Parquet => parquet(spec, from, to, r.metric)?,
        };
        if !r.missing.contains(&n) {
            std::fs::write(dir.join(&name), &bytes)?;
        }
        let rows = to - from;
        total += rows;
        blobs.push(json!({
            "blobName": format!("{}/{name}", r.folder),
            "byteCount": bytes.len(),
            "dataRowCount": if r.null_counts { serde_json::Value::Null } else { json!(rows) },
        }));
    }
    let (file_format, compression) = match r.form {
        Form::Csv => ("Csv", "None"),
        Form::Gzip => ("Csv", "Gzip"),
        Form::Parquet => ("Parquet", "Snappy"),
    };
    let (y, m) = r.month;
    let last = super::data::days_in_month(y, m);
    let manifest = json!({
        "manifestVersion": "2024-04-01",
        "byteCount": blobs.iter().map(|b| b["byteCount"].as_u64().unwrap_or(0)).sum::<u64>(),
        "blobCount": blobs.len(),
        "dataRowCount": if r.null_counts { serde_json::Value::Null } else { json!(total) },
        "exportConfig": {
            "exportName": r.export,
            "resourceId": scope(s, r.export),
            "dataVersion": "2023-12-01-preview",
            "apiVersion": if r.null_counts { "2025-03-01" } else { "2023-07-01-preview" },
            "type": r.kind,
            "timeFrame": "MonthToDate",
            "granularity": "Daily",
        },
        "deliveryConfig": {
            "partitionData": true,
            "dataOverwriteBehavior": "CreateNewReport",
            "fileFormat": file_format,
            "compressionMode": compression,
            "containerUri": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/finops/providers/Microsoft.Storage/storageAccounts/costexports",
            "rootFolderPath": "exports",
        },
        "runInfo": {
            "executionType": "Scheduled",
            "submittedTime": r.submitted,
            "runId": r.run_id,
            "startDate": format!("{y:04}-{m:02}-01T00:00:00"),
            "endDate": format!("{y:04}-{m:02}-{last:02}T00:00:00Z"),
        },
        "blobs": blobs,
    });
    let text = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
    std::fs::write(dir.join(r.manifest_name), text)
}

fn write_focus(out: &Path, s: &ExportScenario, m: (i32, u32), range: &str) -> std::io::Result<()> {
    let folder = format!("exports/focus/{range}/run-focus-02");
    let dir = out.join(&folder);
    std::fs::create_dir_all(&dir)?;
    let part = b"BilledCost,BillingCurrency,ChargePeriodStart,ServiceName\n1.5,USD,2025-03-01T00:00:00Z,Virtual Machines\n";
    std::fs::write(dir.join("part_0_0001.csv"), part)?;
    let manifest = json!({
        "manifestVersion": "2024-04-01", "blobCount": 1, "dataRowCount": 1, "byteCount": part.len(),
        "exportConfig": {"exportName": "focus", "resourceId": scope(s, "focus"), "dataVersion": "1.0r2", "type": "FocusCost"},
        "deliveryConfig": {"fileFormat": "Csv", "compressionMode": "None"},
        "runInfo": {"submittedTime": format!("{:04}-{:02}-02T03:30:00Z", m.0, m.1), "runId": "run-focus-02",
            "startDate": format!("{:04}-{:02}-01T00:00:00", m.0, m.1), "endDate": format!("{:04}-{:02}-01T00:00:00Z", m.0, m.1)},
        "blobs": [{"blobName": format!("{folder}/part_0_0001.csv"), "byteCount": part.len(), "dataRowCount": 1}],
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_on_each_day() {
        let dir = tempfile::tempdir().unwrap();
        let s = |day| ExportScenario {
            enrollment: "100".into(),
            year: 2025,
            month: 3,
            day,
            rows: Some(310),
        };
        let one = write(dir.path(), &s(1)).unwrap();
        assert_eq!(
            one.iter().map(|e| e.month.as_str()).collect::<Vec<_>>(),
            ["2025-01", "2025-02", "2025-03"]
        );
        assert_eq!(one[2].rows, 10, "310 rows over 31 days: 10 on the 1st");
        let two = write(dir.path(), &s(2)).unwrap();
        assert!(!two[2].complete);
        let late = dir
            .path()
            .join("exports/daily-actual/20250301-20250331/run-mtd-03/part_0_0002.csv");
        assert!(!late.exists(), "day 2: the second part has not landed");
        let three = write(dir.path(), &s(3)).unwrap();
        assert!(late.exists() && three[2].complete && three[2].rows == 20);
        assert_eq!(three[1].run_id, "run-regenerated");
        assert_ne!(
            three[1].cost_total, two[1].cost_total,
            "the regenerated month is restated"
        );
    }
}
