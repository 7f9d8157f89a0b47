//! What applying a plan costs, worked out by following it the way apply runs it: changes
//! start in the scheduler's order as soon as what they wait for is verified, `concurrency` at
//! a time; every request takes the next slot of the rate limiter (one each `1 / rps` seconds,
//! first come first served); and the verifier gathers what was written within its first
//! window, then reads it back in one round, its calls queued behind the writes already waiting
//! (see `verify`). Without read lag every round verifies all it read; lag adds rounds, and so
//! reads.

use std::collections::{HashMap, VecDeque};

use super::schedule::{self, ORDER};
use super::verify::{self, FIRST_WINDOW, Kind};
use crate::plan::{Cost, Phase, Plan};

/// A request waiting for its slot.
enum Request {
    /// The write of a change.
    Write(usize),
    /// One call of the verifier's round.
    Read,
}

/// The cost of applying `plan` at `rps` requests per second (above zero) with `concurrency`
/// writes in flight; `None` when it changes nothing.
pub fn cost(plan: &Plan, rps: f64, concurrency: usize) -> Option<Cost> {
    if plan.is_empty() {
        return None;
    }
    let phase = |i: usize| plan.changes[i].phase;
    let mut ready: HashMap<Phase, VecDeque<usize>> = HashMap::new();
    let mut unverified: HashMap<Phase, usize> = HashMap::new();
    let mut dependants: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, needed) in schedule::needs(plan).into_iter().enumerate() {
        *unverified.entry(phase(i)).or_default() += 1;
        match needed {
            Some(needed) => dependants.entry(needed).or_default().push(i),
            None => ready.entry(phase(i)).or_default().push_back(i),
        }
    }
    let gap = 1.0 / rps;
    let window = FIRST_WINDOW.as_secs_f64();
    let mut queue = VecDeque::new();
    let mut writing = 0;
    // When the next request leaves; the verifier's round being gathered (when it reads, what
    // it holds); the round being read (what it holds, calls left); writes seen meanwhile.
    let mut slot = 0.0;
    let mut gathering: Option<(f64, Vec<usize>)> = None;
    let mut reading: Option<(Vec<usize>, usize)> = None;
    let mut seen = Vec::new();
    let mut read_calls = 0;
    loop {
        while writing < concurrency.max(1) {
            let next = ORDER
                .into_iter()
                .filter(|p| after_verified(*p, &unverified))
                .find_map(|p| ready.get_mut(&p).and_then(VecDeque::pop_front));
            let Some(i) = next else {
                break;
            };
            queue.push_back(Request::Write(i));
            writing += 1;
        }
        if let Some((reads_at, _)) = &gathering
            && (queue.is_empty() || slot >= *reads_at)
        {
            slot = f64::max(slot, *reads_at);
            let (_, held) = gathering.take().unwrap_or_default();
            let calls = calls(plan, &held);
            reading = Some((held, calls));
            queue.push_back(Request::Read);
            continue;
        }
        let Some(request) = queue.pop_front() else {
            break;
        };
        let now = slot;
        slot += gap;
        match request {
            Request::Write(i) => {
                writing -= 1;
                match (&mut gathering, &reading) {
                    (_, Some(_)) => seen.push(i),
                    (Some((_, held)), None) => held.push(i),
                    (None, None) => gathering = Some((now + window, vec![i])),
                }
            }
            Request::Read => {
                read_calls += 1;
                let Some((held, left)) = &mut reading else {
                    continue;
                };
                *left -= 1;
                if *left > 0 {
                    queue.push_back(Request::Read);
                    continue;
                }
                for i in std::mem::take(held) {
                    *unverified.entry(phase(i)).or_default() -= 1;
                    for dependant in dependants.remove(&i).unwrap_or_default() {
                        ready
                            .entry(phase(dependant))
                            .or_default()
                            .push_back(dependant);
                    }
                }
                reading = None;
                if !seen.is_empty() {
                    gathering = Some((now + window, std::mem::take(&mut seen)));
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
        *counts.entry(Kind::of(&plan.changes[i].write)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(kind, count)| verify::calls(kind, count))
        .sum()
}

/// Whether every change of the phases before `phase` is verified.
fn after_verified(phase: Phase, unverified: &HashMap<Phase, usize>) -> bool {
    schedule::after(phase)
        .iter()
        .all(|p| unverified.get(p).copied().unwrap_or(0) == 0)
}
