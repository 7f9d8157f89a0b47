//! Executing a Plan through the Vapi client, verifying every write by reading it back.
//!
//! Apply makes no planning decisions: it sends each change's write in the plan's phase order
//! (assistants, routing, unlinks, deletes), resolves the ids of assistants it creates for the
//! numbers that route to them, and reports how each change ended. Whether the plan may run at
//! all (stale, refused) is decided before, by [`crate::plan::recheck`].
//!
//! Within that order it does not wait for a whole phase: a number is routed as soon as the
//! assistant it routes to is verified, so an onboarding of many businesses answers its first
//! calls within seconds. Writes run `concurrency` at a time; their read-backs are batched
//! (see `verify`). On an interrupt no new change starts, and what was written is still read
//! back before the report.

mod execute;
mod report;
mod verify;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, mpsc};

pub use report::{FORMAT_VERSION, Outcome, Report, Status, Totals};

use crate::plan::{Address, Phase, Plan, Secrets, Target, Write};
use crate::vapi::Client;

/// How apply behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to keep reading an object back before calling it unverified.
    pub verify_timeout: Duration,
    /// Writes in flight at once.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            verify_timeout: Duration::from_secs(30),
            concurrency: 8,
        }
    }
}

/// Told about each change as it ends, so the command can show progress.
pub trait Progress: Sync {
    /// One change ended.
    fn finish(&self, outcome: &Outcome);
}

/// A request to stop: no new change starts; writes in flight finish and are read back.
#[derive(Debug, Default)]
pub struct Interrupt {
    requested: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    /// Asks the apply to stop starting changes.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        let notified = self.notify.notified();
        if !self.requested() {
            notified.await;
        }
    }
}

/// Where one change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Writing,
    Verifying,
    Done,
}

/// Applies `plan`. `applied` holds the changes a recheck found already in effect (by index,
/// with their object's id): they are reported and not sent. `secrets` holds the values of the
/// `${env.*}` references the writes contain.
pub async fn apply(
    plan: &Plan,
    applied: &BTreeMap<usize, String>,
    client: &Client,
    secrets: &Secrets,
    options: &Options,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Report {
    let (writes, to_verify) = mpsc::unbounded_channel();
    let (events, mut verdicts) = mpsc::unbounded_channel();
    let verifier = verify::run(client, options.verify_timeout, to_verify, events);
    let scheduler = async move {
        let mut run = Schedule::new(plan, progress);
        for (&i, id) in applied {
            run.finish(i, Status::AlreadyApplied, Some(id.clone()), None);
        }
        let sender = execute::Sender { client, secrets };
        let mut writing = FuturesUnordered::new();
        let mut stopped: Option<&str> = None;
        loop {
            if stopped.is_none() && interrupt.requested() {
                stopped = Some("interrupted before it started");
            }
            while stopped.is_none() && writing.len() < options.concurrency.max(1) {
                let Some(i) = run.next_ready() else {
                    break;
                };
                let (route, adopt) = run.resolve(i);
                let sender = &sender;
                run.states[i] = State::Writing;
                writing.push(async move {
                    (
                        i,
                        sender
                            .send(&plan.changes[i].write, route.as_deref(), adopt.as_deref())
                            .await,
                    )
                });
            }
            if writing.is_empty() && !run.verifying() && (stopped.is_some() || !run.waiting()) {
                break;
            }
            tokio::select! {
                Some((i, sent)) = writing.next(), if !writing.is_empty() => match sent {
                    Ok(written) => {
                        run.states[i] = State::Verifying;
                        let _ = writes.send((i, written));
                    }
                    Err(failure) => {
                        if failure.fatal {
                            stopped = Some("apply stopped: the API key was rejected");
                        }
                        run.finish(i, Status::Failed, None, Some(failure.detail));
                    }
                },
                Some(event) = verdicts.recv(), if run.verifying() => match event {
                    verify::Event::Verdict(verdict) => match verdict.differs {
                        None => run.finish(verdict.index, Status::Applied, Some(verdict.id), None),
                        Some(detail) => run.finish(verdict.index, Status::Unverified, Some(verdict.id), Some(detail)),
                    },
                    verify::Event::Seen { label, id } => run.seen(label, id),
                },
                () = interrupt.wait(), if stopped.is_none() => {}
            }
        }
        drop(writes);
        let reason = stopped.unwrap_or("not started");
        for i in 0..plan.changes.len() {
            if run.states[i] == State::Waiting {
                run.finish(i, Status::NotAttempted, None, Some(reason.to_owned()));
            }
        }
        Report::new(run.outcomes.into_values().collect())
    };
    let ((), report) = tokio::join!(verifier, scheduler);
    report
}

/// The bookkeeping of one apply: where each change is, and what it needs.
struct Schedule<'a> {
    plan: &'a Plan,
    progress: &'a dyn Progress,
    states: Vec<State>,
    outcomes: BTreeMap<usize, Outcome>,
    /// Ids of the assistants created (or found already created) for their addresses.
    created: HashMap<Address, String>,
    /// Labelled assistants another apply created meanwhile, by label key.
    foreign: HashMap<String, String>,
    /// For each change, the assistant change (by index) its route waits for.
    needs: Vec<Option<usize>>,
}

impl<'a> Schedule<'a> {
    fn new(plan: &'a Plan, progress: &'a dyn Progress) -> Self {
        let mut by_address = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, change) in plan.changes.iter().enumerate() {
            if change.phase != Phase::Assistants {
                continue;
            }
            match &change.write {
                Write::CreateAssistant { .. } => {
                    by_address.insert(&change.address, i);
                }
                Write::UpdateAssistant { id, .. } => {
                    by_id.insert(id.as_str(), i);
                }
                _ => {}
            }
        }
        let needs = plan
            .changes
            .iter()
            .map(|change| match change.write.target() {
                Some(Target::Address(address)) => by_address.get(address).copied(),
                Some(Target::Id(id)) => by_id.get(id.as_str()).copied(),
                None => None,
            })
            .collect();
        Self {
            plan,
            progress,
            states: vec![State::Waiting; plan.changes.len()],
            outcomes: BTreeMap::new(),
            created: HashMap::new(),
            foreign: HashMap::new(),
            needs,
        }
    }

    fn finish(&mut self, i: usize, status: Status, id: Option<String>, detail: Option<String>) {
        let change = &self.plan.changes[i];
        if status.converged()
            && let (Write::CreateAssistant { .. }, Some(id)) = (&change.write, &id)
        {
            self.created.insert(change.address.clone(), id.clone());
        }
        let outcome = Outcome::of(change, status, id, detail);
        self.progress.finish(&outcome);
        self.states[i] = State::Done;
        self.outcomes.insert(i, outcome);
    }

    fn seen(&mut self, label: String, id: String) {
        let ours = self
            .created
            .get(&Address::Assistant(label.clone()))
            .is_some_and(|created| *created == id);
        if !ours {
            self.foreign.entry(label).or_insert(id);
        }
    }

    fn waiting(&self) -> bool {
        self.states.contains(&State::Waiting)
    }

    fn verifying(&self) -> bool {
        self.states.contains(&State::Verifying)
    }

    /// Whether every change of `phase` has ended.
    fn phase_done(&self, phase: Phase) -> bool {
        self.plan
            .changes
            .iter()
            .zip(&self.states)
            .all(|(c, s)| c.phase != phase || *s == State::Done)
    }

    /// The next change that may start, routing first (so callers reach new assistants
    /// early); changes that can no longer run are ended as skipped on the way.
    fn next_ready(&mut self) -> Option<usize> {
        let order = [
            Phase::Routing,
            Phase::Assistants,
            Phase::Unlinks,
            Phase::Deletes,
        ];
        for phase in order {
            let gate = match phase {
                Phase::Assistants | Phase::Routing => true,
                Phase::Unlinks => {
                    self.phase_done(Phase::Routing) && self.phase_done(Phase::Assistants)
                }
                Phase::Deletes => Phase::ALL[..3].iter().all(|p| self.phase_done(*p)),
            };
            if !gate {
                continue;
            }
            for i in 0..self.plan.changes.len() {
                let change = &self.plan.changes[i];
                if self.states[i] != State::Waiting || change.phase != phase {
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
                return Some(i);
            }
        }
        None
    }

    /// Whether change `i` must wait, or can never run.
    fn blocked(&self, i: usize) -> Option<Blocked> {
        let change = &self.plan.changes[i];
        if change.phase == Phase::Deletes && self.outcomes.values().any(|o| !o.status.converged()) {
            return Some(Blocked::Skip(
                "an earlier change did not apply, so a number may still route to it".to_owned(),
            ));
        }
        match (self.needs[i], change.write.target()) {
            (Some(needed), _) => {
                let what = &self.plan.changes[needed];
                match self.states[needed] {
                    State::Done if self.outcomes[&needed].status.converged() => None,
                    State::Done if matches!(what.write, Write::CreateAssistant { .. }) => {
                        Some(Blocked::Skip(format!("{} was not created", what.address)))
                    }
                    State::Done => Some(Blocked::Skip(format!("{} did not apply", what.address))),
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
    fn resolve(&self, i: usize) -> (Option<String>, Option<String>) {
        let change = &self.plan.changes[i];
        let route = match change.write.target() {
            Some(Target::Id(id)) => Some(id.clone()),
            Some(Target::Address(address)) => self.created.get(address).cloned(),
            None => None,
        };
        let adopt = match &change.write {
            Write::CreateAssistant { key, .. } => self.foreign.get(key).cloned(),
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
