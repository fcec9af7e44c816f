//! Usage-date parsing: the calendar day of the API's `date` field, as days since 1970-01-01.
//!
//! Accepted forms: `2017-04-27`, `2017-04-27T00:00:00`, `…T00:00:00.0000000`, `…Z`,
//! `…+00:00`, `2017-04-27 00:00:00` and `04/27/2017` (also `4/7/2017`, with an optional time).
//! The day is taken as written: EA times are UTC and the field is a usage day.

use chrono::NaiveDate;

/// Days since the Unix epoch of the date in `text`, or `None` if it is not a recognised form.
pub(crate) fn parse_usage_date(text: &str) -> Option<i32> {
    let s = text.trim_ascii().as_bytes();
    let (date, rest) = if s.len() >= 10 && s[4] == b'-' {
        let y = digits(&s[0..4])?;
        let m = digits(&s[5..7])?;
        if s[7] != b'-' {
            return None;
        }
        let d = digits(&s[8..10])?;
        (ymd(y, m, d)?, &s[10..])
    } else {
        let (m, r) = split_num(s, b'/')?;
        let (d, r) = split_num(r, b'/')?;
        let year_len = r.iter().take_while(|b| b.is_ascii_digit()).count();
        if year_len != 4 {
            return None;
        }
        (ymd(digits(&r[..4])?, m, d)?, &r[4..])
    };
    if !valid_time_suffix(rest) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Checked: a long run of digits (a time field of 20 digits) is not a number we accept.
    s.iter().try_fold(0u32, |a, &b| {
        a.checked_mul(10)?.checked_add((b - b'0') as u32)
    })
}

/// One or two digits followed by `sep`.
fn split_num(s: &[u8], sep: u8) -> Option<(u32, &[u8])> {
    let pos = s.iter().position(|&b| b == sep)?;
    if pos == 0 || pos > 2 {
        return None;
    }
    Some((digits(&s[..pos])?, &s[pos + 1..]))
}

/// Empty, or `[T ]hh:mm[:ss[.fraction]]` with an optional `Z`, `±hh:mm`, `±hhmm` or ` AM`/` PM`.
fn valid_time_suffix(rest: &[u8]) -> bool {
    if rest.is_empty() {
        return true;
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return false;
    }
    let t = &rest[1..];
    let clock_len = t
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b':' || **b == b'.')
        .count();
    let (clock, zone) = t.split_at(clock_len);
    let mut parts = clock.split(|&b| b == b':');
    let hh = parts.next().and_then(digits);
    let mm = parts.next().and_then(digits);
    if hh.is_none_or(|h| h > 23) || mm.is_none_or(|m| m > 59) {
        return false;
    }
    if let Some(sec) = parts.next() {
        let whole = sec.split(|&b| b == b'.').next().unwrap_or_default();
        if digits(whole).is_none_or(|s| s > 60) {
            return false;
        }
    }
    if parts.next().is_some() {
        return false;
    }
    match zone {
        b"" | b"Z" | b"z" | b" AM" | b" PM" => true,
        [b'+' | b'-', tz @ ..] => {
            let tz: Vec<u8> = tz.iter().copied().filter(|&b| b != b':').collect();
            tz.len() == 4 && digits(&tz).is_some()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        (NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32
    }

    #[test]
    fn accepts_every_documented_form() {
        let want = Some(day(2017, 4, 27));
        for s in [
            "2017-04-27",
            "2017-04-27T00:00:00",
            "2017-04-27T00:00:00.0000000",
            "2017-04-27T23:01:43.799Z",
            "2017-04-27T00:00:00Z",
            "2017-04-27T00:00:00+00:00",
            "2017-04-27 00:00:00",
            "04/27/2017",
            "4/27/2017",
            "04/27/2017 12:00:00 AM",
            " 2017-04-27 ",
        ] {
            assert_eq!(parse_usage_date(s), want, "{s}");
        }
        assert_eq!(parse_usage_date("1/2/2018"), Some(day(2018, 1, 2)));
        assert_eq!(parse_usage_date("1970-01-01"), Some(0));
        // A long fraction of a second is still the same day.
        let long = format!("2017-04-27T23:59:59.{}Z", "9".repeat(40));
        assert_eq!(parse_usage_date(&long), want);
    }

    #[test]
    fn rejects_impossible_or_garbage_dates() {
        for s in [
            "",
            "2017-02-30",
            "2017-13-01",
            "13/01/2017",
            "2017/04/27",
            "27.04.2017",
            "yesterday",
            "2017-04-27Tgarbage",
            "2017-04-27T25:00:00",
            "04/27/17",
            "2017-04-27T00:00:00+0",
            "2017-04-27T99999999999999999999:00",
            "2017-04-27T00:99999999999999999999",
            "2017-04-27T00:00:99999999999999999999.5",
            "99999999999999999999/1/2017",
            "2017-04-27T00:00:00+99999999999999999999",
        ] {
            assert_eq!(parse_usage_date(s), None, "{s}");
        }
    }
}
