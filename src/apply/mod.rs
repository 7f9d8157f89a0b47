//! Executing a Plan through the Vapi client, verifying every write by reading it back.
//!
//! Apply makes no planning decisions: it sends each change's write in the plan's phase order
//! (assistants, routing, unlinks, deletes), resolves the ids of assistants it creates for the
//! numbers that route to them, and reports how each change ended.

mod execute;
mod report;
mod verify;

use std::collections::HashMap;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt as _;

pub use report::{FORMAT_VERSION, Outcome, Report, Status, Totals};

use crate::plan::{Action, Address, Change, Plan, Secrets, Target, Write};
use crate::vapi::Client;

/// How apply behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to keep reading an object back before calling it unverified.
    pub verify_timeout: Duration,
    /// Changes in progress at once (each one write, then its read-back). Bounding changes,
    /// not only requests, lets each finish soon after it starts, so progress is steady and an
    /// interrupted apply leaves verified work behind.
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

/// Applies `plan`. `secrets` holds the values of the `${env.*}` references its writes contain.
pub async fn apply(
    plan: &Plan,
    client: &Client,
    secrets: &Secrets,
    options: &Options,
    progress: &dyn Progress,
) -> Report {
    let run = execute::Run {
        client,
        secrets,
        options,
    };
    let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
    let mut created: HashMap<Address, String> = HashMap::new();
    let stopped = AtomicBool::new(false);
    for phase in [
        Phase::Assistants,
        Phase::Routing,
        Phase::Unlinks,
        Phase::Deletes,
    ] {
        let members: Vec<(usize, &Change)> = plan
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| Phase::of(c) == phase)
            .collect();
        let earlier_failed = outcomes.values().any(|o| o.status != Status::Applied);
        let results: Vec<(usize, Outcome)> =
            futures::stream::iter(members.iter().map(|(i, change)| {
                let (run, created, stopped) = (&run, &created, &stopped);
                async move {
                    let blocked = if stopped.load(Ordering::Relaxed) {
                        Some((
                            Status::NotAttempted,
                            "apply stopped: the API key was rejected".to_owned(),
                        ))
                    } else {
                        blocker(change, phase, earlier_failed, created)
                    };
                    let outcome = if let Some((status, detail)) = blocked {
                        Outcome {
                            address: change.address.clone(),
                            action: change.action,
                            status,
                            id: None,
                            detail: Some(detail),
                        }
                    } else {
                        let (outcome, fatal) = run.change(change, created).await;
                        if fatal {
                            stopped.store(true, Ordering::Relaxed);
                        }
                        outcome
                    };
                    progress.finish(&outcome);
                    (*i, outcome)
                }
            }))
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for (i, outcome) in results {
            if outcome.status == Status::Applied
                && let (Write::CreateAssistant { .. }, Some(id)) =
                    (&plan.changes[i].write, &outcome.id)
            {
                created.insert(outcome.address.clone(), id.clone());
            }
            outcomes.insert(i, outcome);
        }
    }
    let mut ordered: Vec<(usize, Outcome)> = outcomes.into_iter().collect();
    ordered.sort_by_key(|(i, _)| *i);
    Report::new(ordered.into_iter().map(|(_, o)| o).collect())
}

/// Why a change cannot be sent, if it cannot.
fn blocker(
    change: &Change,
    phase: Phase,
    earlier_failed: bool,
    created: &HashMap<Address, String>,
) -> Option<(Status, String)> {
    match &change.write {
        Write::UpdateNumber {
            route: Some(Target::Address(needed)),
            ..
        }
        | Write::CreateNumber {
            route: Some(Target::Address(needed)),
            ..
        } if !created.contains_key(needed) => {
            Some((Status::Skipped, format!("{needed} was not created")))
        }
        _ if phase == Phase::Deletes && earlier_failed => Some((
            Status::Skipped,
            "an earlier change did not apply, so a number may still route to it".to_owned(),
        )),
        _ => None,
    }
}

/// The order apply works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Assistants,
    Routing,
    Unlinks,
    Deletes,
}

impl Phase {
    fn of(change: &Change) -> Self {
        match (&change.address, change.action) {
            (_, Action::Delete) => Self::Deletes,
            (_, Action::Unlink) => Self::Unlinks,
            (Address::Assistant(_), _) => Self::Assistants,
            (Address::Number(_), _) => Self::Routing,
        }
    }
}
