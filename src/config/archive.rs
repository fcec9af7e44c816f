//! `archive`'s checked configuration.

use std::time::Duration;

use chrono::NaiveDate;
use url::Url;

use super::dest::{Dest, check_dest};
use super::months::plan_months;
use super::{ConfigError, bad, load_api_key, parse_enrollment};
use crate::cli::ArchiveArgs;
use crate::cli::{MetricArg, SourceArg};
use crate::period::Period;
use crate::sink::WriteSettings;
use crate::source::cost_details::{CostDetailsSettings, Metric};
use crate::source::exports::source::ExportsSettings;
use crate::source::http::HttpSettings;
use crate::source::retry::RetryConfig;
use crate::source::{ApiVersion, SourceSpec};

/// One partition to archive and where its pages come from.
#[derive(Debug, Clone)]
pub(crate) struct PartitionPlan {
    /// Enrollment number.
    pub enrollment: String,
    /// What to ask the source for; the source settles which month it is.
    pub period: Period,
}

/// A checked `archive` configuration.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveConfig {
    /// Partitions, in order.
    pub plans: Vec<PartitionPlan>,
    /// Source.
    pub source: SourceSpec,
    /// API version (recorded in metadata).
    pub api_version: ApiVersion,
    /// `--dest`, checked.
    pub dest: Dest,
    /// `--keep-raw`.
    pub keep_raw: bool,
    /// `--metric` (of a Cost Details pull or a replayed report; the EA API's is actual).
    pub metric: Metric,
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
    /// `--history-keep`.
    pub history_keep: usize,
}

/// The environment variables credentials come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialEnv {
    /// `EA_API_KEY`.
    pub ea_api_key: Option<String>,
    /// `AZURE_ACCESS_TOKEN`.
    pub azure_access_token: Option<String>,
}

impl CredentialEnv {
    /// From the process environment.
    pub(crate) fn from_process() -> Self {
        Self {
            ea_api_key: std::env::var("EA_API_KEY").ok(),
            azure_access_token: std::env::var("AZURE_ACCESS_TOKEN").ok(),
        }
    }
}

fn parse_base_url(s: &str, allow_http: bool) -> Result<Url, ConfigError> {
    parse_api_url("--base-url", s, allow_http)
}

fn parse_api_url(flag: &'static str, s: &str, allow_http: bool) -> Result<Url, ConfigError> {
    let u = Url::parse(s).map_err(|e| bad(flag, format!("{s:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(bad(
            flag,
            format!("{s:?} must be an http(s) URL with a host"),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() {
        return Err(bad(flag, "must not carry credentials or a query string"));
    }
    crate::source::trust::check_transport(&u, allow_http).map_err(|why| bad(flag, why))?;
    Ok(u)
}

impl ArchiveConfig {
    /// Checks every flag. `env` holds the credentials' environment variables; `today` is the
    /// UTC date.
    pub(crate) fn from_args(
        a: &ArchiveArgs,
        env: &CredentialEnv,
        today: NaiveDate,
    ) -> Result<Self, ConfigError> {
        if a.source == SourceArg::Exports {
            return Self::for_exports(a);
        }
        if a.exports_root.is_some() || a.export_name.is_some() {
            let flag = if a.exports_root.is_some() {
                "--exports-root"
            } else {
                "--export-name"
            };
            return Err(bad(flag, "needs --source exports"));
        }
        let enrollment = parse_enrollment(
            a.enrollment
                .as_deref()
                .ok_or_else(|| bad("--enrollment", "is required"))?,
        )?;
        a.check_common()?;
        let dest = check_dest(&a.dest)?;
        let metric = metric_of(a.metric);
        if a.source == SourceArg::EaUsage && metric == Metric::Amortized && a.from_dir.is_none() {
            return Err(bad(
                "--metric",
                "the EA usage-details API reports actual cost only; amortized cost needs --source cost-details",
            ));
        }
        let version = ApiVersion::from(a.api_version);
        let range = a.from.as_deref().zip(a.to.as_deref());
        let plans = plan_months(&a.months, &a.billing_periods, range, version, today)?;
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
                SourceSpec::Replay { dir: dir.clone() }
            }
            None if a.source == SourceArg::CostDetails => {
                let token = super::load_secret(
                    "--access-token-file",
                    a.access_token_file.as_ref(),
                    env.azure_access_token.clone(),
                )?;
                let management_url =
                    parse_api_url("--management-url", &a.management_url, a.allow_http)?;
                if a.report_timeout == 0 {
                    return Err(bad("--report-timeout", "must be at least 1 second"));
                }
                SourceSpec::CostDetails {
                    token,
                    settings: CostDetailsSettings {
                        management_url,
                        metric,
                        allow_http: a.allow_http,
                        request_timeout: Duration::from_secs(a.request_timeout),
                        retry: retry_config(a),
                        report_timeout: Duration::from_secs(a.report_timeout),
                    },
                }
            }
            None => {
                let key = load_api_key(a.api_key_file.as_ref(), env.ea_api_key.clone())?;
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
                let retry = retry_config(a);
                SourceSpec::EaApi {
                    key,
                    http: HttpSettings {
                        base_url,
                        allowed_hosts,
                        allow_http: a.allow_http,
                        request_timeout: timeout,
                        retry,
                        max_pages: a.max_pages,
                        version,
                    },
                }
            }
        };
        let plans = plans
            .into_iter()
            .map(|period| PartitionPlan {
                enrollment: enrollment.clone(),
                period,
            })
            .collect();
        Ok(Self::with(a, plans, source, dest))
    }

    /// The settings every source shares, around `plans` and `source`.
    fn with(a: &ArchiveArgs, plans: Vec<PartitionPlan>, source: SourceSpec, dest: Dest) -> Self {
        Self {
            plans,
            source,
            metric: metric_of(a.metric),
            api_version: ApiVersion::from(a.api_version),
            dest,
            keep_raw: a.keep_raw,
            skip_unchanged: a.skip_unchanged,
            allow_shrink: a.allow_shrink,
            lease_ttl: Duration::from_secs(a.lease_ttl),
            history_keep: a.history_keep,
            concurrency: a.concurrency,
            write: WriteSettings {
                row_group_rows: a.row_group_rows,
                part_bytes: a.upload_part_bytes,
                ..crate::defaults::write_settings()
            },
        }
    }

    /// `--source exports`: the months are found under the root when the run starts.
    fn for_exports(a: &ArchiveArgs) -> Result<Self, ConfigError> {
        a.check_common()?;
        let root = a
            .exports_root
            .as_deref()
            .ok_or_else(|| bad("--exports-root", "is required with --source exports"))?;
        let root = check_dest(root).map_err(|e| bad("--exports-root", e.reason))?;
        let dest = check_dest(&a.dest)?;
        if same_place(&root, &dest) {
            return Err(bad(
                "--exports-root",
                "is the same place as --dest; the lake needs a place of its own",
            ));
        }
        let refused = [
            (a.from.is_some(), "--from"),
            (a.from_dir.is_some(), "--from-dir"),
            (
                a.keep_raw,
                "--keep-raw (the export container already keeps every part)",
            ),
        ];
        if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
            return Err(bad("--source", format!("exports take no {flag}")));
        }
        let mut months = Vec::new();
        for m in &a.months {
            months.push(super::months::parse_month(m)?);
        }
        for p in &a.billing_periods {
            months.push(super::months::parse_billing_period(p)?);
        }
        months.sort_unstable();
        months.dedup();
        let export_name = match a.export_name.as_deref().map(str::trim) {
            Some("") => return Err(bad("--export-name", "is empty")),
            other => other.map(str::to_string),
        };
        let settings = ExportsSettings {
            root,
            metric: metric_of(a.metric),
            enrollment: a.enrollment.as_deref().map(parse_enrollment).transpose()?,
            months,
            export_name,
        };
        let mut cfg = Self::with(a, Vec::new(), SourceSpec::Exports(settings), dest);
        // A daily sync reads footers, never a run already archived.
        cfg.skip_unchanged = true;
        Ok(cfg)
    }
}

impl ArchiveArgs {
    /// The bounds every source checks.
    fn check_common(&self) -> Result<(), ConfigError> {
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(bad("--concurrency", "must be between 1 and 64"));
        }
        if self.max_pages == 0 {
            return Err(bad("--max-pages", "must be at least 1"));
        }
        if self.request_timeout == 0 {
            return Err(bad("--request-timeout", "must be at least 1 second"));
        }
        if !(5..=3600).contains(&self.lease_ttl) {
            return Err(bad("--lease-ttl", "must be between 5 and 3600 seconds"));
        }
        if self.row_group_rows == 0 {
            return Err(bad("--row-group-rows", "must be at least 1"));
        }
        if self.upload_part_bytes < 1024 * 1024 {
            return Err(bad("--upload-part-bytes", "must be at least 1 MiB"));
        }
        Ok(())
    }
}

/// Whether two locations are the same place: local paths as resolved, URLs without their query
/// string (a SAS token) or a trailing slash.
fn same_place(a: &Dest, b: &Dest) -> bool {
    match (a, b) {
        (Dest::Local(x), Dest::Local(y)) => {
            let resolve =
                |p: &std::path::Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
            resolve(x) == resolve(y)
        }
        (Dest::Remote(x), Dest::Remote(y)) => {
            let bare = |u: &Url| {
                let mut u = u.clone();
                u.set_query(None);
                u.as_str().trim_end_matches('/').to_string()
            };
            bare(x) == bare(y)
        }
        _ => false,
    }
}

fn metric_of(m: MetricArg) -> Metric {
    match m {
        MetricArg::Actual => Metric::Actual,
        MetricArg::Amortized => Metric::Amortized,
    }
}

/// The retry policy of `--max-retries` and `--retry-base-delay-ms`.
fn retry_config(a: &ArchiveArgs) -> RetryConfig {
    RetryConfig {
        max_retries: a.max_retries,
        base_delay: Duration::from_millis(a.retry_base_delay_ms.max(1)),
        max_delay: Duration::from_secs(crate::defaults::RETRY_MAX_DELAY_S),
        deadline: Duration::from_secs(crate::defaults::RETRY_DEADLINE_S),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_root_and_the_lake_are_compared_as_places() {
        let remote = |s: &str| Dest::Remote(Url::parse(s).unwrap());
        assert!(same_place(
            &remote("https://a.blob.core.windows.net/c/x?sig=1"),
            &remote("https://a.blob.core.windows.net/c/x/?sig=2")
        ));
        assert!(!same_place(&remote("az://c/x"), &remote("az://c/y")));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().to_path_buf();
        assert!(same_place(
            &Dest::Local(p.clone()),
            &Dest::Local(p.join("."))
        ));
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
