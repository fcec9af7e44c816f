//! Every default value of a flag or setting, in one place: the CLI shows these, the configs
//! fall back to them, `demo` uses them.

/// `--dest`.
pub(crate) const DEST: &str = "./lake";
/// `--base-url`.
pub(crate) const BASE_URL: &str = "https://consumption.azure.com";
/// `--concurrency`: months archived at once.
pub(crate) const CONCURRENCY: usize = 4;
/// `--max-retries`: retries per request after the first attempt.
pub(crate) const MAX_RETRIES: u32 = 6;
/// `--request-timeout`, seconds.
pub(crate) const REQUEST_TIMEOUT_S: u64 = 120;
/// `--max-pages`: page budget per month.
pub(crate) const MAX_PAGES: u64 = 100_000;
/// `--lease-ttl`, seconds.
pub(crate) const LEASE_TTL_S: u64 = 120;
/// `--history-keep`: replaced versions kept per month. Identical re-pulls make none, so an open
/// month re-pulled daily makes at most one a day: 400 keeps more than a year of them.
pub(crate) const HISTORY_KEEP: usize = 400;
/// `--retry-base-delay-ms`: the first backoff delay.
pub(crate) const RETRY_BASE_DELAY_MS: u64 = 1000;
/// Largest backoff delay, seconds.
pub(crate) const RETRY_MAX_DELAY_S: u64 = 60;
/// Overall time allowed for one request, retries and waits included, seconds.
pub(crate) const RETRY_DEADLINE_S: u64 = 15 * 60;
/// `--row-group-rows`: rows per Parquet row group (bounds the encoder's memory).
pub(crate) const ROW_GROUP_ROWS: usize = 128 * 1024;
/// `--upload-part-bytes`: bytes per multipart upload part (S3 needs at least 5 MiB).
pub(crate) const UPLOAD_PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploaded at once per month.
pub(crate) const UPLOAD_CONCURRENCY: usize = 4;
/// `diff --by`: the columns a month's changes are grouped by.
pub(crate) const DIFF_BY: &str = "subscription_guid,meter_category";
/// `--management-url`.
pub(crate) const MANAGEMENT_URL: &str = "https://management.azure.com";
/// `--report-timeout`, seconds: how long a Cost Details report may take to be ready.
pub(crate) const REPORT_TIMEOUT_S: u64 = 30 * 60;

/// The writer's settings when no flag changes them (`restore` and `archive` start from these).
pub(crate) fn write_settings() -> crate::sink::WriteSettings {
    crate::sink::WriteSettings {
        row_group_rows: ROW_GROUP_ROWS,
        part_bytes: UPLOAD_PART_BYTES,
        upload_concurrency: UPLOAD_CONCURRENCY,
        encode_lanes: crate::sink::pool::encoder_threads(),
    }
}
