//! What the simulator counts about the requests it serves: totals by route, the most requests
//! in flight and in any one second (so tests can see a client's concurrency and rate from the
//! server's side), and the faults it injected.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{AfterWrite, Stats};

/// The window over which arrival rates are measured.
const WINDOW: Duration = Duration::from_secs(1);

/// A fault the simulator injected, counted in [`Stats::injected`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// A 500 before acting.
    Error,
    /// A 429.
    RateLimited,
    /// A write that was stored and then failed this way.
    AfterWrite(AfterWrite),
}

/// The counters, shared by every request and by [`super::Running`].
#[derive(Debug, Default)]
pub(crate) struct Meter {
    stats: Stats,
    in_flight: u64,
    /// Arrival times within the last [`WINDOW`], oldest first.
    recent: VecDeque<Instant>,
}

/// Marks one request as in flight until dropped, however the request ends.
pub(crate) struct InFlight {
    meter: Arc<Mutex<Meter>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut meter = lock(&self.meter);
        meter.in_flight = meter.in_flight.saturating_sub(1);
    }
}

impl Meter {
    /// Counts a request to `route` arriving at `now`; it is in flight until the guard drops.
    pub(crate) fn arrive(meter: &Arc<Mutex<Self>>, route: String, now: Instant) -> InFlight {
        let mut guard = lock(meter);
        let this = &mut *guard;
        this.stats.total += 1;
        *this.stats.by_route.entry(route).or_default() += 1;
        this.in_flight += 1;
        this.stats.peak_in_flight = this.stats.peak_in_flight.max(this.in_flight);
        while this
            .recent
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= WINDOW)
        {
            this.recent.pop_front();
        }
        this.recent.push_back(now);
        let in_window = u64::try_from(this.recent.len()).unwrap_or(u64::MAX);
        this.stats.peak_per_second = this.stats.peak_per_second.max(in_window);
        drop(guard);
        InFlight {
            meter: Arc::clone(meter),
        }
    }

    /// Counts an injected fault.
    pub(crate) fn inject(&mut self, fault: Fault) {
        let injected = &mut self.stats.injected;
        let counter = match fault {
            Fault::Error => &mut injected.errors,
            Fault::RateLimited => &mut injected.rate_limited,
            Fault::AfterWrite(AfterWrite::Status500) => &mut injected.after_write_500,
            Fault::AfterWrite(AfterWrite::Drop) => &mut injected.after_write_dropped,
            Fault::AfterWrite(AfterWrite::Hang) => &mut injected.after_write_hung,
        };
        *counter += 1;
    }

    /// A write routed a number to an assistant: remembered if it is the first.
    pub(crate) fn routed(&mut self, at: std::time::SystemTime) {
        if self.stats.first_routed.is_none() {
            let since_epoch = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            self.stats.first_routed =
                Some(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX));
        }
    }

    /// The counts so far.
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Starts counting afresh; requests in flight stay in flight.
    pub(crate) fn reset(&mut self) {
        self.stats = Stats::default();
        self.recent.clear();
    }
}

/// Locks the meter; a panicking request cannot leave a counter half-updated.
pub(crate) fn lock(meter: &Mutex<Meter>) -> MutexGuard<'_, Meter> {
    meter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_count_requests_in_flight_and_within_one_second() {
        let meter = Arc::new(Mutex::new(Meter::default()));
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let first = Meter::arrive(&meter, "GET /a".into(), at(0));
        let second = Meter::arrive(&meter, "GET /a".into(), at(400));
        drop(first);
        let third = Meter::arrive(&meter, "POST /a".into(), at(900));
        drop((second, third));
        // 0 ms has left the window by 1000 ms; 400 ms has not.
        drop(Meter::arrive(&meter, "GET /a".into(), at(1000)));
        let stats = lock(&meter).stats().clone();
        assert_eq!(stats.total, 4);
        assert_eq!(stats.by_route["GET /a"], 3);
        assert_eq!(stats.peak_in_flight, 2);
        assert_eq!(stats.peak_per_second, 3);
        assert_eq!(lock(&meter).in_flight, 0);
        lock(&meter).reset();
        assert_eq!(*lock(&meter).stats(), Stats::default());
    }
}
