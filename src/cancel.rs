//! Cancellation by SIGTERM or SIGINT (Airflow, Kubernetes and systemd stop a task with SIGTERM,
//! then SIGKILL after a grace period; a person presses Ctrl-C).
//!
//! The first signal cancels the run: every month not yet committed stops fetching, aborts its
//! upload, discards its raw pages and releases its lease; a month already committing finishes.
//! The run then prints its summary and exits with 128 + the signal number (143 or 130). A
//! second signal exits at once with the same code, leaving cleanup to the leases' expiry and
//! the next run.

use tokio::sync::watch;
use tracing::warn;

/// The signal that cancelled the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code: 128 + the signal number (`crate::error::exit` documents both).
    pub(crate) fn exit_code(self) -> i32 {
        128 + match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
        }
    }
}

/// A handle every month checks: has the run been cancelled, and by which signal?
#[derive(Debug, Clone)]
pub(crate) struct Cancel {
    rx: watch::Receiver<Option<Signal>>,
}

/// The sending side of a [`Cancel`].
#[derive(Debug)]
pub(crate) struct CancelTrigger {
    tx: watch::Sender<Option<Signal>>,
}

impl CancelTrigger {
    /// Cancels the run (the first signal wins).
    pub(crate) fn cancel(&self, signal: Signal) {
        self.tx.send_if_modified(|s| {
            if s.is_none() {
                *s = Some(signal);
                true
            } else {
                false
            }
        });
    }
}

/// A new cancellation pair.
pub(crate) fn pair() -> (CancelTrigger, Cancel) {
    let (tx, rx) = watch::channel(None);
    (CancelTrigger { tx }, Cancel { rx })
}

impl Cancel {
    /// The signal, if the run has been cancelled.
    pub(crate) fn signal(&self) -> Option<Signal> {
        *self.rx.borrow()
    }

    /// Resolves with the signal once the run is cancelled.
    pub(crate) async fn cancelled(&self) -> Signal {
        let mut rx = self.rx.clone();
        loop {
            if let Some(s) = *rx.borrow_and_update() {
                return s;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Listens for SIGTERM and SIGINT for the rest of the process: the first cancels the returned
/// handle, the second exits the process at once.
pub(crate) fn on_signals() -> std::io::Result<Cancel> {
    use tokio::signal::unix::{SignalKind, signal};
    let (trigger, cancel) = pair();
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let mut first: Option<Signal> = None;
        loop {
            let got = tokio::select! {
                _ = term.recv() => Signal::Terminate,
                _ = int.recv() => Signal::Interrupt,
            };
            match first {
                None => {
                    warn!(
                        signal = got.name(),
                        "run cancelled by {}: stopping; months not yet committed are left as they were",
                        got.name()
                    );
                    first = Some(got);
                    trigger.cancel(got);
                }
                Some(s) => {
                    eprintln!(
                        "error: second signal ({}); exiting at once without cleanup",
                        got.name()
                    );
                    #[allow(clippy::disallowed_methods)] // the one exit that must not wait
                    std::process::exit(s.exit_code());
                }
            }
        }
    });
    Ok(cancel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_signal_wins_and_wakes_every_waiter() {
        let (trigger, cancel) = pair();
        assert_eq!(cancel.signal(), None);
        let waiter = {
            let c = cancel.clone();
            tokio::spawn(async move { c.cancelled().await })
        };
        trigger.cancel(Signal::Terminate);
        trigger.cancel(Signal::Interrupt);
        assert_eq!(waiter.await.unwrap(), Signal::Terminate);
        assert_eq!(cancel.signal(), Some(Signal::Terminate));
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Interrupt.exit_code(), 130);
    }
}
