//! Injected failures: a seeded coin for 500s and a token bucket for 429s, one bucket per API
//! (Vapi and Telnyx limit their clients separately).

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

/// Which API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// The Vapi routes.
    Vapi,
    /// The Telnyx routes.
    Telnyx,
}

/// What the fault injector decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve the request.
    Serve,
    /// Answer 429; retry after this many whole seconds (at least 1); `limit` is the rate in
    /// whole requests per second (at least 1).
    RateLimited { retry_after_secs: u64, limit: u64 },
    /// Answer 500 without acting.
    Fail,
}

/// Fault state shared by all requests.
#[derive(Debug)]
pub(crate) struct Faults {
    error_rate: f64,
    rng: SmallRng,
    vapi: Option<Bucket>,
    telnyx: Option<Bucket>,
}

impl Faults {
    pub(crate) fn new(error_rate: f64, rate_limit: Option<f64>, seed: u64) -> Self {
        let error_rate = if error_rate.is_nan() {
            0.0
        } else {
            error_rate.clamp(0.0, 1.0)
        };
        let bucket = || {
            rate_limit
                .filter(|rate| rate.is_finite() && *rate > 0.0)
                .map(|rate| Bucket::new(rate, Instant::now()))
        };
        Self {
            error_rate,
            rng: SmallRng::seed_from_u64(seed),
            vapi: bucket(),
            telnyx: bucket(),
        }
    }

    /// Decides the fate of a request to `surface` arriving at `now`. A rate-limited request
    /// does not draw from the error coin, so the 500 sequence depends only on the requests
    /// served.
    pub(crate) fn judge(&mut self, surface: Surface, now: Instant) -> Verdict {
        let bucket = match surface {
            Surface::Vapi => &mut self.vapi,
            Surface::Telnyx => &mut self.telnyx,
        };
        if let Some(bucket) = bucket
            && let Err(wait) = bucket.take(now)
        {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a positive finite rate, rounded up; absurd rates saturate"
            )]
            let limit = bucket.rate.ceil() as u64;
            return Verdict::RateLimited {
                retry_after_secs: whole_seconds_at_least_one(wait),
                limit: limit.max(1),
            };
        }
        if self.error_rate > 0.0 && self.rng.random_bool(self.error_rate) {
            return Verdict::Fail;
        }
        Verdict::Serve
    }
}

fn whole_seconds_at_least_one(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// A token bucket holding up to one second's worth of requests.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Self {
        let capacity = rate.max(1.0);
        Self {
            rate,
            capacity,
            tokens: capacity,
            at: now,
        }
    }

    /// Takes a token, or says how long until one is available.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_of_rate_then_limits() {
        let start = Instant::now();
        let mut faults = Faults::new(0.0, Some(5.0), 0);
        for _ in 0..5 {
            assert_eq!(faults.judge(Surface::Vapi, start), Verdict::Serve);
        }
        assert_eq!(
            faults.judge(Surface::Vapi, start),
            Verdict::RateLimited {
                retry_after_secs: 1,
                limit: 5
            }
        );
        // Telnyx has its own bucket.
        assert_eq!(faults.judge(Surface::Telnyx, start), Verdict::Serve);
        // A fifth of a second later one token has come back.
        assert_eq!(
            faults.judge(Surface::Vapi, start + Duration::from_millis(210)),
            Verdict::Serve
        );
    }

    #[test]
    fn slow_rates_ask_for_longer_waits() {
        let start = Instant::now();
        let mut faults = Faults::new(0.0, Some(0.25), 0);
        assert_eq!(faults.judge(Surface::Telnyx, start), Verdict::Serve);
        assert_eq!(
            faults.judge(Surface::Telnyx, start),
            Verdict::RateLimited {
                retry_after_secs: 4,
                limit: 1
            }
        );
    }

    #[test]
    fn error_coin_is_deterministic_under_the_seed() {
        let now = Instant::now();
        let run = |seed| {
            let mut faults = Faults::new(0.5, None, seed);
            (0..64)
                .map(|_| faults.judge(Surface::Vapi, now))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let fails = run(7).iter().filter(|v| **v == Verdict::Fail).count();
        assert!((10..54).contains(&fails), "{fails} of 64 failed");
    }

    #[test]
    fn error_rate_one_always_fails_and_zero_never() {
        let now = Instant::now();
        let mut always = Faults::new(1.0, None, 3);
        let mut never = Faults::new(0.0, None, 3);
        for _ in 0..100 {
            assert_eq!(always.judge(Surface::Telnyx, now), Verdict::Fail);
            assert_eq!(never.judge(Surface::Vapi, now), Verdict::Serve);
        }
    }
}
