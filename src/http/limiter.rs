//! One rate limiter for every request: requests are spaced evenly, first come first served, at
//! a rate that is `--rps` at most and adapts to the server. Vapi's limit is per organisation and
//! unpublished, so on a 429 the rate halves, and each success wins a little of it back
//! (additive increase, multiplicative decrease, as TCP does). Even spacing alone is not a
//! ceiling: a process stalled past several slots would release them together, so no more than
//! `--rps` requests leave in any one second, counted when they leave.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest the limiter goes, as a share of the ceiling.
const FLOOR_SHARE: f64 = 1.0 / 64.0;

/// The share of the ceiling won back per second of successes after a 429: growing per second,
/// not per success, keeps a fast client from being back over the server's limit within a
/// second of being told.
const RECOVERY_SHARE: f64 = 1.0 / 25.0;

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
    /// When the rate last changed: successes win back rate for the time since.
    changed: Instant,
    /// When the rate was last halved: the 429s of requests already on their way then are
    /// answers to the old rate, so they do not halve it again.
    cut: Option<Instant>,
    /// When the most recent requests left, oldest first; at most the ceiling's worth.
    departed: VecDeque<Instant>,
}

/// The window `--rps` counts requests in.
const SECOND: Duration = Duration::from_secs(1);

impl RateLimiter {
    /// A limiter for `rps` requests per second; zero or less means unlimited.
    pub(crate) fn new(rps: f64) -> Self {
        Self {
            ceiling: rps,
            state: Mutex::new(State {
                rate: rps,
                next: None,
                changed: Instant::now(),
                cut: None,
                departed: VecDeque::new(),
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
        self.depart().await;
    }

    /// Leaves now unless that would make more than the ceiling's worth of requests within the
    /// last second; then waits until the oldest of them is a second old.
    async fn depart(&self) {
        // At least one a second, so a rate below 1 is governed by the spacing alone; `as`
        // saturates, so a huge ceiling is simply no count.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "the ceiling is positive here and a saturating cast is the intent"
        )]
        let most = (self.ceiling.floor() as usize).max(1);
        loop {
            let wait_until = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                match state.departed.front() {
                    Some(&oldest) if state.departed.len() >= most && now < oldest + SECOND => {
                        oldest + SECOND
                    }
                    _ => {
                        if state.departed.len() >= most {
                            state.departed.pop_front();
                        }
                        state.departed.push_back(now);
                        return;
                    }
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// The server said 429: halve the rate, at most once a second.
    pub(crate) async fn throttled(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if state.cut.is_some_and(|cut| now < cut + SECOND) {
            return;
        }
        let rate = (state.rate / 2.0).max(self.ceiling * FLOOR_SHARE);
        tracing::info!(
            from = state.rate,
            to = rate,
            "rate limited by the server; slowing down"
        );
        state.rate = rate;
        state.changed = now;
        state.cut = Some(now);
    }

    /// A request succeeded: win back the rate for the time since it last changed, up to the
    /// ceiling.
    pub(crate) async fn succeeded(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.state.lock().await;
        if state.rate < self.ceiling {
            let now = Instant::now();
            let seconds = now.duration_since(state.changed).as_secs_f64();
            state.rate = (state.rate + self.ceiling * RECOVERY_SHARE * seconds).min(self.ceiling);
            state.changed = now;
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

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_and_successes_win_it_back_over_time() {
        let limiter = RateLimiter::new(20.0);
        limiter.throttled().await;
        assert!((limiter.rate().await - 10.0).abs() < 1e-9);
        // A burst's other 429s answer the old rate: no second halving within the second.
        limiter.throttled().await;
        assert!((limiter.rate().await - 10.0).abs() < 1e-9);
        tokio::time::advance(SECOND).await;
        limiter.throttled().await;
        assert!((limiter.rate().await - 5.0).abs() < 1e-9);
        // Many successes at one moment win nothing back: the rate grows with time.
        for _ in 0..100 {
            limiter.succeeded().await;
        }
        assert!((limiter.rate().await - 5.0).abs() < 1e-9);
        // 0.8 per second (a 25th of 20) for 6 seconds of successes.
        for _ in 0..12 {
            tokio::time::advance(Duration::from_millis(500)).await;
            limiter.succeeded().await;
        }
        assert!((limiter.rate().await - 9.8).abs() < 1e-9);
        for _ in 0..100 {
            tokio::time::advance(Duration::from_secs(1)).await;
            limiter.succeeded().await;
        }
        assert!(
            (limiter.rate().await - 20.0).abs() < 1e-9,
            "never above --rps"
        );
        for _ in 0..20 {
            tokio::time::advance(SECOND).await;
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

    #[tokio::test(start_paused = true)]
    async fn slots_released_together_after_a_stall_still_keep_to_the_ceiling() {
        let limiter = std::sync::Arc::new(RateLimiter::new(4.0));
        let start = Instant::now();
        // Four slots booked at 0, 250, 500 and 750 ms, but the process wakes only at 900 ms:
        // all four leave together. The next four, booked at 1000..1750 ms, must still wait
        // for the second after each of those to pass.
        let mut booked = Vec::new();
        for _ in 0..8 {
            let slot = {
                let mut state = limiter.state.lock().await;
                let slot = state.next.unwrap_or(start);
                state.next = Some(slot + Duration::from_millis(250));
                slot
            };
            booked.push(slot);
        }
        tokio::time::sleep_until(start + Duration::from_millis(900)).await;
        let mut left = Vec::new();
        for slot in booked {
            tokio::time::sleep_until(slot).await;
            limiter.depart().await;
            left.push(start.elapsed().as_millis());
        }
        assert_eq!(left, [900, 900, 900, 900, 1900, 1900, 1900, 1900]);
        for (i, at) in left.iter().enumerate() {
            let within = left[i..].iter().filter(|t| **t < at + 1000).count();
            assert!(
                within <= 4,
                "{within} requests left within a second of {at} ms"
            );
        }
    }
}
