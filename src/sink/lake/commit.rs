//! Whether a freshly pulled version may replace the month's current object. Pure: the facts of
//! both versions in, a decision out. Costs the caller one footer read of the current object.

use super::object::ObjectFacts;

/// The version about to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewVersion<'a> {
    /// Rows in it.
    pub rows: u64,
    /// When its pull started (RFC 3339, UTC).
    pub pulled_at: &'a str,
    /// The fingerprint of its rows.
    pub fingerprint: &'a str,
    /// The source's run it comes from, when the source has runs (an export's run id).
    pub source_run: Option<&'a str>,
    /// When that run was submitted (RFC 3339, UTC).
    pub source_submitted: Option<&'a str>,
}

/// What to do with the new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Replace the month with it.
    Commit,
    /// Write nothing: the current object holds exactly these rows.
    Unchanged,
    /// The current object holds exactly these rows, but from an earlier run of the source:
    /// the new object replaces it (its footer names the newer run, so the next sync does not
    /// read that run again) and no history version is kept, since no row changed.
    Restamp,
    /// Write nothing: the current object comes from a run of the source submitted after this
    /// version's (an older export run is never applied, whatever was read before).
    Older,
    /// Keep the current object: the new one is much smaller (`--allow-shrink` overrides).
    Refuse {
        /// Rows of the current object.
        current_rows: u64,
        /// `no rows` or `fewer than half`.
        why: &'static str,
    },
    /// Keep the current object: it comes from a pull that started after this one, so this run
    /// must have lost its lease while it stalled.
    Stale {
        /// The current object's run.
        run_id: String,
        /// Its `pulled_at`.
        pulled_at: String,
    },
}

/// Whether RFC 3339 time `a` is after `b` (compared as times, so precisions may differ).
fn later(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => a > b,
    }
}

/// An identical pull (same fingerprint) writes nothing. The shrink guard: a month that holds rows is never replaced by a version with no rows, or
/// with fewer than half of them, unless `allow_shrink`. A month with no object is never refused.
pub(crate) fn decide(
    current: Option<&ObjectFacts>,
    new: &NewVersion<'_>,
    allow_shrink: bool,
) -> Decision {
    let Some(current) = current else {
        return Decision::Commit;
    };
    if let (Some(theirs), Some(ours)) = (&current.source_submitted, new.source_submitted)
        && later(theirs, ours)
    {
        return Decision::Older;
    }
    if current.fingerprint.as_deref() == Some(new.fingerprint) {
        return match new.source_run {
            Some(run) if current.source_run.as_deref() != Some(run) => Decision::Restamp,
            _ => Decision::Unchanged,
        };
    }
    if let Some(theirs) = &current.pulled_at
        && later(theirs, new.pulled_at)
    {
        return Decision::Stale {
            run_id: current.run_id.clone().unwrap_or_default(),
            pulled_at: theirs.clone(),
        };
    }
    let old = current.rows.unwrap_or(0);
    if allow_shrink || old == 0 {
        return Decision::Commit;
    }
    if new.rows == 0 {
        return Decision::Refuse {
            current_rows: old,
            why: "no rows",
        };
    }
    if new.rows.saturating_mul(2) < old {
        return Decision::Refuse {
            current_rows: old,
            why: "fewer than half",
        };
    }
    Decision::Commit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(rows: u64) -> ObjectFacts {
        ObjectFacts {
            rows: Some(rows),
            pulled_at: Some("2026-11-30T02:00:00Z".into()),
            run_id: Some("old".into()),
            fingerprint: Some("fp-old".into()),
            ..ObjectFacts::default()
        }
    }

    fn new(rows: u64) -> NewVersion<'static> {
        NewVersion {
            rows,
            pulled_at: "2026-12-01T02:00:00Z",
            fingerprint: "fp-new",
            source_run: None,
            source_submitted: None,
        }
    }

    #[test]
    fn the_shrink_guard() {
        assert_eq!(decide(None, &new(0), false), Decision::Commit);
        assert_eq!(decide(Some(&cur(0)), &new(0), false), Decision::Commit);
        assert_eq!(
            decide(Some(&cur(400_000)), &new(0), false),
            Decision::Refuse {
                current_rows: 400_000,
                why: "no rows"
            }
        );
        assert_eq!(
            decide(Some(&cur(400_000)), &new(199_999), false),
            Decision::Refuse {
                current_rows: 400_000,
                why: "fewer than half"
            }
        );
        assert_eq!(
            decide(Some(&cur(400_000)), &new(200_000), false),
            Decision::Commit
        );
        assert_eq!(
            decide(Some(&cur(3)), &new(1), false),
            Decision::Refuse {
                current_rows: 3,
                why: "fewer than half"
            }
        );
        assert_eq!(decide(Some(&cur(3)), &new(2), false), Decision::Commit);
        assert_eq!(decide(Some(&cur(400_000)), &new(0), true), Decision::Commit);
        // An object without our metadata has no known rows: it is never a reason to refuse.
        assert_eq!(
            decide(Some(&ObjectFacts::default()), &new(0), false),
            Decision::Commit
        );
    }

    #[test]
    fn identical_rows_are_not_written_again_even_when_small() {
        let same = NewVersion {
            fingerprint: "fp-old",
            ..new(0)
        };
        assert_eq!(decide(Some(&cur(10)), &same, false), Decision::Unchanged);
        assert_eq!(decide(None, &same, false), Decision::Commit);
        // From a newer run of the source: the footer is renewed, no version is kept.
        let mut archived = cur(10);
        archived.source_run = Some("run-1".into());
        let rerun = |id| NewVersion {
            source_run: Some(id),
            ..same.clone()
        };
        assert_eq!(
            decide(Some(&archived), &rerun("run-1"), false),
            Decision::Unchanged
        );
        assert_eq!(
            decide(Some(&archived), &rerun("run-2"), false),
            Decision::Restamp
        );
    }

    #[test]
    fn a_newer_pull_is_never_replaced_by_an_older_one() {
        let mut c = cur(10);
        c.pulled_at = Some("2026-12-01T03:00:00Z".into());
        assert_eq!(
            decide(Some(&c), &new(10), true),
            Decision::Stale {
                run_id: "old".into(),
                pulled_at: "2026-12-01T03:00:00Z".into()
            }
        );
    }

    #[test]
    fn times_of_either_precision_compare_as_times() {
        assert!(later("2026-12-01T22:08:36.500Z", "2026-12-01T22:08:36Z"));
        assert!(!later("2026-12-01T22:08:36Z", "2026-12-01T22:08:36.500Z"));
        assert!(!later(
            "2026-12-01T22:08:36.500Z",
            "2026-12-01T22:08:36.500Z"
        ));
    }
}
