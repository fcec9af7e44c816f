//! Exact decimal parsing from JSON number text into `Decimal128(38, 18)`, never through `f64`.

use crate::schema::{DECIMAL_PRECISION, DECIMAL_SCALE};

/// Result of parsing one decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decimal {
    /// The exact value, scaled by 10^18.
    Exact(i128),
    /// More than 18 fractional digits: rounded half-even to this scaled value.
    Rounded(i128),
}

impl Decimal {
    /// The scaled value, rounded or not.
    pub(crate) fn scaled(self) -> i128 {
        match self {
            Decimal::Exact(v) | Decimal::Rounded(v) => v,
        }
    }
}

/// Largest magnitude a `Decimal128(38, _)` holds, plus one.
const LIMIT: i128 = 10i128.pow(DECIMAL_PRECISION as u32);

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (also `.5` and `5.`) into a scaled decimal.
///
/// Returns `None` for text that is not a number, or whose value needs more than 38 digits.
/// Surrounding ASCII whitespace is allowed (numeric strings sometimes carry it).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, s) = split_sign(text.trim_ascii().as_bytes())?;
    if let Some(v) = parse_short(s) {
        return Some(Decimal::Exact(if negative { -v } else { v }));
    }
    parse_general(negative, s)
}

/// Whether the number is negative, and its text after the sign; `None` for empty text.
fn split_sign(s: &[u8]) -> Option<(bool, &[u8])> {
    Some(match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    })
}

/// 10^18 as an `i128`.
const ONE: i128 = 10i128.pow(DECIMAL_SCALE as u32);

/// The common case, `digits[.digits]` with at most 18 digits in all: exact in `u64`
/// arithmetic. `None` for anything else, which [`parse_general`] then reads.
#[inline]
fn parse_short(s: &[u8]) -> Option<i128> {
    let dot = s.iter().position(|&b| b == b'.').unwrap_or(s.len());
    let (int, frac) = (&s[..dot], s.get(dot + 1..).unwrap_or_default());
    if int.len() + frac.len() > 18 || int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |d: &[u8]| {
        d.iter().try_fold(0u64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
        })
    };
    let (int, frac_value) = (digits(int)?, digits(frac)?);
    let frac_scale = 10i128.pow((DECIMAL_SCALE as usize - frac.len()) as u32);
    Some(i128::from(int) * ONE + i128::from(frac_value) * frac_scale)
}

/// Any number form (exponents, more than 18 digits, rounding past 18 fractional digits).
fn parse_general(negative: bool, s: &[u8]) -> Option<Decimal> {
    let mantissa_end = s
        .iter()
        .position(|&b| b == b'e' || b == b'E')
        .unwrap_or(s.len());
    let (mantissa, exp_part) = s.split_at(mantissa_end);
    let exponent: i64 = if exp_part.is_empty() {
        0
    } else {
        parse_exponent(&exp_part[1..])?
    };
    let (int_digits, frac_digits) = match mantissa.iter().position(|&b| b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &mantissa[..0]),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    if !int_digits.iter().chain(frac_digits).all(u8::is_ascii_digit) {
        return None;
    }
    // Digit k (0-based over int ++ frac) has decimal power `top - k`.
    let top = int_digits.len() as i64 - 1 + exponent;
    let scale = DECIMAL_SCALE as i64;
    let mut acc: i128 = 0;
    let mut last_power = top + 1; // power just above the first digit
    let mut round_digit: Option<u8> = None;
    let mut sticky = false;
    for (k, &d) in int_digits.iter().chain(frac_digits).enumerate() {
        let power = top - k as i64;
        let digit = d - b'0';
        if power >= -scale {
            if acc == 0 && digit == 0 {
                last_power = power;
                continue;
            }
            acc = acc.checked_mul(10)?.checked_add(digit as i128)?;
            last_power = power;
        } else if round_digit.is_none() {
            round_digit = Some(digit);
        } else if digit != 0 {
            sticky = true;
        }
    }
    // Scale up when the last kept digit is above 10^-18 (e.g. "12" or "1e5").
    let shift = last_power + scale;
    if acc != 0 && shift > 0 {
        if shift > DECIMAL_PRECISION as i64 {
            return None;
        }
        acc = acc.checked_mul(10i128.checked_pow(shift as u32)?)?;
    }
    // When every digit lies below 10^-18 the first of them is still the rounding digit,
    // but only if it is exactly the 19th fractional place; deeper digits are sticky.
    let (round_digit, sticky) = match round_digit {
        Some(rd) if top < -scale - 1 => (Some(0), sticky || rd != 0),
        other => (other, sticky),
    };
    let mut rounded = false;
    if let Some(rd) = round_digit {
        rounded = rd != 0 || sticky;
        let up = rd > 5 || (rd == 5 && (sticky || acc % 2 == 1));
        if up {
            acc = acc.checked_add(1)?;
        }
    }
    if acc >= LIMIT {
        return None;
    }
    let value = if negative { -acc } else { acc };
    Some(if rounded {
        Decimal::Rounded(value)
    } else {
        Decimal::Exact(value)
    })
}

fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Clamp: anything beyond ±100,000 is either overflow or a rounded zero, same as at the clamp.
    let mut v: i64 = 0;
    for &d in digits {
        v = (v * 10 + (d - b'0') as i64).min(100_000);
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::format_scaled;
    use proptest::prelude::*;

    proptest! {
        /// The short path gives what the general one gives, wherever it answers.
        #[test]
        fn short_and_general_paths_agree(s in "[+-]?[0-9]{0,20}(\\.[0-9]{0,20})?( )?") {
            let general = split_sign(s.trim_ascii().as_bytes())
                .and_then(|(negative, body)| parse_general(negative, body));
            prop_assert_eq!(parse_decimal(&s), general, "{}", s);
        }
    }

    const E18: i128 = 1_000_000_000_000_000_000;

    fn exact(s: &str) -> i128 {
        match parse_decimal(s) {
            Some(Decimal::Exact(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(exact("0"), 0);
        assert_eq!(exact("12"), 12 * E18);
        assert_eq!(exact("-12.5"), -125 * E18 / 10);
        assert_eq!(exact("0.000000000000000001"), 1);
        assert_eq!(exact(".5"), E18 / 2);
        assert_eq!(exact("5."), 5 * E18);
        assert_eq!(exact("+7"), 7 * E18);
        assert_eq!(exact(" 3.25 "), 325 * E18 / 100);
        assert_eq!(exact("000123.4500"), 12345 * E18 / 100);
    }

    #[test]
    fn exponents() {
        assert_eq!(exact("1.5E-05"), 15 * E18 / 1_000_000);
        assert_eq!(exact("1.5e5"), 150_000 * E18);
        assert_eq!(exact("2E+3"), 2000 * E18);
        assert_eq!(exact("0e999999999"), 0);
        assert_eq!(parse_decimal("123e-20"), Some(Decimal::Rounded(1)));
    }

    #[test]
    fn more_than_18_fraction_digits_round_half_even() {
        assert_eq!(
            parse_decimal("0.499222332425423563466"),
            Some(Decimal::Rounded(499_222_332_425_423_563))
        );
        assert_eq!(
            parse_decimal("0.0000000000000000015"),
            Some(Decimal::Rounded(2))
        );
        assert_eq!(
            parse_decimal("0.0000000000000000025"),
            Some(Decimal::Rounded(2))
        );
        assert_eq!(
            parse_decimal("0.00000000000000000250001"),
            Some(Decimal::Rounded(3))
        );
        assert_eq!(
            parse_decimal("-0.0000000000000000035"),
            Some(Decimal::Rounded(-4))
        );
        assert_eq!(parse_decimal("1e-40"), Some(Decimal::Rounded(0)));
        assert_eq!(
            parse_decimal("0.1000000000000000000"),
            Some(Decimal::Exact(E18 / 10))
        );
    }

    #[test]
    fn overflow_and_garbage_are_none() {
        assert_eq!(parse_decimal("1e20"), None);
        assert_eq!(parse_decimal("123456789012345678901"), None);
        assert_eq!(
            exact("99999999999999999999.5"),
            99_999_999_999_999_999_999 * E18 + 5 * E18 / 10
        );
        assert_eq!(parse_decimal("1e99999999999"), None);
        for bad in [
            "", "-", ".", "abc", "1.2.3", "1e", "1e+", "N/A", "0x10", "1,5", "--1", "NaN",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in [
            "0",
            "12",
            "-12.5",
            "0.000000000000000001",
            "12345678901234567890.123",
        ] {
            assert_eq!(format_scaled(exact(s)), s);
        }
    }
}
