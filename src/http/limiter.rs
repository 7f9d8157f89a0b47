//! One gate for every request: at most `--concurrency` in flight, spaced evenly at a rate that
//! is `--rps` at most and adapts to the server, and in order of priority, then arrival.
//!
//! Priority lets work already started finish before new work starts: apply's read-backs and
//! routing go before creates queued earlier, so a number is routed while assistants are still
//! being created. No slot is booked ahead: waiters hold a ticket in a queue, and only the head
//! takes a slot, when it is due and a request may be in flight, so a later arrival of higher
//! priority takes the next slot. A request waiting for its turn holds no place in flight.
//!
//! Vapi's limit is per organisation and unpublished, so on a 429 the rate halves, and each
//! success wins a little of it back (additive increase, multiplicative decrease, as TCP does).
//! Even spacing alone is not a ceiling: a process stalled past several slots would release
//! them together, so no more than `--rps` requests leave in any one second, counted when they
//! leave.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The slowest the limiter goes, as a share of the ceiling.
const FLOOR_SHARE: f64 = 1.0 / 64.0;

/// The share of the ceiling won back per second of successes after a 429: growing per second,
/// not per success, keeps a fast client from being back over the server's limit within a
/// second of being told.
const RECOVERY_SHARE: f64 = 1.0 / 25.0;

/// The window `--rps` counts requests in.
const SECOND: Duration = Duration::from_secs(1);

/// Which requests leave first when several wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Priority {
    /// Finishes work already started: reads, updates, deletes.
    First,
    /// Starts new work: creates.
    Later,
}

/// Bounds the requests in flight and their rate, serving waiters by priority, then arrival.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// The configured rate: never exceeded. Zero or less means unlimited.
    ceiling: f64,
    /// Requests in flight at once, at least one.
    concurrency: usize,
    state: Mutex<State>,
    /// Woken whenever the head of the queue may have changed or a request left flight.
    turn: Notify,
}

#[derive(Debug)]
struct State {
    /// The rate now, between the floor and the ceiling.
    rate: f64,
    /// When the next slot is planned: one interval after the last slot taken.
    next: Option<Instant>,
    /// When the rate last changed: successes win back rate for the time since.
    changed: Instant,
    /// When the rate was last halved: the 429s of requests already on their way then are
    /// answers to the old rate, so they do not halve it again.
    cut: Option<Instant>,
    /// When the most recent requests left, oldest first; at most the ceiling's worth.
    departed: VecDeque<Instant>,
    /// The waiters, by priority then arrival; the first is the head.
    queue: BTreeSet<(Priority, u64)>,
    /// Tickets handed out so far: the next one's arrival number.
    arrivals: u64,
    /// Requests that left and have not answered yet.
    in_flight: usize,
}

/// A request's place in flight, given back when dropped.
#[must_use = "the request is in flight until the permit is dropped"]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.lock().in_flight -= 1;
        self.limiter.turn.notify_waiters();
    }
}

/// A waiter's place in the queue; it leaves the queue when dropped, so a waiter whose future
/// is dropped (a timeout, an interrupt) does not hold up the others.
struct Ticket<'a> {
    limiter: &'a Limiter,
    key: (Priority, u64),
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.limiter.lock().queue.remove(&self.key) {
            self.limiter.turn.notify_waiters();
        }
    }
}

/// What the head of the queue does next.
enum Turn {
    /// Not the head, or no place in flight is free: wait to be woken.
    Wait,
    /// The slot is planned for then.
    Until(Instant),
    /// The slot is taken and the request is in flight.
    Go,
}

impl Limiter {
    /// A limiter for `rps` requests per second (zero or less means unlimited) and `concurrency`
    /// in flight (at least one).
    pub(crate) fn new(rps: f64, concurrency: usize) -> Self {
        Self {
            ceiling: rps,
            concurrency: concurrency.max(1),
            state: Mutex::new(State {
                rate: rps,
                next: None,
                changed: Instant::now(),
                cut: None,
                departed: VecDeque::new(),
                queue: BTreeSet::new(),
                arrivals: 0,
                in_flight: 0,
            }),
            turn: Notify::new(),
        }
    }

    /// The state; no code panics while holding it, so a poisoned lock is still consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for this request's turn, its slot and a place in flight; the place is held until
    /// the permit is dropped.
    pub(crate) async fn acquire(&self, priority: Priority) -> Permit<'_> {
        let ticket = {
            let mut state = self.lock();
            let key = (priority, state.arrivals);
            state.arrivals += 1;
            // A newcomer that is the head checks its turn itself below; no one else's
            // changes, so no one is woken.
            state.queue.insert(key);
            Ticket { limiter: self, key }
        };
        loop {
            // Created before the state is read, so a wake-up in between is not lost.
            let woken = self.turn.notified();
            match self.turn_of(&ticket) {
                Turn::Go => break,
                Turn::Until(slot) => tokio::time::sleep_until(slot).await,
                Turn::Wait => woken.await,
            }
        }
        drop(ticket);
        let permit = Permit { limiter: self };
        self.depart().await;
        permit
    }

    /// Takes the slot for `ticket` if it is the head, its slot is due and a place in flight
    /// is free.
    fn turn_of(&self, ticket: &Ticket<'_>) -> Turn {
        let mut state = self.lock();
        if state.queue.first() != Some(&ticket.key) || state.in_flight >= self.concurrency {
            return Turn::Wait;
        }
        let now = Instant::now();
        if self.ceiling > 0.0 {
            let gap = Duration::from_secs_f64(1.0 / state.rate);
            // The planned time, not now, unless the limiter was idle: wake-up drift does not
            // add to the spacing.
            let slot = match state.next {
                Some(next) if next + gap >= now => next,
                _ => now,
            };
            if slot > now {
                return Turn::Until(slot);
            }
            state.next = Some(slot + gap);
        }
        state.queue.remove(&ticket.key);
        state.in_flight += 1;
        drop(state);
        self.turn.notify_waiters();
        Turn::Go
    }

    /// Leaves now unless that would make more than the ceiling's worth of requests within the
    /// last second; then waits until the oldest of them is a second old.
    async fn depart(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
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
                let mut state = self.lock();
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
    pub(crate) fn throttled(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.lock();
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
    pub(crate) fn succeeded(&self) {
        if self.ceiling <= 0.0 {
            return;
        }
        let mut state = self.lock();
        if state.rate < self.ceiling {
            let now = Instant::now();
            let seconds = now.duration_since(state.changed).as_secs_f64();
            state.rate = (state.rate + self.ceiling * RECOVERY_SHARE * seconds).min(self.ceiling);
            state.changed = now;
        }
    }

    /// The rate now, in requests per second (0 when unlimited).
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.lock().rate.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Acquires at `at` after `start` and records `name` with the milliseconds it left at;
    /// holds its place in flight for `hold`.
    fn request(
        limiter: &Arc<Limiter>,
        left: &Arc<Mutex<Vec<(&'static str, u128)>>>,
        start: Instant,
        (name, at, priority, hold): (&'static str, u64, Priority, u64),
    ) -> tokio::task::JoinHandle<()> {
        let (limiter, left) = (Arc::clone(limiter), Arc::clone(left));
        tokio::spawn(async move {
            tokio::time::sleep_until(start + Duration::from_millis(at)).await;
            let _permit = limiter.acquire(priority).await;
            left.lock()
                .unwrap()
                .push((name, start.elapsed().as_millis()));
            tokio::time::sleep(Duration::from_millis(hold)).await;
        })
    }

    /// Runs `requests` (name, arrival ms, priority, ms in flight) and returns who left when.
    async fn run(
        limiter: Limiter,
        requests: &[(&'static str, u64, Priority, u64)],
    ) -> Vec<(&'static str, u128)> {
        let limiter = Arc::new(limiter);
        let left = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let tasks: Vec<_> = requests
            .iter()
            .map(|r| request(&limiter, &left, start, *r))
            .collect();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .expect("a request never left")
                .unwrap();
        }
        left.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_and_successes_win_it_back_over_time() {
        let limiter = Limiter::new(20.0, 8);
        limiter.throttled();
        assert!((limiter.rate() - 10.0).abs() < 1e-9);
        // A burst's other 429s answer the old rate: no second halving within the second.
        limiter.throttled();
        assert!((limiter.rate() - 10.0).abs() < 1e-9);
        tokio::time::advance(SECOND).await;
        limiter.throttled();
        assert!((limiter.rate() - 5.0).abs() < 1e-9);
        // Many successes at one moment win nothing back: the rate grows with time.
        for _ in 0..100 {
            limiter.succeeded();
        }
        assert!((limiter.rate() - 5.0).abs() < 1e-9);
        // 0.8 per second (a 25th of 20) for 6 seconds of successes.
        for _ in 0..12 {
            tokio::time::advance(Duration::from_millis(500)).await;
            limiter.succeeded();
        }
        assert!((limiter.rate() - 9.8).abs() < 1e-9);
        for _ in 0..100 {
            tokio::time::advance(Duration::from_secs(1)).await;
            limiter.succeeded();
        }
        assert!((limiter.rate() - 20.0).abs() < 1e-9, "never above --rps");
        for _ in 0..20 {
            tokio::time::advance(SECOND).await;
            limiter.throttled();
        }
        assert!(limiter.rate() >= 20.0 / 64.0, "never below the floor");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_at_the_rate() {
        let limiter = Limiter::new(10.0, 8);
        let start = Instant::now();
        for _ in 0..5 {
            let _permit = limiter.acquire(Priority::First).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        limiter.throttled();
        let _first = limiter.acquire(Priority::First).await;
        let _second = limiter.acquire(Priority::First).await;
        // The slot after the halving was planned at the old spacing; the next waits 200 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn after_idling_the_slot_is_now_and_a_late_wake_up_does_not_add_to_the_spacing() {
        let limiter = Limiter::new(10.0, 8);
        let start = Instant::now();
        drop(limiter.acquire(Priority::First).await);
        // Idle for more than an interval: the next request leaves at once.
        tokio::time::advance(Duration::from_millis(350)).await;
        drop(limiter.acquire(Priority::First).await);
        assert_eq!(start.elapsed(), Duration::from_millis(350));
        // Woken 30 ms after the slot planned at 450 ms: the one after is still planned at
        // 550 ms, not 580.
        tokio::time::advance(Duration::from_millis(130)).await;
        drop(limiter.acquire(Priority::First).await);
        drop(limiter.acquire(Priority::First).await);
        assert_eq!(start.elapsed(), Duration::from_millis(550));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_first_request_leaves_before_earlier_queued_later_ones() {
        use Priority::{First, Later};
        let left = run(
            Limiter::new(10.0, 8),
            &[
                ("create 0", 0, Later, 0),
                ("create 1", 1, Later, 0),
                ("create 2", 2, Later, 0),
                ("create 3", 3, Later, 0),
                ("read", 50, First, 0),
                ("route", 150, First, 0),
            ],
        )
        .await;
        assert_eq!(
            left,
            [
                ("create 0", 0),
                ("read", 100),
                ("route", 200),
                ("create 1", 300),
                ("create 2", 400),
                ("create 3", 500),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_hold_no_place_in_flight_and_priority_decides_who_takes_a_freed_one() {
        use Priority::{First, Later};
        // Unlimited rate, one in flight: the first holds its place for 100 ms.
        let left = run(
            Limiter::new(0.0, 1),
            &[
                ("create 0", 0, Later, 100),
                ("create 1", 10, Later, 100),
                ("read", 20, First, 100),
            ],
        )
        .await;
        assert_eq!(left, [("create 0", 0), ("read", 100), ("create 1", 200)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_waiter_does_not_stall_the_queue() {
        let limiter = Arc::new(Limiter::new(10.0, 8));
        let left = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let first = request(&limiter, &left, start, ("create 0", 0, Priority::Later, 0));
        let next = request(&limiter, &left, start, ("create 1", 20, Priority::Later, 0));
        // A read becomes the head at 10 ms, waiting for the slot at 100 ms, and gives up at
        // 50 ms: the create that came after it takes that slot.
        let waiter = Arc::clone(&limiter);
        let gave_up = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tokio::time::timeout(Duration::from_millis(40), waiter.acquire(Priority::First))
                .await
                .is_err()
        });
        assert!(gave_up.await.unwrap());
        tokio::time::timeout(SECOND, async {
            first.await.unwrap();
            next.await.unwrap();
        })
        .await
        .expect("the queue stalled behind a dropped waiter");
        assert_eq!(*left.lock().unwrap(), [("create 0", 0), ("create 1", 100)]);
    }

    #[tokio::test(start_paused = true)]
    async fn slots_released_together_after_a_stall_still_keep_to_the_ceiling() {
        let limiter = Limiter::new(4.0, 8);
        let start = Instant::now();
        // Four slots planned at 0, 250, 500 and 750 ms, but the process wakes only at 900 ms:
        // all four leave together. The next four, planned at 1000..1750 ms, must still wait
        // for the second after each of those to pass.
        let planned = (0..8).map(|i| start + Duration::from_millis(250 * i));
        tokio::time::sleep_until(start + Duration::from_millis(900)).await;
        let mut left = Vec::new();
        for slot in planned {
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
