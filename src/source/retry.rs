//! Retry policy as data: which failures are retried, how long to wait, when to give up.
//! Delays come from `backon`'s exponential backoff with jitter; a server's own wait
//! (`x-ms-ratelimit-microsoft.consumption-retry-after` or `Retry-After`) takes precedence.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;

use super::SourceError;

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

/// What one attempt of a request came to.
pub(crate) enum Attempt<T> {
    /// A result not to retry: success, or a failure retrying cannot mend.
    Done(Result<T, SourceError>),
    /// A failure worth another attempt (408, 429, 5xx, transport), with the server's own wait.
    Retry {
        /// The failure, returned if no attempt is left.
        error: SourceError,
        /// The wait the server asked for, if any.
        wait: Option<Duration>,
    },
}

/// The one retry loop: runs `attempt` (given its 1-based number) until it is done, waiting the
/// server's wait or else the next of `policy`'s backoff delays between attempts, within
/// `policy.deadline`. `shown` names the request in logs (no secrets).
pub(crate) async fn retrying<T, F, Fut>(
    policy: &RetryConfig,
    shown: &str,
    attempt: F,
) -> Result<T, SourceError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    retrying_with(policy.delays(), policy.deadline, shown, attempt).await
}

/// [`retrying`] with the backoff delays given (tests pass fixed ones).
pub(crate) async fn retrying_with<T, F, Fut>(
    mut delays: impl Iterator<Item = Duration>,
    deadline: Duration,
    shown: &str,
    mut attempt: F,
) -> Result<T, SourceError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let started = std::time::Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let (error, hint) = match attempt(attempts).await {
            Attempt::Done(result) => return result,
            Attempt::Retry { error, wait } => (error, wait),
        };
        let Some(backoff) = delays.next() else {
            return Err(error);
        };
        let wait = hint.unwrap_or(backoff);
        if started.elapsed() + wait > deadline {
            tracing::info!(
                attempts,
                wait_s = wait.as_secs_f64(),
                "retry deadline reached, giving up"
            );
            return Err(error);
        }
        let status = match &error {
            SourceError::Status { status, .. } => status.to_string(),
            _ => "transport".to_string(),
        };
        tracing::info!(%status, attempt = attempts, wait_s = wait.as_secs_f64(), url = %shown, error = %error, "retrying request");
        tokio::time::sleep(wait).await;
    }
}

/// Sends a request (built afresh by `build` for every attempt) through [`retrying`]: 408, 429,
/// 5xx and transport errors are retried; any other response is returned for the caller to
/// read.
pub(crate) async fn send_retrying(
    policy: &RetryConfig,
    shown: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, SourceError> {
    retrying(policy, shown, |attempts| {
        let request = build();
        async move {
            match request.send().await {
                Ok(r) if !is_retryable_status(r.status().as_u16()) => Attempt::Done(Ok(r)),
                Ok(r) => {
                    let status = r.status().as_u16();
                    let wait = server_wait(r.headers(), SystemTime::now());
                    let body = r.bytes().await.unwrap_or_default();
                    let error = SourceError::Status {
                        status,
                        url: shown.to_string(),
                        attempts,
                        snippet: crate::text::body_snippet(&body, 200),
                    };
                    Attempt::Retry { error, wait }
                }
                Err(e) => Attempt::Retry {
                    error: SourceError::Transport {
                        url: shown.to_string(),
                        attempts,
                        source: e.without_url(),
                    },
                    wait: None,
                },
            }
        }
    })
    .await
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

    fn failure(attempt: u32) -> SourceError {
        SourceError::Status {
            status: 503,
            url: "u".into(),
            attempts: attempt,
            snippet: String::new(),
        }
    }

    #[tokio::test]
    async fn the_loop_retries_until_done_or_out_of_delays() {
        let zero = || std::iter::repeat_n(Duration::ZERO, 3);
        let mut seen = Vec::new();
        let ok = retrying_with(zero(), Duration::from_secs(5), "u", |n| {
            seen.push(n);
            async move {
                if n < 3 {
                    Attempt::Retry {
                        error: failure(n),
                        wait: None,
                    }
                } else {
                    Attempt::Done(Ok(n))
                }
            }
        })
        .await
        .unwrap();
        assert_eq!((ok, seen), (3, vec![1, 2, 3]));
        let err = retrying_with(zero(), Duration::from_secs(5), "u", |n| async move {
            Attempt::<()>::Retry {
                error: failure(n),
                wait: None,
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, SourceError::Status { attempts: 4, .. }),
            "{err}"
        );
        // A server's wait past the deadline ends it at once.
        let err = retrying_with(zero(), Duration::from_secs(5), "u", |n| async move {
            Attempt::<()>::Retry {
                error: failure(n),
                wait: Some(Duration::from_secs(60)),
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, SourceError::Status { attempts: 1, .. }),
            "{err}"
        );
        // A failure retrying cannot mend is returned as it is.
        let err = retrying_with(zero(), Duration::from_secs(5), "u", |_| async {
            Attempt::<()>::Done(Err(SourceError::NotModified { url: "u".into() }))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, SourceError::NotModified { .. }));
    }
}
