//! The run summary printed as JSON on stdout: one entry per partition.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cancel::Signal;
use crate::decode::DecodeStats;
use crate::error::RunError;
use crate::money::format_scaled;
use crate::sink::PartitionKey;
use crate::sink::lake::object::ObjectFacts;

/// Result of one partition.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PartitionReport {
    /// Enrollment.
    pub enrollment: String,
    /// `YYYY-MM`.
    pub month: String,
    /// `ok`, `unchanged` (nothing written: `--skip-unchanged`'s 304, or identical rows),
    /// `refused` (the shrink guard), `cancelled` (a signal) or `failed`.
    pub status: &'static str,
    /// Rows written.
    pub rows: u64,
    /// Exact total of `cost`, as decimal text.
    pub cost_total: Option<String>,
    /// Object size.
    pub bytes: u64,
    /// Object URL.
    pub path: Option<String>,
    /// Pages read.
    pub pages: u64,
    /// Fields the schema does not know.
    pub unknown_fields: u64,
    /// Values kept verbatim because they could not be converted.
    pub unparsed_values: u64,
    /// Decimals rounded to 18 fractional digits.
    pub rounded_decimals: u64,
    /// Rows whose `usage_date` falls outside the partition's month.
    pub out_of_month_rows: u64,
    /// Rows of the month's current object, when a new version was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_rows: Option<u64>,
    /// The version this pull replaced, kept in history (`history`, `diff`, `restore` take it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// Raw page folder, with `--keep-raw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_path: Option<String>,
    /// Error, when failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Exit code of the failure, when failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The export run the month's object comes from (`--source exports`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportReport>,
}

/// The export run a month's object comes from, as its footer records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ExportReport {
    /// The export's name.
    pub name: String,
    /// The run id.
    pub run_id: String,
    /// `runInfo.submittedTime`, RFC 3339 UTC.
    pub submitted_time: String,
    /// The run's parts.
    pub parts: u64,
}

impl ExportReport {
    /// From a footer's (or a source's) facts; `None` when they name no export run.
    pub(crate) fn of(facts: &BTreeMap<String, String>) -> Option<Self> {
        use crate::source::exports::source::footer;
        Some(Self {
            name: facts.get(footer::NAME)?.clone(),
            run_id: facts.get(footer::RUN_ID)?.clone(),
            submitted_time: facts.get(footer::SUBMITTED)?.clone(),
            parts: facts.get(footer::BLOBS)?.parse().ok()?,
        })
    }
}

/// A problem of the run outside any month (an unreadable export manifest).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunProblem {
    /// The object it is about (relative to the exports root), or empty for the root.
    pub object: String,
    /// What is wrong.
    pub error: String,
    /// Its exit code.
    pub exit_code: i32,
}

impl PartitionReport {
    /// A successful partition.
    pub(crate) fn ok(
        key: &PartitionKey,
        stats: &DecodeStats,
        pages: u64,
        path: String,
        bytes: u64,
    ) -> Self {
        Self {
            enrollment: key.enrollment.clone(),
            month: key.month_label(),
            status: "ok",
            rows: stats.rows,
            cost_total: stats.cost_total.map(format_scaled),
            bytes,
            path: Some(path),
            pages,
            unknown_fields: stats.unknown_fields,
            unparsed_values: stats.unparsed_values,
            rounded_decimals: stats.rounded_decimals,
            out_of_month_rows: 0,
            current_rows: None,
            previous_version: None,
            raw_path: None,
            error: None,
            exit_code: None,
            export: None,
        }
    }

    /// A partition left as it was because the source reported no change (`--skip-unchanged`,
    /// or an export run already archived).
    pub(crate) fn unchanged(
        key: &PartitionKey,
        path: String,
        previous: BTreeMap<String, String>,
    ) -> Self {
        let export = ExportReport::of(&previous);
        let facts = ObjectFacts::from_metadata(&previous);
        Self {
            enrollment: key.enrollment.clone(),
            month: key.month_label(),
            status: "unchanged",
            rows: facts.rows.unwrap_or(0),
            cost_total: facts.cost_total,
            bytes: 0,
            path: Some(path),
            pages: 0,
            unknown_fields: 0,
            unparsed_values: 0,
            rounded_decimals: 0,
            out_of_month_rows: facts.out_of_month_rows.unwrap_or(0),
            current_rows: None,
            previous_version: None,
            raw_path: None,
            error: None,
            exit_code: None,
            export,
        }
    }

    /// A partition that did not commit: `cancelled`, `refused` or `failed`, by the error.
    pub(crate) fn from_error(key: &PartitionKey, e: &RunError) -> Self {
        let mut report = Self::failed(key, e.chain(), e.exit_code());
        match e {
            RunError::Cancelled(_) => report.status = "cancelled",
            RunError::Refused(r) => {
                report.status = "refused";
                report.rows = r.new_rows;
                report.current_rows = Some(r.current_rows);
            }
            _ => {}
        }
        report
    }

    /// A failed partition.
    pub(crate) fn failed(key: &PartitionKey, error: String, exit_code: i32) -> Self {
        Self {
            enrollment: key.enrollment.clone(),
            month: key.month_label(),
            status: "failed",
            rows: 0,
            cost_total: None,
            bytes: 0,
            path: None,
            pages: 0,
            unknown_fields: 0,
            unparsed_values: 0,
            rounded_decimals: 0,
            out_of_month_rows: 0,
            current_rows: None,
            previous_version: None,
            raw_path: None,
            error: Some(error),
            exit_code: Some(exit_code),
            export: None,
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunSummary {
    /// Run id (also in every file's metadata).
    pub run_id: String,
    /// Lake URL.
    pub dest: String,
    /// Peak resident memory of the process (Linux `VmHWM`), when known.
    pub peak_rss_bytes: Option<u64>,
    /// Partitions, in month order.
    pub partitions: Vec<PartitionReport>,
    /// Problems outside any month (an unreadable export manifest), each failing the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RunProblem>,
    /// The signal that cancelled the run (`SIGTERM`, `SIGINT`), if one did.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "signal_name"
    )]
    pub cancelled_by: Option<Signal>,
}

impl RunSummary {
    /// The exit code: the signal's when the run was cancelled, else 0 or the code of the first
    /// failed partition, else of the first problem outside any month.
    pub(crate) fn exit_code(&self) -> i32 {
        if let Some(signal) = self.cancelled_by {
            return signal.exit_code();
        }
        self.partitions
            .iter()
            .find_map(|p| p.exit_code)
            .or_else(|| self.problems.first().map(|p| p.exit_code))
            .unwrap_or(crate::error::exit::OK)
    }
}

/// Peak resident set size of this process, from `/proc/self/status` (`VmHWM`).
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn signal_name<S: serde::Serializer>(s: &Option<Signal>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(sig) => ser.serialize_str(sig.name()),
        None => ser.serialize_none(),
    }
}
