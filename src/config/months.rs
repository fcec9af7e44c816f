//! Month planning: which months a run archives, from `--month`, `--billing-period`,
//! `--from/--to` or the clock. Pure (today's date is passed in).

use chrono::{Datelike, NaiveDate, Utc};

use super::{ConfigError, bad};
use crate::period::Period;
use crate::source::ApiVersion;

/// Longest custom range the API accepts, in months.
pub(crate) const MAX_RANGE_MONTHS: u32 = 36;

/// Parses `YYYY-MM`.
pub(crate) fn parse_month(s: &str) -> Result<(i32, u32), ConfigError> {
    let err = || {
        bad(
            "--month",
            format!("{s:?} is not a month in the form YYYY-MM"),
        )
    };
    let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
    check_year_month(y, m).ok_or_else(err)
}

/// Parses `YYYYMM`.
pub(crate) fn parse_billing_period(s: &str) -> Result<(i32, u32), ConfigError> {
    let s = s.trim();
    let err = || {
        bad(
            "--billing-period",
            format!("{s:?} is not a billing period in the form YYYYMM"),
        )
    };
    if s.len() != 6 {
        return Err(err());
    }
    check_year_month(&s[..4], &s[4..]).ok_or_else(err)
}

fn check_year_month(y: &str, m: &str) -> Option<(i32, u32)> {
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

fn parse_day(flag: &'static str, s: &str) -> Result<NaiveDate, ConfigError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(flag, format!("{s:?} is not a date in the form YYYY-MM-DD")))
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid") - chrono::Days::new(1)
}

/// Splits `[from, to]` into whole months (the unit of replacement), as periods of days. The
/// end of the current month is clamped to `today`.
pub(crate) fn split_range(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Period>, ConfigError> {
    if from > to {
        return Err(bad("--from", format!("{from} is after --to {to}")));
    }
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    if months as u32 > MAX_RANGE_MONTHS {
        return Err(bad(
            "--to",
            format!("the range spans {months} months; the API allows at most {MAX_RANGE_MONTHS}"),
        ));
    }
    let (mut y, mut m) = (from.year(), from.month());
    let mut out = Vec::new();
    for _ in 0..months {
        let start = NaiveDate::from_ymd_opt(y, m, 1).expect("valid");
        let end = month_end(y, m).min(today.max(start));
        out.push(Period::Days { start, end });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Ok(out)
}

/// Today's date in UTC.
pub(crate) fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

/// The periods to archive, in order: `--month`s and `--billing-period`s (deduplicated), or
/// `--from/--to` split into whole months, or, with none, the open billing period.
pub(crate) fn plan_months(
    months: &[String],
    periods: &[String],
    range: Option<(&str, &str)>,
    version: ApiVersion,
    today: NaiveDate,
) -> Result<Vec<Period>, ConfigError> {
    let mut listed: Vec<(i32, u32)> = Vec::new();
    for m in months {
        listed.push(parse_month(m)?);
    }
    for p in periods {
        listed.push(parse_billing_period(p)?);
    }
    listed.sort_unstable();
    listed.dedup();
    let mut plans: Vec<Period> = listed
        .iter()
        .map(|&(year, month)| Period::Month { year, month })
        .collect();
    if let Some((from, to)) = range {
        if version == ApiVersion::V1 {
            return Err(bad(
                "--api-version",
                "--from/--to use the v2 custom-date endpoint; v1 has none",
            ));
        }
        plans = split_range(parse_day("--from", from)?, parse_day("--to", to)?, today)?;
    }
    if plans.is_empty() {
        plans.push(Period::Current { today });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_and_periods() {
        assert_eq!(parse_month("2017-04").unwrap(), (2017, 4));
        assert_eq!(parse_billing_period("201704").unwrap(), (2017, 4));
        for bad in [
            "2017-4", "2017-13", "17-04", "2017-00", "abcd-ef", "2017/04",
        ] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        for bad in ["20174", "201713", "2017-04", "x"] {
            assert!(parse_billing_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_split_into_whole_months_and_are_bounded() {
        let today = d("2026-11-23");
        let parts = split_range(d("2024-01-15"), d("2024-03-02"), today).unwrap();
        let got: Vec<(i32, u32)> = parts.iter().map(|p| p.nominal_month()).collect();
        assert_eq!(got, vec![(2024, 1), (2024, 2), (2024, 3)]);
        assert_eq!(
            parts[1],
            Period::Days {
                start: d("2024-02-01"),
                end: d("2024-02-29")
            }
        );
        let cur = split_range(d("2026-11-01"), d("2026-11-05"), today).unwrap();
        assert_eq!(
            cur[0],
            Period::Days {
                start: d("2026-11-01"),
                end: today
            }
        );
        assert!(split_range(d("2024-03-01"), d("2024-01-01"), today).is_err());
        assert_eq!(
            split_range(d("2021-01-01"), d("2023-12-31"), today)
                .unwrap()
                .len(),
            36
        );
        let e = split_range(d("2021-01-01"), d("2024-01-01"), today).unwrap_err();
        assert_eq!(e.flag, "--to");
    }

    #[test]
    fn plans_listed_months_a_range_or_the_current_period() {
        let today = d("2026-11-23");
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let p = plan_months(
            &s(&["2024-02", "2024-01"]),
            &s(&["202401"]),
            None,
            ApiVersion::V2,
            today,
        )
        .unwrap();
        let got: Vec<(i32, u32)> = p.iter().map(|x| x.nominal_month()).collect();
        assert_eq!(got, vec![(2024, 1), (2024, 2)]);
        let p = plan_months(&[], &[], None, ApiVersion::V2, today).unwrap();
        assert_eq!(p, vec![Period::Current { today }]);
        let e = plan_months(
            &[],
            &[],
            Some(("2024-01-01", "2024-02-01")),
            ApiVersion::V1,
            today,
        )
        .unwrap_err();
        assert_eq!(e.flag, "--api-version");
        let p = plan_months(
            &[],
            &[],
            Some(("2024-01-15", "2024-02-01")),
            ApiVersion::V2,
            today,
        )
        .unwrap();
        assert_eq!(p.len(), 2);
    }
}
