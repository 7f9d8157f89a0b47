//! When and how long to wait before trying a request again.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Longest wait between attempts, whatever the server asks for.
const MAX_DELAY: Duration = Duration::from_secs(60);

/// Exponential backoff with jitter, bounded in attempts.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First delay.
    pub base: Duration,
    /// Largest computed delay (a server's `Retry-After` may ask for more, up to a minute).
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            attempts: 8,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt + 1` (0-based): `base * 2^attempt`, capped, ±20 % jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.cap);
        let jitter = rand::rng().random_range(0.8..1.2);
        exp.mul_f64(jitter)
    }
}

/// Whether a response status is worth retrying for an idempotent request.
pub(crate) fn retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// What an API's `X-RateLimit-Reset` header counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reset {
    /// The Unix time (seconds) at which the limit resets, as the Vapi SDK reads it.
    EpochSeconds,
    /// Seconds from now until the limit resets, as Telnyx sends it.
    SecondsFromNow,
}

/// The delay the server asked for: `Retry-After` (seconds or HTTP date), else
/// `X-RateLimit-Reset` read as `reset` says, capped at a minute.
pub(crate) fn server_delay(headers: &HeaderMap, reset: Reset, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let delay = if let Some(value) = header("retry-after") {
        match value.parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                Some(Duration::from_secs_f64(seconds))
            }
            _ => httpdate::parse_http_date(value)
                .ok()
                .map(|at| at.duration_since(now).unwrap_or_default()),
        }
    } else {
        header("x-ratelimit-reset")
            .and_then(|value| value.parse::<u64>().ok())
            .map(|value| match reset {
                Reset::EpochSeconds => (SystemTime::UNIX_EPOCH + Duration::from_secs(value))
                    .duration_since(now)
                    .unwrap_or_default(),
                Reset::SecondsFromNow => Duration::from_secs(value),
            })
    };
    delay.map(|d| d.min(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn retry_after_seconds_date_and_reset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let epoch = Reset::EpochSeconds;
        assert_eq!(
            server_delay(&headers("retry-after", "3"), epoch, now),
            Some(Duration::from_secs(3))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(
            server_delay(&headers("retry-after", &date), epoch, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            server_delay(&headers("x-ratelimit-reset", "1700000002"), epoch, now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_delay(&headers("retry-after", "3600"), epoch, now),
            Some(MAX_DELAY)
        );
        assert_eq!(server_delay(&HeaderMap::new(), epoch, now), None);
    }

    #[test]
    fn reset_in_seconds_from_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let seconds = Reset::SecondsFromNow;
        assert_eq!(
            server_delay(&headers("x-ratelimit-reset", "2"), seconds, now),
            Some(Duration::from_secs(2))
        );
        // Read as an epoch, the same header would be long past: no wait at all.
        assert_eq!(
            server_delay(&headers("x-ratelimit-reset", "2"), Reset::EpochSeconds, now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            server_delay(&headers("x-ratelimit-reset", "1700000002"), seconds, now),
            Some(MAX_DELAY)
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let backoff = Backoff::default();
        assert!(backoff.delay(0) <= Duration::from_millis(240));
        assert!(backoff.delay(3) >= Duration::from_millis(1280));
        assert!(backoff.delay(30) <= Duration::from_secs(12));
    }

    #[test]
    fn which_statuses_are_retried() {
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(retryable(StatusCode::BAD_GATEWAY));
        assert!(retryable(StatusCode::REQUEST_TIMEOUT));
        assert!(!retryable(StatusCode::BAD_REQUEST));
        assert!(!retryable(StatusCode::NOT_FOUND));
    }
}
