//! The Cost Management **Cost Details** API, the EA Reporting API's successor, as a source: for
//! one month, `POST …/generateCostDetailsReport` (`{"metric", "billingPeriod"}`), poll the
//! `Location` it answers with (honouring `Retry-After`) until the report is done, then download
//! every blob of its manifest (CSV, gzip when `compressData`), streamed and framed into pages.
//!
//! The bearer token goes to the management origin only (the POST and the polls, whose
//! `Location` must stay on that origin); blob downloads carry their SAS and **no**
//! `Authorization` header. Neither the token nor a SAS signature appears in a message: blob
//! links are shown without their query. Plain http is refused for non-loopback hosts unless
//! `--allow-http` (management URL and blob links alike).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION};
use serde::Deserialize;
use tracing::{debug, info};
use url::Url;

use super::csv_frame::{self, Compression};
use super::retry::{RetryConfig, send_retrying};
use super::trust::{Trust, check_transport, origin};
use super::{PageStream, Secret, SourceError};
use crate::text::body_snippet;

/// The API version this tool speaks.
pub(crate) const API_VERSION: &str = "2025-03-01";

/// Actual or amortized cost (never both in one lake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    /// `ActualCost` (what the EA Reporting API reported).
    Actual,
    /// `AmortizedCost`.
    Amortized,
}

impl Metric {
    /// The API's spelling.
    pub(crate) fn api_name(self) -> &'static str {
        match self {
            Metric::Actual => "ActualCost",
            Metric::Amortized => "AmortizedCost",
        }
    }

    /// The flag's and the footer metadata's spelling: `actual` or `amortized`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Metric::Actual => "actual",
            Metric::Amortized => "amortized",
        }
    }
}

/// Settings of the Cost Details source.
#[derive(Debug, Clone)]
pub(crate) struct CostDetailsSettings {
    /// `--management-url`: the token goes to this origin only.
    pub management_url: Url,
    /// `--metric`.
    pub metric: Metric,
    /// `--allow-http`.
    pub allow_http: bool,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Retry policy (429 and 5xx).
    pub retry: RetryConfig,
    /// Longest wait for a report to be ready (`--report-timeout`).
    pub report_timeout: Duration,
}

/// A Cost Details client.
pub(crate) struct CostDetailsSource {
    api: reqwest::Client,
    blobs: reqwest::Client,
    auth: HeaderValue,
    settings: CostDetailsSettings,
}

impl std::fmt::Debug for CostDetailsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CostDetailsSource")
            .field("management_url", &self.settings.management_url.as_str())
            .field("auth", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Deserialize)]
struct ApiError {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: Option<ApiError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Blob {
    blob_link: String,
    #[serde(default)]
    byte_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    blobs: Vec<Blob>,
    #[serde(default)]
    compress_data: bool,
    #[serde(default)]
    data_format: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Operation {
    status: Option<String>,
    manifest: Option<Manifest>,
    error: Option<ApiError>,
}

fn api_message(body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: Some(ApiError { code, message }),
        }) => format!(
            "{}: {}",
            code.unwrap_or_else(|| "error".into()),
            message.unwrap_or_default()
        ),
        _ => body_snippet(body, 300),
    }
}

/// A URL as shown in messages: scheme, host, port and path, never the query (a SAS).
pub(crate) fn shown(u: &Url) -> String {
    format!("{}{}", origin(u), u.path())
}

impl CostDetailsSource {
    /// Builds the clients: one that sends the token, one for blobs that never does. Redirects
    /// are not followed, so neither can be led elsewhere.
    pub(crate) fn new(token: &Secret, settings: CostDetailsSettings) -> Result<Self, SourceError> {
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                SourceError::Credential {
                    reason: "the access token contains characters not allowed in an HTTP header"
                        .into(),
                }
            })?;
        auth.set_sensitive(true);
        crate::tls::install_crypto_provider();
        let build = || {
            reqwest::Client::builder()
                .timeout(settings.request_timeout)
                .connect_timeout(settings.request_timeout.min(Duration::from_secs(30)))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("ea-usage-archiver/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|source| SourceError::Client { source })
        };
        // Blobs can be large: no overall timeout, only for connecting and between reads.
        let blobs = reqwest::Client::builder()
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(30)))
            .read_timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ea-usage-archiver/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| SourceError::Client { source })?;
        Ok(Self {
            api: build()?,
            blobs,
            auth,
            settings,
        })
    }

    /// The report request's URL for `enrollment`.
    pub(crate) fn report_url(&self, enrollment: &str) -> Url {
        let mut base = self.settings.management_url.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let mut u = base
            .join(&format!(
                "providers/Microsoft.Billing/billingAccounts/{enrollment}/providers/Microsoft.CostManagement/generateCostDetailsReport"
            ))
            .expect("a valid relative URL");
        u.set_query(Some(&format!("api-version={API_VERSION}")));
        u
    }

    fn trust(&self) -> Trust {
        Trust::new(
            self.settings.management_url.clone(),
            Vec::new(),
            self.settings.allow_http,
        )
    }

    fn auth_error(status: u16, url: &Url) -> SourceError {
        SourceError::Auth {
            status,
            message: if status == 401 {
                "Cost Management refused the access token (invalid or expired: get a new one, e.g. `az account get-access-token --resource https://management.azure.com/`)"
            } else {
                "Cost Management refused the access token for this billing account (the identity needs an EA role such as Enterprise Administrator (read only))"
            },
            url: shown(url),
        }
    }

    /// Asks for the month's report and waits for its manifest.
    async fn manifest(
        &self,
        enrollment: &str,
        year: i32,
        month: u32,
    ) -> Result<Option<Manifest>, SourceError> {
        let url = self.report_url(enrollment);
        let body = serde_json::json!({
            "metric": self.settings.metric.api_name(),
            "billingPeriod": format!("{year:04}{month:02}"),
        })
        .to_string();
        let post = send_retrying(&self.settings.retry, &shown(&url), || {
            self.api
                .post(url.clone())
                .header(AUTHORIZATION, self.auth.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await?;
        let started = Instant::now();
        let mut response = post;
        let mut poll_url = url.clone();
        loop {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.map_err(|e| SourceError::Transport {
                url: shown(&poll_url),
                attempts: 1,
                source: e.without_url(),
            })?;
            match status {
                200 => return self.completed(&poll_url, &bytes),
                202 => {}
                401 | 403 => return Err(Self::auth_error(status, &poll_url)),
                _ => {
                    return Err(SourceError::Report {
                        url: shown(&poll_url),
                        status: format!("HTTP {status}"),
                        message: api_message(&bytes),
                    });
                }
            }
            if let Some(loc) = headers.get(LOCATION).and_then(|v| v.to_str().ok()) {
                let next = poll_url.join(loc).map_err(|e| SourceError::Report {
                    url: shown(&poll_url),
                    status: "bad Location".into(),
                    message: format!("the Location header is not a URL: {e}"),
                })?;
                self.trust().check(&next).map_err(|why| SourceError::Paging {
                    page: 0,
                    reason: format!("the report's Location points at {why}; refusing to send the token there"),
                })?;
                poll_url = next;
            } else if poll_url == url {
                return Err(SourceError::Report {
                    url: shown(&url),
                    status: "202 without Location".into(),
                    message: "the API accepted the request but gave no Location to poll".into(),
                });
            }
            let wait = super::retry::server_wait(&headers, std::time::SystemTime::now())
                .unwrap_or(Duration::from_secs(5))
                .min(Duration::from_secs(60));
            if started.elapsed() + wait > self.settings.report_timeout {
                return Err(SourceError::Report {
                    url: shown(&poll_url),
                    status: "not ready".into(),
                    message: format!(
                        "the report was not ready within --report-timeout ({} s)",
                        self.settings.report_timeout.as_secs()
                    ),
                });
            }
            debug!(
                wait_s = wait.as_secs_f64(),
                "report not ready; polling again"
            );
            tokio::time::sleep(wait).await;
            let target = poll_url.clone();
            response = send_retrying(&self.settings.retry, &shown(&target), || {
                self.api
                    .get(target.clone())
                    .header(AUTHORIZATION, self.auth.clone())
            })
            .await?;
        }
    }

    /// The manifest of a finished report; `None` for `NoDataFound` (a month with no rows).
    fn completed(&self, url: &Url, body: &[u8]) -> Result<Option<Manifest>, SourceError> {
        let op: Operation = serde_json::from_slice(body).map_err(|e| SourceError::Report {
            url: shown(url),
            status: "unreadable".into(),
            message: format!(
                "the operation result is not the documented JSON ({e}): {}",
                body_snippet(body, 200)
            ),
        })?;
        let status = op.status.clone().unwrap_or_else(|| "Completed".into());
        match status.as_str() {
            "Completed" => {
                let manifest = op.manifest.ok_or_else(|| SourceError::Report {
                    url: shown(url),
                    status,
                    message: "the completed report has no manifest".into(),
                })?;
                if let Some(f) = &manifest.data_format
                    && !f.eq_ignore_ascii_case("csv")
                {
                    return Err(SourceError::Report {
                        url: shown(url),
                        status: "unsupported".into(),
                        message: format!("the report's dataFormat is {f:?}; only Csv is read"),
                    });
                }
                info!(blobs = manifest.blobs.len(), "cost details report ready");
                Ok(Some(manifest))
            }
            "NoDataFound" => {
                info!("the API found no cost data for the month");
                Ok(None)
            }
            _ => {
                let message = op
                    .error
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.code.unwrap_or_default(),
                            e.message.unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "no error details".into());
                Err(SourceError::Report {
                    url: shown(url),
                    status,
                    message,
                })
            }
        }
    }

    /// The month's pages: every blob of the report, in order, framed into CSV pages.
    pub(crate) fn pages(self: Arc<Self>, enrollment: String, year: i32, month: u32) -> PageStream {
        let stream = futures::stream::once(async move {
            let manifest = self.manifest(&enrollment, year, month).await?;
            let (blobs, compression) = match manifest {
                Some(m) => (
                    m.blobs,
                    if m.compress_data {
                        Compression::Gzip
                    } else {
                        Compression::None
                    },
                ),
                None => (Vec::new(), Compression::None),
            };
            let mut links = Vec::with_capacity(blobs.len());
            for b in &blobs {
                let url = Url::parse(&b.blob_link).map_err(|e| SourceError::Report {
                    url: "(manifest)".into(),
                    status: "bad blobLink".into(),
                    message: format!("a blobLink is not a URL: {e}"),
                })?;
                check_transport(&url, self.settings.allow_http).map_err(|why| {
                    SourceError::Paging {
                        page: 0,
                        reason: format!("blob link {why}"),
                    }
                })?;
                debug!(blob = %shown(&url), bytes = b.byte_count.unwrap_or(0), "blob");
                links.push(url);
            }
            let this = self.clone();
            let pages = futures::stream::iter(links).flat_map(move |url| {
                let this = this.clone();
                let origin = shown(&url);
                let bytes: csv_frame::ByteStream = Box::pin(
                    futures::stream::once(async move { this.download(url).await }).try_flatten(),
                );
                csv_frame::pages(bytes, compression, origin, 1)
            });
            Ok::<_, SourceError>(pages)
        })
        .try_flatten();
        Box::pin(csv_frame::number_across(stream))
    }

    /// A blob's bytes as they arrive. The request carries the SAS only: no `Authorization`.
    async fn download(
        &self,
        url: Url,
    ) -> Result<futures::stream::BoxStream<'static, Result<Bytes, SourceError>>, SourceError> {
        let shown_url = shown(&url);
        let response = send_retrying(&self.settings.retry, &shown_url, || {
            self.blobs.get(url.clone())
        })
        .await?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body = response.bytes().await.unwrap_or_default();
            return Err(SourceError::Report {
                url: shown_url,
                status: format!("HTTP {status}"),
                message: format!(
                    "the report's blob could not be downloaded (its link is valid until the manifest's validTill): {}",
                    crate::text::redact_secrets(&api_message(&body))
                ),
            });
        }
        let s = shown_url.clone();
        Ok(response
            .bytes_stream()
            .map_err(move |e| SourceError::Transport {
                url: s.clone(),
                attempts: 1,
                source: e.without_url(),
            })
            .boxed())
    }
}
