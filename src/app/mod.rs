//! Orchestration: builds the source and the lake from a checked config, archives partitions
//! concurrently (bounded by `--concurrency`), and assembles the run summary.

mod ahead;
pub(crate) mod job;
pub(crate) mod summary;
mod tally;

use std::hash::{BuildHasher, RandomState};

use chrono::Utc;
use futures::StreamExt;
use tracing::{Instrument, error, info, warn};

use crate::cancel::Cancel;
use crate::config::{ArchiveConfig, PartitionPlan};
use crate::error::RunError;
use crate::period::Period;
use crate::sink::open_lake;
use crate::source::Source;
use job::{JobContext, archive_partition, planned_key};
pub(crate) use summary::{PartitionReport, RunProblem, RunSummary};

/// A new run id: UTC timestamp plus 32 random bits, e.g. `20261123T120000Z-1a2b3c4d`.
pub(crate) fn new_run_id() -> String {
    let rand = RandomState::new().hash_one(std::time::SystemTime::now()) as u32;
    format!("{}-{rand:08x}", Utc::now().format("%Y%m%dT%H%M%SZ"))
}

/// Archives every partition of `cfg`. Returns the summary; a run-level failure (bad
/// destination, HTTP client) is an `Err`. Partition failures are in the summary.
pub(crate) async fn run_archive(
    cfg: ArchiveConfig,
    cancel: Cancel,
) -> Result<RunSummary, RunError> {
    let run_id = new_run_id();
    let span = tracing::info_span!("run", run_id = %run_id);
    run_with_id(cfg, run_id, cancel).instrument(span).await
}

async fn run_with_id(
    cfg: ArchiveConfig,
    run_id: String,
    cancel: Cancel,
) -> Result<RunSummary, RunError> {
    let lake = open_lake(&cfg.dest, true)?;
    // Opening the source can take long (an exports root: a listing and every manifest); a
    // signal meanwhile ends the run at once (nothing is held yet).
    let source = tokio::select! {
        biased;
        s = cancel.cancelled() => return Err(RunError::Cancelled(s)),
        source = Source::new(&cfg.source) => source?,
    };
    let api_label = source.api_label(cfg.api_version);
    // Actual and amortized cost never mix in one lake: checked before anything is written.
    match crate::sink::metric::claim(&lake, cfg.metric.as_str()).await {
        Ok(()) => {}
        Err(crate::sink::metric::MetricError::Mismatch { lake, run }) => {
            return Err(RunError::Config(crate::config::ConfigError {
                flag: "--metric",
                reason: format!(
                    "the lake at --dest holds {lake} cost, this run would add {run} cost; actual and amortized cost must not mix in one lake (use another --dest)"
                ),
            }));
        }
        Err(crate::sink::metric::MetricError::Store(e)) => return Err(e.into()),
    }
    // A source that finds its months itself (an exports root) plans the run.
    let plans: Vec<PartitionPlan> = match source.discovered() {
        Some(months) => months
            .into_iter()
            .map(|(enrollment, (year, month))| PartitionPlan {
                enrollment,
                period: Period::Month { year, month },
            })
            .collect(),
        None => cfg.plans.clone(),
    };
    let problems: Vec<RunProblem> = source
        .problems()
        .into_iter()
        .map(|p| RunProblem {
            object: p.object,
            error: p.error,
            exit_code: crate::error::exit::DATA,
        })
        .collect();
    info!(run_id = %run_id, dest = %lake.url, partitions = plans.len(), "run started");
    let ctx = JobContext {
        cfg: &cfg,
        run_id: run_id.clone(),
        lake: lake.clone(),
        source,
        api_version: api_label,
        // One page more than there are cores: the encoder and the reader take turns with them.
        decode_parallelism: std::thread::available_parallelism().map_or(2, |n| n.get()) + 1,
        cancel: cancel.clone(),
    };
    let ctx = &ctx;
    let mut partitions: Vec<PartitionReport> = futures::stream::iter(plans.iter())
        .map(|plan| {
            async move {
                match archive_partition(ctx, plan).await {
                    Ok(report) => report,
                    Err(e @ RunError::Cancelled(_)) => {
                        PartitionReport::from_error(&planned_key(plan), &e)
                    }
                    Err(e) => {
                        let key = planned_key(plan);
                        error!(enrollment = %key.enrollment, month = %key.month_label(), error = %e.chain(), "partition failed");
                        PartitionReport::from_error(&key, &e)
                    }
                }
            }
        })
        .buffer_unordered(cfg.concurrency)
        .collect()
        .await;
    partitions.sort_by(|a, b| (&a.enrollment, &a.month).cmp(&(&b.enrollment, &b.month)));
    let failed = partitions
        .iter()
        .filter(|p| !matches!(p.status, "ok" | "unchanged"))
        .count();
    let cancelled_by = cancel.signal();
    match cancelled_by {
        Some(s) => {
            warn!(run_id = %run_id, signal = s.name(), partitions = partitions.len(), "run cancelled")
        }
        None => info!(run_id = %run_id, partitions = partitions.len(), failed, "run finished"),
    }
    Ok(RunSummary {
        run_id,
        dest: lake.url.to_string(),
        peak_rss_bytes: summary::peak_rss_bytes(),
        partitions,
        problems,
        cancelled_by,
    })
}
