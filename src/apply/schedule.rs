//! The bookkeeping of one apply: where each change is, what it waits for, and which may
//! start next. The plan decided the order (`plan::order`); this only follows it. Changes that
//! may start wait in sets by phase and priority, so choosing the next one costs the same at
//! ten changes and at ten thousand.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Progress;
use super::report::{Outcome, Status};
use crate::http::Priority;
use crate::id::{AssistantId, Label};
use crate::plan::{Address, Operation, Phase, Plan, Target, order};

/// Where one change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Waiting,
    Writing,
    Verifying,
    Done,
}

/// The bookkeeping of one apply: where each change is, and what it needs.
pub(super) struct Schedule<'a> {
    plan: &'a Plan,
    progress: &'a dyn Progress,
    pub(super) states: Vec<State>,
    pub(super) outcomes: BTreeMap<usize, Outcome>,
    /// Ids of the assistants created (or found already created) for their addresses.
    created: HashMap<Address, AssistantId>,
    /// Labelled assistants another apply created meanwhile, by label key.
    foreign: HashMap<Label, AssistantId>,
    /// The changes waiting for each change, by its index.
    dependants: HashMap<usize, Vec<usize>>,
    /// Changes waiting for nothing but their phase and a free write, by phase and priority,
    /// in plan order.
    ready: HashMap<(Phase, Priority), BTreeSet<usize>>,
    /// Changes routed to an assistant nothing in the plan creates: they never run.
    unroutable: Vec<(usize, &'a Address)>,
    /// How many changes of each phase have not ended.
    unfinished: HashMap<Phase, usize>,
    /// Whether a change ended otherwise than in effect: deletes then do not run.
    failed: bool,
    /// How many changes are being read back.
    verifying: usize,
    /// Writes started and not yet answered, at most `concurrency` of each priority.
    writing: HashMap<Priority, usize>,
    concurrency: usize,
    /// Whether apply was stalled when last asked (see [`Schedule::newly_stalled`]).
    stalled: bool,
}

/// Progress nobody watches: the cost statement follows a schedule without showing it.
pub(super) struct Silent;

impl Progress for Silent {
    fn start(&self, _: usize) {}
    fn finish(&self, _: &Outcome) {}
}

/// The order in which ready changes start: routing first, so callers reach new assistants
/// early.
pub(super) const ORDER: [Phase; 4] = [
    Phase::Routing,
    Phase::Assistants,
    Phase::Unlinks,
    Phase::Deletes,
];

/// The limiter's priority of a change's write (the transport ranks a POST `Later`): a create
/// starts new work; every other write finishes work already started. Each priority has its own
/// bound on writes started, so creates waiting for the rate do not hold back a route.
pub(super) fn priority(op: &Operation) -> Priority {
    match op {
        Operation::CreateAssistant { .. } | Operation::ImportNumber { .. } => Priority::Later,
        Operation::UpdateAssistant { .. }
        | Operation::DeleteAssistant { .. }
        | Operation::UpdateNumber { .. } => Priority::First,
    }
}

impl<'a> Schedule<'a> {
    /// The bookkeeping of applying `plan`, starting at most `concurrency` writes of each
    /// priority at once.
    pub(super) fn new(plan: &'a Plan, progress: &'a dyn Progress, concurrency: usize) -> Self {
        let needs = order::needs(&plan.changes);
        let mut dependants: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut ready: HashMap<(Phase, Priority), BTreeSet<usize>> = HashMap::new();
        let mut unfinished: HashMap<Phase, usize> = HashMap::new();
        let mut unroutable = Vec::new();
        for (i, change) in plan.changes.iter().enumerate() {
            *unfinished.entry(change.phase()).or_default() += 1;
            match (needs[i], change.op().route()) {
                (Some(needed), _) => dependants.entry(needed).or_default().push(i),
                (None, Some(Target::Address(address))) => unroutable.push((i, address)),
                (None, _) => {
                    ready
                        .entry((change.phase(), priority(change.op())))
                        .or_default()
                        .insert(i);
                }
            }
        }
        Self {
            plan,
            progress,
            states: vec![State::Waiting; plan.changes.len()],
            outcomes: BTreeMap::new(),
            created: HashMap::new(),
            foreign: HashMap::new(),
            dependants,
            ready,
            unroutable,
            unfinished,
            failed: false,
            verifying: 0,
            writing: HashMap::new(),
            concurrency: concurrency.max(1),
            stalled: false,
        }
    }

    /// Change `i`'s write starts.
    pub(super) fn start(&mut self, i: usize) {
        self.progress.start(i);
        let op = self.plan.changes[i].op();
        *self.writing.entry(priority(op)).or_default() += 1;
        self.states[i] = State::Writing;
    }

    /// Change `i`'s write was accepted; it is being read back.
    pub(super) fn written(&mut self, i: usize) {
        self.leave_writing(i);
        self.states[i] = State::Verifying;
        self.verifying += 1;
    }

    fn leave_writing(&mut self, i: usize) {
        if self.states[i] == State::Writing
            && let Some(count) = self.writing.get_mut(&priority(self.plan.changes[i].op()))
        {
            *count -= 1;
        }
    }

    /// Whether another write of `priority` may start.
    fn room(&self, priority: Priority) -> bool {
        self.writing.get(&priority).copied().unwrap_or(0) < self.concurrency
    }

    /// Change `i` ended with `status`; what waited for it may start, or, when it did not
    /// take effect, can no longer run and is ended as skipped.
    pub(super) fn finish(
        &mut self,
        i: usize,
        status: Status,
        id: Option<String>,
        detail: Option<String>,
    ) {
        let change = &self.plan.changes[i];
        if status.converged()
            && let (Operation::CreateAssistant { .. }, Some(id)) = (change.op(), &id)
        {
            self.created
                .insert(change.address().clone(), id.as_str().into());
        }
        let outcome = Outcome::of(change, status, id, detail);
        self.progress.finish(&outcome);
        self.leave_writing(i);
        if self.states[i] == State::Waiting
            && let Some(waiting) = self.ready.get_mut(&(change.phase(), priority(change.op())))
        {
            waiting.remove(&i);
        }
        if self.states[i] == State::Verifying {
            self.verifying -= 1;
        }
        if self.states[i] != State::Done
            && let Some(count) = self.unfinished.get_mut(&change.phase())
        {
            *count -= 1;
        }
        self.states[i] = State::Done;
        self.failed |= !status.converged();
        self.outcomes.insert(i, outcome);
        if status == Status::NotAttempted {
            // Apply stopped before it started: what waits for it was not attempted either, and
            // is ended so with the same reason.
            return;
        }
        for dependant in self.dependants.remove(&i).unwrap_or_default() {
            if self.states[dependant] != State::Waiting {
                continue;
            }
            if status.converged() {
                let waiting = &self.plan.changes[dependant];
                self.ready
                    .entry((waiting.phase(), priority(waiting.op())))
                    .or_default()
                    .insert(dependant);
            } else {
                let why = match change.op() {
                    Operation::CreateAssistant { .. } => "was not created",
                    _ => "did not apply",
                };
                let detail = format!("{} {why}", change.address());
                self.finish(dependant, Status::Skipped, None, Some(detail));
            }
        }
    }

    /// A read-back list showed the assistant `id` carrying `label`, which this apply did not
    /// write: unless this apply created it, another apply did.
    pub(super) fn seen(&mut self, label: Label, id: AssistantId) {
        let ours = self
            .created
            .get(&Address::Assistant(label.clone()))
            .is_some_and(|created| *created == id);
        if !ours {
            self.foreign.entry(label).or_insert(id);
        }
    }

    /// Whether a change is being read back.
    pub(super) fn verifying(&self) -> bool {
        self.verifying > 0
    }

    /// Whether apply has just stalled: nothing is being written and something is being read
    /// back, so only a verdict lets it go on, and that was not so when last asked. The
    /// verifier is told once each time, and reads at once instead of waiting for more writes.
    pub(super) fn newly_stalled(&mut self) -> bool {
        let stalled = self.verifying() && self.writing.values().all(|&n| n == 0);
        let newly = stalled && !self.stalled;
        self.stalled = stalled;
        newly
    }

    /// Whether every change of `phase` has ended.
    fn phase_done(&self, phase: Phase) -> bool {
        self.unfinished.get(&phase).copied().unwrap_or(0) == 0
    }

    /// The next change that may start, routing first (so callers reach new assistants
    /// early), if its priority has room for another write; changes that can no longer run are
    /// ended as skipped on the way.
    pub(super) fn next_ready(&mut self) -> Option<usize> {
        for phase in ORDER {
            if !order::after(phase).iter().all(|p| self.phase_done(*p)) {
                continue;
            }
            self.skip_doomed(phase);
            // The first in plan order among the priorities with room.
            let next = [Priority::First, Priority::Later]
                .into_iter()
                .filter(|priority| self.room(*priority))
                .filter_map(|priority| {
                    let first = self.ready.get(&(phase, priority))?.first()?;
                    Some((*first, priority))
                })
                .min();
            if let Some((i, priority)) = next {
                if let Some(ready) = self.ready.get_mut(&(phase, priority)) {
                    ready.remove(&i);
                }
                return Some(i);
            }
        }
        None
    }

    /// Ends as skipped the changes that can never run, as `phase` is reached: every delete once
    /// a change did not apply (a number may still route to what it deletes), and, at once, a
    /// number routed to an assistant nothing in the plan creates (only a plan made by hand
    /// names one).
    fn skip_doomed(&mut self, phase: Phase) {
        if phase == Phase::Deletes && self.failed {
            let deletes: Vec<usize> = [Priority::First, Priority::Later]
                .into_iter()
                .filter_map(|priority| self.ready.remove(&(phase, priority)))
                .flatten()
                .collect();
            for i in deletes {
                let why = "an earlier change did not apply, so a number may still route to it";
                self.finish(i, Status::Skipped, None, Some(why.to_owned()));
            }
        }
        // Routing waits for no phase: whichever phase is reached first ends them.
        for (i, address) in std::mem::take(&mut self.unroutable) {
            let why = format!("{address} was not created");
            self.finish(i, Status::Skipped, None, Some(why));
        }
    }

    /// The assistant id a number change routes to, and for a create, the id of an assistant
    /// another apply created for its key meanwhile (to adopt instead of duplicating).
    pub(super) fn resolve(&self, i: usize) -> (Option<String>, Option<String>) {
        let change = &self.plan.changes[i];
        let route = match change.op().route() {
            Some(Target::Id(id)) => Some(id.to_string()),
            Some(Target::Address(address)) => self.created.get(address).map(ToString::to_string),
            None => None,
        };
        let adopt = match change.op() {
            Operation::CreateAssistant { key, .. } => self
                .foreign
                .get(&Label::Key(key.clone()))
                .map(ToString::to_string),
            _ => None,
        };
        (route, adopt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, NumberEdit, Unchanged};

    fn routed_to(route: Target) -> Change {
        Change::of(Operation::UpdateNumber {
            number: "+14155550100".into(),
            edit: NumberEdit::Assign,
            expect: Unchanged::of("n1"),
            body: serde_json::Map::new(),
            route: Some(route),
        })
    }

    #[test]
    fn a_create_adopts_what_another_apply_created_for_its_key_meanwhile() {
        let plan = Plan::of(vec![Change::create("a"), Change::create("b")]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        run.finish(0, Status::Applied, Some("a1".to_owned()), None);
        // A read-back list shows this apply's own `a`, and a `b` another apply created.
        run.seen("a".into(), "a1".into());
        run.seen("b".into(), "b9".into());
        assert_eq!(run.resolve(1), (None, Some("b9".to_owned())));
        assert_eq!(run.resolve(0), (None, None), "its own `a` is no one else's");
    }

    #[test]
    fn what_waits_for_a_change_never_attempted_is_not_attempted_either() {
        let plan = Plan::of(vec![
            Change::create("a"),
            routed_to(Target::Address(Address::Assistant("a".into()))),
        ]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        run.finish(
            0,
            Status::NotAttempted,
            None,
            Some("interrupted".to_owned()),
        );
        assert_eq!(
            run.states[1],
            State::Waiting,
            "left to the caller, as interrupted"
        );
        assert!(!run.outcomes.contains_key(&1));
    }

    #[test]
    fn a_change_found_in_effect_before_it_starts_never_starts() {
        let plan = Plan::of(vec![Change::create("a"), Change::create("b")]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        run.finish(0, Status::AlreadyApplied, Some("a1".to_owned()), None);
        assert_eq!(run.next_ready(), Some(1));
        run.start(1);
        assert_eq!(run.next_ready(), None);
    }

    #[test]
    fn what_waits_for_a_create_that_failed_is_skipped_and_so_are_the_deletes() {
        let delete = Change::of(Operation::DeleteAssistant {
            key: "old".into(),
            copy: false,
            expect: Unchanged::of("o1"),
            routed_numbers: std::collections::BTreeSet::new(),
        });
        let plan = Plan::of(vec![
            Change::create("a"),
            routed_to(Target::Address(Address::Assistant("a".into()))),
            delete,
        ]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        assert_eq!(
            run.next_ready(),
            Some(0),
            "the number waits for its assistant"
        );
        run.start(0);
        run.finish(0, Status::Failed, None, Some("refused".to_owned()));
        assert_eq!(run.outcomes[&1].status, Status::Skipped);
        assert_eq!(
            run.outcomes[&1].detail.as_deref(),
            Some("assistant/a was not created")
        );
        assert_eq!(run.next_ready(), None, "no delete runs after a failure");
        assert_eq!(run.outcomes[&2].status, Status::Skipped);
        assert_eq!(
            run.outcomes[&2].detail.as_deref(),
            Some("an earlier change did not apply, so a number may still route to it")
        );
    }

    #[test]
    fn a_number_whose_assistant_did_not_apply_is_skipped_saying_why() {
        let adopt = Operation::UpdateAssistant {
            key: "a".into(),
            adopt: true,
            expect: Unchanged::of("a1"),
            body: serde_json::Map::new(),
        };
        let plan = Plan::of(vec![Change::of(adopt), routed_to(Target::Id("a1".into()))]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        assert_eq!(
            run.next_ready(),
            Some(0),
            "the number waits for its assistant"
        );
        run.finish(0, Status::Failed, None, Some("refused".to_owned()));
        assert_eq!(run.next_ready(), None);
        assert_eq!(run.outcomes[&1].status, Status::Skipped);
        assert_eq!(
            run.outcomes[&1].detail.as_deref(),
            Some("assistant/a did not apply")
        );
    }

    #[test]
    fn a_number_routed_to_an_assistant_nothing_creates_is_skipped() {
        // Only a plan made by hand routes to an address it does not create; apply does not
        // send the number anywhere else.
        let plan = Plan::of(vec![routed_to(Target::Address(Address::Assistant(
            "a".into(),
        )))]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        assert_eq!(run.next_ready(), None);
        assert_eq!(run.outcomes[&0].status, Status::Skipped);
        assert_eq!(
            run.outcomes[&0].detail.as_deref(),
            Some("assistant/a was not created")
        );
    }

    #[test]
    fn apply_is_newly_stalled_once_each_time_only_read_backs_are_left() {
        let plan = Plan::of(vec![
            Change::create("a"),
            Change::create("b"),
            Change::create("c"),
        ]);
        let mut run = Schedule::new(&plan, &Silent, 8);
        assert!(!run.newly_stalled(), "nothing is read back yet");
        run.start(0);
        run.start(1);
        run.written(0);
        assert!(!run.newly_stalled(), "b is still being written");
        run.written(1);
        assert!(run.newly_stalled());
        assert!(!run.newly_stalled(), "told once");
        run.start(2);
        assert!(!run.newly_stalled(), "c is being written");
        run.written(2);
        assert!(run.newly_stalled(), "stalled again");
        for i in 0..3 {
            run.finish(i, Status::Applied, Some(format!("id{i}")), None);
        }
        assert!(!run.newly_stalled(), "nothing is left to read back");
        assert!(!run.verifying());
    }
}
