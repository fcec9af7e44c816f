//! Money as text: the exact decimal text of a scaled `Decimal128(38, 18)` value, as the run
//! summary, the footer metadata, `verify`, `history` and `diff` print it, and back. Pure.

use crate::schema::DECIMAL_SCALE;

/// 10^18.
const ONE: u128 = 10u128.pow(DECIMAL_SCALE as u32);

/// Formats a value scaled by 10^18 as plain decimal text, trailing fractional zeros trimmed
/// (`1.5`, `-0.000000000000000001`, `0`).
pub fn format_scaled(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let abs = v.unsigned_abs();
    let (int, frac) = (abs / ONE, abs % ONE);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{:0width$}", frac, width = DECIMAL_SCALE as usize);
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// Parses text written by [`format_scaled`] (or any plain decimal with at most 18 fractional
/// digits) back into a scaled value; `None` for anything else.
pub fn parse_scaled(text: &str) -> Option<i128> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || frac.len() > DECIMAL_SCALE as usize
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || (body.contains('.') && frac.is_empty())
    {
        return None;
    }
    let int: i128 = int.parse().ok()?;
    let frac: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i128>().ok()? * 10i128.pow((DECIMAL_SCALE as usize - frac.len()) as u32)
    };
    let v = int.checked_mul(ONE as i128)?.checked_add(frac)?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_exactly() {
        assert_eq!(format_scaled(0), "0");
        assert_eq!(format_scaled(15 * 10i128.pow(17)), "1.5");
        assert_eq!(format_scaled(-1), "-0.000000000000000001");
        assert_eq!(
            format_scaled(499_222_332_425_423_563),
            "0.499222332425423563"
        );
        // The extremes do not overflow.
        assert!(format_scaled(i128::MIN).starts_with("-170141183460469231731."));
        assert!(format_scaled(i128::MAX).starts_with("170141183460469231731."));
    }

    #[test]
    fn parses_what_it_formats_and_nothing_else() {
        assert_eq!(parse_scaled("1.5"), Some(15 * 10i128.pow(17)));
        assert_eq!(parse_scaled("-0.000000000000000001"), Some(-1));
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e3",
            "1.0000000000000000001",
            "x",
            "1,5",
            "overflow",
        ] {
            assert_eq!(parse_scaled(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(v in (i128::MIN / 2)..(i128::MAX / 2)) {
            prop_assert_eq!(parse_scaled(&format_scaled(v)), Some(v));
        }
    }
}
