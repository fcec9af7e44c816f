//! Fault specifications for the simulator (`simulate --fault SPEC`). Pure parsing.
//!
//! | spec | effect |
//! |---|---|
//! | `status=CODE@PAGE[xN]` | answer HTTP CODE for PAGE (N times, default every time); 429 carries `x-ms-ratelimit-microsoft.consumption-retry-after: 1`, 503 `Retry-After: 1` |
//! | `retry-after=429@PAGE[xN]` | 429 with only `Retry-After: 1` (standard header) |
//! | `truncate@PAGE` | cut the body of PAGE in half |
//! | `html@PAGE` | an HTML error page with status 200 |
//! | `csv@PAGE` | the `"Usage Data Extract",…` CSV text with status 200 |
//! | `data-object@PAGE` | `data` is an object, not an array |
//! | `loop@PAGE` | PAGE's `nextLink` points back at page 1 |
//! | `foreign@PAGE` | PAGE's `nextLink` points at another host |
//! | `misdate@PAGE` | the rows of PAGE are dated in the following month |
//! | `change@PAGE` | the rows of PAGE carry one more field (the month's data changed there) |
//! | `slow=MS@PAGE` | delay PAGE by MS milliseconds |
//! | `latency=MS` | delay every page by MS milliseconds |
//! | `SPEC#YYYY-MM` | SPEC only in that month (e.g. `slow=60000@2#2024-02`) |

/// One fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP status for a page, `times` times (None = always).
    Status {
        /// Status code.
        code: u16,
        /// 1-based page.
        page: u64,
        /// How often.
        times: Option<u32>,
        /// Send only the standard `Retry-After` header on 429.
        standard_header: bool,
    },
    /// Truncated body.
    Truncate(u64),
    /// HTML body.
    Html(u64),
    /// CSV body.
    Csv(u64),
    /// `data` is an object.
    DataObject(u64),
    /// `nextLink` loops to page 1.
    Loop(u64),
    /// `nextLink` to a foreign host.
    Foreign(u64),
    /// Rows dated in the following month.
    Misdate(u64),
    /// Rows that differ from the unfaulted month's.
    Change(u64),
    /// Delay one page.
    Slow {
        /// Milliseconds.
        ms: u64,
        /// 1-based page.
        page: u64,
    },
    /// Delay every page.
    Latency(u64),
    /// A fault that applies to one month only.
    InMonth {
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u32,
        /// The fault.
        fault: Box<Fault>,
    },
}

/// The faults in force for a response about month `(year, month)`: the general ones, and the
/// month-scoped ones of that month.
pub fn in_force(faults: &[Fault], year: i32, month: u32) -> Vec<Fault> {
    faults
        .iter()
        .filter_map(|f| match f {
            Fault::InMonth {
                year: y,
                month: m,
                fault,
            } => ((*y, *m) == (year, month)).then(|| (**fault).clone()),
            other => Some(other.clone()),
        })
        .collect()
}

impl Fault {
    /// Parses a spec (see the module docs).
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let err = || format!("invalid --fault {spec:?} (see `simulate --help` and the README)");
        if let Some((inner, ym)) = spec.rsplit_once('#') {
            let (year, month) = crate::config::parse_month(ym).map_err(|_| err())?;
            return Ok(Fault::InMonth {
                year,
                month,
                fault: Box::new(Fault::parse(inner)?),
            });
        }
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| err());
        let (head, page) = match spec.split_once('@') {
            Some((h, p)) => (h, Some(p)),
            None => (spec, None),
        };
        let (page, times) = match page {
            Some(p) => match p.split_once('x') {
                Some((p, n)) => (Some(num(p)?), Some(num(n)? as u32)),
                None => (Some(num(p)?), None),
            },
            None => (None, None),
        };
        let page_or_err = || page.ok_or_else(err);
        match head.split_once('=') {
            Some(("status", code)) => Ok(Fault::Status {
                code: num(code)? as u16,
                page: page_or_err()?,
                times,
                standard_header: false,
            }),
            Some(("retry-after", code)) => Ok(Fault::Status {
                code: num(code)? as u16,
                page: page_or_err()?,
                times,
                standard_header: true,
            }),
            Some(("slow", ms)) => Ok(Fault::Slow {
                ms: num(ms)?,
                page: page_or_err()?,
            }),
            Some(("latency", ms)) if page.is_none() => Ok(Fault::Latency(num(ms)?)),
            None => {
                let p = page_or_err()?;
                match head {
                    "truncate" => Ok(Fault::Truncate(p)),
                    "html" => Ok(Fault::Html(p)),
                    "csv" => Ok(Fault::Csv(p)),
                    "data-object" => Ok(Fault::DataObject(p)),
                    "loop" => Ok(Fault::Loop(p)),
                    "foreign" => Ok(Fault::Foreign(p)),
                    "misdate" => Ok(Fault::Misdate(p)),
                    "change" => Ok(Fault::Change(p)),
                    _ => Err(err()),
                }
            }
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Fault::parse("status=503@2x3").unwrap(),
            Fault::Status {
                code: 503,
                page: 2,
                times: Some(3),
                standard_header: false
            }
        );
        assert_eq!(
            Fault::parse("retry-after=429@1").unwrap(),
            Fault::Status {
                code: 429,
                page: 1,
                times: None,
                standard_header: true
            }
        );
        assert_eq!(Fault::parse("truncate@2").unwrap(), Fault::Truncate(2));
        assert_eq!(Fault::parse("loop@3").unwrap(), Fault::Loop(3));
        assert_eq!(Fault::parse("misdate@2").unwrap(), Fault::Misdate(2));
        assert_eq!(Fault::parse("change@3").unwrap(), Fault::Change(3));
        assert_eq!(Fault::parse("latency=200").unwrap(), Fault::Latency(200));
        assert_eq!(
            Fault::parse("slow=5000@1").unwrap(),
            Fault::Slow { ms: 5000, page: 1 }
        );
        assert_eq!(
            Fault::parse("slow=10@2#2024-02").unwrap(),
            Fault::InMonth {
                year: 2024,
                month: 2,
                fault: Box::new(Fault::Slow { ms: 10, page: 2 })
            }
        );
        for bad in [
            "",
            "slow=10@2#2024-13",
            "status=503",
            "nope@1",
            "truncate",
            "latency=x",
            "status=abc@1",
        ] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }
}
