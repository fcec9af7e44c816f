//! One partition, end to end, under the month's lease:
//!
//! ```text
//! lease ──► source pages ──► decode (spawn_blocking, N pages at once, joined in order)
//!             │                 │  mpsc(1): decoding runs ahead of the writer by one page
//!             ▼                 ▼
//!        (current period:   consumer: chain check, raw copy, counters
//!         month from page 1)    │  PartitionWriter: mpsc(1) to the encoder thread
//!                               ▼  (column lanes on the shared pool, 2 queued each), mpsc(2) to the upload
//!                           staged object ──► commit decision (shrink guard, lease) ──► commit
//! ```
//!
//! Every bound is one or two items: memory stays flat however long the month is. Any failure,
//! a refusal or a signal aborts the upload and discards raw pages, so the month's previous
//! object stays exactly as it was; the lease is released on every path.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use parquet::file::metadata::KeyValue;
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, warn};

use crate::cancel::Cancel;
use crate::sink::lake::commit::NewVersion;
use crate::sink::publish::{PublishSettings, Published, publish};
use super::summary::PartitionReport;
use crate::batch::SizeHints;
use crate::batch::months::{dominant_month, rows_outside_month};
use crate::config::PartitionPlan;
use crate::decode::csv_page::{CsvHeader, decode_csv_page};
use crate::decode::fingerprint::Fingerprint;
use crate::decode::{DecodeError, DecodeStats, DecodedPage, decode_page_sized};
use crate::error::RunError;
use crate::json::envelope::EnvelopeError;
use crate::money::format_scaled;
use crate::progress;
use crate::schema::SCHEMA_VERSION;
use crate::sink::layout::data_path;
use crate::sink::lease::{Lease, LeaseError};
use crate::sink::raw::RawArchive;
use crate::sink::read::existing_metadata;
use crate::sink::staging::{DeadRuns, clear_dead_runs};
use crate::sink::{Lake, PartitionKey, PartitionWriter, WriteSettings};
use crate::source::paging::Chain;
use crate::source::{MonthRequest, PageFormat, PageStream, Pages, Source, SourceError};
use crate::text::body_snippet;

pub(crate) use crate::sink::read::META_PREFIX;

/// What every partition of a run shares.
pub(crate) struct JobContext {
    /// Run id.
    pub run_id: String,
    /// The lake.
    pub lake: Lake,
    /// Where pages come from.
    pub source: Source,
    /// API version, or the source's, for the metadata (`v2`, `cost-details-2025-03-01`).
    pub api_version: String,
    /// `actual` or `amortized`.
    pub metric: &'static str,
    /// `--keep-raw`.
    pub keep_raw: bool,
    /// Writer tunables.
    pub write: WriteSettings,
    /// Pages decoded at once.
    pub decode_parallelism: usize,
    /// `--skip-unchanged`: ask with the stored ETag and keep a month the API did not refresh.
    pub skip_unchanged: bool,
    /// `--allow-shrink`.
    pub allow_shrink: bool,
    /// `--lease-ttl`.
    pub lease_ttl: Duration,
    /// `--history-keep`.
    pub history_keep: usize,
    /// Set by SIGTERM/SIGINT.
    pub cancel: Cancel,
}

/// Archives one partition.
#[tracing::instrument(skip_all, fields(enrollment = %plan.key.enrollment, month = %plan.key.month_label()))]
pub(crate) async fn archive_partition(
    ctx: &JobContext,
    plan: &PartitionPlan,
) -> Result<PartitionReport, RunError> {
    let mut month = Month {
        ctx,
        plan,
        key: plan.key.clone(),
        lease: None,
        writer: None,
        raw: None,
    };
    let result = month.archive().await;
    month.finish(result.is_ok()).await;
    result
}

/// One partition's run and what it holds while it runs.
struct Month<'a> {
    ctx: &'a JobContext,
    plan: &'a PartitionPlan,
    /// The partition (for the current period: settled from its first page).
    key: PartitionKey,
    lease: Option<Lease>,
    writer: Option<PartitionWriter>,
    raw: Option<RawArchive>,
}

/// One decoded page, in order, with what the consumer needs besides its rows.
struct Item {
    number: u64,
    origin: String,
    etag: Option<String>,
    /// An EA JSON page (its `nextLink` chain is checked).
    json: bool,
    /// The page as received and its file extension, kept only for `--keep-raw`.
    body: Option<(Bytes, &'static str)>,
    page: DecodedPage,
}

impl Month<'_> {
    /// Releases everything held: on failure the upload is aborted and raw pages discarded;
    /// the lease is released in every case.
    async fn finish(&mut self, ok: bool) {
        if let Some(w) = self.writer.take() {
            w.abort().await;
        }
        if let Some(raw) = self.raw.take()
            && !ok
        {
            let _ = raw.discard().await;
        }
        if let Some(lease) = self.lease.take() {
            lease.release().await;
        }
    }

    fn check_cancel(&self) -> Result<(), RunError> {
        match self.ctx.cancel.signal() {
            Some(s) => Err(RunError::Cancelled(s)),
            None => Ok(()),
        }
    }

    async fn take_lease(&mut self) -> Result<(), RunError> {
        let lease = Lease::acquire(
            &self.ctx.lake,
            &self.key,
            &self.ctx.run_id,
            self.ctx.lease_ttl,
        )
        .await?;
        // Whatever dead runs of this month left in flight goes now that no live one can own it.
        let runs = DeadRuns {
            own: &self.ctx.run_id,
            known_dead: lease.took_over().map(|r| r.run_id.as_str()),
            idle: self.ctx.lease_ttl,
        };
        let cleared = clear_dead_runs(&self.ctx.lake, &self.key, runs).await;
        self.lease = Some(lease);
        cleared?;
        Ok(())
    }

    async fn archive(&mut self) -> Result<PartitionReport, RunError> {
        self.check_cancel()?;
        if !self.plan.month_from_rows {
            // Before any request or write: one run per month at a time.
            self.take_lease().await?;
        }
        let ctx = self.ctx;
        let pulled_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        // With --skip-unchanged, page 1 is asked for with the ETag of the month's current object.
        let previous = if ctx.skip_unchanged {
            existing_metadata(&ctx.lake, &self.key).await
        } else {
            None
        };
        let if_none_match = previous.as_ref().and_then(|m| m.get("etag").cloned());
        let request = MonthRequest {
            enrollment: &self.plan.key.enrollment,
            year: self.key.year,
            month: self.key.month,
            endpoint: &self.plan.endpoint,
            if_none_match,
        };
        let Pages {
            stream: pages,
            label: source_label,
        } = ctx.source.open(&request)?;
        info!(source = %source_label, "archiving partition");
        let (mut rx, ahead) = decode_ahead(ctx, self.plan, pages);
        let mut item = match next(&ctx.cancel, self.lease.as_ref(), &mut rx).await {
            Err(RunError::Source(SourceError::NotModified { .. })) => {
                let path = ctx.lake.object_url(&data_path(&ctx.lake.prefix, &self.key));
                info!(path = %path, "source unchanged since the last pull; month left as it is");
                return Ok(PartitionReport::unchanged(
                    &self.key,
                    path,
                    previous.unwrap_or_default(),
                ));
            }
            other => other?,
        };
        if self.plan.month_from_rows {
            self.settle_month(item.as_ref().map(|i| &i.page));
            self.take_lease().await?;
        }
        let key = self.key.clone();
        if ctx.keep_raw {
            self.raw = Some(RawArchive::new(&ctx.lake, &key, &ctx.run_id));
        }
        self.writer = Some(PartitionWriter::begin(&ctx.lake, &key, &ctx.run_id, &ctx.write).await?);

        let mut stats = DecodeStats::new();
        let mut out_of_month = 0u64;
        let mut chain = Chain::default();
        let mut pages = 0u64;
        let mut last_origin = String::new();
        let mut first_etag = None;
        let mut fingerprint = Fingerprint::default();
        let bar = progress::month_bar(&format!("{} {}", key.enrollment, key.month_label()));
        let mut json_pages = 0u64;
        while let Some(it) = item {
            if it.json {
                json_pages += 1;
                chain
                    .page(it.page.next_link.as_deref())
                    .map_err(|reason| SourceError::Chain {
                        page: it.number,
                        origin: it.origin.clone(),
                        reason,
                    })?;
            }
            debug!(page = it.number, rows = it.page.stats.rows, "decoded page");
            if let (Some(raw), Some((body, ext))) = (&self.raw, it.body) {
                raw.put_page(it.number, body, ext).await?;
            }
            progress::page_done(
                bar.as_ref(),
                it.number,
                stats.rows + it.page.stats.rows,
                it.page.stats.rows,
            );
            if it.number == 1 {
                first_etag = it.etag;
            }
            stats.merge(&it.page.stats);
            fingerprint.add_rows(&it.page.row_digests);
            out_of_month += rows_outside_month(&it.page.batch, key.year, key.month);
            pages = it.number;
            last_origin = it.origin;
            let writer = self.writer.as_mut().expect("writer begun");
            guarded(
                &ctx.cancel,
                self.lease.as_ref(),
                writer.write(it.page.batch),
            )
            .await??;
            item = next(&ctx.cancel, self.lease.as_ref(), &mut rx).await?;
        }
        drop(bar);
        if json_pages > 0 {
            chain.end().map_err(|reason| SourceError::Chain {
                page: pages,
                origin: last_origin,
                reason,
            })?;
        }
        // The channel also closes if the reading task died (a panic): that must not pass for the
        // end of the month.
        ahead
            .join()
            .await
            .map_err(|source| RunError::Task {
                what: "the page reader",
                source,
            })?;
        if out_of_month > 0 {
            warn!(
                out_of_month_rows = out_of_month,
                "rows whose usage_date is outside the partition's month; the month may be misfiled"
            );
        }

        let fingerprint_text = fingerprint.finish();
        let mut metadata = file_metadata(ctx, &key, &source_label, &pulled_at, &stats, pages);
        metadata.push(meta("out_of_month_rows", out_of_month.to_string()));
        metadata.push(meta("fingerprint", fingerprint_text.clone()));
        if let Some(etag) = first_etag {
            metadata.push(meta("etag", etag));
        }
        let new = NewVersion {
            rows: stats.rows,
            pulled_at: &pulled_at,
            fingerprint: &fingerprint_text,
        };
        let writer = self.writer.take().expect("writer begun");
        let staged = writer.finish(&ctx.lake, metadata).await?;
        let settings = PublishSettings {
            lake: &ctx.lake,
            allow_shrink: ctx.allow_shrink,
            history_keep: ctx.history_keep,
            cancel: &ctx.cancel,
        };
        let published = publish(&settings, &key, staged, &new, self.lease.as_ref()).await?;
        let (committed, kept) = match published {
            Published::Committed { file, kept } => (file, kept),
            Published::Unchanged { url, bytes } => {
                if let Some(raw) = self.raw.take() {
                    let _ = raw.discard().await;
                }
                let mut report = PartitionReport::ok(&key, &stats, pages, url, bytes);
                report.status = "unchanged";
                report.out_of_month_rows = out_of_month;
                return Ok(report);
            }
        };
        if let Some(raw) = self.raw.take() {
            raw.promote().await?;
            self.raw = Some(raw);
        }
        info!(
            rows = stats.rows,
            pages,
            bytes = committed.bytes,
            cost_total = stats.cost_total.map(format_scaled).unwrap_or_default(),
            path = %committed.url,
            "partition committed"
        );
        let mut report = PartitionReport::ok(&key, &stats, pages, committed.url, committed.bytes);
        report.previous_version = kept;
        report.out_of_month_rows = out_of_month;
        report.raw_path = self.raw.as_ref().map(|r| r.url());
        Ok(report)
    }

    /// The current period's month, from the rows of its first page: the month most of them
    /// fall in. A period with no dated rows on page 1 stays in today's UTC month.
    fn settle_month(&mut self, first: Option<&DecodedPage>) {
        match first.and_then(|p| dominant_month(&p.batch)) {
            Some((year, month)) => {
                if (year, month) != (self.key.year, self.key.month) {
                    info!(
                        month = %format!("{year:04}-{month:02}"),
                        clock_month = %self.key.month_label(),
                        "the current period's rows are of another month than today's; filed under theirs"
                    );
                }
                self.key.year = year;
                self.key.month = month;
            }
            None => warn!(
                month = %self.key.month_label(),
                "the current period's first page has no dated rows; filed under today's UTC month"
            ),
        }
        tracing::Span::current().record("month", self.key.month_label());
    }
}

/// Waits for `fut`, unless the run is cancelled or the lease is lost first.
async fn guarded<T>(
    cancel: &Cancel,
    lease: Option<&Lease>,
    fut: impl Future<Output = T>,
) -> Result<T, RunError> {
    let lost = async {
        match lease {
            Some(l) => l.lost().await,
            None => std::future::pending::<LeaseError>().await,
        }
    };
    tokio::select! {
        biased;
        s = cancel.cancelled() => Err(RunError::Cancelled(s)),
        e = lost => Err(e.into()),
        v = fut => Ok(v),
    }
}

/// The next decoded page, `None` at the end of the month.
async fn next(
    cancel: &Cancel,
    lease: Option<&Lease>,
    rx: &mut mpsc::Receiver<Result<Item, RunError>>,
) -> Result<Option<Item>, RunError> {
    guarded(cancel, lease, rx.recv()).await?.transpose()
}

/// The task that fetches and decodes pages ahead of the writer.
struct Ahead(tokio::task::JoinHandle<()>);

impl Ahead {
    async fn join(mut self) -> Result<(), tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        // A failed or cancelled partition stops fetching (an HTTP request in flight is dropped).
        self.0.abort();
    }
}

/// Starts decoding `pages` in parallel (joined in order) in a task of its own, so pages keep
/// being fetched and decoded while the writer waits for the encoder; the channel bounds how far
/// ahead it runs.
fn decode_ahead(
    ctx: &JobContext,
    plan: &PartitionPlan,
    pages: PageStream,
) -> (mpsc::Receiver<Result<Item, RunError>>, Ahead) {
    let enrollment: Arc<str> = Arc::from(plan.key.enrollment.as_str());
    let hints = Arc::new(SizeHints::default());
    let keep_raw = ctx.keep_raw;
    let decoded = pages
        .map_err(RunError::from)
        .map_ok(move |page| {
            let enrollment = enrollment.clone();
            let hints = hints.clone();
            async move {
                let (number, etag, origin) = (page.number, page.etag, page.origin);
                let (format, body) = (page.format, page.body);
                let raw = keep_raw.then(|| match &format {
                    PageFormat::EaJson => (body.clone(), "json"),
                    // A raw CSV page is a CSV file of its own: the header, then its records.
                    PageFormat::Csv { header } => (
                        Bytes::from([header.as_ref(), b"\n", body.as_ref()].concat()),
                        "csv",
                    ),
                });
                let json = matches!(format, PageFormat::EaJson);
                let decoded = tokio::task::spawn_blocking(move || match format {
                    PageFormat::EaJson => {
                        decode_page_sized(&body, number, &enrollment, Some(hints))
                    }
                    PageFormat::Csv { header } => {
                        let header =
                            CsvHeader::parse(&header).map_err(|e| DecodeError::Malformed {
                                page: number,
                                source: EnvelopeError::Csv(e),
                                snippet: body_snippet(&header, 200),
                            })?;
                        decode_csv_page(&body, &header, number, &enrollment, Some(hints))
                    }
                })
                .await
                .map_err(|source| RunError::Task {
                    what: "a page decoder",
                    source,
                })??;
                Ok::<Item, RunError>(Item {
                    number,
                    origin,
                    etag,
                    json,
                    body: raw,
                    page: decoded,
                })
            }
        })
        .try_buffered(ctx.decode_parallelism);
    let (tx, rx) = mpsc::channel(1);
    let task = tokio::spawn(
        async move {
            let mut decoded = std::pin::pin!(decoded);
            while let Some(item) = decoded.next().await {
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        }
        .in_current_span(),
    );
    (rx, Ahead(task))
}

fn meta(k: &str, v: String) -> KeyValue {
    KeyValue::new(format!("{META_PREFIX}{k}"), v)
}

fn file_metadata(
    ctx: &JobContext,
    key: &PartitionKey,
    source: &str,
    pulled_at: &str,
    stats: &DecodeStats,
    pages: u64,
) -> Vec<KeyValue> {
    vec![
        meta("schema_version", SCHEMA_VERSION.to_string()),
        meta("tool_version", env!("CARGO_PKG_VERSION").to_string()),
        meta("run_id", ctx.run_id.clone()),
        meta("api_version", ctx.api_version.clone()),
        meta("metric", ctx.metric.to_string()),
        meta("source", source.to_string()),
        meta("pulled_at", pulled_at.to_string()),
        meta("enrollment", key.enrollment.clone()),
        meta("billing_month", key.month_label()),
        meta("row_count", stats.rows.to_string()),
        meta("pages", pages.to_string()),
        meta(
            "cost_total",
            stats
                .cost_total
                .map(format_scaled)
                .unwrap_or_else(|| "overflow".into()),
        ),
        meta("unknown_fields", stats.unknown_fields.to_string()),
        meta("unparsed_values", stats.unparsed_values.to_string()),
        meta("rounded_decimals", stats.rounded_decimals.to_string()),
    ]
}
