//! The last step of a month: with its new version staged, read the current object's footer,
//! decide (`commit`), and either leave the month as it is or keep the current object in
//! history and make the new one current. Runs under the month's lease, which it confirms just
//! before the commit.

use tracing::{info, warn};

use super::commit::{Decision, NewVersion, decide};
use super::history;
use super::layout::{PartitionKey, data_path};
use super::lease::{Lease, LeaseError};
use super::object::ObjectFacts;
use super::read::{Footer, read_footer};
use crate::cancel::{Cancel, Signal};
use crate::sink::writer::{CommittedFile, StagedObject};
use crate::sink::{Lake, SinkError};

/// A new version the shrink guard refused: it has no rows, or fewer than half of the current
/// version's. The current version is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to replace month {month}: the new version has {new_rows} rows and the current one {current_rows} ({why}); the current version is kept. If the month really shrank, re-run with --allow-shrink"
)]
pub(crate) struct Refusal {
    /// `YYYY-MM`.
    pub month: String,
    /// Rows of the version pulled now.
    pub new_rows: u64,
    /// Rows of the month's current object.
    pub current_rows: u64,
    /// `no rows` or `fewer than half`.
    pub why: &'static str,
}

/// Why a new version was not published. The month's current object is as it was.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PublishError {
    /// The lake failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The month's lease was lost, or a newer pull is current.
    #[error(transparent)]
    Lease(#[from] LeaseError),
    /// The new version would shrink the month.
    #[error(transparent)]
    Refused(Refusal),
    /// A signal came before the commit.
    #[error("cancelled by {}; the month was left as it was", .0.name())]
    Cancelled(Signal),
}

/// How a new version is published.
pub(crate) struct PublishSettings<'a> {
    /// The lake.
    pub lake: &'a Lake,
    /// `--allow-shrink` (a restore always allows it).
    pub allow_shrink: bool,
    /// `--history-keep`.
    pub history_keep: usize,
    /// The run's cancellation.
    pub cancel: &'a Cancel,
}

/// What became of the new version.
pub(crate) enum Published {
    /// It is the month's content now; `kept` is the id of the version it replaced, kept in
    /// history.
    Committed {
        /// The object.
        file: CommittedFile,
        /// The replaced version's id, when one was kept.
        kept: Option<String>,
    },
    /// The month already holds exactly these rows: nothing was written.
    Unchanged {
        /// The current object's URL.
        url: String,
        /// Its size.
        bytes: u64,
    },
}

/// Decides and commits (or discards) `staged`, the new version of `key`.
pub(crate) async fn publish(
    ctx: &PublishSettings<'_>,
    key: &PartitionKey,
    staged: StagedObject,
    new: &NewVersion<'_>,
    lease: Option<&Lease>,
) -> Result<Published, PublishError> {
    match decide_and_keep(ctx, key, new, lease).await {
        Ok(Step::Restamp) => {
            let file = staged.complete().await?;
            info!(path = %file.url, "identical rows from a newer run of the source; the month's object now names it, no version kept");
            Ok(Published::Unchanged {
                url: file.url,
                bytes: file.bytes,
            })
        }
        Ok(Step::Commit { kept }) => {
            // Committing is not interrupted: a signal from here on waits for it.
            let file = staged.complete().await?;
            if ctx.history_keep > 0
                && let Err(e) = history::prune(ctx.lake, key, ctx.history_keep).await
            {
                warn!(error = %crate::text::error_chain(&e), "could not prune history; the month is committed");
            }
            Ok(Published::Committed { file, kept })
        }
        Ok(Step::Unchanged { bytes }) => {
            staged.abort().await;
            let url = ctx.lake.object_url(&data_path(&ctx.lake.prefix, key));
            info!(path = %url, "identical to the month's current version; nothing written");
            Ok(Published::Unchanged { url, bytes })
        }
        Err(e) => {
            staged.abort().await;
            if let PublishError::Refused(_) = e {
                warn!(error = %e, "new version refused; the month is left as it was");
            }
            Err(e)
        }
    }
}

enum Step {
    Commit { kept: Option<String> },
    Restamp,
    Unchanged { bytes: u64 },
}

async fn decide_and_keep(
    ctx: &PublishSettings<'_>,
    key: &PartitionKey,
    new: &NewVersion<'_>,
    lease: Option<&Lease>,
) -> Result<Step, PublishError> {
    let footer = read_footer(ctx.lake, &data_path(&ctx.lake.prefix, key)).await?;
    let current = match &footer {
        Footer::Missing => None,
        Footer::Found { kv, .. } => Some(ObjectFacts::from_metadata(kv)),
        Footer::Unreadable { .. } => Some(ObjectFacts::default()),
    };
    let restamp = match decide(current.as_ref(), new, ctx.allow_shrink) {
        Decision::Commit => false,
        Decision::Restamp => true,
        Decision::Older => {
            info!(
                "the month's current object comes from a run of the source submitted later; this older run is not applied"
            );
            let bytes = match footer {
                Footer::Found { size, .. } => size,
                _ => 0,
            };
            return Ok(Step::Unchanged { bytes });
        }
        Decision::Unchanged => {
            let bytes = match footer {
                Footer::Found { size, .. } => size,
                _ => 0,
            };
            return Ok(Step::Unchanged { bytes });
        }
        Decision::Refuse { current_rows, why } => {
            return Err(PublishError::Refused(Refusal {
                month: key.month_label(),
                new_rows: new.rows,
                current_rows,
                why,
            }));
        }
        Decision::Stale { run_id, pulled_at } => {
            return Err(PublishError::Lease(LeaseError::Lost {
                month: key.month_label(),
                by: format!(
                    "the month's current version comes from run {run_id}, pulled at {pulled_at}, after this run started"
                ),
            }));
        }
    };
    if let Some(s) = ctx.cancel.signal() {
        return Err(PublishError::Cancelled(s));
    }
    if let Some(lease) = lease {
        lease.confirm().await?;
    }
    if restamp {
        return Ok(Step::Restamp);
    }
    let kept = if ctx.history_keep > 0 {
        history::keep_current(ctx.lake, key, &footer).await?
    } else {
        None
    };
    #[cfg(feature = "test-hooks")]
    if kept.is_some()
        && std::env::var_os("EAUA_TEST_CRASH_AFTER").is_some_and(|s| s == "history-copy")
    {
        eprintln!("EAUA_TEST_CRASH_AFTER=history-copy: aborting the process");
        std::process::abort();
    }
    Ok(Step::Commit { kept })
}
