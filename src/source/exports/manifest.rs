//! A Cost Management export run's manifest (`manifest.json` or `_manifest.json`), read
//! tolerantly, and what it says about the run: whose data, which dataset, which month, when it
//! was submitted, and its parts. Pure: manifest bytes in, a [`Run`] out.
//!
//! Unknown fields are ignored and optional ones may be missing; `dataRowCount: null` means
//! unknown, never zero; times are UTC with or without a zone suffix.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::source::cost_details::Metric;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    data_row_count: Option<u64>,
    #[serde(default)]
    blob_count: Option<u64>,
    export_config: ExportConfig,
    #[serde(default)]
    delivery_config: Option<DeliveryConfig>,
    #[serde(default)]
    run_info: RunInfo,
    #[serde(default)]
    blobs: Vec<BlobEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportConfig {
    export_name: String,
    #[serde(default)]
    resource_id: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryConfig {
    #[serde(default)]
    file_format: Option<String>,
    #[serde(default)]
    compression_mode: Option<String>,
}

/// Every field is checked only for a usage dataset: another dataset's run is skipped whatever
/// its run information says.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RunInfo {
    submitted_time: Option<String>,
    run_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlobEntry {
    blob_name: String,
    #[serde(default)]
    byte_count: Option<u64>,
    #[serde(default)]
    data_row_count: Option<u64>,
}

/// Which dataset a run exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dataset {
    /// Usage details of one metric (`ActualCost` or `AmortizedCost`).
    Usage(Metric),
    /// Anything else (`FocusCost`, price sheets, reservation data): never a usage month.
    Other(String),
}

/// Whose data a run holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A whole EA enrollment (billing account) `<n>`.
    Enrollment(String),
    /// A narrower scope (department, enrollment account, subscription, resource group), as
    /// written: only part of an enrollment's month.
    Narrower(String),
}

/// How a run's parts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartFormat {
    /// CSV, each part with its header.
    Csv,
    /// gzip-compressed CSV.
    CsvGzip,
    /// Parquet (snappy or uncompressed inside).
    Parquet,
}

/// One data part of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The blob's name, relative to the container.
    pub name: String,
    /// Its size as the manifest gives it.
    pub bytes: Option<u64>,
    /// Its rows as the manifest gives it; `None`: unknown.
    pub rows: Option<u64>,
}

/// One export run, from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// The export's name.
    pub export_name: String,
    /// The dataset.
    pub dataset: Dataset,
    /// Whose data.
    pub scope: Scope,
    /// The month its `startDate`..`endDate` lies in; `Err` names the span when it crosses a
    /// month boundary.
    pub month: Result<(i32, u32), String>,
    /// When the run was submitted (UTC).
    pub submitted: DateTime<Utc>,
    /// The run id.
    pub run_id: String,
    /// How its parts are written; `None` when the manifest does not say (then each part's first
    /// bytes tell: never its name).
    pub format: Option<PartFormat>,
    /// Its parts, in the manifest's order.
    pub parts: Vec<Part>,
    /// Its rows in all; `None`: unknown.
    pub rows: Option<u64>,
    /// The blob count the manifest states.
    pub blob_count: Option<u64>,
}

/// Reads a manifest. `Err` says what is missing or malformed.
pub(crate) fn parse(bytes: &[u8]) -> Result<Run, String> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Document =
        serde_json::from_slice(text).map_err(|e| format!("not an export manifest: {e}"))?;
    let dataset = dataset(&doc.export_config.kind);
    let info = &doc.run_info;
    if let Dataset::Other(_) = dataset {
        // Skipped by type: nothing else of it matters.
        return Ok(Run {
            export_name: doc.export_config.export_name,
            dataset,
            scope: scope(&doc.export_config.resource_id),
            month: Err("not a usage dataset".into()),
            submitted: DateTime::<Utc>::MIN_UTC,
            run_id: info.run_id.clone().unwrap_or_default(),
            format: None,
            parts: Vec::new(),
            rows: None,
            blob_count: None,
        });
    }
    let time = |field: &str, value: &Option<String>| match value.as_deref() {
        Some(text) => {
            parse_time(text).ok_or_else(|| format!("runInfo.{field} {text:?} is not a date-time"))
        }
        None => Err(format!("runInfo.{field} is missing")),
    };
    let submitted = time("submittedTime", &info.submitted_time)?;
    let start = time("startDate", &info.start_date)?;
    let end = time("endDate", &info.end_date)?;
    let run_id = match info.run_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => return Err("runInfo.runId is missing".into()),
    };
    if doc.blobs.is_empty() {
        return Err("the manifest lists no blobs".into());
    }
    let (s, e) = (start.date_naive(), end.date_naive());
    let month = if e < s {
        Err(format!("its endDate {e} is before its startDate {s}"))
    } else if (s.year(), s.month()) == (e.year(), e.month()) {
        Ok((s.year(), s.month()))
    } else {
        Err(format!("it spans {s} to {e}, more than one month"))
    };
    let delivery = doc.delivery_config.unwrap_or_default();
    let format = part_format(
        delivery.file_format.as_deref(),
        delivery.compression_mode.as_deref(),
    )?;
    Ok(Run {
        export_name: doc.export_config.export_name,
        dataset,
        scope: scope(&doc.export_config.resource_id),
        month,
        submitted,
        run_id,
        format,
        parts: doc
            .blobs
            .into_iter()
            .map(|b| Part {
                name: b.blob_name,
                bytes: b.byte_count,
                rows: b.data_row_count,
            })
            .collect(),
        rows: doc.data_row_count,
        blob_count: doc.blob_count,
    })
}

/// A UTC time written with a zone (`2025-03-01T00:00:00Z`, `+00:00`) or without one
/// (`2025-03-01T00:00:00`, fractions allowed), or a bare date.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(d.and_utc());
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

fn dataset(kind: &str) -> Dataset {
    match kind {
        k if k.eq_ignore_ascii_case("ActualCost") => Dataset::Usage(Metric::Actual),
        k if k.eq_ignore_ascii_case("AmortizedCost") => Dataset::Usage(Metric::Amortized),
        k => Dataset::Other(k.to_string()),
    }
}

/// The scope of `resourceId` (the part before `/providers/Microsoft.CostManagement/exports/`).
fn scope(resource_id: &str) -> Scope {
    let lower = resource_id.to_ascii_lowercase();
    let end = lower
        .find("/providers/microsoft.costmanagement/exports/")
        .unwrap_or(resource_id.len());
    let scope = resource_id[..end].trim_end_matches('/');
    let parts: Vec<&str> = scope.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [p, billing, accounts, n]
            if p.eq_ignore_ascii_case("providers")
                && billing.eq_ignore_ascii_case("Microsoft.Billing")
                && accounts.eq_ignore_ascii_case("billingAccounts")
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Scope::Enrollment((*n).to_string())
        }
        _ => Scope::Narrower(scope.to_string()),
    }
}

/// The parts' format from the delivery settings; `None` when they do not say.
fn part_format(
    file_format: Option<&str>,
    compression: Option<&str>,
) -> Result<Option<PartFormat>, String> {
    let gzip = compression.is_some_and(|c| c.eq_ignore_ascii_case("gzip"));
    match file_format {
        Some(f) if f.eq_ignore_ascii_case("parquet") => Ok(Some(PartFormat::Parquet)),
        Some(f) if f.eq_ignore_ascii_case("csv") && gzip => Ok(Some(PartFormat::CsvGzip)),
        Some(f) if f.eq_ignore_ascii_case("csv") => Ok(Some(PartFormat::Csv)),
        Some(f) => Err(format!(
            "deliveryConfig.fileFormat {f:?} is not Csv or Parquet"
        )),
        None => Ok(None),
    }
}

/// A part's format from its first bytes: Parquet's `PAR1`, gzip's `1f 8b`, else CSV.
pub(crate) fn sniff(head: &[u8]) -> PartFormat {
    if head.starts_with(b"PAR1") {
        PartFormat::Parquet
    } else if head.starts_with(&[0x1f, 0x8b]) {
        PartFormat::CsvGzip
    } else {
        PartFormat::Csv
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
