//! One rate limiter for every request: requests are spaced evenly, first come first served, at
//! a rate that is `--rps` at most and adapts to the server. Vapi's limit is per organisation and
//! unpublished, so on a 429 the rate halves, and each success wins a little of it back
//! (additive increase, multiplicative decrease, as TCP does).

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest the limiter goes, as a share of the ceiling.
const FLOOR_SHARE: f64 = 1.0 / 64.0;

/// The share of the ceiling each success adds back after a 429.
const RECOVERY_SHARE: f64 = 1.0 / 50.0;

/// Spaces requests at most `rps` per second, first come first served.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// The configured rate: never exceeded. Zero or less means unlimited.
    ceiling: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The rate now, between the floor and the ceiling.
    rate: f64,
    /// When the next request may start.
    next: Option<Instant>,
}

impl RateLimiter {
    /// A limiter for `rps` requests per second; zero or less means unlimited.
    pub(crate) fn new(rps: f64) -> Self {
        Self {
            ceiling: rps,
            state: Mutex::new(State {
                rate: rps,
                next: None,
            }),
        }
    }

    /// Waits for this request's slot.
    pub(crate) async fn acquire(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let slot = {
            let mut state = self.state.lock().await;
            let now = Instant::now();
            let slot = state.next.map_or(now, |at| at.max(now));
            state.next = Some(slot + Duration::from_secs_f64(1.0 / state.rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The server said 429: halve the rate.
    pub(crate) async fn throttled(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.state.lock().await;
        let rate = (state.rate / 2.0).max(self.ceiling * FLOOR_SHARE);
        tracing::info!(
            from = state.rate,
            to = rate,
            "rate limited by the server; slowing down"
        );
        state.rate = rate;
    }

    /// A request succeeded: win back a little of the rate, up to the ceiling.
    pub(crate) async fn succeeded(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.state.lock().await;
        if state.rate < self.ceiling {
            state.rate = (state.rate + self.ceiling * RECOVERY_SHARE).min(self.ceiling);
        }
    }

    /// The rate now, in requests per second (0 when unlimited).
    #[cfg(test)]
    async fn rate(&self) -> f64 {
        self.state.lock().await.rate.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_429_halves_the_rate_and_successes_win_it_back() {
        let limiter = RateLimiter::new(20.0);
        limiter.throttled().await;
        assert!((limiter.rate().await - 10.0).abs() < 1e-9);
        limiter.throttled().await;
        assert!((limiter.rate().await - 5.0).abs() < 1e-9);
        for _ in 0..12 {
            limiter.succeeded().await;
        }
        assert!((limiter.rate().await - 9.8).abs() < 1e-9);
        for _ in 0..100 {
            limiter.succeeded().await;
        }
        assert!(
            (limiter.rate().await - 20.0).abs() < 1e-9,
            "never above --rps"
        );
        for _ in 0..20 {
            limiter.throttled().await;
        }
        assert!(limiter.rate().await >= 20.0 / 64.0, "never below the floor");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_at_the_rate() {
        let limiter = RateLimiter::new(10.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        limiter.throttled().await;
        limiter.acquire().await;
        limiter.acquire().await;
        // The slot after the halving is already booked at the old spacing; the next waits 200 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(700));
    }
}
