//! Column builders for the fixed lake schema: typed values in, one `RecordBatch` out.
//!
//! The decoder appends each field as soon as it sees it and calls [`UsageBatchBuilder::end_row`]
//! once per row, which fills every column the row did not carry with a null. Pure: no I/O.

pub(crate) mod months;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, MapBuilder, MapFieldNames,
    StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use crate::schema::{
    self, DECIMAL_PRECISION, DECIMAL_SCALE, EXTRA_FIELDS, Kind, NUM_COLUMNS, arrow_schema,
};

type StringMapBuilder = MapBuilder<StringBuilder, StringBuilder>;

#[allow(clippy::large_enum_variant)] // one builder per column, made once per page
enum ColumnBuilder {
    Int64(Int64Builder),
    Utf8(StringBuilder),
    Decimal(Decimal128Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Map(StringMapBuilder),
}

/// Text bytes each column held on the last page built with them (map columns: keys and
/// values apart). New builders reserve that much, so a page's arrays are about the size of its
/// data instead of up to twice it from doubling; which matters for every batch in flight.
/// Shared by the pages of one month; a stale or racy value only costs a regrowth.
#[derive(Debug)]
pub(crate) struct SizeHints {
    text: [AtomicUsize; NUM_COLUMNS],
    map_values: [AtomicUsize; NUM_COLUMNS],
}

impl Default for SizeHints {
    fn default() -> Self {
        Self {
            text: std::array::from_fn(|_| AtomicUsize::new(0)),
            map_values: std::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }
}

impl SizeHints {
    /// Bytes to reserve for `seen` bytes last time: an eighth more; `floor` before any page.
    /// (A hint holds the bytes plus one, so that a column seen empty, all NULL on the last
    /// page as most version-2 columns are for EA rows, reserves next to nothing.)
    fn reserve(seen: &AtomicUsize, floor: usize) -> usize {
        match seen.load(Ordering::Relaxed) {
            0 => floor,
            n => {
                let seen = n - 1;
                seen + seen / 8 + 64
            }
        }
    }
}

fn new_map_builder(capacity: usize, keys: usize, values: usize) -> StringMapBuilder {
    let names = MapFieldNames {
        entry: "key_value".into(),
        key: "key".into(),
        value: "value".into(),
    };
    MapBuilder::with_capacity(
        Some(names),
        StringBuilder::with_capacity(capacity, keys),
        StringBuilder::with_capacity(capacity, values),
        capacity,
    )
    .with_keys_field(Arc::new(schema::map_key_field()))
    .with_values_field(Arc::new(schema::map_value_field()))
}

impl ColumnBuilder {
    fn new(kind: Kind, capacity: usize, text: usize, map_values: usize) -> Self {
        match kind {
            Kind::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(capacity)),
            Kind::Utf8 => ColumnBuilder::Utf8(StringBuilder::with_capacity(capacity, text)),
            Kind::Decimal => ColumnBuilder::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)
                    .expect("valid decimal type"),
            ),
            Kind::Date => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            Kind::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            Kind::Tags | Kind::Extra => {
                ColumnBuilder::Map(new_map_builder(capacity, text, map_values))
            }
        }
    }

    /// Records the text bytes held, for the next page's builders.
    fn remember(&mut self, text: &AtomicUsize, map_values: &AtomicUsize) {
        match self {
            ColumnBuilder::Utf8(b) => text.store(b.values_slice().len() + 1, Ordering::Relaxed),
            ColumnBuilder::Map(b) => {
                text.store(b.keys().values_slice().len() + 1, Ordering::Relaxed);
                map_values.store(b.values().values_slice().len() + 1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            ColumnBuilder::Int64(b) => b.append_nulls(n),
            ColumnBuilder::Utf8(b) => b.append_nulls(n),
            ColumnBuilder::Decimal(b) => b.append_nulls(n),
            ColumnBuilder::Date(b) => b.append_nulls(n),
            ColumnBuilder::Bool(b) => b.append_nulls(n),
            ColumnBuilder::Map(b) => {
                for _ in 0..n {
                    b.append(false).expect("map append");
                }
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b) => Arc::new(
                b.finish()
                    .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)
                    .expect("valid decimal type"),
            ),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Map(b) => Arc::new(b.finish()),
        }
    }
}

/// Builds one `RecordBatch` of the lake schema, a field at a time.
pub(crate) struct UsageBatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    hints: Option<Arc<SizeHints>>,
    /// Bit `i` set when column `i` has a value for the current row.
    seen: u128,
    rows: usize,
    /// Values (nulls included) each column holds: a column is filled with nulls up to the
    /// current row only when it gets a value, or at `finish`. So a row costs nothing in the
    /// columns it lacks, and a column no row fills costs one bulk append per batch.
    lens: [usize; NUM_COLUMNS],
}

const _: () = assert!(
    NUM_COLUMNS <= 128,
    "the seen-mask holds at most 128 columns"
);

impl UsageBatchBuilder {
    /// A builder sized for `capacity` rows.
    #[cfg(test)]
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self::with_hints(capacity, None)
    }

    /// A builder sized for `capacity` rows, its text columns sized by `hints` (which
    /// [`finish`](Self::finish) updates).
    pub(crate) fn with_hints(capacity: usize, hints: Option<Arc<SizeHints>>) -> Self {
        let columns = schema::COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| match &hints {
                Some(h) => ColumnBuilder::new(
                    c.kind,
                    capacity,
                    SizeHints::reserve(&h.text[i], capacity * 16),
                    SizeHints::reserve(&h.map_values[i], 0),
                ),
                None => ColumnBuilder::new(c.kind, capacity, capacity * 16, 0),
            })
            .collect();
        Self {
            schema: arrow_schema(),
            columns,
            hints,
            seen: 0,
            rows: 0,
            lens: [0; NUM_COLUMNS],
        }
    }

    /// Whether column `col` already has a value in the current row.
    pub(crate) fn has_value(&self, col: usize) -> bool {
        self.seen & (1u128 << col) != 0
    }

    /// Records that `col` gets a value in this row, after the nulls of the rows it missed.
    #[inline]
    fn mark(&mut self, col: usize) {
        debug_assert!(!self.has_value(col), "column {col} appended twice in a row");
        self.seen |= 1u128 << col;
        let missed = self.rows - self.lens[col];
        if missed > 0 {
            self.columns[col].append_nulls(missed);
        }
        self.lens[col] = self.rows + 1;
    }

    /// Appends an Int64 value (or null) to column `col`.
    pub(crate) fn append_i64(&mut self, col: usize, v: Option<i64>) {
        self.mark(col);
        match &mut self.columns[col] {
            ColumnBuilder::Int64(b) => b.append_option(v),
            _ => panic!("column {col} is not Int64"),
        }
    }

    /// Appends a string (or null) to column `col`.
    pub(crate) fn append_str(&mut self, col: usize, v: Option<&str>) {
        self.mark(col);
        match &mut self.columns[col] {
            ColumnBuilder::Utf8(b) => b.append_option(v),
            _ => panic!("column {col} is not Utf8"),
        }
    }

    /// Appends a decimal scaled by 10^18 (or null) to column `col`.
    pub(crate) fn append_decimal(&mut self, col: usize, v: Option<i128>) {
        self.mark(col);
        match &mut self.columns[col] {
            ColumnBuilder::Decimal(b) => b.append_option(v),
            _ => panic!("column {col} is not Decimal"),
        }
    }

    /// Appends a date as days since the epoch (or null) to column `col`.
    pub(crate) fn append_date(&mut self, col: usize, v: Option<i32>) {
        self.mark(col);
        match &mut self.columns[col] {
            ColumnBuilder::Date(b) => b.append_option(v),
            _ => panic!("column {col} is not Date32"),
        }
    }

    /// Appends a boolean (or null) to column `col`.
    pub(crate) fn append_bool(&mut self, col: usize, v: Option<bool>) {
        self.mark(col);
        match &mut self.columns[col] {
            ColumnBuilder::Bool(b) => b.append_option(v),
            _ => panic!("column {col} is not Boolean"),
        }
    }

    /// Appends a map (or, with `None`, a null map) to column `col`.
    pub(crate) fn append_map<'e, I>(&mut self, col: usize, entries: Option<I>)
    where
        I: IntoIterator<Item = (&'e str, Option<&'e str>)>,
    {
        self.mark(col);
        let ColumnBuilder::Map(b) = &mut self.columns[col] else {
            panic!("column {col} is not a map");
        };
        match entries {
            None => b.append(false).expect("map append"),
            Some(entries) => {
                for (k, v) in entries {
                    b.keys().append_value(k);
                    b.values().append_option(v);
                }
                b.append(true).expect("map append");
            }
        }
    }

    /// Ends the current row: every column without a value is null in it (filled lazily).
    pub(crate) fn end_row(&mut self) {
        self.seen = 0;
        self.rows += 1;
    }

    /// Finishes the batch and resets the builder for reuse.
    pub(crate) fn finish(&mut self) -> RecordBatch {
        debug_assert_eq!(self.seen, 0, "finish in the middle of a row");
        for (col, len) in self.lens.iter_mut().enumerate() {
            if *len < self.rows {
                self.columns[col].append_nulls(self.rows - *len);
            }
            *len = 0;
        }
        if let Some(h) = &self.hints {
            for (i, c) in self.columns.iter_mut().enumerate() {
                c.remember(&h.text[i], &h.map_values[i]);
            }
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).expect("builders match the schema")
    }
}

/// Column index of `extra_fields`, re-exported for the decoder.
pub(crate) const EXTRA: usize = EXTRA_FIELDS;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COST, TAGS, USAGE_DATE, index_of};

    #[test]
    fn hints_size_the_next_page_to_the_last_one() {
        let hints = Arc::new(SizeHints::default());
        let name = index_of("account_name");
        let page = |hints: &Arc<SizeHints>| {
            let mut b = UsageBatchBuilder::with_hints(100, Some(hints.clone()));
            for _ in 0..100 {
                b.append_str(name, Some(&"x".repeat(300)));
                b.append_map(TAGS, Some([("k", Some("v".repeat(50).as_str()))]));
                b.end_row();
            }
            b.finish()
        };
        let first = page(&hints);
        // Bytes plus one (0 means "not seen yet").
        assert_eq!(hints.text[name].load(Ordering::Relaxed), 30_001);
        assert_eq!(hints.text[TAGS].load(Ordering::Relaxed), 101);
        assert_eq!(hints.map_values[TAGS].load(Ordering::Relaxed), 5_001);
        // A column no row filled was seen empty: it reserves next to nothing next time.
        assert_eq!(
            hints.text[index_of("billing_currency")].load(Ordering::Relaxed),
            1
        );
        let second = page(&hints);
        // Same values; the second page reserved its text up front instead of doubling to it.
        assert_eq!(first, second);
        assert!(second.get_array_memory_size() < first.get_array_memory_size());
    }
    use arrow_array::{Array, Decimal128Array, MapArray, StringArray};

    #[test]
    fn rows_fill_missing_columns_with_nulls() {
        let mut b = UsageBatchBuilder::with_capacity(4);
        b.append_decimal(COST, Some(1_500_000_000_000_000_000));
        b.append_map(TAGS, Some([("env", Some("prod")), ("n", None)]));
        b.end_row();
        b.append_map(TAGS, None::<Vec<(&str, Option<&str>)>>);
        b.append_date(USAGE_DATE, Some(17283));
        b.end_row();
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), arrow_schema());
        let cost = batch
            .column(COST)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        assert_eq!(cost.value_as_string(0), "1.500000000000000000");
        assert!(cost.is_null(1));
        let tags = batch
            .column(TAGS)
            .as_any()
            .downcast_ref::<MapArray>()
            .unwrap();
        assert!(tags.is_valid(0) && tags.is_null(1));
        let keys = tags.keys().as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(keys.value(0), "env");
        assert!(batch.column(index_of("account_name")).is_null(0));
        assert!(batch.column(EXTRA).is_null(0));
    }
}
