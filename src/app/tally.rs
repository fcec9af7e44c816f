//! What a month's pages add up to, page by page, and the facts its object's footer records.
//! Pure: decoded pages in, counters and key-value metadata out.

use parquet::file::metadata::KeyValue;

use crate::batch::months::rows_outside_month;
use crate::decode::fingerprint::Fingerprint;
use crate::decode::{DecodeStats, DecodedPage};
use crate::money::format_scaled;
use crate::schema::SCHEMA_VERSION;
use crate::sink::PartitionKey;
use crate::sink::read::META_PREFIX;

/// The running totals of one month's pages.
pub(crate) struct Tally {
    year: i32,
    month: u32,
    /// Rows and the other decode counters, summed.
    pub stats: DecodeStats,
    /// The number of the last page counted.
    pub pages: u64,
    /// Rows whose `usage_date` is outside the month.
    pub out_of_month: u64,
    fingerprint: Fingerprint,
    first_etag: Option<String>,
}

/// A month's totals once its last page is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Rows and the other decode counters.
    pub stats: DecodeStats,
    /// Pages.
    pub pages: u64,
    /// Rows whose `usage_date` is outside the month.
    pub out_of_month: u64,
    /// The fingerprint of the month's rows, in order.
    pub fingerprint: String,
    /// Page 1's `ETag`, when the source sent one.
    pub etag: Option<String>,
}

impl Tally {
    /// An empty tally for `key`'s month.
    pub(crate) fn new(key: &PartitionKey) -> Self {
        Self {
            year: key.year,
            month: key.month,
            stats: DecodeStats::new(),
            pages: 0,
            out_of_month: 0,
            fingerprint: Fingerprint::default(),
            first_etag: None,
        }
    }

    /// Counts page `number` (pages come in order), sent with `etag`.
    pub(crate) fn add(&mut self, number: u64, etag: Option<String>, page: &DecodedPage) {
        if number == 1 {
            self.first_etag = etag;
        }
        self.stats.merge(&page.stats);
        self.fingerprint.add_rows(&page.row_digests);
        self.out_of_month += rows_outside_month(&page.batch, self.year, self.month);
        self.pages = number;
    }

    /// The totals.
    pub(crate) fn finish(self) -> Totals {
        Totals {
            stats: self.stats,
            pages: self.pages,
            out_of_month: self.out_of_month,
            fingerprint: self.fingerprint.finish(),
            etag: self.first_etag,
        }
    }
}

/// What every object of a run records besides its own totals.
pub(crate) struct RunFacts<'a> {
    /// The run.
    pub run_id: &'a str,
    /// The source's API version label.
    pub api_version: &'a str,
    /// `actual` or `amortized`.
    pub metric: &'a str,
    /// Where the rows came from (a URL without secrets, or `replay`).
    pub source: &'a str,
    /// When this month's pull started.
    pub pulled_at: &'a str,
    /// The source's own facts of the month (an export's name and run), by key.
    pub facts: &'a std::collections::BTreeMap<String, String>,
}

fn meta(k: &str, v: impl Into<String>) -> KeyValue {
    KeyValue::new(format!("{META_PREFIX}{k}"), v.into())
}

/// The key-value metadata of `key`'s new object.
pub(crate) fn file_metadata(run: &RunFacts<'_>, key: &PartitionKey, t: &Totals) -> Vec<KeyValue> {
    let mut out = vec![
        meta("schema_version", SCHEMA_VERSION.to_string()),
        meta("tool_version", env!("CARGO_PKG_VERSION")),
        meta("run_id", run.run_id),
        meta("api_version", run.api_version),
        meta("metric", run.metric),
        meta("source", run.source),
        meta("pulled_at", run.pulled_at),
        meta("enrollment", key.enrollment.as_str()),
        meta("billing_month", key.month_label()),
        meta("row_count", t.stats.rows.to_string()),
        meta("pages", t.pages.to_string()),
        meta(
            "cost_total",
            t.stats
                .cost_total
                .map(format_scaled)
                .unwrap_or_else(|| "overflow".into()),
        ),
        meta("unknown_fields", t.stats.unknown_fields.to_string()),
        meta("unparsed_values", t.stats.unparsed_values.to_string()),
        meta("rounded_decimals", t.stats.rounded_decimals.to_string()),
        meta("out_of_month_rows", t.out_of_month.to_string()),
        meta("fingerprint", t.fingerprint.as_str()),
    ];
    if let Some(etag) = &t.etag {
        out.push(meta("etag", etag.as_str()));
    }
    out.extend(run.facts.iter().map(|(k, v)| meta(k, v.as_str())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_page;

    fn key() -> PartitionKey {
        PartitionKey {
            enrollment: "100".into(),
            year: 2024,
            month: 2,
        }
    }

    fn page(rows: &str) -> DecodedPage {
        decode_page(format!(r#"{{"data":[{rows}]}}"#).as_bytes(), 1, "100").unwrap()
    }

    #[test]
    fn pages_add_up_and_only_page_one_gives_the_etag() {
        let mut t = Tally::new(&key());
        t.add(
            1,
            Some("e1".into()),
            &page(r#"{"cost":1.5,"date":"2024-02-03"},{"cost":2,"date":"2024-03-01"}"#),
        );
        t.add(
            2,
            Some("e2".into()),
            &page(r#"{"cost":0.25,"date":"2024-02-29"}"#),
        );
        let totals = t.finish();
        assert_eq!(totals.stats.rows, 3);
        assert_eq!(totals.stats.cost_total, Some(3_750_000_000_000_000_000));
        assert_eq!(totals.pages, 2);
        assert_eq!(totals.out_of_month, 1);
        assert_eq!(totals.etag.as_deref(), Some("e1"));
    }

    #[test]
    fn the_same_rows_split_differently_have_the_same_fingerprint() {
        let rows = [
            r#"{"cost":1,"date":"2024-02-01"}"#,
            r#"{"cost":2,"date":"2024-02-02"}"#,
        ];
        let mut one = Tally::new(&key());
        one.add(1, None, &page(&rows.join(",")));
        let mut two = Tally::new(&key());
        two.add(1, None, &page(rows[0]));
        two.add(2, None, &page(rows[1]));
        let mut other = Tally::new(&key());
        other.add(1, None, &page(r#"{"cost":3,"date":"2024-02-01"}"#));
        let (one, two, other) = (one.finish(), two.finish(), other.finish());
        assert_eq!(one.fingerprint, two.fingerprint);
        assert_ne!(one.fingerprint, other.fingerprint);
    }

    #[test]
    fn the_footer_records_the_run_the_month_and_its_totals() {
        let mut t = Tally::new(&key());
        t.add(
            1,
            Some("\"e\"".into()),
            &page(r#"{"cost":1.5,"date":"2024-02-03"}"#),
        );
        let totals = t.finish();
        let run = RunFacts {
            run_id: "r1",
            api_version: "v2",
            metric: "actual",
            source: "replay",
            pulled_at: "2026-12-01T00:00:00.000Z",
            facts: &[("export_run_id".to_string(), "run-7".to_string())].into(),
        };
        let kv = file_metadata(&run, &key(), &totals);
        let get = |k: &str| {
            kv.iter()
                .find(|e| e.key == format!("{META_PREFIX}{k}"))
                .and_then(|e| e.value.clone())
        };
        assert_eq!(get("billing_month").as_deref(), Some("2024-02"));
        assert_eq!(get("row_count").as_deref(), Some("1"));
        assert_eq!(get("cost_total").as_deref(), Some("1.5"));
        assert_eq!(get("etag").as_deref(), Some("\"e\""));
        assert_eq!(get("source").as_deref(), Some("replay"));
        assert_eq!(get("fingerprint"), Some(totals.fingerprint.clone()));
        assert_eq!(get("out_of_month_rows").as_deref(), Some("0"));
        assert_eq!(get("export_run_id").as_deref(), Some("run-7"));
    }
}
