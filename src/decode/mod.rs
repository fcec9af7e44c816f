//! Decode: one page of API JSON into one `RecordBatch` of the lake schema, plus counters.
//!
//! Pure and synchronous: bytes in, batch out. Rows are read by a validating, borrowing JSON
//! scanner (`crate::json::scan`) straight into the column builders; numbers keep their JSON
//! text until they become exact decimals. No row is ever dropped.

pub(crate) mod csv_page;
pub(crate) mod date;
pub(crate) mod decimal;
pub(crate) mod fields;
pub(crate) mod fingerprint;
pub(crate) mod json;
mod page;
mod raw;
pub(crate) mod row;
mod table_page;
pub(crate) mod tags;

#[cfg(test)]
mod proptests;

/// Row `row`'s `extra_fields` as (key, value) pairs, in order; none for a null map. For the
/// decoders' tests.
#[cfg(test)]
pub(crate) fn extra_at(batch: &arrow_array::RecordBatch, row: usize) -> Vec<(String, String)> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let m = batch.column(crate::schema::EXTRA_FIELDS).as_map();
    if m.is_null(row) {
        return vec![];
    }
    let e = m.value(row);
    let (k, v) = (
        e.column(0).as_string::<i32>(),
        e.column(1).as_string::<i32>(),
    );
    (0..e.len())
        .map(|i| (k.value(i).into(), v.value(i).into()))
        .collect()
}

pub(crate) use page::decode_page_sized;
pub use page::{DecodedPage, decode_page};
pub(crate) use raw::decode_raw;
pub use tags::{Tag, Tags, parse_tags};

/// Per-page (and, summed, per-partition) counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DecodeStats {
    /// Rows decoded.
    pub rows: u64,
    /// Fields the schema does not know (kept in `extra_fields`).
    pub unknown_fields: u64,
    /// Known fields whose value could not be converted (kept in `extra_fields`).
    pub unparsed_values: u64,
    /// Decimals with more than 18 fractional digits, rounded half-even.
    pub rounded_decimals: u64,
    /// Sum of `cost`, scaled by 10^18; `None` once it overflowed i128.
    #[serde(skip)]
    pub cost_total: Option<i128>,
}

/// The default is empty counters with a zero cost total (a `None` total means overflow).
impl Default for DecodeStats {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeStats {
    /// Empty counters with a zero cost total.
    pub fn new() -> Self {
        Self {
            rows: 0,
            unknown_fields: 0,
            unparsed_values: 0,
            rounded_decimals: 0,
            cost_total: Some(0),
        }
    }

    /// Adds one scaled cost to the total.
    pub fn add_cost(&mut self, v: i128) {
        self.cost_total = self.cost_total.and_then(|t| t.checked_add(v));
    }

    /// Adds another set of counters into this one.
    pub fn merge(&mut self, other: &DecodeStats) {
        self.rows += other.rows;
        self.unknown_fields += other.unknown_fields;
        self.unparsed_values += other.unparsed_values;
        self.rounded_decimals += other.rounded_decimals;
        self.cost_total = match (self.cost_total, other.cost_total) {
            (Some(a), Some(b)) => a.checked_add(b),
            _ => None,
        };
    }
}

/// Why a page could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The body is not the page its format documents.
    #[error("page {page} is not a valid usage-details {format} page; body starts with: {snippet}")]
    Malformed {
        /// 1-based page number.
        page: u64,
        /// `JSON` or `CSV`.
        format: &'static str,
        /// What was wrong.
        #[source]
        source: crate::json::envelope::EnvelopeError,
        /// The first bytes of the body, printable.
        snippet: String,
    },
}
