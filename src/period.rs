//! What a month's plan asks a source for, in terms no source owns: a billing month, some days of
//! one month, or the open billing period. Each source builds its own request from it. Pure.

use chrono::{Datelike, NaiveDate};

/// The period one partition archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    /// A whole billing month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1–12.
        month: u32,
    },
    /// Days of one month, both ends included (a custom date range split into months).
    Days {
        /// First day.
        start: NaiveDate,
        /// Last day, in the same month as `start`.
        end: NaiveDate,
    },
    /// The open billing period: which month it is may only be known from the source's rows;
    /// `today` (UTC) is the clock's month, the fallback.
    Current {
        /// Today's date, UTC.
        today: NaiveDate,
    },
}

impl Period {
    /// The month the period names: its month, or, for the open period, the clock's.
    pub(crate) fn nominal_month(&self) -> (i32, u32) {
        match *self {
            Period::Month { year, month } => (year, month),
            Period::Days { start, .. } => (start.year(), start.month()),
            Period::Current { today } => (today.year(), today.month()),
        }
    }

    /// `YYYY-MM` of [`Period::nominal_month`].
    pub(crate) fn label(&self) -> String {
        let (y, m) = self.nominal_month();
        format!("{y:04}-{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_period_names_a_month() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let month = Period::Month {
            year: 2024,
            month: 2,
        };
        assert_eq!(month.nominal_month(), (2024, 2));
        assert_eq!(month.label(), "2024-02");
        let days = Period::Days {
            start: d("2024-03-01"),
            end: d("2024-03-15"),
        };
        assert_eq!(days.label(), "2024-03");
        let current = Period::Current {
            today: d("2026-12-01"),
        };
        assert_eq!(current.nominal_month(), (2026, 12));
    }
}
