//! What applying a plan costs, worked out by running apply's own schedule (`schedule`) and
//! the verifier's window (`verify::Window`) against answers that take no time: changes start
//! in the scheduler's order as soon as what they wait for is verified, `concurrency` creates
//! and `concurrency` other writes at a time; every request takes the next slot of the limiter
//! (one each `1 / rps` seconds), creates behind every other request waiting; and the verifier
//! gathers what was written within its window (never past the earliest deadline), or reads at
//! once when apply can go no further without it. Without read lag every round verifies all it
//! read; lag adds rounds, and so reads.

use std::collections::{BTreeMap, HashMap};

use super::Options;
use super::report::Status;
use super::schedule::{Schedule, Silent, priority};
use super::verify::{self, Kind, Window};
use crate::http::Priority;
use crate::plan::{Cost, Plan};

/// A request waiting for its slot.
#[derive(Clone, Copy)]
enum Request {
    /// The write of a change.
    Write(usize),
    /// One call of the verifier's round.
    Read,
}

/// The verifier as the simulation follows it.
struct Verifier {
    /// Writes gathered for the next round, with when each was written.
    gathered: Vec<(usize, f64)>,
    /// When the round being gathered reads, at the latest.
    reads_at: f64,
    /// The round being read: what it holds, calls left.
    reading: Option<(Vec<usize>, usize)>,
    /// Writes answered while a round was being read: they open the next.
    seen: Vec<(usize, f64)>,
    /// How long the next round gathers writes.
    window: Window,
    /// Apply stalled and the verifier has not answered that with a round yet.
    stalled: bool,
    /// Whether the round being read was read at once for a stall.
    for_stall: bool,
    /// The verify timeout in seconds.
    timeout: f64,
}

impl Verifier {
    /// Starts gathering `writes` at `now`, the round reading by the window or the earliest
    /// deadline.
    fn gather(&mut self, writes: Vec<(usize, f64)>, now: f64) {
        let earliest = writes.iter().map(|(_, at)| at + self.timeout);
        self.reads_at = earliest.fold(now + self.window.length().as_secs_f64(), f64::min);
        self.gathered = writes;
    }
}

/// The cost of applying `plan` at `rps` requests per second (above zero) with `options`;
/// `None` when it changes nothing.
pub(crate) fn cost(plan: &Plan, rps: f64, options: &Options) -> Option<Cost> {
    if plan.is_empty() {
        return None;
    }
    let mut run = Schedule::new(plan, &Silent, options.concurrency);
    let gap = 1.0 / rps;
    // Requests waiting for a slot, by priority then arrival; when the next slot is free.
    let mut queue: BTreeMap<(Priority, usize), Request> = BTreeMap::new();
    let mut arrivals = 0;
    let mut slot: f64 = 0.0;
    let mut now: f64 = 0.0;
    let mut verifier = Verifier {
        gathered: Vec::new(),
        reads_at: 0.0,
        reading: None,
        seen: Vec::new(),
        window: Window::new(),
        stalled: false,
        for_stall: false,
        timeout: options.verify_timeout.as_secs_f64(),
    };
    let mut read_calls = 0;
    loop {
        // The scheduler starts, in its order, what has room among the writes of its priority.
        while let Some(i) = run.next_ready() {
            run.start(i);
            queue.insert(
                (priority(plan.changes[i].op()), arrivals),
                Request::Write(i),
            );
            arrivals += 1;
        }
        verifier.stalled |= run.newly_stalled();
        let leaves = queue.first_key_value().map(|_| slot.max(now));
        let gathering = verifier.reading.is_none() && !verifier.gathered.is_empty();
        if gathering && (verifier.stalled || leaves.is_none_or(|at| verifier.reads_at <= at)) {
            // The round starts: its calls queue for slots.
            if !verifier.stalled {
                now = now.max(verifier.reads_at);
            }
            verifier.for_stall = std::mem::take(&mut verifier.stalled);
            let held: Vec<usize> = verifier.gathered.drain(..).map(|(i, _)| i).collect();
            let calls = calls(plan, &held);
            for _ in 0..calls {
                queue.insert((Priority::First, arrivals), Request::Read);
                arrivals += 1;
            }
            verifier.reading = Some((held, calls));
            continue;
        }
        let (Some(at), Some((_, request))) = (leaves, queue.pop_first()) else {
            break;
        };
        now = at;
        slot = at + gap;
        match request {
            Request::Write(i) => {
                run.written(i);
                if verifier.reading.is_some() {
                    verifier.seen.push((i, now));
                } else if verifier.gathered.is_empty() {
                    verifier.gather(vec![(i, now)], now);
                } else {
                    verifier.gathered.push((i, now));
                }
            }
            Request::Read => {
                read_calls += 1;
                let Some((held, left)) = &mut verifier.reading else {
                    continue;
                };
                *left -= 1;
                if *left > 0 {
                    continue;
                }
                for i in std::mem::take(held) {
                    run.finish(i, Status::Applied, Some(format!("written {i}")), None);
                }
                verifier.reading = None;
                verifier.window.after_round(verifier.for_stall);
                let seen = std::mem::take(&mut verifier.seen);
                if seen.is_empty() {
                    // A stall the round answered already: nothing is left to read for it.
                    verifier.stalled = false;
                } else {
                    verifier.gather(seen, now);
                }
            }
        }
    }
    Some(Cost {
        writes: plan.changes.len(),
        reads: read_calls,
        rps,
        seconds: (slot * 10.0).ceil() / 10.0,
    })
}

/// The calls of one round that reads back the writes of `held`.
fn calls(plan: &Plan, held: &[usize]) -> usize {
    let mut counts: HashMap<Kind, usize> = HashMap::new();
    for &i in held {
        *counts.entry(Kind::of(plan.changes[i].op())).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(kind, count)| verify::calls(kind, count))
        .sum()
}

#[cfg(test)]
mod tests {
    //! Costs worked out by hand: each request takes the next slot of `1 / rps` seconds, and a
    //! round of read-backs starts at once when apply waits on it.

    use std::time::Duration;

    use serde_json::Map;

    use super::*;
    use crate::plan::{Address, Change, NumberEdit, Operation, Target, Unchanged};

    fn update(key: &str) -> Change {
        Change::of(Operation::UpdateAssistant {
            key: key.into(),
            adopt: false,
            expect: Unchanged::of(key),
            body: Map::new(),
        })
    }

    fn delete(key: &str) -> Change {
        Change::of(Operation::DeleteAssistant {
            key: key.into(),
            copy: false,
            expect: Unchanged::of(key),
            routed_numbers: std::collections::BTreeSet::new(),
        })
    }

    /// The number `+1415555010<n>` routed to the assistant `key` creates.
    fn route(n: usize, key: &str) -> Change {
        Change::of(Operation::UpdateNumber {
            number: format!("+1415555010{n}").as_str().into(),
            edit: NumberEdit::Assign,
            expect: Unchanged::of(&format!("n{n}")),
            body: Map::new(),
            route: Some(Target::Address(Address::Assistant(key.into()))),
        })
    }

    /// Writes, reads and seconds of applying `changes` at `rps`, eight writes at a time.
    fn of(changes: Vec<Change>, rps: f64) -> (usize, usize, f64) {
        of_at(changes, rps, 8)
    }

    /// The same, `concurrency` writes of each priority at a time.
    fn of_at(changes: Vec<Change>, rps: f64, concurrency: usize) -> (usize, usize, f64) {
        let options = Options {
            verify_timeout: Duration::from_secs(30),
            concurrency,
        };
        let cost = cost(&Plan::of(changes), rps, &options).unwrap();
        (cost.writes, cost.reads, cost.seconds)
    }

    fn updates(n: usize) -> Vec<Change> {
        (0..n).map(|i| update(&format!("u{i}"))).collect()
    }

    #[test]
    fn a_plan_that_changes_nothing_costs_nothing() {
        assert!(cost(&Plan::of(Vec::new()), 10.0, &Options::default()).is_none());
    }

    #[test]
    fn an_onboarding_reads_each_kind_back_in_one_list_when_apply_waits_on_it() {
        // Creates at 0, 0.1 and 0.2 s; apply waits on them: one list at 0.3. The routes at
        // 0.4, 0.5 and 0.6; one list at 0.7; the last slot ends at 0.8.
        let changes = vec![
            Change::create("a"),
            Change::create("b"),
            Change::create("c"),
            route(1, "a"),
            route(2, "b"),
            route(3, "c"),
        ];
        assert_eq!(of(changes.clone(), 10.0), (6, 2, 0.8));
        // At 5 a second the first window (0.25 s) closes before the third create's slot
        // (0.4): a and b are read by id at 0.4 and 0.6, ahead of the create; their routes
        // leave at 0.8 and 1.0, the create at 1.2; apply waits: three reads by id at 1.4 to
        // 1.8; c's route at 2.0, read at 2.2.
        assert_eq!(of(changes, 5.0), (6, 6, 2.4));
    }

    #[test]
    fn two_objects_of_a_kind_are_read_by_id_and_three_are_listed() {
        assert_eq!(of(vec![update("a"), update("b")], 10.0), (2, 2, 0.4));
        assert_eq!(
            of(vec![update("a"), update("b"), update("c")], 10.0),
            (3, 1, 0.4)
        );
    }

    #[test]
    fn deletes_wait_for_the_rest_and_are_read_back_one_by_one() {
        // The update at 0, read at 0.1; the deletes at 0.2 and 0.3, each read by id at 0.4
        // and 0.5.
        let changes = vec![update("a"), delete("b"), delete("c")];
        assert_eq!(of(changes, 10.0), (3, 3, 0.6));
    }

    #[test]
    fn writes_answered_while_a_round_reads_are_read_in_the_next() {
        // At 2 a second: the first update at 0 is read when its window closes (0.25 s), but
        // that read queues behind the three updates already waiting for a slot (0.5, 1.0,
        // 1.5): it leaves at 2.0, and the three are listed at 2.5.
        let changes = vec![update("a"), update("b"), update("c"), update("d")];
        assert_eq!(of(changes, 2.0), (4, 2, 3.0));
    }

    #[test]
    fn the_time_is_rounded_up_to_the_tenth() {
        // Two requests at 3 a second end at 0.67 s.
        assert_eq!(of(vec![update("a")], 3.0), (1, 1, 0.7));
    }

    #[test]
    fn a_lone_write_is_read_back_at_the_next_slot_not_after_the_window() {
        // At 100 a second: the write at 0, its read at 0.01 (not at the window's 0.25).
        assert_eq!(of(vec![update("a")], 100.0), (1, 1, 0.1));
    }

    #[test]
    fn a_round_of_two_reads_ends_with_its_second_and_queues_behind_earlier_writes() {
        // At 8 a second: u0 and u1 are read by id when the window closes (0.25 s), behind u2
        // to u5 (0.25 to 0.625): the reads at 0.75 and 0.875; then u2 to u5 in one list at
        // 1.0, which ends at 1.125.
        assert_eq!(of(updates(6), 8.0), (6, 3, 1.2));
    }

    #[test]
    fn the_window_doubles_after_each_round_nothing_waited_on() {
        // At 8 a second (times exact in binary; a tie goes to the read), creates queue
        // behind reads. c0 and c1 at 0 and 0.125, read by id at 0.25 and 0.375 (window 0.25);
        // c2 to c5 at 0.5 to 0.875, listed at 1.0 (window 0.5); c6 to c9 at 1.125 to 1.5,
        // then apply waits: listed at 1.625, which ends at 1.75.
        let creates = (0..10).map(|i| Change::create(&format!("c{i}"))).collect();
        assert_eq!(of(creates, 8.0), (10, 4, 1.8));
    }

    #[test]
    fn a_delete_waits_for_every_earlier_phase_to_be_verified() {
        // The creates at 0 to 0.2, listed at 0.3; only then the delete, at 0.4, read at 0.5.
        // (Were it not held back, it would leave first, as a PATCH or DELETE goes before
        // creates, and the rounds would be three reads by id and one more.)
        let changes = vec![
            Change::create("a"),
            Change::create("b"),
            Change::create("c"),
            delete("d"),
        ];
        assert_eq!(of(changes, 10.0), (4, 2, 0.6));
    }

    #[test]
    fn one_write_at_a_time_changes_which_writes_a_round_holds() {
        // At 5 a second, one write at a time: u0 and u1 read by id at 0.6 and 0.8 (behind
        // u2, the only one queued); u3 and u4 at 1.0 and 1.2 join u2 in a list at 1.6 (behind
        // u5); u5 alone by id at 1.8.
        assert_eq!(of_at(updates(6), 5.0, 1), (6, 4, 2.0));
    }
}
