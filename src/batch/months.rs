//! Which month a batch's rows belong to, by their `usage_date`. Pure.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Date32Type;
use arrow_array::{Array, RecordBatch};
use chrono::{Datelike, NaiveDate};

use crate::schema::USAGE_DATE;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");

/// Days since 1970-01-01 of the first and the last day of a month.
pub(crate) fn month_days(year: i32, month: u32) -> (i32, i32) {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("valid month");
    let days = |d: NaiveDate| (d - EPOCH).num_days() as i32;
    (days(first), days(next) - 1)
}

/// Rows whose `usage_date` is set and outside `year`-`month`.
pub(crate) fn rows_outside_month(batch: &RecordBatch, year: i32, month: u32) -> u64 {
    let (lo, hi) = month_days(year, month);
    let dates = batch.column(USAGE_DATE).as_primitive::<Date32Type>();
    if dates.null_count() == 0 {
        return dates.values().iter().filter(|&&d| d < lo || d > hi).count() as u64;
    }
    dates.iter().flatten().filter(|&d| d < lo || d > hi).count() as u64
}

/// The month most rows of the batch fall in (ties: the later month); `None` without dated rows.
pub(crate) fn dominant_month(batch: &RecordBatch) -> Option<(i32, u32)> {
    let dates = batch.column(USAGE_DATE).as_primitive::<Date32Type>();
    let mut counts: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for d in dates.iter().flatten() {
        let day = EPOCH + chrono::Days::new(0);
        let day = if d >= 0 {
            day.checked_add_days(chrono::Days::new(d as u64))
        } else {
            day.checked_sub_days(chrono::Days::new(d.unsigned_abs() as u64))
        };
        if let Some(day) = day {
            *counts.entry((day.year(), day.month())).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(month, n)| (n, month))
        .map(|(month, _)| month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::UsageBatchBuilder;

    fn batch(days: &[Option<(i32, u32, u32)>]) -> RecordBatch {
        let mut b = UsageBatchBuilder::with_capacity(days.len());
        for d in days {
            let v = d.map(|(y, m, d)| {
                (NaiveDate::from_ymd_opt(y, m, d).unwrap() - EPOCH).num_days() as i32
            });
            b.append_date(USAGE_DATE, v);
            b.end_row();
        }
        b.finish()
    }

    #[test]
    fn month_bounds() {
        assert_eq!(month_days(1970, 1), (0, 30));
        let (lo, hi) = month_days(2024, 2);
        assert_eq!(hi - lo, 28, "2024 is a leap year");
        let (lo, hi) = month_days(2023, 12);
        assert_eq!(hi - lo, 30);
    }

    #[test]
    fn rows_outside_and_the_dominant_month() {
        let b = batch(&[
            Some((2024, 1, 31)),
            Some((2024, 2, 1)),
            Some((2024, 2, 29)),
            None,
            Some((2024, 3, 1)),
        ]);
        assert_eq!(rows_outside_month(&b, 2024, 2), 2);
        assert_eq!(rows_outside_month(&b, 2024, 1), 3);
        assert_eq!(dominant_month(&b), Some((2024, 2)));
        let tie = batch(&[Some((2024, 1, 5)), Some((2024, 2, 5))]);
        assert_eq!(dominant_month(&tie), Some((2024, 2)));
        assert_eq!(dominant_month(&batch(&[None])), None);
        assert_eq!(
            rows_outside_month(&batch(&[Some((1969, 12, 31))]), 1970, 1),
            1
        );
        assert_eq!(
            dominant_month(&batch(&[Some((1969, 12, 31))])),
            Some((1969, 12))
        );
    }
}
