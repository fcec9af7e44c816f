//! The sources as peers: one [`Source`] per run, built from its [`SourceSpec`], opened once per
//! month into a stream of raw pages. The orchestration asks only "the pages of this month";
//! which API, paging scheme or file layout produces them is decided here.

use std::path::PathBuf;
use std::sync::Arc;

use super::cost_details::{CostDetailsSettings, CostDetailsSource};
use super::http::{HttpSettings, HttpSource};
use super::{Endpoint, PageStream, Secret, SourceError, replay};

/// A source as configured (checked, nothing opened).
#[derive(Debug, Clone)]
pub(crate) enum SourceSpec {
    /// The EA Reporting API over HTTP.
    EaApi {
        /// The key.
        key: Secret,
        /// HTTP settings.
        http: HttpSettings,
    },
    /// The Cost Management Cost Details API.
    CostDetails {
        /// The bearer token, when given; else the Azure credential chain's.
        token: Option<Secret>,
        /// Its settings.
        settings: CostDetailsSettings,
    },
    /// Page files saved earlier (`--from-dir`).
    Replay {
        /// The directory.
        dir: PathBuf,
    },
}

/// A run's source, ready to open months.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The EA Reporting API over HTTP.
    EaApi(Arc<HttpSource>),
    /// The Cost Details API.
    CostDetails(Arc<CostDetailsSource>),
    /// Page files saved earlier.
    Replay(PathBuf),
}

/// What one month asks of the source.
#[derive(Debug, Clone)]
pub(crate) struct MonthRequest<'a> {
    /// Enrollment number.
    pub enrollment: &'a str,
    /// The month (sources that ask by month).
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
    /// The EA endpoint of the month (sources that are not the EA API ignore it).
    pub endpoint: &'a Endpoint,
    /// The `ETag` of the month's current object, for a conditional first request.
    pub if_none_match: Option<String>,
}

/// One month's pages, in order.
pub(crate) struct Pages {
    /// The pages.
    pub stream: PageStream,
    /// Where they come from, for the file metadata and logs (a URL without secrets, or
    /// `replay`).
    pub label: String,
}

impl Source {
    /// Builds the source: the HTTP client for an API, nothing for a replay.
    pub(crate) async fn new(spec: &SourceSpec) -> Result<Self, SourceError> {
        Ok(match spec {
            SourceSpec::EaApi { key, http } => Source::EaApi(Arc::new(
                HttpSource::new(key, http.clone())?,
            )),
            SourceSpec::CostDetails { token, settings } => {
                let token = match token {
                    Some(t) => t.clone(),
                    None => super::credentials::from_chain().await?,
                };
                Source::CostDetails(Arc::new(
                    CostDetailsSource::new(&token, settings.clone())?,
                ))
            }
            SourceSpec::Replay { dir } => Source::Replay(dir.clone()),
        })
    }

    /// The `api_version` recorded in each file's metadata for this source.
    pub(crate) fn api_label(&self, ea: super::ApiVersion) -> String {
        match self {
            Source::CostDetails(_) => format!("cost-details-{}", super::cost_details::API_VERSION),
            _ => ea.as_str().to_string(),
        }
    }

    /// The label replayed pages carry in the file metadata.
    pub(crate) const REPLAY: &'static str = "replay";

    /// Opens one month's pages.
    pub(crate) fn open(&self, req: &MonthRequest<'_>) -> Result<Pages, SourceError> {
        match self {
            Source::EaApi(client) => {
                let first = req.endpoint.url(client.base_url(), req.enrollment);
                let label = first.to_string();
                let stream = client.clone().pages(first, req.if_none_match.clone());
                Ok(Pages { stream, label })
            }
            Source::CostDetails(client) => Ok(Pages {
                label: client.report_url(req.enrollment).to_string(),
                stream: client
                    .clone()
                    .pages(req.enrollment.to_string(), req.year, req.month),
            }),
            Source::Replay(dir) => Ok(Pages {
                stream: replay::pages(dir)?,
                label: Self::REPLAY.to_string(),
            }),
        }
    }
}
