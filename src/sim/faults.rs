//! Injected failures: a seeded coin for 500s, a token bucket for 429s (one per API: Vapi and
//! Telnyx limit their clients separately), and a second seeded coin for writes that act and
//! then fail.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

/// How a write that was stored fails to tell the client so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterWrite {
    /// Answered 500, as if the server failed after committing.
    Status500,
    /// The connection is closed without an answer.
    Drop,
    /// No answer until the client gives up (or the simulator stops).
    Hang,
}

impl AfterWrite {
    /// Every way, the default of [`super::Options::fail_after_write_as`].
    pub const ALL: [Self; 3] = [Self::Status500, Self::Drop, Self::Hang];
}

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
    /// Act, then fail this way (writes only).
    FailAfterWrite(AfterWrite),
}

/// Fault state shared by all requests.
#[derive(Debug)]
pub(crate) struct Faults {
    error_rate: f64,
    rng: SmallRng,
    vapi: Option<Bucket>,
    telnyx: Option<Bucket>,
    fail_after_write: f64,
    after_write: Vec<AfterWrite>,
}

impl Faults {
    pub(crate) fn new(options: &super::Options) -> Self {
        let share = |p: f64| if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let mut after_write = options.fail_after_write_as.clone();
        after_write.sort_unstable();
        after_write.dedup();
        if after_write.is_empty() {
            after_write = AfterWrite::ALL.to_vec();
        }
        let bucket = || {
            options
                .rate_limit
                .filter(|rate| rate.is_finite() && *rate > 0.0)
                .map(|rate| Bucket::new(rate, Instant::now()))
        };
        Self {
            error_rate: share(options.error_rate),
            rng: SmallRng::seed_from_u64(options.seed),
            vapi: bucket(),
            telnyx: bucket(),
            fail_after_write: share(options.fail_after_write),
            after_write,
        }
    }

    /// Decides the fate of a request to `surface` arriving at `now`. A rate-limited request
    /// draws no coin, and only writes draw the after-write coin (after the error coin), so
    /// each sequence depends only on the requests that reach it, and a seed without
    /// after-write failures gives the same 500s as before they existed.
    pub(crate) fn judge(&mut self, surface: Surface, now: Instant, write: bool) -> Verdict {
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
        if write && self.fail_after_write > 0.0 && self.rng.random_bool(self.fail_after_write) {
            let how = match self.after_write.as_slice() {
                [only] => *only,
                ways => ways[self.rng.random_range(0..ways.len())],
            };
            return Verdict::FailAfterWrite(how);
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
    use crate::sim::Options;

    fn faults(error_rate: f64, rate_limit: Option<f64>, seed: u64) -> Faults {
        Faults::new(&Options {
            error_rate,
            rate_limit,
            seed,
            ..Options::default()
        })
    }

    #[test]
    fn bucket_allows_a_burst_of_rate_then_limits() {
        let start = Instant::now();
        let mut faults = faults(0.0, Some(5.0), 0);
        for _ in 0..5 {
            assert_eq!(faults.judge(Surface::Vapi, start, false), Verdict::Serve);
        }
        assert_eq!(
            faults.judge(Surface::Vapi, start, false),
            Verdict::RateLimited {
                retry_after_secs: 1,
                limit: 5
            }
        );
        // Telnyx has its own bucket.
        assert_eq!(faults.judge(Surface::Telnyx, start, false), Verdict::Serve);
        // A fifth of a second later one token has come back.
        assert_eq!(
            faults.judge(Surface::Vapi, start + Duration::from_millis(210), false),
            Verdict::Serve
        );
    }

    #[test]
    fn slow_rates_ask_for_longer_waits() {
        let start = Instant::now();
        let mut faults = faults(0.0, Some(0.25), 0);
        assert_eq!(faults.judge(Surface::Vapi, start, false), Verdict::Serve);
        assert_eq!(
            faults.judge(Surface::Vapi, start, false),
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
            let mut faults = faults(0.5, None, seed);
            (0..64)
                .map(|_| faults.judge(Surface::Vapi, now, false))
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
        let mut always = faults(1.0, None, 3);
        let mut never = faults(0.0, None, 3);
        for _ in 0..100 {
            assert_eq!(always.judge(Surface::Telnyx, now, false), Verdict::Fail);
            assert_eq!(never.judge(Surface::Vapi, now, false), Verdict::Serve);
        }
    }

    #[test]
    fn only_writes_fail_after_acting_in_the_ways_asked_for_deterministically() {
        let now = Instant::now();
        let run = |seed, ways: &[AfterWrite]| {
            let mut faults = Faults::new(&Options {
                fail_after_write: 0.5,
                fail_after_write_as: ways.to_vec(),
                seed,
                ..Options::default()
            });
            (0..90)
                .map(|i| faults.judge(Surface::Vapi, now, i % 3 != 0))
                .collect::<Vec<_>>()
        };
        let all = run(5, &AfterWrite::ALL);
        assert_eq!(all, run(5, &AfterWrite::ALL));
        assert_ne!(all, run(6, &AfterWrite::ALL));
        for (i, verdict) in all.iter().enumerate() {
            if i % 3 == 0 {
                assert_eq!(*verdict, Verdict::Serve, "reads never fail after acting");
            }
        }
        for way in AfterWrite::ALL {
            let seen = all
                .iter()
                .filter(|v| **v == Verdict::FailAfterWrite(way))
                .count();
            assert!(seen > 0, "{way:?} never chosen");
        }
        let only_500 = run(5, &[AfterWrite::Status500]);
        assert!(only_500.iter().all(|v| matches!(
            v,
            Verdict::Serve | Verdict::FailAfterWrite(AfterWrite::Status500)
        )));
        assert!(only_500.contains(&Verdict::FailAfterWrite(AfterWrite::Status500)));
    }

    #[test]
    fn without_after_write_failures_the_error_sequence_is_unchanged() {
        let now = Instant::now();
        let mut plain = faults(0.3, None, 9);
        let mut with_writes = faults(0.3, None, 9);
        for i in 0..64 {
            assert_eq!(
                plain.judge(Surface::Vapi, now, false),
                with_writes.judge(Surface::Vapi, now, i % 2 == 0)
            );
        }
    }
}
