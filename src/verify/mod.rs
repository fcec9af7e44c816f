//! `verify`: lists every partition of a lake, recomputes rows and the cost total from the data,
//! checks them against each file's own metadata, and reports stray files in partition folders.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Date32Type;
use arrow_schema::DataType;
use futures::TryStreamExt;
use object_store::ObjectMeta;
use serde::Serialize;

use crate::batch::months::month_days;
use crate::sink::Lake;
use crate::sink::lake::object::LakeObject;
use crate::sink::layout::{DATA_FILE, HISTORY_DIR, parse_history_name};

/// One partition's check.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PartitionCheck {
    /// Enrollment.
    pub enrollment: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Object URL.
    pub path: String,
    /// Object size in bytes.
    pub bytes: u64,
    /// Rows counted in the data.
    pub rows: Option<u64>,
    /// Cost total recomputed from the data.
    pub cost_total: Option<String>,
    /// When it was pulled (metadata).
    pub pulled_at: Option<String>,
    /// API version (metadata).
    pub api_version: Option<String>,
    /// Run that wrote it (metadata).
    pub run_id: Option<String>,
    /// `ok`, `mismatch` or `unreadable`.
    pub status: &'static str,
    /// What is wrong, if anything.
    pub problems: Vec<String>,
    /// Rows whose `usage_date` falls outside the partition's month, recomputed from the data.
    pub out_of_month_rows: Option<u64>,
    /// What looks wrong but is not a mismatch (misfiled rows).
    pub warnings: Vec<String>,
    /// For a replaced version kept in history, its id (`None`: the month's current object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_version: Option<String>,
}

/// The whole lake's check.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerifyReport {
    /// Lake URL.
    pub dest: String,
    /// Partitions found.
    pub partitions: Vec<PartitionCheck>,
    /// Files that do not belong in the lake layout.
    pub stray_files: Vec<String>,
    /// Whether everything checked out.
    pub ok: bool,
}

/// Where an object sits in the layout.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// A partition's data object: (enrollment, year, month).
    Data(String, i32, u32),
    /// A replaced version kept in history: (enrollment, year, month, version id).
    History(String, i32, u32, String),
    /// Under `_raw/`, `_staging/` or another `_`/`.` folder: not part of the table.
    Hidden,
    /// Anything else: a leftover or a file written by hand.
    Stray,
}

/// Classifies a path relative to the lake root. Pure.
pub(crate) fn classify(rel: &str) -> Placement {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.first() == Some(&HISTORY_DIR) {
        return match parts.as_slice() {
            [_, e, y, m, file] => match (hive_month(e, y, m), parse_history_name(file)) {
                (Some((e, y, m)), Some(id)) => Placement::History(e, y, m, id.to_string()),
                _ => Placement::Stray,
            },
            _ => Placement::Stray,
        };
    }
    if parts
        .first()
        .is_some_and(|p| p.starts_with('_') || p.starts_with('.'))
    {
        return Placement::Hidden;
    }
    if let [e, y, m, file] = parts.as_slice()
        && *file == DATA_FILE
        && let Some((e, y, m)) = hive_month(e, y, m)
    {
        return Placement::Data(e, y, m);
    }
    Placement::Stray
}

/// `enrollment=<digits>`, `year=<yyyy>`, `month=<mm>` parsed, or `None`.
fn hive_month(e: &str, y: &str, m: &str) -> Option<(String, i32, u32)> {
    let (e, y, m) = (
        e.strip_prefix("enrollment=")?,
        y.strip_prefix("year=")?,
        m.strip_prefix("month=")?,
    );
    if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) || y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (1..=12)
        .contains(&month)
        .then(|| (e.to_string(), year, month))
}

fn relative(lake: &Lake, meta: &ObjectMeta) -> String {
    match meta.location.prefix_match(&lake.prefix) {
        Some(parts) => parts
            .map(|p| p.as_ref().to_string())
            .collect::<Vec<_>>()
            .join("/"),
        None => meta.location.to_string(),
    }
}

/// Checks every partition of `lake` (optionally one enrollment and/or month).
pub(crate) async fn verify(
    lake: &Lake,
    enrollment: Option<&str>,
    month: Option<(i32, u32)>,
) -> Result<VerifyReport, crate::sink::SinkError> {
    let objects: Vec<ObjectMeta> = lake
        .store
        .list(Some(&lake.prefix))
        .try_collect()
        .await
        .map_err(|e| lake.error(&lake.prefix, e))?;
    let mut partitions = Vec::new();
    let mut stray_files = Vec::new();
    // Current objects first in each month (version ""), then history versions by id.
    let mut data: BTreeMap<(String, i32, u32, String), ObjectMeta> = BTreeMap::new();
    for meta in objects {
        let rel = relative(lake, &meta);
        match classify(&rel) {
            Placement::Data(e, y, m) => {
                data.insert((e, y, m, String::new()), meta);
            }
            Placement::History(e, y, m, id) => {
                data.insert((e, y, m, id), meta);
            }
            Placement::Hidden => {}
            Placement::Stray => stray_files.push(lake.object_url(&meta.location)),
        }
    }
    for ((e, y, m, version), meta) in data {
        if enrollment.is_some_and(|want| want != e) || month.is_some_and(|want| want != (y, m)) {
            continue;
        }
        let mut check = check_partition(lake, e, y, m, &meta).await;
        check.history_version = (!version.is_empty()).then_some(version);
        partitions.push(check);
    }
    stray_files.sort();
    let ok = stray_files.is_empty() && partitions.iter().all(|p| p.status == "ok");
    Ok(VerifyReport {
        dest: lake.url.to_string(),
        partitions,
        stray_files,
        ok,
    })
}

async fn check_partition(
    lake: &Lake,
    enrollment: String,
    year: i32,
    month: u32,
    meta: &ObjectMeta,
) -> PartitionCheck {
    let mut check = PartitionCheck {
        enrollment,
        month: format!("{year:04}-{month:02}"),
        path: lake.object_url(&meta.location),
        bytes: meta.size,
        rows: None,
        cost_total: None,
        pulled_at: None,
        api_version: None,
        run_id: None,
        status: "ok",
        problems: Vec::new(),
        out_of_month_rows: None,
        warnings: Vec::new(),
        history_version: None,
    };
    if let Err(e) = recompute(lake, meta, (year, month), &mut check).await {
        check.status = "unreadable";
        check.problems.push(e);
    } else if !check.problems.is_empty() {
        check.status = "mismatch";
    }
    check
}

async fn recompute(
    lake: &Lake,
    meta: &ObjectMeta,
    month: (i32, u32),
    check: &mut PartitionCheck,
) -> Result<(), String> {
    let object = LakeObject::open(lake, &meta.location, meta.size).await?;
    let facts = object.facts();
    check.pulled_at = facts.pulled_at;
    check.api_version = facts.api_version;
    check.run_id = facts.run_id;
    let kv = object.metadata().clone();
    let schema = object.schema();
    let dated = schema
        .index_of("usage_date")
        .is_ok_and(|i| *schema.field(i).data_type() == DataType::Date32);
    let columns: &[&str] = if dated { &["usage_date"] } else { &[] };
    let mut data = object.rows(Some(columns))?;
    let (lo, hi) = month_days(month.0, month.1);
    let mut outside = 0u64;
    while let Some(batch) = data.next_batch().await? {
        if let Some(dates) = batch.column_by_name("usage_date") {
            outside += dates
                .as_primitive::<Date32Type>()
                .iter()
                .flatten()
                .filter(|&d| d < lo || d > hi)
                .count() as u64;
        }
    }
    let (rows, total) = (data.rows(), data.cost_total());
    check.out_of_month_rows = Some(outside);
    if let Some(n) = kv.get("out_of_month_rows")
        && *n != outside.to_string()
    {
        check.problems.push(format!(
            "metadata says {n} rows outside the month, the data has {outside}"
        ));
    }
    if outside > 0 {
        check.warnings.push(format!(
            "{outside} row(s) have a usage_date outside {:04}-{:02}: the month may be misfiled",
            month.0, month.1
        ));
    }
    check.rows = Some(rows);
    check.cost_total = Some(total.clone());
    match kv.get("row_count") {
        Some(n) if *n == rows.to_string() => {}
        Some(n) => check
            .problems
            .push(format!("metadata says {n} rows, the data has {rows}")),
        None => check
            .problems
            .push("no row_count in the file metadata (not written by ea-usage-archiver?)".into()),
    }
    match kv.get("cost_total") {
        Some(c) if *c == total => {}
        Some(c) => check.problems.push(format!(
            "metadata says cost total {c}, the data sums to {total}"
        )),
        None => check
            .problems
            .push("no cost_total in the file metadata".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_layout_paths() {
        assert_eq!(
            classify("enrollment=1234567/year=2024/month=02/usage-details.parquet"),
            Placement::Data("1234567".into(), 2024, 2)
        );
        assert_eq!(
            classify("_raw/enrollment=1/year=2024/month=02/r/page-00001.json.zst"),
            Placement::Hidden
        );
        assert_eq!(
            classify("_staging/enrollment=1/year=2024/month=02/r.parquet.tmp"),
            Placement::Hidden
        );
        assert_eq!(
            classify("_history/enrollment=1/year=2024/month=02/20261130T020000Z-r1.parquet.prev"),
            Placement::History("1".into(), 2024, 2, "20261130T020000Z-r1".into())
        );
        for stray in [
            "_history/enrollment=1/year=2024/month=02/copy.parquet",
            "_history/enrollment=1/year=2024/20261130T020000Z-r1.parquet.prev",
            "_history/notes.txt",
            "enrollment=1/year=2024/month=02/extra.parquet",
            "enrollment=1/year=2024/month=2/usage-details.parquet",
            "enrollment=x/year=2024/month=02/usage-details.parquet",
            "enrollment=1/year=2024/month=13/usage-details.parquet",
            "notes.txt",
            "enrollment=1/year=2024/usage-details.parquet",
        ] {
            assert_eq!(classify(stray), Placement::Stray, "{stray}");
        }
    }
}
