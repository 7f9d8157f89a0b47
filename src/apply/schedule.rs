//! The bookkeeping of one apply: where each change is, what it waits for, and which may
//! start next. The plan decided the order; this only follows it.

use std::collections::{BTreeMap, HashMap};

use super::Progress;
use super::report::{Outcome, Status};
use crate::http::Priority;
use crate::plan::{Address, Operation, Phase, Plan, Target};

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
    created: HashMap<Address, String>,
    /// Labelled assistants another apply created meanwhile, by label key.
    foreign: HashMap<String, String>,
    /// For each change, the assistant change (by index) its route waits for.
    needs: Vec<Option<usize>>,
    /// Writes started and not yet answered, at most `concurrency` of each priority.
    writing: HashMap<Priority, usize>,
    concurrency: usize,
    /// Whether apply was stalled when last asked (see [`Schedule::newly_stalled`]).
    stalled: bool,
}

/// The order in which ready changes start: routing first, so callers reach new assistants
/// early.
pub(super) const ORDER: [Phase; 4] = [
    Phase::Routing,
    Phase::Assistants,
    Phase::Unlinks,
    Phase::Deletes,
];

/// The phases whose changes must all have ended before a change of `phase` starts: every
/// phase before it in apply order, except that routing runs beside the assistants (a number
/// waits only for its own assistant).
pub(super) fn after(phase: Phase) -> &'static [Phase] {
    const ALL: &[Phase] = &Phase::ALL;
    match phase {
        Phase::Assistants | Phase::Routing => &[],
        Phase::Unlinks => &ALL[..2],
        Phase::Deletes => &ALL[..3],
    }
}

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

/// For each change, the assistant change (by index) its route waits for.
pub(super) fn needs(plan: &Plan) -> Vec<Option<usize>> {
    let mut by_address = HashMap::new();
    let mut by_id = HashMap::new();
    for (i, change) in plan.changes.iter().enumerate() {
        match change.op() {
            Operation::CreateAssistant { .. } => {
                by_address.insert(change.address(), i);
            }
            Operation::UpdateAssistant { expect, .. } => {
                by_id.insert(expect.id.as_str(), i);
            }
            _ => {}
        }
    }
    plan.changes
        .iter()
        .map(|change| match change.op().route() {
            Some(Target::Address(address)) => by_address.get(address).copied(),
            Some(Target::Id(id)) => by_id.get(id.as_str()).copied(),
            None => None,
        })
        .collect()
}

impl<'a> Schedule<'a> {
    /// The bookkeeping of applying `plan`, starting at most `concurrency` writes of each
    /// priority at once.
    pub(super) fn new(plan: &'a Plan, progress: &'a dyn Progress, concurrency: usize) -> Self {
        Self {
            plan,
            progress,
            states: vec![State::Waiting; plan.changes.len()],
            outcomes: BTreeMap::new(),
            created: HashMap::new(),
            foreign: HashMap::new(),
            needs: needs(plan),
            writing: HashMap::new(),
            concurrency: concurrency.max(1),
            stalled: false,
        }
    }

    /// Change `i`'s write starts.
    pub(super) fn start(&mut self, i: usize) {
        self.progress.start(i);
        *self
            .writing
            .entry(priority(self.plan.changes[i].op()))
            .or_default() += 1;
        self.states[i] = State::Writing;
    }

    /// Change `i`'s write was accepted; it is being read back.
    pub(super) fn written(&mut self, i: usize) {
        self.leave_writing(i);
        self.states[i] = State::Verifying;
    }

    fn leave_writing(&mut self, i: usize) {
        if self.states[i] == State::Writing
            && let Some(count) = self.writing.get_mut(&priority(self.plan.changes[i].op()))
        {
            *count -= 1;
        }
    }

    /// Whether another write of `op`'s priority may start.
    fn room(&self, op: &Operation) -> bool {
        self.writing.get(&priority(op)).copied().unwrap_or(0) < self.concurrency
    }

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
            self.created.insert(change.address().clone(), id.clone());
        }
        let outcome = Outcome::of(change, status, id, detail);
        self.progress.finish(&outcome);
        self.leave_writing(i);
        self.states[i] = State::Done;
        self.outcomes.insert(i, outcome);
    }

    pub(super) fn seen(&mut self, label: String, id: String) {
        let ours = self
            .created
            .get(&Address::Assistant(label.clone()))
            .is_some_and(|created| *created == id);
        if !ours {
            self.foreign.entry(label).or_insert(id);
        }
    }

    pub(super) fn verifying(&self) -> bool {
        self.states.contains(&State::Verifying)
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
        self.plan
            .changes
            .iter()
            .zip(&self.states)
            .all(|(c, s)| c.phase() != phase || *s == State::Done)
    }

    /// The next change that may start, routing first (so callers reach new assistants
    /// early), if its priority has room for another write; changes that can no longer run are
    /// ended as skipped on the way.
    pub(super) fn next_ready(&mut self) -> Option<usize> {
        for phase in ORDER {
            if !after(phase).iter().all(|p| self.phase_done(*p)) {
                continue;
            }
            for i in 0..self.plan.changes.len() {
                let change = &self.plan.changes[i];
                if self.states[i] != State::Waiting || change.phase() != phase {
                    continue;
                }
                if let Some(reason) = self.blocked(i) {
                    match reason {
                        Blocked::Wait => continue,
                        Blocked::Skip(reason) => {
                            self.finish(i, Status::Skipped, None, Some(reason));
                            continue;
                        }
                    }
                }
                if self.room(change.op()) {
                    return Some(i);
                }
            }
        }
        None
    }

    /// Whether change `i` must wait, or can never run.
    fn blocked(&self, i: usize) -> Option<Blocked> {
        let change = &self.plan.changes[i];
        if change.phase() == Phase::Deletes && self.outcomes.values().any(|o| !o.status.converged())
        {
            return Some(Blocked::Skip(
                "an earlier change did not apply, so a number may still route to it".to_owned(),
            ));
        }
        match (self.needs[i], change.op().route()) {
            (Some(needed), _) => {
                let what = &self.plan.changes[needed];
                match self.states[needed] {
                    State::Done if self.outcomes[&needed].status.converged() => None,
                    State::Done if matches!(what.op(), Operation::CreateAssistant { .. }) => {
                        Some(Blocked::Skip(format!("{} was not created", what.address())))
                    }
                    State::Done => Some(Blocked::Skip(format!("{} did not apply", what.address()))),
                    _ => Some(Blocked::Wait),
                }
            }
            (None, Some(Target::Address(address))) if !self.created.contains_key(address) => {
                Some(Blocked::Skip(format!("{address} was not created")))
            }
            _ => None,
        }
    }

    /// The assistant id a number change routes to, and for a create, the id of an assistant
    /// another apply created for its key meanwhile (to adopt instead of duplicating).
    pub(super) fn resolve(&self, i: usize) -> (Option<String>, Option<String>) {
        let change = &self.plan.changes[i];
        let route = match change.op().route() {
            Some(Target::Id(id)) => Some(id.clone()),
            Some(Target::Address(address)) => self.created.get(address).cloned(),
            None => None,
        };
        let adopt = match change.op() {
            Operation::CreateAssistant { key, .. } => self.foreign.get(key).cloned(),
            _ => None,
        };
        (route, adopt)
    }
}

/// Why a change cannot start now.
enum Blocked {
    /// What it needs is still in progress.
    Wait,
    /// What it needs failed; the reason.
    Skip(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, NumberEdit, Unchanged};

    struct Quiet;

    impl Progress for Quiet {
        fn start(&self, _: usize) {}
        fn finish(&self, _: &Outcome) {}
    }

    fn routed_to(route: Target) -> Change {
        Change::of(Operation::UpdateNumber {
            number: "+14155550100".to_owned(),
            edit: NumberEdit::Assign,
            expect: Unchanged::of("n1"),
            body: serde_json::Map::new(),
            route: Some(route),
        })
    }

    #[test]
    fn a_create_adopts_what_another_apply_created_for_its_key_meanwhile() {
        let plan = Plan::of(vec![Change::create("a"), Change::create("b")]);
        let mut run = Schedule::new(&plan, &Quiet, 8);
        run.finish(0, Status::Applied, Some("a1".to_owned()), None);
        // A read-back list shows this apply's own `a`, and a `b` another apply created.
        run.seen("a".to_owned(), "a1".to_owned());
        run.seen("b".to_owned(), "b9".to_owned());
        assert_eq!(run.resolve(1), (None, Some("b9".to_owned())));
    }

    #[test]
    fn a_number_whose_assistant_did_not_apply_is_skipped_saying_why() {
        let adopt = Operation::UpdateAssistant {
            key: "a".to_owned(),
            adopt: true,
            expect: Unchanged::of("a1"),
            body: serde_json::Map::new(),
        };
        let plan = Plan::of(vec![
            Change::of(adopt),
            routed_to(Target::Id("a1".to_owned())),
        ]);
        let mut run = Schedule::new(&plan, &Quiet, 8);
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
            "a".to_owned(),
        )))]);
        let mut run = Schedule::new(&plan, &Quiet, 8);
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
        let mut run = Schedule::new(&plan, &Quiet, 8);
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
    }
}
