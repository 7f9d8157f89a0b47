//! One rate limiter for every request: requests are spaced evenly at the configured rate.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces requests at most `rps` per second, first come first served.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `rps` requests per second; zero or less means unlimited.
    pub(crate) fn new(rps: f64) -> Self {
        let interval = if rps > 0.0 {
            Duration::from_secs_f64(1.0 / rps)
        } else {
            Duration::ZERO
        };
        Self {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's slot.
    pub(crate) async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |at| at.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
