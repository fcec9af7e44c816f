//! Source: where pages come from. The EA API over HTTP (with paging and retries) or page files
//! saved earlier (`--from-dir`, including a `--keep-raw` copy). Yields raw page bodies in order;
//! knows nothing of rows, schemas or storage.

pub(crate) mod cost_details;
pub(crate) mod credentials;
pub(crate) mod csv_frame;
pub(crate) mod endpoint;
pub(crate) mod exports;
pub(crate) mod http;
mod mapped;
pub(crate) mod open;
pub(crate) mod paging;
pub(crate) mod replay;
pub(crate) mod retry;
pub(crate) mod secret;
pub(crate) mod trust;

use std::pin::Pin;

use futures::Stream;

pub(crate) use crate::page::{PageFormat, RawPage};
pub(crate) use endpoint::{ApiVersion, Endpoint};
pub(crate) use open::{MonthRequest, PageCheck, Pages, Source, SourceSpec};
pub(crate) use secret::Secret;

/// A stream of pages in order.
pub(crate) type PageStream = Pin<Box<dyn Stream<Item = Result<RawPage, SourceError>> + Send>>;

/// Why pages could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    /// 401/403.
    #[error("{message} (HTTP {status} from {url})")]
    Auth {
        /// HTTP status.
        status: u16,
        /// What it means.
        message: &'static str,
        /// Request URL.
        url: String,
    },
    /// 400/404: bad request, or no data for the range.
    #[error(
        "HTTP {status} from {url}: the API rejected the request; it also answers this way when there is no usage data for the range (for example after an enrollment transfer). Body: {snippet}"
    )]
    NoDataOrBadRequest {
        /// HTTP status.
        status: u16,
        /// Request URL.
        url: String,
        /// First bytes of the body.
        snippet: String,
    },
    /// Any other failing HTTP status, after retries.
    #[error("HTTP {status} from {url} after {attempts} attempt(s); body: {snippet}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Request URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// First bytes of the body.
        snippet: String,
    },
    /// Connection error or timeout, after retries.
    #[error("request to {url} failed after {attempts} attempt(s)")]
    Transport {
        /// Request URL (without secrets).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The client's error, without its URL (which the message gives, redacted).
        #[source]
        source: reqwest::Error,
    },
    /// The body is not a usage-details page.
    #[error(
        "page {page} from {origin} is not a valid usage-details JSON page; body starts with: {snippet}"
    )]
    Malformed {
        /// 1-based page number.
        page: u64,
        /// URL or file.
        origin: String,
        /// What was wrong.
        #[source]
        source: crate::json::envelope::EnvelopeError,
        /// First bytes of the body.
        snippet: String,
    },
    /// `304 Not Modified` for `If-None-Match`: the data has not been refreshed.
    #[error("not modified since the last pull ({url})")]
    NotModified {
        /// Request URL.
        url: String,
    },
    /// A `nextLink` that must not be followed.
    #[error("page {page}: {reason}")]
    Paging {
        /// 1-based page number whose `nextLink` was refused.
        page: u64,
        /// What was wrong.
        reason: String,
    },
    /// The HTTP client could not be built (the system's TLS or proxy settings).
    #[error("cannot build the HTTP client")]
    Client {
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// No usable credential: none could be had, or it cannot be sent in a header.
    #[error("{reason}")]
    Credential {
        /// Which credentials were tried, and why each failed (no secret).
        reason: String,
    },
    /// A Cost Details report could not be made or read: the API's status and message.
    #[error("the Cost Details report ({url}) did not complete: {status}: {message}")]
    Report {
        /// The request or blob (no query string, so no SAS).
        url: String,
        /// The report's status or the HTTP status.
        status: String,
        /// The API's own message.
        message: String,
    },
    /// The pages do not form one whole `nextLink` chain (replayed folders).
    #[error("page {page} ({origin}): {reason}")]
    Chain {
        /// 1-based page number.
        page: u64,
        /// File or URL.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The exports root, or an object under it, could not be listed or read.
    #[error("cannot read {object} under the exports root")]
    Root {
        /// The root or the object (no credentials).
        object: String,
        /// The store's error chain, redacted.
        #[source]
        source: crate::text::RedactedError,
    },
    /// An export month cannot be archived from the run found: it is incomplete, its rows do not
    /// match its manifest, or which run is newest cannot be told.
    #[error("month {month}: {reason}")]
    ExportRun {
        /// `YYYY-MM`.
        month: String,
        /// Why, naming the run and the blob.
        reason: String,
    },
    /// Which export a month is archived from needs `--export-name`.
    #[error("month {month}: {reason}")]
    ExportChoice {
        /// `YYYY-MM`.
        month: String,
        /// The exports that cover it.
        reason: String,
    },
    /// A replay file or directory could not be read.
    #[error("cannot read {path}")]
    Replay {
        /// File or directory.
        path: String,
        /// What went wrong.
        #[source]
        source: crate::text::BoxError,
    },
}

impl SourceError {
    /// Whether the error is the server refusing the key.
    pub(crate) fn is_auth(&self) -> bool {
        matches!(
            self,
            SourceError::Auth { .. } | SourceError::Credential { .. }
        )
    }

    /// Whether the error is about the data received rather than the transport.
    pub(crate) fn is_unreadable_data(&self) -> bool {
        matches!(
            self,
            SourceError::Malformed { .. }
                | SourceError::Paging { .. }
                | SourceError::Chain { .. }
                | SourceError::Replay { .. }
                | SourceError::ExportRun { .. }
        )
    }
}
