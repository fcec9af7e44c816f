//! The exports source: at the start of a run the root is listed once, every manifest read, and
//! the run each (enrollment, month) is archived from chosen; each month then opens as its run's
//! parts. A month whose run is the one already archived, or older than it, costs nothing more
//! than its footer; an incomplete run is refused before anything is written.

use std::collections::BTreeMap;

use tracing::{info, warn};

use super::discover::Listing;
use super::parts::{PartReader, PartToRead};
use super::root::Root;
use super::select::{Found, MonthRefusal, Notice, Want, choose};
use crate::location::Dest;
use crate::source::cost_details::Metric;
use crate::source::open::{PageCheck, Pages};
use crate::source::{PageStream, SourceError};

/// What an exports run is configured with.
#[derive(Debug, Clone)]
pub(crate) struct ExportsSettings {
    /// `--exports-root`.
    pub root: Dest,
    /// `--metric`.
    pub metric: Metric,
    /// `--enrollment`, if given.
    pub enrollment: Option<String>,
    /// `--month`s; empty: every month a run covers.
    pub months: Vec<(i32, u32)>,
    /// `--export-name`, if given.
    pub export_name: Option<String>,
}

/// A problem of the run as a whole (not of one month): an unreadable manifest, a run that can
/// never be archived, or nothing found for what was asked. The run exits 6 at its end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct RootProblem {
    /// The manifest (relative to the root), or the root.
    pub object: String,
    /// What is wrong.
    pub error: String,
}

/// The footer keys an exported month records about its run.
pub(crate) mod footer {
    /// The export's name.
    pub(crate) const NAME: &str = "export_name";
    /// The run id.
    pub(crate) const RUN_ID: &str = "export_run_id";
    /// `runInfo.submittedTime`, RFC 3339 UTC.
    pub(crate) const SUBMITTED: &str = "export_submitted_time";
    /// The run's parts.
    pub(crate) const BLOBS: &str = "export_blob_count";
}

/// The exports root, discovered.
pub(crate) struct ExportsSource {
    /// Its root's URL, for `Debug` (the rest is large).
    shown: String,
    listing: Listing,
    picks: BTreeMap<(String, (i32, u32)), Result<Found, MonthRefusal>>,
    problems: Vec<RootProblem>,
    reader: PartReader,
}

impl std::fmt::Debug for ExportsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportsSource")
            .field("root", &self.shown)
            .field("months", &self.picks.len())
            .finish_non_exhaustive()
    }
}

impl ExportsSource {
    /// Lists the root, reads its manifests and picks each month's run.
    pub(crate) async fn discover(s: &ExportsSettings) -> Result<Self, SourceError> {
        let root = Root::open(&s.root)?;
        let listing = root.list().await?;
        let (found, unreadable) = root.runs(&listing).await?;
        let mut problems = Vec::new();
        for (manifest, why) in unreadable {
            warn!(manifest = %manifest, error = %why, "export manifest cannot be read; its run is not archived");
            problems.push(RootProblem {
                object: manifest,
                error: format!("the manifest cannot be read: {why}"),
            });
        }
        let want = Want {
            metric: s.metric,
            enrollment: s.enrollment.as_deref(),
            months: &s.months,
            export_name: s.export_name.as_deref(),
        };
        let (picks, notices) = choose(found, &want);
        for notice in notices {
            match notice {
                Notice::Skipped { manifest, why } => {
                    info!(manifest = %manifest, "export run skipped: {why}")
                }
                Notice::Refused { manifest, why } => {
                    warn!(manifest = %manifest, error = %why, "export run refused");
                    problems.push(RootProblem {
                        object: manifest,
                        error: why,
                    });
                }
            }
        }
        let picks: BTreeMap<_, _> = picks
            .into_iter()
            .map(|p| ((p.enrollment, p.month), p.outcome))
            .collect();
        for &month in &s.months {
            if !picks.keys().any(|(_, m)| *m == month) {
                problems.push(nothing_for(s, Some(month)));
            }
        }
        if picks.is_empty() && s.months.is_empty() {
            problems.push(nothing_for(s, None));
        }
        for p in &problems {
            if p.object.is_empty() {
                warn!(error = %p.error, "nothing to archive");
            }
        }
        Ok(Self {
            shown: root.url().to_string(),
            listing,
            picks,
            problems,
            reader: PartReader::of(&root),
        })
    }

    /// The (enrollment, month)s found, in order, refused ones included (each is reported).
    pub(crate) fn months(&self) -> Vec<(String, (i32, u32))> {
        self.picks.keys().cloned().collect()
    }

    /// The run's problems outside any month.
    pub(crate) fn problems(&self) -> &[RootProblem] {
        &self.problems
    }

    /// Opens `enrollment`'s `month` from its newest run. `previous` is the month's current
    /// footer: a run already archived, or older than the one archived, is `NotModified`.
    pub(crate) fn open(
        &self,
        enrollment: &str,
        month: (i32, u32),
        previous: Option<&BTreeMap<String, String>>,
    ) -> Result<Pages, SourceError> {
        let label = format!("{:04}-{:02}", month.0, month.1);
        let found = match self.picks.get(&(enrollment.to_string(), month)) {
            Some(Ok(found)) => found,
            Some(Err(refusal @ MonthRefusal::TwoExports(_))) => {
                return Err(SourceError::ExportChoice {
                    month: label,
                    reason: refusal.to_string(),
                });
            }
            Some(Err(refusal)) => {
                return Err(SourceError::ExportRun {
                    month: label,
                    reason: refusal.to_string(),
                });
            }
            None => {
                return Err(SourceError::ExportRun {
                    month: label,
                    reason: format!("no export run of enrollment {enrollment} covers it"),
                });
            }
        };
        let run = &found.run;
        if let Some(unchanged) = already_archived(found, previous, &label)? {
            return Err(unchanged);
        }
        let located = self
            .listing
            .complete(run)
            .map_err(|why| SourceError::ExportRun {
                month: label.clone(),
                reason: format!(
                    "run {} of export {} ({}) is not complete: {why}; nothing is archived from it and the month is left as it is",
                    run.run_id, run.export_name, found.manifest
                ),
            })?;
        let expected: Vec<(String, Option<u64>)> =
            run.parts.iter().map(|p| (p.name.clone(), p.rows)).collect();
        let parts: Vec<PartToRead> = located
            .into_iter()
            .zip(&run.parts)
            .map(|(located, part)| PartToRead {
                located,
                blob: part.name.clone(),
                format: run.format,
            })
            .collect();
        let stream: PageStream = self.reader.pages(parts);
        let mut facts = BTreeMap::new();
        facts.insert(footer::NAME.to_string(), run.export_name.clone());
        facts.insert(footer::RUN_ID.to_string(), run.run_id.clone());
        facts.insert(footer::SUBMITTED.to_string(), rfc3339(&run.submitted));
        facts.insert(footer::BLOBS.to_string(), run.parts.len().to_string());
        Ok(Pages {
            stream,
            label: format!(
                "{}/{}",
                self.reader.shown.trim_end_matches('/'),
                found.manifest
            ),
            check: PageCheck::rows(label, expected, run.rows),
            facts,
        })
    }
}

fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `NotModified` when the month's current object comes from `found`'s run, or from a run
/// submitted after it; an error when it comes from another run submitted at the same time.
fn already_archived(
    found: &Found,
    previous: Option<&BTreeMap<String, String>>,
    month: &str,
) -> Result<Option<SourceError>, SourceError> {
    let Some(prev) = previous else {
        return Ok(None);
    };
    let run = &found.run;
    let (Some(prev_id), Some(prev_at)) = (
        prev.get(footer::RUN_ID),
        prev.get(footer::SUBMITTED)
            .and_then(|t| super::manifest::parse_time(t)),
    ) else {
        return Ok(None);
    };
    let unchanged = || SourceError::NotModified {
        url: found.manifest.clone(),
    };
    if *prev_id == run.run_id {
        info!(run_id = %run.run_id, export = %run.export_name, "the month's newest export run is the one archived; no part is read");
        return Ok(Some(unchanged()));
    }
    if prev_at > run.submitted {
        info!(
            run_id = %run.run_id,
            submitted = %rfc3339(&run.submitted),
            archived_run_id = %prev_id,
            archived_submitted = %rfc3339(&prev_at),
            "the newest export run found is older than the one archived; it is never applied"
        );
        return Ok(Some(unchanged()));
    }
    if prev_at == run.submitted {
        return Err(SourceError::ExportRun {
            month: month.to_string(),
            reason: format!(
                "run {} was submitted at {}, the same time as run {prev_id} the month was archived from: which one is current cannot be told",
                run.run_id,
                rfc3339(&run.submitted)
            ),
        });
    }
    Ok(None)
}

fn nothing_for(s: &ExportsSettings, month: Option<(i32, u32)>) -> RootProblem {
    let of = match &s.enrollment {
        Some(e) => format!(" of enrollment {e}"),
        None => String::new(),
    };
    let named = match &s.export_name {
        Some(n) => format!(" named {n}"),
        None => String::new(),
    };
    let when = match month {
        Some((y, m)) => format!(" for {y:04}-{m:02}"),
        None => String::new(),
    };
    RootProblem {
        object: String::new(),
        error: format!(
            "no {} export run{named}{of}{when} was found under the root",
            s.metric.api_name()
        ),
    }
}
