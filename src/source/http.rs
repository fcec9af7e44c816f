//! The EA API over HTTP: authenticated GETs with retries, and the page sequence as a stream.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, ETAG, HeaderValue, IF_NONE_MATCH};
use tracing::debug;
use url::Url;

use super::Endpoint;
use super::paging::Cursor;
use super::retry::{Attempt, RetryConfig, is_retryable_status, retrying, server_wait};
use super::trust::Trust;
use super::{PageFormat, PageStream, RawPage, Secret, SourceError};
use crate::json::envelope;
use crate::period::Period;
use crate::text::body_snippet;

/// Settings of the HTTP source.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    /// The API's base URL; the key is only ever sent to its origin (and `allowed_hosts`).
    pub base_url: Url,
    /// Extra hosts a `nextLink` may point at.
    pub allowed_hosts: Vec<String>,
    /// `--allow-http`: plain http to hosts that are not loopback.
    pub allow_http: bool,
    /// Per-request timeout (connect + headers + body).
    pub request_timeout: Duration,
    /// Retry policy.
    pub retry: RetryConfig,
    /// Page budget per partition.
    pub max_pages: u64,
    /// `--api-version`: which endpoints to ask.
    pub version: super::ApiVersion,
}

/// An authenticated EA API client.
pub(crate) struct HttpSource {
    client: reqwest::Client,
    auth: HeaderValue,
    settings: HttpSettings,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("base_url", &self.settings.base_url.as_str())
            .field("auth", &"<redacted>")
            .finish()
    }
}

impl HttpSource {
    /// Builds the client. Redirects are not followed, so the key cannot leak through one.
    pub(crate) fn new(key: &Secret, settings: HttpSettings) -> Result<Self, SourceError> {
        let mut auth =
            HeaderValue::from_str(&format!("bearer {}", key.expose())).map_err(|_| {
                SourceError::Credential {
                    reason: "the API key contains characters not allowed in an HTTP header".into(),
                }
            })?;
        auth.set_sensitive(true);
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(30)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ea-usage-archiver/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| SourceError::Client { source })?;
        Ok(Self {
            client,
            auth,
            settings,
        })
    }

    /// The API's base URL.
    pub(crate) fn base_url(&self) -> &Url {
        &self.settings.base_url
    }

    /// The endpoint that serves `period`: its billing period, its custom date range, or the
    /// open period (v2; v1 has no such endpoint and is asked for the clock's month).
    pub(crate) fn endpoint(&self, period: &Period) -> Endpoint {
        let version = self.settings.version;
        match *period {
            Period::Days { start, end } => Endpoint::CustomRange { start, end },
            Period::Current { .. } if version == super::ApiVersion::V2 => Endpoint::Current,
            _ => {
                let (year, month) = period.nominal_month();
                Endpoint::BillingPeriod {
                    version,
                    year,
                    month,
                }
            }
        }
    }

    /// Pages of one partition, starting at `first` and following `nextLink`. With
    /// `if_none_match`, page 1 is requested conditionally and a `304` ends the stream with
    /// [`SourceError::NotModified`].
    pub(crate) fn pages(self: Arc<Self>, first: Url, if_none_match: Option<String>) -> PageStream {
        let trust = Trust::new(
            self.settings.base_url.clone(),
            self.settings.allowed_hosts.clone(),
            self.settings.allow_http,
        );
        let cursor = Cursor::new(trust, self.settings.max_pages, &first);
        let state = (Some(first), cursor, 0u64, self, if_none_match);
        Box::pin(futures::stream::try_unfold(
            state,
            |(next, mut cursor, n, this, if_none_match)| async move {
                let Some(url) = next else {
                    return Ok(None);
                };
                let number = n + 1;
                if let Err(why) = cursor.may_send_key_to(&url) {
                    return Err(SourceError::Paging {
                        page: number,
                        reason: format!("refusing to send the API key to {why}"),
                    });
                }
                let condition = if number == 1 {
                    if_none_match.as_deref()
                } else {
                    None
                };
                let (body, etag) = this.fetch(&url, condition).await?;
                cursor.page_fetched();
                let envelope =
                    envelope::read_skipping_rows(&body).map_err(|e| SourceError::Malformed {
                        page: number,
                        origin: url.to_string(),
                        source: e,
                        snippet: body_snippet(&body, 200),
                    })?;
                let next = cursor
                    .advance(envelope.next_link.as_deref())
                    .map_err(|reason| SourceError::Paging {
                        page: number,
                        reason,
                    })?;
                debug!(page = number, bytes = body.len(), "fetched page");
                let page = RawPage {
                    number,
                    body,
                    etag,
                    origin: url.to_string(),
                    format: PageFormat::EaJson,
                };
                Ok(Some((page, (next, cursor, number, this, None))))
            },
        ))
    }

    /// One GET with retries: 408/429/5xx and transport errors are retried; 400/401/403/404 are not.
    pub(crate) async fn fetch(
        &self,
        url: &Url,
        if_none_match: Option<&str>,
    ) -> Result<(Bytes, Option<String>), SourceError> {
        retrying(&self.settings.retry, url.as_str(), |attempts| {
            self.attempt(url, attempts, if_none_match)
        })
        .await
    }

    async fn attempt(
        &self,
        url: &Url,
        attempts: u32,
        if_none_match: Option<&str>,
    ) -> Attempt<(Bytes, Option<String>)> {
        let transport = |e: reqwest::Error| SourceError::Transport {
            url: url.to_string(),
            attempts,
            source: e.without_url(),
        };
        let mut request = self
            .client
            .get(url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json");
        if let Some(tag) = if_none_match {
            request = request.header(IF_NONE_MATCH, tag);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    error: transport(e),
                    wait: None,
                };
            }
        };
        let status = response.status().as_u16();
        let wait = server_wait(response.headers(), SystemTime::now());
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Retry {
                    error: transport(e),
                    wait: None,
                };
            }
        };
        let snippet = || body_snippet(&body, 200);
        let url_s = url.to_string();
        match status {
            200..=299 => Attempt::Done(Ok((body, etag))),
            304 => Attempt::Done(Err(SourceError::NotModified { url: url_s })),
            401 => Attempt::Done(Err(SourceError::Auth {
                status,
                message: "API key invalid or expired (EA keys expire every six months)",
                url: url_s,
            })),
            403 => Attempt::Done(Err(SourceError::Auth {
                status,
                message: "API key refused for this enrollment (a department or account key sees less than an enrollment admin's)",
                url: url_s,
            })),
            400 | 404 => Attempt::Done(Err(SourceError::NoDataOrBadRequest {
                status,
                url: url_s,
                snippet: snippet(),
            })),
            s if is_retryable_status(s) => Attempt::Retry {
                error: SourceError::Status {
                    status,
                    url: url_s,
                    attempts,
                    snippet: snippet(),
                },
                wait,
            },
            _ => Attempt::Done(Err(SourceError::Status {
                status,
                url: url_s,
                attempts,
                snippet: snippet(),
            })),
        }
    }
}
