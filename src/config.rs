//! Validated configuration: every flag is checked here, before any request or write, and a bad
//! one is reported with the flag's name (exit code 2).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use url::Url;

use crate::cli::ArchiveArgs;
use crate::sink::{PartitionKey, WriteSettings};
use crate::source::http::HttpSettings;
use crate::source::retry::RetryConfig;
use crate::source::{ApiKey, ApiVersion, Endpoint};

/// Longest custom range the API accepts, in months.
pub const MAX_RANGE_MONTHS: u32 = 36;

/// One partition to archive and where its pages come from.
#[derive(Debug, Clone)]
pub struct PartitionPlan {
    /// The partition.
    pub key: PartitionKey,
    /// The endpoint (ignored when replaying).
    pub endpoint: Endpoint,
    /// The month is taken from the rows the endpoint returns (the current period), and `key`'s
    /// month, today's UTC month, is only the fallback for a period with no dated rows.
    pub month_from_rows: bool,
}

/// Where pages come from.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// The API.
    Api {
        /// The key.
        key: ApiKey,
        /// HTTP settings.
        http: HttpSettings,
    },
    /// Saved page files.
    Replay {
        /// The directory.
        dir: PathBuf,
    },
}

/// A checked `archive` configuration.
#[derive(Debug, Clone)]
pub struct ArchiveConfig {
    /// Enrollment (digits).
    pub enrollment: String,
    /// Partitions, in order.
    pub plans: Vec<PartitionPlan>,
    /// Source.
    pub source: SourceConfig,
    /// API version (recorded in metadata).
    pub api_version: ApiVersion,
    /// `--dest` as given.
    pub dest: String,
    /// `--keep-raw`.
    pub keep_raw: bool,
    /// Months at once.
    pub concurrency: usize,
    /// Parquet and upload tunables.
    pub write: WriteSettings,
    /// `--skip-unchanged`.
    pub skip_unchanged: bool,
    /// `--allow-shrink`.
    pub allow_shrink: bool,
    /// `--lease-ttl`.
    pub lease_ttl: Duration,
}

/// A flag that failed validation.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {reason}")]
pub struct ConfigError {
    /// The flag, e.g. `--month`.
    pub flag: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn bad(flag: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        reason: reason.into(),
    }
}

/// Validates `--enrollment`: digits only, because it becomes a path segment.
pub fn parse_enrollment(s: &str) -> Result<String, ConfigError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "--enrollment",
            format!("{s:?} is not an enrollment number (digits only)"),
        ));
    }
    Ok(s.to_string())
}

/// Parses `YYYY-MM`.
pub fn parse_month(s: &str) -> Result<(i32, u32), ConfigError> {
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
pub fn parse_billing_period(s: &str) -> Result<(i32, u32), ConfigError> {
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

/// Splits `[from, to]` into whole months (the unit of replacement), as custom-range endpoints.
/// The end of the current month is clamped to `today`.
pub fn split_range(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<(i32, u32, Endpoint)>, ConfigError> {
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
        out.push((y, m, Endpoint::CustomRange { start, end }));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Ok(out)
}

fn parse_base_url(s: &str, allow_http: bool) -> Result<Url, ConfigError> {
    let u = Url::parse(s).map_err(|e| bad("--base-url", format!("{s:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(bad(
            "--base-url",
            format!("{s:?} must be an http(s) URL with a host"),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() {
        return Err(bad(
            "--base-url",
            "must not carry credentials or a query string",
        ));
    }
    crate::source::trust::check_transport(&u, allow_http).map_err(|why| bad("--base-url", why))?;
    Ok(u)
}

/// Reads the key from `--api-key-file` or `EA_API_KEY`.
pub fn load_api_key(file: Option<&PathBuf>, env: Option<String>) -> Result<ApiKey, ConfigError> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                bad(
                    "--api-key-file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            ApiKey::new(&text)
                .ok_or_else(|| bad("--api-key-file", format!("{} is empty", path.display())))
        }
        None => env.as_deref().and_then(ApiKey::new).ok_or_else(|| {
            bad(
                "EA_API_KEY",
                "no API key: set EA_API_KEY or pass --api-key-file PATH",
            )
        }),
    }
}

impl ArchiveConfig {
    /// Checks every flag. `env_key` is the value of `EA_API_KEY`; `today` is the UTC date.
    pub fn from_args(
        a: &ArchiveArgs,
        env_key: Option<String>,
        today: NaiveDate,
    ) -> Result<Self, ConfigError> {
        let enrollment = parse_enrollment(&a.enrollment)?;
        if a.concurrency == 0 || a.concurrency > 64 {
            return Err(bad("--concurrency", "must be between 1 and 64"));
        }
        if a.max_pages == 0 {
            return Err(bad("--max-pages", "must be at least 1"));
        }
        if a.request_timeout == 0 {
            return Err(bad("--request-timeout", "must be at least 1 second"));
        }
        if !(5..=3600).contains(&a.lease_ttl) {
            return Err(bad("--lease-ttl", "must be between 5 and 3600 seconds"));
        }
        if a.row_group_rows == 0 {
            return Err(bad("--row-group-rows", "must be at least 1"));
        }
        if a.upload_part_bytes < 1024 * 1024 {
            return Err(bad("--upload-part-bytes", "must be at least 1 MiB"));
        }
        if a.dest.trim().is_empty() {
            return Err(bad("--dest", "must not be empty"));
        }
        let mut months: Vec<(i32, u32)> = Vec::new();
        for m in &a.months {
            months.push(parse_month(m)?);
        }
        for p in &a.billing_periods {
            months.push(parse_billing_period(p)?);
        }
        months.sort_unstable();
        months.dedup();
        let version = a.api_version;
        let mut plans: Vec<(i32, u32, Endpoint)> = months
            .iter()
            .map(|&(year, month)| {
                (
                    year,
                    month,
                    Endpoint::BillingPeriod {
                        version,
                        year,
                        month,
                    },
                )
            })
            .collect();
        if let (Some(from), Some(to)) = (&a.from, &a.to) {
            if version == ApiVersion::V1 {
                return Err(bad(
                    "--api-version",
                    "--from/--to use the v2 custom-date endpoint; v1 has none",
                ));
            }
            plans = split_range(parse_day("--from", from)?, parse_day("--to", to)?, today)?;
        }
        if plans.is_empty() {
            let (year, month) = (today.year(), today.month());
            let endpoint = match version {
                ApiVersion::V2 => Endpoint::Current,
                ApiVersion::V1 => Endpoint::BillingPeriod {
                    version,
                    year,
                    month,
                },
            };
            plans.push((year, month, endpoint));
        }
        let source = match &a.from_dir {
            Some(dir) => {
                if plans.len() != 1 || (a.months.len() + a.billing_periods.len()) != 1 {
                    return Err(bad(
                        "--from-dir",
                        "replay needs exactly one --month or --billing-period",
                    ));
                }
                if !dir.is_dir() {
                    return Err(bad(
                        "--from-dir",
                        format!("{} is not a directory", dir.display()),
                    ));
                }
                SourceConfig::Replay { dir: dir.clone() }
            }
            None => {
                let key = load_api_key(a.api_key_file.as_ref(), env_key)?;
                let base_url = parse_base_url(&a.base_url, a.allow_http)?;
                let allowed_hosts = a
                    .allow_next_link_hosts
                    .iter()
                    .map(|h| {
                        let h = h.trim();
                        if h.is_empty() || h.contains(['/', ':', '@', ' ']) {
                            Err(bad(
                                "--allow-next-link-host",
                                format!("{h:?} is not a host name"),
                            ))
                        } else {
                            Ok(h.to_ascii_lowercase())
                        }
                    })
                    .collect::<Result<_, _>>()?;
                let timeout = Duration::from_secs(a.request_timeout);
                let retry = RetryConfig {
                    max_retries: a.max_retries,
                    base_delay: Duration::from_millis(a.retry_base_delay_ms.max(1)),
                    ..RetryConfig::default()
                };
                SourceConfig::Api {
                    key,
                    http: HttpSettings {
                        base_url,
                        allowed_hosts,
                        allow_http: a.allow_http,
                        request_timeout: timeout,
                        retry,
                        max_pages: a.max_pages,
                    },
                }
            }
        };
        let plans = plans
            .into_iter()
            .map(|(year, month, endpoint)| PartitionPlan {
                key: PartitionKey {
                    enrollment: enrollment.clone(),
                    year,
                    month,
                },
                month_from_rows: endpoint == Endpoint::Current,
                endpoint,
            })
            .collect();
        Ok(Self {
            enrollment,
            plans,
            source,
            api_version: version,
            dest: a.dest.clone(),
            keep_raw: a.keep_raw,
            skip_unchanged: a.skip_unchanged,
            allow_shrink: a.allow_shrink,
            lease_ttl: Duration::from_secs(a.lease_ttl),
            concurrency: a.concurrency,
            write: WriteSettings {
                row_group_rows: a.row_group_rows,
                part_bytes: a.upload_part_bytes,
                ..WriteSettings::default()
            },
        })
    }
}

/// Today's date in UTC.
pub fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn enrollment_must_be_digits() {
        assert_eq!(parse_enrollment("1234567").unwrap(), "1234567");
        for bad in ["", "12a", "../etc", "1 2", "123456789012345678901"] {
            let e = parse_enrollment(bad).unwrap_err();
            assert_eq!(e.flag, "--enrollment");
        }
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
        let got: Vec<(i32, u32)> = parts.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(got, vec![(2024, 1), (2024, 2), (2024, 3)]);
        assert_eq!(
            parts[1].2,
            Endpoint::CustomRange {
                start: d("2024-02-01"),
                end: d("2024-02-29")
            }
        );
        let cur = split_range(d("2026-11-01"), d("2026-11-05"), today).unwrap();
        assert_eq!(
            cur[0].2,
            Endpoint::CustomRange {
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
    fn api_key_sources() {
        assert!(load_api_key(None, None).is_err());
        assert!(load_api_key(None, Some("  ".into())).is_err());
        let k = load_api_key(None, Some("abc\n".into())).unwrap();
        assert_eq!(k.expose(), "abc");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
    }

    #[test]
    fn base_url_checks() {
        assert!(parse_base_url("https://consumption.azure.com", false).is_ok());
        assert!(parse_base_url("ftp://x", false).is_err());
        assert!(parse_base_url("https://u:p@x", false).is_err());
        assert!(parse_base_url("not a url", false).is_err());
        assert!(parse_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(parse_base_url("http://localhost:8080", false).is_ok());
        let e = parse_base_url("http://consumption.azure.com", false).unwrap_err();
        assert_eq!(e.flag, "--base-url");
        assert!(e.reason.contains("--allow-http"), "{e}");
        assert!(parse_base_url("http://consumption.azure.com", true).is_ok());
    }
}
