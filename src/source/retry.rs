//! Retry policy as data: which failures are retried, how long to wait, when to give up.
//! Delays come from `backon`'s exponential backoff with jitter; a server's own wait
//! (`x-ms-ratelimit-microsoft.consumption-retry-after` or `Retry-After`) takes precedence.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;

/// The EA API's own throttling header, in seconds.
pub(crate) const EA_RETRY_AFTER: &str = "x-ms-ratelimit-microsoft.consumption-retry-after";

/// How requests are retried.
#[derive(Debug, Clone)]
pub(crate) struct RetryConfig {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay (doubles each retry, with jitter).
    pub base_delay: Duration,
    /// Largest backoff delay.
    pub max_delay: Duration,
    /// Overall time allowed for one page, retries and waits included.
    pub deadline: Duration,
}

impl RetryConfig {
    /// The backoff delays, one per allowed retry.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
            .build()
    }
}

/// Whether an HTTP status is worth retrying: 408, 429 and 5xx.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The longest wait any retry header asks for: the EA header (seconds), or `Retry-After`
/// as seconds or as an HTTP date.
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let seconds = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
    };
    let ea = headers
        .get(EA_RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(seconds)
        .map(Duration::from_secs_f64);
    let std = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            seconds(v).map(Duration::from_secs_f64).or_else(|| {
                httpdate::parse_http_date(v.trim())
                    .ok()
                    .map(|t| t.duration_since(now).unwrap_or(Duration::ZERO))
            })
        });
    match (ea, std) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Sends a request (built afresh by `build` for every attempt) with retries: 408, 429, 5xx
/// and transport errors are retried as `policy` says, honouring the server's wait; any other
/// response is returned for the caller to read. `shown` names the request in messages (no
/// secrets).
pub(crate) async fn send_retrying(
    policy: &RetryConfig,
    shown: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, super::SourceError> {
    let started = std::time::Instant::now();
    let mut delays = policy.delays();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let (error, hint) = match build().send().await {
            Ok(r) if !is_retryable_status(r.status().as_u16()) => return Ok(r),
            Ok(r) => {
                let status = r.status().as_u16();
                let hint = server_wait(r.headers(), SystemTime::now());
                let body = r.bytes().await.unwrap_or_default();
                let error = super::SourceError::Status {
                    status,
                    url: shown.to_string(),
                    attempts,
                    snippet: crate::text::body_snippet(&body, 200),
                };
                (error, hint)
            }
            Err(e) => (
                super::SourceError::Transport {
                    url: shown.to_string(),
                    attempts,
                    source: e.without_url(),
                },
                None,
            ),
        };
        let Some(backoff) = delays.next() else {
            return Err(error);
        };
        let wait = hint.unwrap_or(backoff);
        if started.elapsed() + wait > policy.deadline {
            return Err(error);
        }
        tracing::info!(attempt = attempts, wait_s = wait.as_secs_f64(), url = %shown, error = %error, "retrying request");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn reads_both_headers_and_takes_the_longest() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(server_wait(&h, now), None);
        h.insert(EA_RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(server_wait(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(server_wait(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(server_wait(&h, now), Some(Duration::from_secs(30)));
        let mut h = HeaderMap::new();
        let date = httpdate::fmt_http_date(now + Duration::from_secs(12));
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        assert_eq!(server_wait(&h, now), Some(Duration::from_secs(12)));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(server_wait(&h, now), None);
    }

    #[test]
    fn backoff_yields_max_retries_delays_within_bounds() {
        let cfg = RetryConfig {
            max_retries: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            deadline: Duration::from_secs(1),
        };
        let d: Vec<Duration> = cfg.delays().collect();
        assert_eq!(d.len(), 4);
        assert!(
            d.iter()
                .all(|x| *x >= Duration::from_millis(10) && *x <= Duration::from_millis(100))
        );
    }
}
