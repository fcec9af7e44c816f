//! One run per month at a time: the month's lease under `<dest>/_leases/`.
//!
//! The one atomic operation every store of the lake offers is create-if-absent
//! (`PutMode::Create`: a hard link on local disk, `If-None-Match: *` on S3, `If-None-Match`
//! on Azure), so the lease is built on that alone and behaves the same on all three:
//!
//! - A lease is a sequence of **terms**, one small JSON object each:
//!   `_leases/enrollment=<n>/year=<yyyy>/month=<mm>/<term>.json` (20-digit term number). The
//!   newest term says who holds the month and until when (`expires_at`), or that it was
//!   `released`.
//! - **Take**: read the newest term; when there is none, or it is released or expired, create
//!   the next term. Two runs racing for the same term: one create wins, the other sees
//!   `AlreadyExists` and reads again.
//! - **Renew** (every quarter of the time-to-live, and once more just before the commit):
//!   the holder creates the next term itself. If that term exists already, another run took
//!   over after the holder stalled past its expiry: the holder has lost the lease. After a
//!   successful create the holder lists the terms; a newer term than its own also means it lost.
//! - **Release** (every exit path): create the next term marked `released`.
//! - Older terms are deleted by whoever created a newer one; the newest is never deleted, so a
//!   stalled run that wakes up always finds a term newer than its own, even after the month's
//!   next run released it, and can never take the lease back by accident.
//!
//! A run killed with SIGKILL releases nothing: its term expires after the time-to-live and the
//! next run takes over. Expiry is judged by the clock of the run that reads it against the
//! holder's `expires_at`; clocks of the hosts must agree to well within the time-to-live.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::sync::{Mutex, watch};
use tracing::{debug, info, warn};

mod record;

pub(crate) use record::LeaseRecord;
use record::{host_name, rfc3339};

use super::layout::{self, PartitionKey};
use crate::sink::{Lake, SinkError};

/// Why a month's lease could not be taken or kept.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LeaseError {
    /// Another run holds the month.
    #[error(
        "month {month} is being archived by another run: run {} on {} (pid {}) since {}, lease valid until {} (wait for it to finish, or for the lease to expire if that run was killed)",
        holder.run_id, holder.host, holder.pid, holder.started_at, holder.expires_at
    )]
    Held {
        /// `YYYY-MM`.
        month: String,
        /// Who holds it.
        holder: Box<LeaseRecord>,
    },
    /// This run stalled past its lease's expiry and another run took the month over.
    #[error(
        "lost the lease on month {month}: another run took it over ({by}); this run's version is discarded so that it cannot replace a newer one"
    )]
    Lost {
        /// `YYYY-MM`.
        month: String,
        /// Who holds it now, as far as known.
        by: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] SinkError),
}

/// A held lease. Renewed in the background until [`release`](Self::release)d.
pub(crate) struct Lease {
    inner: Arc<Inner>,
    took_over: Option<LeaseRecord>,
    renewer: tokio::task::JoinHandle<()>,
    lost: watch::Receiver<bool>,
}

struct Inner {
    lake: Lake,
    dir: Path,
    month: String,
    ttl: Duration,
    record: LeaseRecord,
    /// The term this run created last; the mutex also serialises renewals.
    term: Mutex<u64>,
}

impl Lease {
    /// Takes the lease on `key` for `run_id`, or fails with [`LeaseError::Held`].
    pub(crate) async fn acquire(
        lake: &Lake,
        key: &PartitionKey,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Lease, LeaseError> {
        let now = Utc::now();
        let record = LeaseRecord {
            run_id: run_id.to_string(),
            host: host_name(),
            pid: std::process::id(),
            started_at: rfc3339(now),
            expires_at: rfc3339(now + ttl),
            released: false,
        };
        let inner = Inner {
            lake: lake.clone(),
            dir: layout::lease_dir(&lake.prefix, key),
            month: key.month_label(),
            ttl,
            record,
            term: Mutex::new(0),
        };
        let (term, took_over) = inner.take().await?;
        if let Some(dead) = &took_over {
            warn!(
                dead_run = %dead.run_id,
                host = %dead.host,
                expired_at = %dead.expires_at,
                "took over the lease of a run that did not release it (killed?)"
            );
        }
        *inner.term.lock().await = term;
        info!(term, ttl_s = ttl.as_secs(), "lease taken");
        let inner = Arc::new(inner);
        let (lost_tx, lost) = watch::channel(false);
        let renewer = tokio::spawn(renew_loop(inner.clone(), lost_tx));
        Ok(Lease {
            inner,
            took_over,
            renewer,
            lost,
        })
    }

    /// The run whose expired, unreleased term this lease replaced: that run is dead (or can
    /// never commit), so what it staged may go at once.
    pub(crate) fn took_over(&self) -> Option<&LeaseRecord> {
        self.took_over.as_ref()
    }

    /// Renews the lease now and checks that this run still holds it: called just before the
    /// commit, so that a run that lost its lease never replaces the month.
    pub(crate) async fn confirm(&self) -> Result<(), LeaseError> {
        if *self.lost.borrow() {
            return Err(self
                .inner
                .lost("the background renewal found it taken".into()));
        }
        self.inner.renew().await
    }

    /// Resolves when the background renewal finds the lease lost (never, while it holds).
    pub(crate) async fn lost(&self) -> LeaseError {
        let mut rx = self.lost.clone();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        self.inner
            .lost("the background renewal found it taken".into())
    }

    /// Lets the month go: stops renewing and writes a `released` term. Errors are logged, not
    /// returned: an unreleased lease only expires later.
    pub(crate) async fn release(self) {
        self.renewer.abort();
        let _ = (&mut { self.renewer }).await;
        let mut term = self.inner.term.lock().await;
        let mut next = *term + 1;
        let mut record = self.inner.record.clone();
        record.released = true;
        record.expires_at = rfc3339(Utc::now());
        let mut created = self.inner.create(next, &record).await;
        // A renewal cut short by the abort may have created a term of ours already.
        while let Ok(false) = created {
            match self.inner.read(next).await {
                Ok(Some(r)) if r.run_id == record.run_id && !r.released => {
                    next += 1;
                    created = self.inner.create(next, &record).await;
                }
                _ => break,
            }
        }
        match created {
            Ok(true) => {
                *term = next;
                self.inner.delete_below(next).await;
                debug!(term = next, "lease released");
            }
            Ok(false) => debug!("lease already taken over; nothing to release"),
            Err(e) => {
                warn!(error = %crate::text::error_chain(&e), "could not release the lease; it expires on its own")
            }
        }
    }
}

async fn renew_loop(inner: Arc<Inner>, lost: watch::Sender<bool>) {
    let every = inner.ttl / 4;
    let mut last_ok = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        match inner.renew().await {
            Ok(()) => last_ok = tokio::time::Instant::now(),
            Err(LeaseError::Store(e)) => {
                warn!(error = %crate::text::error_chain(&e), "lease renewal failed; retrying");
                if last_ok.elapsed() >= inner.ttl {
                    warn!("lease expired while the store was failing");
                    let _ = lost.send(true);
                    return;
                }
            }
            Err(e) => {
                warn!(error = %e, "lease lost");
                let _ = lost.send(true);
                return;
            }
        }
    }
}

impl Inner {
    fn lost(&self, by: String) -> LeaseError {
        LeaseError::Lost {
            month: self.month.clone(),
            by,
        }
    }

    fn path(&self, term: u64) -> Path {
        self.dir
            .clone()
            .join(layout::lease_term_name(term).as_str())
    }

    /// Term numbers present, ascending.
    async fn terms(&self) -> Result<Vec<u64>, SinkError> {
        let mut out = Vec::new();
        let mut listing = self.lake.store.list(Some(&self.dir));
        while let Some(item) = listing.next().await {
            match item {
                Ok(meta) => {
                    if let Some(t) = meta
                        .location
                        .filename()
                        .and_then(layout::parse_lease_term_name)
                    {
                        out.push(t);
                    }
                }
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(self.lake.error(&self.dir, e)),
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The record of `term`; `None` when it is gone (replaced meanwhile).
    async fn read(&self, term: u64) -> Result<Option<LeaseRecord>, SinkError> {
        let path = self.path(term);
        let bytes = match self.lake.store.get(&path).await {
            Ok(r) => r.bytes().await.map_err(|e| self.lake.error(&path, e))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.lake.error(&path, e)),
        };
        // A term that cannot be read is held as if live for one time-to-live of ours from now,
        // so a damaged file never lets two runs in; it is replaced on the next take after that.
        Ok(Some(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            LeaseRecord {
                run_id: "<unreadable lease record>".into(),
                host: "?".into(),
                pid: 0,
                started_at: "?".into(),
                expires_at: rfc3339(Utc::now() + self.ttl),
                released: false,
            }
        })))
    }

    /// Creates `term` with `record`; `Ok(false)` when it exists already.
    async fn create(&self, term: u64, record: &LeaseRecord) -> Result<bool, SinkError> {
        let path = self.path(term);
        let body = serde_json::to_vec_pretty(record).expect("a lease record serializes");
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .lake
            .store
            .put_opts(&path, PutPayload::from(Bytes::from(body)), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.lake.error(&path, e)),
        }
    }

    /// Deletes every term below `term` (best effort: leftovers are deleted next time).
    async fn delete_below(&self, term: u64) {
        let Ok(terms) = self.terms().await else {
            return;
        };
        for t in terms.into_iter().filter(|&t| t < term) {
            let _ = self.lake.store.delete(&self.path(t)).await;
        }
    }

    /// Takes the next term, or reports the live holder. Also returns the record of an expired,
    /// unreleased term it replaced.
    async fn take(&self) -> Result<(u64, Option<LeaseRecord>), LeaseError> {
        for _ in 0..8 {
            let terms = self.terms().await?;
            let newest = terms.last().copied();
            let mut superseded = None;
            if let Some(n) = newest {
                let Some(rec) = self.read(n).await? else {
                    continue; // replaced while we looked: look again
                };
                if rec.is_live(Utc::now()) {
                    return Err(LeaseError::Held {
                        month: self.month.clone(),
                        holder: Box::new(rec),
                    });
                }
                if !rec.released {
                    superseded = Some(rec);
                }
            }
            let next = newest.map_or(1, |n| n + 1);
            if !self.create(next, &self.record).await? {
                continue; // another run took this term first: look again
            }
            if let Some(&newer) = self.terms().await?.iter().rev().find(|&&t| t > next) {
                let holder = self
                    .read(newer)
                    .await?
                    .unwrap_or_else(|| self.record.clone());
                return Err(LeaseError::Held {
                    month: self.month.clone(),
                    holder: Box::new(holder),
                });
            }
            self.delete_below(next).await;
            return Ok((next, superseded));
        }
        Err(LeaseError::Store(SinkError::Internal {
            object: self.dir.to_string(),
            source: "the lease kept changing while it was being taken".into(),
        }))
    }

    /// Creates the next term with a new expiry; `Lost` when another run holds a newer term.
    async fn renew(&self) -> Result<(), LeaseError> {
        let mut term = self.term.lock().await;
        let next = *term + 1;
        let mut record = self.record.clone();
        record.expires_at = rfc3339(Utc::now() + self.ttl);
        if !self.create(next, &record).await? {
            let by = match self.read(next).await? {
                Some(r) => format!("run {} on {} since {}", r.run_id, r.host, r.started_at),
                None => "a newer run".into(),
            };
            return Err(self.lost(by));
        }
        if let Some(&newer) = self.terms().await?.iter().rev().find(|&&t| t > next) {
            let by = match self.read(newer).await? {
                Some(r) => format!("run {} on {} since {}", r.run_id, r.host, r.started_at),
                None => "a newer run".into(),
            };
            return Err(self.lost(by));
        }
        *term = next;
        drop(term);
        self.delete_below(next).await;
        debug!(term = next, "lease renewed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lake(dir: &std::path::Path) -> Lake {
        crate::sink::open_lake(&crate::sink::store::Dest::Local(dir.to_path_buf()), true).unwrap()
    }

    fn key() -> PartitionKey {
        PartitionKey {
            enrollment: "1".into(),
            year: 2024,
            month: 5,
        }
    }

    fn terms(dir: &std::path::Path) -> Vec<String> {
        let d = dir.join("_leases/enrollment=1/year=2024/month=05");
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[tokio::test]
    async fn a_second_run_is_refused_while_the_first_holds_the_month() {
        let dir = tempfile::tempdir().unwrap();
        let lake = lake(dir.path());
        let ttl = Duration::from_secs(60);
        let first = Lease::acquire(&lake, &key(), "run-a", ttl).await.unwrap();
        match Lease::acquire(&lake, &key(), "run-b", ttl).await {
            Err(LeaseError::Held { holder, month }) => {
                assert_eq!(holder.run_id, "run-a");
                assert_eq!(month, "2024-05");
                assert_eq!(holder.pid, std::process::id());
            }
            other => panic!("expected Held, got {:?}", other.map(|_| ())),
        }
        first.confirm().await.unwrap();
        first.release().await;
        // Only the newest term is left, and it says released.
        let left = terms(dir.path());
        assert_eq!(left, vec![layout::lease_term_name(3)]);
        let b = Lease::acquire(&lake, &key(), "run-b", ttl).await.unwrap();
        assert_eq!(terms(dir.path()), vec![layout::lease_term_name(4)]);
        b.release().await;
    }

    #[tokio::test]
    async fn an_expired_lease_is_taken_over_and_its_holder_loses_it() {
        let dir = tempfile::tempdir().unwrap();
        let lake = lake(dir.path());
        let stalled = Lease::acquire(&lake, &key(), "run-a", Duration::from_millis(400))
            .await
            .unwrap();
        stalled.renewer.abort(); // a run that stalls: no more renewals
        tokio::time::sleep(Duration::from_millis(500)).await;
        let newer = Lease::acquire(&lake, &key(), "run-b", Duration::from_secs(60))
            .await
            .unwrap();
        let err = stalled.confirm().await.unwrap_err();
        assert!(matches!(err, LeaseError::Lost { .. }), "{err}");
        assert!(err.to_string().contains("run-b"), "{err}");
        // Even after the newer run released the month and its terms are gone, the stalled run
        // cannot take the lease back by renewing.
        newer.release().await;
        let err = stalled.confirm().await.unwrap_err();
        assert!(matches!(err, LeaseError::Lost { .. }), "{err}");
    }
}
