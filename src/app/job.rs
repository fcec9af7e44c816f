//! One partition, end to end, under the month's lease:
//!
//! ```text
//! settle the month ──► lease ──► source pages ──► decode ahead (app::ahead: N pages at once,
//!   (known from the        │                           joined in order, mpsc(1))
//!    period, or from       │                              │
//!    page 1's rows)        ▼                              ▼
//!                   previous footer        writer loop: the source's page check, raw copy,
//!                   (--skip-unchanged)     tally (app::tally), PartitionWriter: mpsc(1) to
//!                                          the encoder thread, mpsc(2) to the upload
//!                                                         │
//!                                          staged object ──► publish (shrink guard, lease,
//!                                                            history) ──► commit
//! ```
//!
//! The partition key is settled once, before the lease, and never changes inside the job.
//! Every bound is one or two items: memory stays flat however long the month is. Any failure,
//! a refusal or a signal aborts the upload and discards raw pages, so the month's previous
//! object stays exactly as it was; the lease is released on every path.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;

use chrono::{SecondsFormat, Utc};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::ahead::{DecodeSettings, Item, decode_ahead, decode_one};
use super::summary::{self, PartitionReport};
use super::tally::{RunFacts, Tally, file_metadata};
use crate::batch::SizeHints;
use crate::batch::months::dominant_month;
use crate::cancel::Cancel;
use crate::config::{ArchiveConfig, PartitionPlan};
use crate::error::RunError;
use crate::money::format_scaled;
use crate::progress;
use crate::sink::lake::commit::NewVersion;
use crate::sink::layout::data_path;
use crate::sink::lease::{Lease, LeaseError};
use crate::sink::publish::{PublishSettings, Published, publish};
use crate::sink::raw::RawArchive;
use crate::sink::read::existing_metadata;
use crate::sink::staging::{DeadRuns, clear_dead_runs};
use crate::sink::{Lake, PartitionKey, PartitionWriter};
use crate::source::{MonthRequest, PageCheck, PageStream, Pages, Source, SourceError};

/// What every partition of a run shares: the run's checked settings (by reference) and what
/// the run opened from them.
pub(crate) struct JobContext<'a> {
    /// The run's settings.
    pub cfg: &'a ArchiveConfig,
    /// Run id.
    pub run_id: String,
    /// The lake.
    pub lake: Lake,
    /// Where pages come from.
    pub source: Source,
    /// API version, or the source's, for the metadata (`v2`, `cost-details-2025-03-01`).
    pub api_version: String,
    /// Pages decoded at once.
    pub decode_parallelism: usize,
    /// Set by SIGTERM/SIGINT.
    pub cancel: Cancel,
}

/// The key a plan's failure is reported under: its month as planned.
pub(crate) fn planned_key(plan: &PartitionPlan) -> PartitionKey {
    let (year, month) = plan.period.nominal_month();
    PartitionKey {
        enrollment: plan.enrollment.clone(),
        year,
        month,
    }
}

/// Archives one partition.
#[tracing::instrument(skip_all, fields(enrollment = %plan.enrollment, month = %plan.period.label()))]
pub(crate) async fn archive_partition(
    ctx: &JobContext<'_>,
    plan: &PartitionPlan,
) -> Result<PartitionReport, RunError> {
    let mut held = Held::default();
    let result = archive(ctx, plan, &mut held).await;
    held.release(result.is_ok()).await;
    result
}

/// What a partition holds while it runs, released by [`Held::release`] on every path.
#[derive(Default)]
struct Held {
    lease: Option<Lease>,
    writer: Option<PartitionWriter>,
    raw: Option<RawArchive>,
}

impl Held {
    /// On failure the upload is aborted and raw pages discarded; the lease is released always.
    async fn release(&mut self, ok: bool) {
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
}

/// A month whose pages are open: its settled key, its first page decoded, and the rest not yet
/// asked for (so a month found unchanged costs its first page only).
struct Opened {
    key: PartitionKey,
    label: String,
    check: PageCheck,
    facts: BTreeMap<String, String>,
    first: Option<Item>,
    rest: PageStream,
    decode: DecodeSettings,
}

async fn archive(
    ctx: &JobContext<'_>,
    plan: &PartitionPlan,
    held: &mut Held,
) -> Result<PartitionReport, RunError> {
    if let Some(s) = ctx.cancel.signal() {
        return Err(RunError::Cancelled(s));
    }
    let now = || Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let pulled_at;
    let opened = match ctx.source.month_of(&plan.period) {
        Some((year, month)) => {
            let key = PartitionKey {
                enrollment: plan.enrollment.clone(),
                year,
                month,
            };
            // Before any request or write: one run per month at a time.
            held.lease = Some(take_lease(ctx, &key).await?);
            pulled_at = now();
            // With --skip-unchanged, the source compares with the month's footer (page 1 is
            // asked for with its ETag; an export run already archived is not read again).
            let previous = previous_metadata(ctx, &key).await;
            match open(
                ctx,
                plan,
                key.clone(),
                previous.as_ref(),
                held.lease.as_ref(),
            )
            .await
            {
                Err(RunError::Source(SourceError::NotModified { .. })) => {
                    return Ok(unchanged(ctx, &key, previous));
                }
                other => other?,
            }
        }
        None => {
            // The month is known from page 1's rows only; the lease is taken once it is.
            let unsettled = planned_key(plan);
            pulled_at = now();
            let opened = open(ctx, plan, unsettled, None, None).await?;
            let key = settle_month(&opened.key, opened.first.as_ref());
            held.lease = Some(take_lease(ctx, &key).await?);
            let previous = previous_metadata(ctx, &key).await;
            let first_etag = opened.first.as_ref().and_then(|i| i.etag.as_deref());
            if first_etag.is_some()
                && previous
                    .as_ref()
                    .and_then(|m| m.get("etag"))
                    .map(String::as_str)
                    == first_etag
            {
                // The month's object came from this very page 1: as a 304 would say.
                return Ok(unchanged(ctx, &key, previous));
            }
            Opened { key, ..opened }
        }
    };
    write_month(ctx, opened, held, &pulled_at).await
}

/// The month's current metadata, with `--skip-unchanged` (its `etag` makes requests conditional).
async fn previous_metadata(
    ctx: &JobContext<'_>,
    key: &PartitionKey,
) -> Option<BTreeMap<String, String>> {
    if ctx.cfg.skip_unchanged {
        existing_metadata(&ctx.lake, key).await
    } else {
        None
    }
}

fn unchanged(
    ctx: &JobContext<'_>,
    key: &PartitionKey,
    previous: Option<BTreeMap<String, String>>,
) -> PartitionReport {
    let path = ctx.lake.object_url(&data_path(&ctx.lake.prefix, key));
    info!(path = %path, "source unchanged since the last pull; month left as it is");
    PartitionReport::unchanged(key, path, previous.unwrap_or_default())
}

/// Takes `key`'s lease and clears what dead runs of the month left in flight.
async fn take_lease(ctx: &JobContext<'_>, key: &PartitionKey) -> Result<Lease, RunError> {
    let lease = Lease::acquire(&ctx.lake, key, &ctx.run_id, ctx.cfg.lease_ttl).await?;
    let runs = DeadRuns {
        own: &ctx.run_id,
        known_dead: lease.took_over().map(|r| r.run_id.as_str()),
        idle: ctx.cfg.lease_ttl,
    };
    match clear_dead_runs(&ctx.lake, key, runs).await {
        Ok(_) => Ok(lease),
        Err(e) => {
            lease.release().await;
            Err(e.into())
        }
    }
}

/// Opens the plan's pages (compared with the month's `previous` footer) and reads and decodes
/// the first.
async fn open(
    ctx: &JobContext<'_>,
    plan: &PartitionPlan,
    key: PartitionKey,
    previous: Option<&BTreeMap<String, String>>,
    lease: Option<&Lease>,
) -> Result<Opened, RunError> {
    let request = MonthRequest {
        enrollment: &plan.enrollment,
        period: &plan.period,
        previous,
    };
    let Pages {
        stream,
        label,
        check,
        facts,
    } = ctx.source.open(&request)?;
    info!(source = %label, "archiving partition");
    let decode = DecodeSettings {
        enrollment: Arc::from(plan.enrollment.as_str()),
        hints: Arc::new(SizeHints::default()),
        keep_raw: ctx.cfg.keep_raw,
    };
    // Fused: after a source with no pages at all, the reader polls it once more.
    let mut rest: PageStream = Box::pin(stream.fuse());
    let first = match guarded(&ctx.cancel, lease, rest.next()).await? {
        Some(page) => Some(guarded(&ctx.cancel, lease, decode_one(page?, decode.clone())).await??),
        None => None,
    };
    Ok(Opened {
        key,
        label,
        check,
        facts,
        first,
        rest,
        decode,
    })
}

/// The open period's month, from the rows of its first page: the month most of them fall in.
/// A period with no dated rows on page 1 stays in `planned`'s month (today's UTC month).
fn settle_month(planned: &PartitionKey, first: Option<&Item>) -> PartitionKey {
    let mut key = planned.clone();
    match first.and_then(|i| dominant_month(&i.page.batch)) {
        Some((year, month)) => {
            if (year, month) != (key.year, key.month) {
                info!(
                    month = %format!("{year:04}-{month:02}"),
                    clock_month = %key.month_label(),
                    "the current period's rows are of another month than today's; filed under theirs"
                );
            }
            key.year = year;
            key.month = month;
        }
        None => warn!(
            month = %key.month_label(),
            "the current period's first page has no dated rows; filed under today's UTC month"
        ),
    }
    tracing::Span::current().record("month", key.month_label());
    key
}

/// Writes the month's pages into a staged object and publishes it.
async fn write_month(
    ctx: &JobContext<'_>,
    opened: Opened,
    held: &mut Held,
    pulled_at: &str,
) -> Result<PartitionReport, RunError> {
    let Opened {
        key,
        label,
        mut check,
        facts,
        first,
        rest,
        decode,
    } = opened;
    let (mut rx, ahead) = decode_ahead(rest, decode, ctx.decode_parallelism);
    if ctx.cfg.keep_raw {
        held.raw = Some(RawArchive::new(&ctx.lake, &key, &ctx.run_id));
    }
    held.writer = Some(PartitionWriter::begin(&ctx.lake, &key, &ctx.run_id, &ctx.cfg.write).await?);
    let mut tally = Tally::new(&key);
    let mut last_origin = String::new();
    let bar = progress::month_bar(&format!("{} {}", key.enrollment, key.month_label()));
    let mut item = first;
    while let Some(it) = item {
        let rows = it.page.stats.rows;
        check.page(it.number, &it.origin, it.page.next_link.as_deref(), rows)?;
        debug!(page = it.number, rows = it.page.stats.rows, "decoded page");
        if let (Some(raw), Some((body, ext))) = (&held.raw, it.raw) {
            raw.put_page(it.number, body, ext).await?;
        }
        tally.add(it.number, it.etag, &it.page);
        progress::page_done(bar.as_ref(), it.number, tally.stats.rows, rows);
        last_origin = it.origin;
        let writer = held.writer.as_mut().expect("writer begun");
        guarded(
            &ctx.cancel,
            held.lease.as_ref(),
            writer.write(it.page.batch),
        )
        .await??;
        item = next(&ctx.cancel, held.lease.as_ref(), &mut rx).await?;
    }
    drop(bar);
    check.end(tally.pages, &last_origin)?;
    // The channel also closes if the reading task died (a panic): that must not pass for the
    // end of the month.
    ahead.join().await?;
    let totals = tally.finish();
    if totals.out_of_month > 0 {
        warn!(
            out_of_month_rows = totals.out_of_month,
            "rows whose usage_date is outside the partition's month; the month may be misfiled"
        );
    }
    let run = RunFacts {
        run_id: &ctx.run_id,
        api_version: &ctx.api_version,
        metric: ctx.cfg.metric.as_str(),
        source: &label,
        pulled_at,
        facts: &facts,
    };
    let metadata = file_metadata(&run, &key, &totals);
    let writer = held.writer.take().expect("writer begun");
    let staged = writer.finish(&ctx.lake, metadata).await?;
    let settings = PublishSettings {
        lake: &ctx.lake,
        allow_shrink: ctx.cfg.allow_shrink,
        history_keep: ctx.cfg.history_keep,
        cancel: &ctx.cancel,
    };
    let new = NewVersion {
        rows: totals.stats.rows,
        pulled_at,
        fingerprint: &totals.fingerprint,
        source_run: facts
            .get(crate::source::exports::source::footer::RUN_ID)
            .map(String::as_str),
        source_submitted: facts
            .get(crate::source::exports::source::footer::SUBMITTED)
            .map(String::as_str),
    };
    let (stats, pages) = (&totals.stats, totals.pages);
    let (committed, kept) =
        match publish(&settings, &key, staged, &new, held.lease.as_ref()).await? {
            Published::Committed { file, kept } => (file, kept),
            Published::Unchanged { url, bytes } => {
                if let Some(raw) = held.raw.take() {
                    let _ = raw.discard().await;
                }
                let mut report = PartitionReport::ok(&key, stats, pages, url, bytes);
                report.status = "unchanged";
                report.out_of_month_rows = totals.out_of_month;
                report.export = summary::ExportReport::of(&facts);
                return Ok(report);
            }
        };
    if let Some(raw) = held.raw.take() {
        // The month is committed: a raw copy that fails to move is reported, never discarded.
        raw.promote().await?;
        held.raw = Some(raw);
    }
    info!(
        rows = stats.rows,
        pages,
        bytes = committed.bytes,
        cost_total = stats.cost_total.map(format_scaled).unwrap_or_default(),
        path = %committed.url,
        "partition committed"
    );
    let mut report = PartitionReport::ok(&key, stats, pages, committed.url, committed.bytes);
    report.previous_version = kept;
    report.out_of_month_rows = totals.out_of_month;
    report.raw_path = held.raw.as_ref().map(|r| r.url());
    report.export = summary::ExportReport::of(&facts);
    Ok(report)
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
