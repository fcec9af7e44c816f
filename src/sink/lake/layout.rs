//! Where things live in the lake. Pure functions of the partition key and run id.
//!
//! ```text
//! <dest>/enrollment=<n>/year=<yyyy>/month=<mm>/usage-details.parquet   the month (one object)
//! <dest>/_raw/enrollment=<n>/year=<yyyy>/month=<mm>/<run-id>/page-00001.json.zst  --keep-raw
//! <dest>/_staging/enrollment=<n>/year=<yyyy>/month=<mm>/<run-id>.parquet.tmp  local-disk upload
//! <dest>/_staging/enrollment=<n>/year=<yyyy>/month=<mm>/<run-id>.raw/page-00001.json.zst
//! <dest>/_leases/enrollment=<n>/year=<yyyy>/month=<mm>/<term>.json     who may write the month
//! <dest>/_history/enrollment=<n>/year=<yyyy>/month=<mm>/<version>.parquet.prev  replaced versions
//! ```
//! Everything of a run in flight lives under the partition's `_staging/` folder, which the next
//! run of the same partition clears, so even a killed run leaves nothing behind for long.
//! Raw pages move to `_raw/` only after the month's object is committed.
//! Folders starting with `_` are skipped by Spark, Hive and Athena; staged files do not end in
//! `.parquet`, so glob readers (DuckDB, DataFusion) skip them too.

use object_store::path::Path;

/// The name of the single data object of a partition.
pub(crate) const DATA_FILE: &str = "usage-details.parquet";
/// Top-level folder of staged uploads (local disk only).
pub(crate) const STAGING_DIR: &str = "_staging";
/// Top-level folder of `--keep-raw` pages.
pub(crate) const RAW_DIR: &str = "_raw";
/// Top-level folder of the months' leases.
pub(crate) const LEASE_DIR: &str = "_leases";
/// Top-level folder of replaced versions.
pub(crate) const HISTORY_DIR: &str = "_history";
/// How a history version's name ends: never `.parquet`, so that no `**/*.parquet` glob (DuckDB,
/// pyarrow) reads a month twice.
pub(crate) const HISTORY_SUFFIX: &str = ".parquet.prev";

/// One (enrollment, month): the unit of work and of replacement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PartitionKey {
    /// Enrollment number, digits only (validated by the config).
    pub enrollment: String,
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl PartitionKey {
    /// `enrollment=<n>/year=<yyyy>/month=<mm>`, month zero-padded.
    pub(crate) fn hive_path(&self) -> String {
        format!(
            "enrollment={}/year={:04}/month={:02}",
            self.enrollment, self.year, self.month
        )
    }

    /// `yyyy-mm`, for logs.
    pub(crate) fn month_label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

fn join(prefix: &Path, rel: &str) -> Path {
    let mut p = prefix.clone();
    for part in rel.split('/') {
        p = p.join(part);
    }
    p
}

/// The partition's data object.
pub(crate) fn data_path(prefix: &Path, key: &PartitionKey) -> Path {
    join(prefix, &format!("{}/{DATA_FILE}", key.hive_path()))
}

/// The folder of the partition's replaced versions.
pub(crate) fn history_dir(prefix: &Path, key: &PartitionKey) -> Path {
    join(prefix, &format!("{HISTORY_DIR}/{}", key.hive_path()))
}

/// A version's id from its `pulled_at` (RFC 3339, UTC) and run id:
/// `20261130T020000Z-<run-id>`. Ids sort in time order.
pub(crate) fn version_id(pulled_at: &str, run_id: &str) -> String {
    let compact = match chrono::DateTime::parse_from_rfc3339(pulled_at) {
        // Always to the millisecond, whatever the precision written, so ids sort in time order.
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y%m%dT%H%M%S%3fZ")
            .to_string(),
        Err(_) => pulled_at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect(),
    };
    format!("{compact}-{run_id}")
}

/// Whether `id` can name a version (what `history` prints and `diff`/`restore` accept).
pub(crate) fn is_version_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A history version of the partition.
pub(crate) fn history_path(prefix: &Path, key: &PartitionKey, version: &str) -> Path {
    history_dir(prefix, key).join(format!("{version}{HISTORY_SUFFIX}").as_str())
}

/// The version id of a history file name, if it is one.
pub(crate) fn parse_history_name(name: &str) -> Option<&str> {
    name.strip_suffix(HISTORY_SUFFIX)
        .filter(|id| is_version_id(id))
}

/// The folder of the partition's lease terms.
pub(crate) fn lease_dir(prefix: &Path, key: &PartitionKey) -> Path {
    join(prefix, &format!("{LEASE_DIR}/{}", key.hive_path()))
}

/// The file name of lease term `term`: zero-padded, so names sort as numbers do.
pub(crate) fn lease_term_name(term: u64) -> String {
    format!("{term:020}.json")
}

/// The term number of a lease file name, if it is one.
pub(crate) fn parse_lease_term_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The partition's staging folder relative to the lake root.
pub(crate) fn staging_rel(key: &PartitionKey) -> String {
    format!("{STAGING_DIR}/{}", key.hive_path())
}

/// The folder of the partition's staged uploads.
pub(crate) fn staging_dir(prefix: &Path, key: &PartitionKey) -> Path {
    join(prefix, &staging_rel(key))
}

/// A run's staged upload of the partition.
pub(crate) fn staging_path(prefix: &Path, key: &PartitionKey, run_id: &str) -> Path {
    join(
        prefix,
        &format!("{STAGING_DIR}/{}/{run_id}.parquet.tmp", key.hive_path()),
    )
}

/// The folder of a run's raw pages for the partition.
pub(crate) fn raw_dir(prefix: &Path, key: &PartitionKey, run_id: &str) -> Path {
    join(prefix, &format!("{RAW_DIR}/{}/{run_id}", key.hive_path()))
}

/// The file name of raw page `page`.
pub(crate) fn raw_page_name(page: u64, ext: &str) -> String {
    format!("page-{page:05}.{ext}.zst")
}

/// One committed raw page of a run.
pub(crate) fn raw_page_path(
    prefix: &Path,
    key: &PartitionKey,
    run_id: &str,
    page: u64,
    ext: &str,
) -> Path {
    raw_dir(prefix, key, run_id).join(raw_page_name(page, ext).as_str())
}

/// The staging folder of a run's raw pages.
pub(crate) fn raw_staging_dir(prefix: &Path, key: &PartitionKey, run_id: &str) -> Path {
    join(
        prefix,
        &format!("{STAGING_DIR}/{}/{run_id}.raw", key.hive_path()),
    )
}

/// One staged raw page of a run.
pub(crate) fn raw_staging_page_path(
    prefix: &Path,
    key: &PartitionKey,
    run_id: &str,
    page: u64,
    ext: &str,
) -> Path {
    raw_staging_dir(prefix, key, run_id).join(raw_page_name(page, ext).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PartitionKey {
        PartitionKey {
            enrollment: "1234567".into(),
            year: 2017,
            month: 4,
        }
    }

    #[test]
    fn paths_are_hive_style_and_zero_padded() {
        let prefix = Path::from("lake/root");
        assert_eq!(
            data_path(&prefix, &key()).as_ref(),
            "lake/root/enrollment=1234567/year=2017/month=04/usage-details.parquet"
        );
        assert_eq!(
            data_path(&Path::default(), &key()).as_ref(),
            "enrollment=1234567/year=2017/month=04/usage-details.parquet"
        );
        assert_eq!(
            staging_path(&prefix, &key(), "r1").as_ref(),
            "lake/root/_staging/enrollment=1234567/year=2017/month=04/r1.parquet.tmp"
        );
        assert_eq!(
            raw_page_path(&prefix, &key(), "r1", 3, "json").as_ref(),
            "lake/root/_raw/enrollment=1234567/year=2017/month=04/r1/page-00003.json.zst"
        );
        assert_eq!(
            raw_staging_page_path(&prefix, &key(), "r1", 3, "json").as_ref(),
            "lake/root/_staging/enrollment=1234567/year=2017/month=04/r1.raw/page-00003.json.zst"
        );
        assert_eq!(key().month_label(), "2017-04");
        assert_eq!(
            lease_dir(&prefix, &key())
                .join(lease_term_name(42).as_str())
                .as_ref(),
            "lake/root/_leases/enrollment=1234567/year=2017/month=04/00000000000000000042.json"
        );
        assert_eq!(parse_lease_term_name(&lease_term_name(42)), Some(42));
        let v = version_id("2026-11-30T02:00:00Z", "20261130T015959Z-1a2b3c4d");
        assert_eq!(v, "20261130T020000000Z-20261130T015959Z-1a2b3c4d");
        assert_eq!(
            version_id("2026-11-30T02:00:00.25Z", "r"),
            "20261130T020000250Z-r"
        );
        assert_eq!(
            history_path(&prefix, &key(), &v).as_ref(),
            "lake/root/_history/enrollment=1234567/year=2017/month=04/20261130T020000000Z-20261130T015959Z-1a2b3c4d.parquet.prev"
        );
        assert_eq!(
            parse_history_name(&format!("{v}.parquet.prev")),
            Some(v.as_str())
        );
        assert_eq!(parse_history_name("x.parquet"), None);
        assert_eq!(parse_history_name("../x.parquet.prev"), None);
        assert_eq!(parse_lease_term_name("42.json"), None);
        assert_eq!(parse_lease_term_name("00000000000000000042.json.tmp"), None);
    }
}
