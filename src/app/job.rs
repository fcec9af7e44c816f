//! One partition, end to end: pages → decode (in parallel, joined in order) → Parquet upload →
//! commit. Any failure aborts the upload and discards raw pages, leaving the previous object.

use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use parquet::file::metadata::KeyValue;
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, warn};

use super::summary::PartitionReport;
use crate::batch::SizeHints;
use crate::config::{PartitionPlan, SourceConfig};
use crate::decode::decimal::format_scaled;
use crate::decode::{DecodeStats, DecodedPage, decode_page_sized};
use crate::error::RunError;
use crate::progress;
use crate::schema::SCHEMA_VERSION;
use crate::sink::layout::data_path;
use crate::sink::raw::RawArchive;
use crate::sink::read::existing_metadata;
use crate::sink::{Lake, PartitionWriter, WriteSettings};
use crate::source::http::HttpSource;
use crate::source::{ApiVersion, PageStream, SourceError, replay};

pub use crate::sink::read::META_PREFIX;

/// What every partition of a run shares.
pub struct JobContext {
    /// Run id.
    pub run_id: String,
    /// The lake.
    pub lake: Lake,
    /// The source settings.
    pub source: SourceConfig,
    /// The HTTP client, when calling the API.
    pub http: Option<Arc<HttpSource>>,
    /// API version (metadata).
    pub api_version: ApiVersion,
    /// `--keep-raw`.
    pub keep_raw: bool,
    /// Writer tunables.
    pub write: WriteSettings,
    /// Pages decoded at once.
    pub decode_parallelism: usize,
    /// `--skip-unchanged`: ask with the stored ETag and keep a month the API did not refresh.
    pub skip_unchanged: bool,
}

/// Archives one partition.
#[tracing::instrument(skip_all, fields(enrollment = %plan.key.enrollment, month = %plan.key.month_label()))]
pub async fn archive_partition(
    ctx: &JobContext,
    plan: &PartitionPlan,
) -> Result<PartitionReport, RunError> {
    // With --skip-unchanged, page 1 is asked for with the ETag of the month's current object.
    let previous = if ctx.skip_unchanged {
        existing_metadata(&ctx.lake, &plan.key).await
    } else {
        None
    };
    let if_none_match = previous.as_ref().and_then(|m| m.get("etag").cloned());
    let (pages, source_label) = open_pages(ctx, plan, if_none_match)?;
    info!(source = %source_label, "archiving partition");
    let raw = ctx
        .keep_raw
        .then(|| RawArchive::new(&ctx.lake, &plan.key, &ctx.run_id));
    let mut writer = PartitionWriter::begin(&ctx.lake, &plan.key, &ctx.run_id, &ctx.write).await?;
    let pulled_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let result = stream_pages(ctx, plan, pages, raw.clone(), &mut writer).await;
    let (stats, page_count, etag) = match result {
        Ok(v) => v,
        Err(RunError::Source(SourceError::NotModified { .. })) => {
            writer.abort().await;
            let path = ctx.lake.object_url(&data_path(&ctx.lake.prefix, &plan.key));
            info!(path = %path, "source unchanged since the last pull; month left as it is");
            return Ok(PartitionReport::unchanged(
                &plan.key,
                path,
                previous.unwrap_or_default(),
            ));
        }
        Err(e) => {
            warn!(error = %e, "partition failed; previous version left in place");
            writer.abort().await;
            if let Some(raw) = &raw {
                let _ = raw.discard().await;
            }
            return Err(e);
        }
    };
    let mut metadata = file_metadata(ctx, plan, &source_label, &pulled_at, &stats, page_count);
    if let Some(etag) = etag {
        metadata.push(KeyValue::new(format!("{META_PREFIX}etag"), etag));
    }
    let committed = match writer.commit(metadata).await {
        Ok(c) => c,
        Err(e) => {
            if let Some(raw) = &raw {
                let _ = raw.discard().await;
            }
            return Err(e.into());
        }
    };
    if let Some(raw) = &raw {
        raw.promote().await?;
    }
    info!(
        rows = stats.rows,
        pages = page_count,
        bytes = committed.bytes,
        cost_total = stats.cost_total.map(format_scaled).unwrap_or_default(),
        path = %committed.url,
        "partition committed"
    );
    let mut report = PartitionReport::ok(
        &plan.key,
        &stats,
        page_count,
        committed.url,
        committed.bytes,
    );
    report.raw_path = raw.map(|r| r.url());
    Ok(report)
}

fn open_pages(
    ctx: &JobContext,
    plan: &PartitionPlan,
    if_none_match: Option<String>,
) -> Result<(PageStream, String), RunError> {
    match (&ctx.source, &ctx.http) {
        (SourceConfig::Replay { dir }, _) => Ok((replay::pages(dir)?, "replay".to_string())),
        (SourceConfig::Api { http, .. }, Some(client)) => {
            let first = plan.endpoint.url(&http.base_url, &plan.key.enrollment);
            let label = first.to_string();
            Ok((client.clone().pages(first, if_none_match), label))
        }
        (SourceConfig::Api { .. }, None) => Err(RunError::Internal("no HTTP client".into())),
    }
}

async fn stream_pages(
    ctx: &JobContext,
    plan: &PartitionPlan,
    pages: PageStream,
    raw: Option<RawArchive>,
    writer: &mut PartitionWriter,
) -> Result<(DecodeStats, u64, Option<String>), RunError> {
    let enrollment: Arc<str> = Arc::from(plan.key.enrollment.as_str());
    let hints = Arc::new(SizeHints::default());
    let decoded = pages
        .map_err(RunError::from)
        .map_ok(move |page| {
            let raw = raw.clone();
            let enrollment = enrollment.clone();
            let hints = hints.clone();
            async move {
                if let Some(raw) = &raw {
                    raw.put_page(page.number, page.body.clone()).await?;
                }
                let (number, etag) = (page.number, page.etag);
                let decoded = tokio::task::spawn_blocking(move || {
                    decode_page_sized(&page.body, number, &enrollment, Some(hints))
                })
                .await
                .map_err(|e| RunError::Internal(format!("decoder task failed: {e}")))??;
                Ok::<(u64, Option<String>, DecodedPage), RunError>((number, etag, decoded))
            }
        })
        .try_buffered(ctx.decode_parallelism);
    // Decoding runs ahead in its own task, so pages keep being fetched and decoded while the
    // writer waits for the encoder; the channel bounds how far ahead.
    let (tx, mut rx) = mpsc::channel(1);
    let mut ahead = AbortOnDrop(tokio::spawn(
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
    ));
    let mut stats = DecodeStats::new();
    let mut pages_seen = 0u64;
    let mut first_etag = None;
    let bar = progress::month_bar(&format!(
        "{} {}",
        plan.key.enrollment,
        plan.key.month_label()
    ));
    while let Some(item) = rx.recv().await {
        let (number, etag, page) = item?;
        debug!(page = number, rows = page.stats.rows, "decoded page");
        progress::page_done(
            bar.as_ref(),
            number,
            stats.rows + page.stats.rows,
            page.stats.rows,
        );
        if number == 1 {
            first_etag = etag;
        }
        stats.merge(&page.stats);
        pages_seen = number;
        writer.write(page.batch).await?;
    }
    drop(bar);
    // The channel also closes if the reading task died (a panic): that must not pass for the
    // end of the month.
    (&mut ahead.0)
        .await
        .map_err(|e| RunError::Internal(format!("the page reader stopped: {e}")))?;
    Ok((stats, pages_seen, first_etag))
}

/// Aborts a task when dropped (a failed partition stops fetching ahead).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn file_metadata(
    ctx: &JobContext,
    plan: &PartitionPlan,
    source: &str,
    pulled_at: &str,
    stats: &DecodeStats,
    pages: u64,
) -> Vec<KeyValue> {
    let kv = |k: &str, v: String| KeyValue::new(format!("{META_PREFIX}{k}"), v);
    vec![
        kv("schema_version", SCHEMA_VERSION.to_string()),
        kv("tool_version", env!("CARGO_PKG_VERSION").to_string()),
        kv("run_id", ctx.run_id.clone()),
        kv("api_version", ctx.api_version.as_str().to_string()),
        kv("source", source.to_string()),
        kv("pulled_at", pulled_at.to_string()),
        kv("enrollment", plan.key.enrollment.clone()),
        kv("billing_month", plan.key.month_label()),
        kv("row_count", stats.rows.to_string()),
        kv("pages", pages.to_string()),
        kv(
            "cost_total",
            stats
                .cost_total
                .map(format_scaled)
                .unwrap_or_else(|| "overflow".into()),
        ),
        kv("unknown_fields", stats.unknown_fields.to_string()),
        kv("unparsed_values", stats.unparsed_values.to_string()),
        kv("rounded_decimals", stats.rounded_decimals.to_string()),
    ]
}
