//! Which export run a month is archived from: of the runs found under the root, those of the
//! wanted usage metric, over a whole enrollment and within one month; per enrollment and month
//! the newest by `submittedTime`. Pure: runs in, picks and notices out.
//!
//! Refused, never guessed: two exports of the same dataset for one enrollment (unless
//! `--export-name` picks one), and two different runs submitted at the same newest time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::manifest::{Dataset, Run, Scope};
use crate::source::cost_details::Metric;

/// What the archive run asks for.
#[derive(Debug, Clone)]
pub(crate) struct Want<'a> {
    /// `--metric`.
    pub metric: Metric,
    /// `--enrollment`, if given.
    pub enrollment: Option<&'a str>,
    /// `--month`s; empty: every month a run covers.
    pub months: &'a [(i32, u32)],
    /// `--export-name`, if given.
    pub export_name: Option<&'a str>,
}

/// A run found under the root: its manifest's location and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The manifest's path (relative to the root, or as listed).
    pub manifest: String,
    /// The run.
    pub run: Run,
}

/// A run left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    /// Another dataset or the other metric: not a usage month of this lake (INFO).
    Skipped {
        /// The manifest.
        manifest: String,
        /// Why.
        why: String,
    },
    /// A run of the wanted dataset that cannot be archived (WARN; the run fails).
    Refused {
        /// The manifest.
        manifest: String,
        /// Why.
        why: String,
    },
}

/// Why a month is not archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MonthRefusal {
    /// Two or more exports of the dataset cover the month; `--export-name` picks one.
    TwoExports(Vec<String>),
    /// Different runs share the newest `submittedTime`: which is newer cannot be told.
    Tie {
        /// Their run ids.
        run_ids: Vec<String>,
        /// The time they share.
        submitted: DateTime<Utc>,
    },
}

impl std::fmt::Display for MonthRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MonthRefusal::TwoExports(names) => write!(
                f,
                "exports {} all cover this month; pick one with --export-name",
                names.join(" and ")
            ),
            MonthRefusal::Tie { run_ids, submitted } => write!(
                f,
                "runs {} were both submitted at {}, the newest time: which one is current cannot be told",
                run_ids.join(" and "),
                submitted.to_rfc3339()
            ),
        }
    }
}

/// One month's pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MonthPick {
    /// The enrollment.
    pub enrollment: String,
    /// The month.
    pub month: (i32, u32),
    /// The newest run of the month, or why there is none to archive.
    pub outcome: Result<Found, MonthRefusal>,
}

/// Where one run goes.
enum Place {
    /// Among the candidates of this (enrollment, month).
    Month(String, (i32, u32)),
    /// Not asked for (another enrollment, month or export name): left out silently.
    NotAsked,
    /// Another dataset or metric.
    Skipped(String),
    /// Of the wanted dataset, but cannot be archived.
    Refused(String),
}

/// Where `run` goes. What was not asked for (another export name, month or enrollment) is left
/// out before anything is refused, so a run that cannot be archived fails only the syncs it
/// concerns: a narrower scope only those of its own enrollment (or of every enrollment when
/// none is named), a run spanning months only the syncs that ask for no particular month.
fn place(run: &Run, want: &Want<'_>) -> Place {
    match &run.dataset {
        Dataset::Usage(m) if *m == want.metric => {}
        Dataset::Usage(m) => {
            return Place::Skipped(format!(
                "export {} holds {} cost; this run archives {} cost",
                run.export_name,
                m.as_str(),
                want.metric.as_str()
            ));
        }
        Dataset::Other(kind) => {
            return Place::Skipped(format!(
                "export {} is a {kind} export, not usage details",
                run.export_name
            ));
        }
    }
    if want.export_name.is_some_and(|n| n != run.export_name) {
        return Place::NotAsked;
    }
    if !want.months.is_empty() && !run.month.as_ref().is_ok_and(|m| want.months.contains(m)) {
        return Place::NotAsked;
    }
    let enrollment = match &run.scope {
        Scope::Enrollment(n) if want.enrollment.is_some_and(|e| e != n) => return Place::NotAsked,
        Scope::Enrollment(n) => n,
        Scope::Narrower(scope)
            if want.enrollment.is_some_and(|e| {
                !scope
                    .to_ascii_lowercase()
                    .contains(&format!("/billingaccounts/{e}/"))
            }) =>
        {
            return Place::NotAsked;
        }
        Scope::Narrower(scope) => {
            return Place::Refused(format!(
                "export {} is scoped to {scope}, which holds only part of an enrollment's month; export the whole billing account (/providers/Microsoft.Billing/billingAccounts/<enrollment>) instead",
                run.export_name
            ));
        }
    };
    match &run.month {
        Ok(m) => Place::Month(enrollment.clone(), *m),
        Err(span) => Place::Refused(format!(
            "run {} of export {}: {span}; a month is archived from runs of that month only",
            run.run_id, run.export_name
        )),
    }
}

/// Picks the run each month is archived from, in (enrollment, month) order.
pub(crate) fn choose(found: Vec<Found>, want: &Want<'_>) -> (Vec<MonthPick>, Vec<Notice>) {
    let mut notices = Vec::new();
    let mut months: BTreeMap<(String, (i32, u32)), Vec<Found>> = BTreeMap::new();
    for f in found {
        match place(&f.run, want) {
            Place::Month(enrollment, month) => {
                months.entry((enrollment, month)).or_default().push(f)
            }
            Place::NotAsked => {}
            Place::Skipped(why) => notices.push(Notice::Skipped {
                manifest: f.manifest,
                why,
            }),
            Place::Refused(why) => notices.push(Notice::Refused {
                manifest: f.manifest,
                why,
            }),
        }
    }
    let picks = months
        .into_iter()
        .map(|((enrollment, month), runs)| MonthPick {
            enrollment,
            month,
            outcome: newest(runs),
        })
        .collect();
    (picks, notices)
}

/// The newest of one month's runs, all of one export.
fn newest(mut runs: Vec<Found>) -> Result<Found, MonthRefusal> {
    let mut names: Vec<String> = runs.iter().map(|f| f.run.export_name.clone()).collect();
    names.sort();
    names.dedup();
    if names.len() > 1 {
        return Err(MonthRefusal::TwoExports(names));
    }
    // Newest first; the same run found twice (two manifest names) is one run.
    runs.sort_by(|a, b| {
        b.run
            .submitted
            .cmp(&a.run.submitted)
            .then_with(|| a.run.run_id.cmp(&b.run.run_id))
            .then_with(|| a.manifest.cmp(&b.manifest))
    });
    let top = runs[0].run.submitted;
    let mut tied: Vec<String> = runs
        .iter()
        .take_while(|f| f.run.submitted == top)
        .map(|f| f.run.run_id.clone())
        .collect();
    tied.dedup();
    if tied.len() > 1 {
        return Err(MonthRefusal::Tie {
            run_ids: tied,
            submitted: top,
        });
    }
    Ok(runs.swap_remove(0))
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
