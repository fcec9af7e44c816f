//! The run's error type and its documented exit codes.

use crate::cancel::Signal;
use crate::config::ConfigError;
use crate::decode::DecodeError;
use crate::sink::SinkError;
use crate::sink::lease::LeaseError;
use crate::source::SourceError;

/// Exit codes, documented in the README.
pub mod exit {
    /// Every partition archived.
    pub const OK: i32 = 0;
    /// Unexpected internal error.
    pub const INTERNAL: i32 = 1;
    /// Bad arguments.
    pub const USAGE: i32 = 2;
    /// The API refused the key (401/403).
    pub const AUTH: i32 = 3;
    /// The API failed (HTTP error after retries, 400/404, network).
    pub const API: i32 = 4;
    /// The lake's storage failed.
    pub const STORAGE: i32 = 5;
    /// Data could not be read (non-JSON or malformed page, paging loop, bad replay file).
    pub const DATA: i32 = 6;
    /// `verify` found a mismatch, an unreadable file or a stray file.
    pub const VERIFY_FAILED: i32 = 7;
    /// Another run holds the month's lease (or took it over from this run).
    pub const LEASE_HELD: i32 = 8;
    /// The new version of a month was refused: no rows, or fewer than half of the current
    /// version's (`--allow-shrink` lets it through).
    pub const REFUSED: i32 = 9;
    /// Cancelled by SIGINT (128 + 2).
    pub const INTERRUPTED: i32 = 130;
    /// Cancelled by SIGTERM (128 + 15).
    pub const TERMINATED: i32 = 143;
}

/// Anything that stops a partition or the run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// Invalid flag.
    #[error("invalid argument {0}")]
    Config(#[from] ConfigError),
    /// Source failure.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Page could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Lake failure.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The month's lease is held by another run, or was lost.
    #[error(transparent)]
    Lease(#[from] LeaseError),
    /// The new version would shrink the month; it was not committed.
    #[error(transparent)]
    Refused(crate::sink::publish::Refusal),
    /// `restore` was given a version the month does not have, or its current one.
    #[error(transparent)]
    Restore(crate::versions::restore::RestoreError),
    /// The run was cancelled by a signal before the month was committed.
    #[error("cancelled by {}; the month was left as it was", .0.name())]
    Cancelled(Signal),
    /// SIGTERM and SIGINT cannot be listened for.
    #[error("cannot listen for signals")]
    Signals(#[source] std::io::Error),
    /// A task of the run's own died (a panic): its work cannot be trusted to be complete.
    #[error("{what} stopped unexpectedly")]
    Task {
        /// Which task.
        what: &'static str,
        /// How it ended.
        #[source]
        source: tokio::task::JoinError,
    },
    /// Data in the lake could not be read as what it should be.
    #[error("{what}")]
    Unreadable {
        /// What could not be read.
        what: String,
        /// Why.
        #[source]
        source: crate::text::BoxError,
    },
    /// A built-in step failed that no flag or input can cause (a bug: please report it).
    #[error("internal error: {what}")]
    Internal {
        /// What failed.
        what: String,
        /// Why.
        #[source]
        source: crate::text::BoxError,
    },
}

impl From<crate::sink::publish::PublishError> for RunError {
    fn from(e: crate::sink::publish::PublishError) -> Self {
        use crate::sink::publish::PublishError as P;
        match e {
            P::Sink(e) => RunError::Sink(e),
            P::Lease(e) => RunError::Lease(e),
            P::Refused(r) => RunError::Refused(r),
            P::Cancelled(s) => RunError::Cancelled(s),
        }
    }
}

impl From<crate::versions::restore::RestoreError> for RunError {
    fn from(e: crate::versions::restore::RestoreError) -> Self {
        use crate::versions::restore::RestoreError as R;
        match e {
            R::Failed(e) => e.into(),
            e => RunError::Restore(e),
        }
    }
}

impl RunError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            RunError::Config(_) => exit::USAGE,
            RunError::Source(SourceError::Client { .. }) => exit::INTERNAL,
            RunError::Source(SourceError::Root { .. }) => exit::STORAGE,
            RunError::Source(SourceError::ExportChoice { .. }) => exit::USAGE,
            RunError::Source(e) if e.is_auth() => exit::AUTH,
            RunError::Source(e) if e.is_unreadable_data() => exit::DATA,
            RunError::Source(_) => exit::API,
            RunError::Decode(_) => exit::DATA,
            RunError::Sink(SinkError::Destination { .. }) => exit::USAGE,
            RunError::Sink(_) => exit::STORAGE,
            RunError::Lease(LeaseError::Store(_)) => exit::STORAGE,
            RunError::Lease(_) => exit::LEASE_HELD,
            RunError::Refused(_) => exit::REFUSED,
            RunError::Cancelled(s) => s.exit_code(),
            RunError::Restore(_) => exit::USAGE,
            RunError::Unreadable { .. } => exit::DATA,
            RunError::Signals(_) | RunError::Task { .. } | RunError::Internal { .. } => {
                exit::INTERNAL
            }
        }
    }

    /// The error and its sources on one line.
    pub(crate) fn chain(&self) -> String {
        crate::text::error_chain(self)
    }
}
