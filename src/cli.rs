//! Command-line flags (clap). Turned into a checked config (`config`) before any I/O.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::defaults;
use crate::source::ApiVersion;

/// `--api-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiVersionArg {
    /// `/v1/…` (preview).
    V1,
    /// `/v2/…`.
    V2,
}

impl From<ApiVersionArg> for ApiVersion {
    fn from(v: ApiVersionArg) -> Self {
        match v {
            ApiVersionArg::V1 => ApiVersion::V1,
            ApiVersionArg::V2 => ApiVersion::V2,
        }
    }
}

/// Archives Azure EA usage details into a Hive-partitioned Parquet lake.
#[derive(Debug, Parser)]
#[command(name = "ea-usage-archiver", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Archive one or more months of an enrollment into the lake.
    Archive(ArchiveArgs),
    #[cfg(feature = "sim")]
    /// Serve a deterministic EA API simulator on a local address.
    Simulate(SimulateArgs),
    #[cfg(feature = "sim")]
    /// Start the simulator in-process and archive a few months into ./lake.
    Demo(DemoArgs),
    #[cfg(feature = "sim")]
    /// Write a simulated Cost Management export container into a folder, as it is on day 1, 2
    /// or 3 of a sequence at the turn of a month; prints what each month should archive.
    SimulateExports(SimulateExportsArgs),
    #[cfg(feature = "test-hooks")]
    /// Parse every page of a directory with a typed serde struct, single-threaded (benchmark floor).
    #[command(hide = true)]
    BenchParse(BenchParseArgs),
    /// Check every partition of a lake against its own metadata and report stray files.
    Verify(VerifyArgs),
    /// List every version of a month: the current one and those kept in history.
    History(HistoryArgs),
    /// Compare two versions of a month, grouped by some columns.
    Diff(DiffArgs),
    /// Make an earlier version of a month current again.
    Restore(RestoreArgs),
    #[cfg(feature = "test-hooks")]
    /// Print the simulator's own row counts and exact cost totals as JSON (for tests).
    #[command(hide = true)]
    SimTotals(SimTotalsArgs),
}

/// Flags of `bench-parse`.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Args, Clone)]
pub struct BenchParseArgs {
    /// Directory of page files.
    #[arg(long)]
    pub from_dir: PathBuf,
}

/// Flags of `verify`.
#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    /// Lake to check: a path or a URL, as for `archive --dest`.
    #[arg(long, default_value = defaults::DEST)]
    pub dest: String,
    /// Only this enrollment.
    #[arg(long)]
    pub enrollment: Option<String>,
    /// Only this month, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// The month a version command looks at.
#[derive(Debug, Args, Clone)]
pub struct MonthArgs {
    /// Lake: a path or a URL, as for `archive --dest`.
    #[arg(long, default_value = defaults::DEST)]
    pub dest: String,
    /// Enrollment number.
    #[arg(long)]
    pub enrollment: String,
    /// Month, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
}

/// Flags of `history`.
#[derive(Debug, Args, Clone)]
pub struct HistoryArgs {
    /// The month.
    #[command(flatten)]
    pub month: MonthArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Flags of `diff`.
#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// The month.
    #[command(flatten)]
    pub month: MonthArgs,
    /// The older version (default: the newest one in history).
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,
    /// The newer version (default: the current one).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Columns to group by, comma-separated.
    #[arg(long, value_name = "COLUMNS", default_value = defaults::DIFF_BY)]
    pub by: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Flags of `restore`.
#[derive(Debug, Args, Clone)]
pub struct RestoreArgs {
    /// The month.
    #[command(flatten)]
    pub month: MonthArgs,
    /// The version to make current (as `history` lists it).
    #[arg(long, value_name = "VERSION")]
    pub version: String,
    /// Replaced versions kept per month (as for `archive`).
    #[arg(long, value_name = "N", default_value_t = defaults::HISTORY_KEEP)]
    pub history_keep: usize,
    /// Time-to-live of the month's lease in seconds (as for `archive`).
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::LEASE_TTL_S)]
    pub lease_ttl: u64,
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table.
    Text,
    /// One JSON document.
    Json,
}

/// Flags of `sim-totals`.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Args, Clone)]
pub struct SimTotalsArgs {
    /// Enrollment number.
    #[arg(long)]
    pub enrollment: String,
    /// Month, YYYY-MM (repeatable).
    #[arg(long = "month", value_name = "YYYY-MM", required = true)]
    pub months: Vec<String>,
    /// Rows per month, as given to `simulate`.
    #[arg(long)]
    pub rows_per_month: Option<u64>,
    /// API version.
    #[arg(long, value_enum, default_value_t = ApiVersionArg::V2)]
    pub api_version: ApiVersionArg,
    /// Restatement revision, as given to `simulate`.
    #[arg(long, default_value_t = 0)]
    pub revision: u32,
}

/// `archive --source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    /// The EA Reporting API's usage details (retired May 2024; proxies and replays).
    EaUsage,
    /// The Cost Management Cost Details API (generateCostDetailsReport).
    CostDetails,
    /// Cost Management export runs in storage (`--exports-root`), found by their manifests.
    Exports,
}

/// `archive --metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricArg {
    /// Actual cost (what the EA API reported).
    Actual,
    /// Amortized cost.
    Amortized,
}

/// Flags of `archive`.
#[derive(Debug, Args, Clone)]
pub struct ArchiveArgs {
    /// Enrollment number (digits only). Required, except with `--source exports`, where it
    /// restricts the run to one billing account.
    #[arg(long)]
    pub enrollment: Option<String>,
    /// Where usage comes from.
    #[arg(long, value_enum, default_value_t = SourceArg::EaUsage)]
    pub source: SourceArg,
    /// Where export runs land (`--source exports`): a folder, or a URL of the container or of a
    /// folder in it (`az://`, `azure://`, `abfs[s]://`, `https://<account>.blob.core.windows.net/…`,
    /// s3://, file://); credentials from the environment, as for --dest.
    #[arg(long, value_name = "PATH|URL")]
    pub exports_root: Option<String>,
    /// The export to archive when several of the same type cover a month (`--source exports`).
    #[arg(long, value_name = "NAME")]
    pub export_name: Option<String>,
    /// Cost Management root (`--source cost-details`); the token is only sent to this origin.
    #[arg(long, default_value = defaults::MANAGEMENT_URL)]
    pub management_url: String,
    /// Actual or amortized cost (`--source cost-details`, and the metric replayed reports hold).
    #[arg(long, value_enum, default_value_t = MetricArg::Actual)]
    pub metric: MetricArg,
    /// Read the Cost Management token from this file instead of AZURE_ACCESS_TOKEN.
    #[arg(long, value_name = "PATH")]
    pub access_token_file: Option<PathBuf>,
    /// Longest wait for a Cost Details report to be ready, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::REPORT_TIMEOUT_S)]
    pub report_timeout: u64,
    /// Billing month to archive, YYYY-MM (repeatable).
    #[arg(long = "month", value_name = "YYYY-MM")]
    pub months: Vec<String>,
    /// Billing period to archive, YYYYMM (repeatable).
    #[arg(long = "billing-period", value_name = "YYYYMM")]
    pub billing_periods: Vec<String>,
    /// First usage day of a custom range, YYYY-MM-DD (v2; split and widened to whole months).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "to", conflicts_with_all = ["months", "billing_periods"])]
    pub from: Option<String>,
    /// Last usage day of a custom range, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "from")]
    pub to: Option<String>,
    /// Lake destination: a path, file://, s3://, az://, azure://, abfs(s):// or https:// URL.
    #[arg(long, default_value = defaults::DEST)]
    pub dest: String,
    /// API version.
    #[arg(long, value_enum, default_value_t = ApiVersionArg::V2)]
    pub api_version: ApiVersionArg,
    /// API base URL; the key is only sent to this origin.
    #[arg(long, default_value = defaults::BASE_URL)]
    pub base_url: String,
    /// Read the API key from this file instead of the EA_API_KEY environment variable.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Replay page files (*.json, *.json.zst) from this directory instead of calling the API.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["from", "to"])]
    pub from_dir: Option<PathBuf>,
    /// Also store every page fetched, compressed, under `<dest>/_raw/`.
    #[arg(long)]
    pub keep_raw: bool,
    /// Send the stored page-1 ETag (If-None-Match) and leave a month the API reports unchanged.
    #[arg(long, conflicts_with = "from_dir")]
    pub skip_unchanged: bool,
    /// Months archived at once.
    #[arg(long, default_value_t = defaults::CONCURRENCY)]
    pub concurrency: usize,
    /// Retries per request after the first attempt (408, 429, 5xx, connection errors).
    #[arg(long, default_value_t = defaults::MAX_RETRIES)]
    pub max_retries: u32,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::REQUEST_TIMEOUT_S)]
    pub request_timeout: u64,
    /// Most pages accepted for one month before paging is considered runaway.
    #[arg(long, default_value_t = defaults::MAX_PAGES)]
    pub max_pages: u64,
    /// Host a nextLink may point at besides the base URL's (repeatable).
    #[arg(long = "allow-next-link-host", value_name = "HOST")]
    pub allow_next_link_hosts: Vec<String>,
    /// Allow a plain-http --base-url or nextLink to a host that is not loopback (the key then
    /// travels unencrypted).
    #[arg(long)]
    pub allow_http: bool,
    /// Replace a month even when the new version has no rows or fewer than half of the
    /// current version's rows (otherwise such a month is refused with exit code 9).
    #[arg(long)]
    pub allow_shrink: bool,
    /// Time-to-live of the month's lease in seconds; renewed while the run is alive, so a
    /// killed run blocks the month for at most this long.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::LEASE_TTL_S)]
    pub lease_ttl: u64,
    /// Replaced versions kept per month under `<dest>/_history/` (0: keep none).
    #[arg(long, value_name = "N", default_value_t = defaults::HISTORY_KEEP)]
    pub history_keep: usize,
    /// First retry delay in milliseconds (doubles each retry, with jitter).
    #[arg(long, value_name = "MS", default_value_t = defaults::RETRY_BASE_DELAY_MS, hide = true)]
    pub retry_base_delay_ms: u64,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = defaults::ROW_GROUP_ROWS, hide = true)]
    pub row_group_rows: usize,
    /// Bytes per multipart upload part (at least 5 MiB for S3).
    #[arg(long, default_value_t = defaults::UPLOAD_PART_BYTES, hide = true)]
    pub upload_part_bytes: usize,
}

/// Flags of `simulate`.
#[derive(Debug, Args, Clone)]
pub struct SimulateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Accept this key file's key (default: EA_API_KEY, else the demo key).
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Rows per month (default: a deterministic 1,500–3,499 per enrollment and month).
    #[arg(long)]
    pub rows_per_month: Option<u64>,
    /// Rows per page.
    #[arg(long, default_value_t = 1000)]
    pub page_size: u64,
    /// Delay every page by this many milliseconds (same as `--fault latency=MS`).
    #[arg(long, value_name = "MS")]
    pub page_latency_ms: Option<u64>,
    /// Fault to inject (repeatable), e.g. `status=503@2`, `truncate@2`; see README.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// Restatement revision of every month: 0 as first published; 1, 2, … change about one
    /// row in ten, as the API does for days after a month closes.
    #[arg(long, default_value_t = 0)]
    pub revision: u32,
    /// The month the current-period endpoint serves, YYYY-MM (default: today's UTC month).
    #[arg(long, value_name = "YYYY-MM")]
    pub current_period: Option<String>,
    /// What the ETag describes: the whole month's data, or only the page's.
    #[arg(long, value_enum, default_value_t = SimEtag::Month)]
    pub etag: SimEtag,
    /// Cost Details reports: column names of the current or the older generation.
    #[arg(long, value_enum, default_value_t = SimColumns::Current)]
    pub cd_columns: SimColumns,
    /// Cost Details reports: blobs per report.
    #[arg(long, default_value_t = 3)]
    pub cd_blobs: u32,
    /// Cost Details reports: polls answered 202 before the report is ready.
    #[arg(long, default_value_t = 2)]
    pub cd_polls: u32,
    /// Cost Details reports: gzip the blobs (compressData).
    #[arg(long)]
    pub cd_gzip: bool,
    /// Cost Details reports: end with this status instead of Completed (Failed, TimedOut).
    #[arg(long, value_name = "STATUS")]
    pub cd_status: Option<String>,
    /// Cost Details reports: answer the POST with 429 this many times first.
    #[arg(long, default_value_t = 0)]
    pub cd_throttle: u32,
}

/// `simulate --cd-columns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimColumns {
    /// `CostInBillingCurrency`, `BillingCurrencyCode`, …
    Current,
    /// `Cost`, `BillingCurrency`, … (older exports).
    Older,
}

/// `simulate --etag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimEtag {
    /// A refresh marker of the whole month, equal on every page.
    Month,
    /// A hash of the page's own data.
    Page,
}

/// Flags of `simulate-exports`.
#[cfg(feature = "sim")]
#[derive(Debug, Args, Clone)]
pub struct SimulateExportsArgs {
    /// The folder to write (the container); created when missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The enrollment (billing account) the exports are scoped to.
    #[arg(long, default_value = "1234567")]
    pub enrollment: String,
    /// This month of the sequence, YYYY-MM (the two before it are written too).
    #[arg(long, value_name = "YYYY-MM", default_value = "2025-03")]
    pub month: String,
    /// The day of the sequence: 1 (first sync), 2 (a part has not landed yet), 3 (it has, and
    /// last month is regenerated with restated rows).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3))]
    pub day: u32,
    /// Rows of every whole month (default: 1,500–3,499, fixed per enrollment and month).
    #[arg(long)]
    pub rows_per_month: Option<u64>,
}

/// Flags of `demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Lake destination.
    #[arg(long, default_value = defaults::DEST)]
    pub dest: String,
}
