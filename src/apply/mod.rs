//! Executing a Plan through the Vapi client, verifying every write by reading it back.
//!
//! Apply makes no planning decisions: it sends each change's write in the plan's phase order
//! (assistants, routing, unlinks, deletes), resolves the ids of assistants it creates for the
//! numbers that route to them, and reports how each change ended. Whether the plan may run at
//! all (stale, refused) is decided before, by [`crate::plan::recheck`].

mod execute;
mod report;
mod verify;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt as _;

pub use report::{FORMAT_VERSION, Outcome, Report, Status, Totals};

use crate::plan::{Address, Change, Phase, Plan, Secrets, Target, Write};
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

/// Applies `plan` in its order, phase after phase. `applied` holds the changes a recheck found
/// already in effect (by index, with their object's id): they are reported and not sent.
/// `secrets` holds the values of the `${env.*}` references the writes contain.
pub async fn apply(
    plan: &Plan,
    applied: &BTreeMap<usize, String>,
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
    let mut outcomes: BTreeMap<usize, Outcome> = BTreeMap::new();
    let mut created: HashMap<Address, String> = HashMap::new();
    for (&i, id) in applied {
        let change = &plan.changes[i];
        if matches!(change.write, Write::CreateAssistant { .. }) {
            created.insert(change.address.clone(), id.clone());
        }
        let outcome = Outcome::of(change, Status::AlreadyApplied, Some(id.clone()), None);
        progress.finish(&outcome);
        outcomes.insert(i, outcome);
    }
    let stopped = AtomicBool::new(false);
    for phase in Phase::ALL {
        let earlier_failed = outcomes.values().any(|o| !o.status.converged());
        let members = plan
            .changes
            .iter()
            .enumerate()
            .filter(|(i, c)| c.phase == phase && !applied.contains_key(i));
        let results: Vec<(usize, Outcome)> = futures::stream::iter(members.map(|(i, change)| {
            let (run, created, stopped) = (&run, &created, &stopped);
            async move {
                let outcome = if stopped.load(Ordering::Relaxed) {
                    Outcome::of(
                        change,
                        Status::NotAttempted,
                        None,
                        Some("apply stopped: the API key was rejected".to_owned()),
                    )
                } else if let Some(reason) = blocker(change, earlier_failed, created) {
                    Outcome::of(change, Status::Skipped, None, Some(reason))
                } else {
                    let (outcome, fatal) = run.change(change, created).await;
                    if fatal {
                        stopped.store(true, Ordering::Relaxed);
                    }
                    outcome
                };
                progress.finish(&outcome);
                (i, outcome)
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
    Report::new(outcomes.into_values().collect())
}

/// Why a change cannot be sent, if it cannot: the assistant it routes to was not created, or
/// (for a delete) an earlier change did not apply, so a number may still route to it.
fn blocker(
    change: &Change,
    earlier_failed: bool,
    created: &HashMap<Address, String>,
) -> Option<String> {
    match change.write.target() {
        Some(Target::Address(needed)) if !created.contains_key(needed) => {
            Some(format!("{needed} was not created"))
        }
        _ if change.phase == Phase::Deletes && earlier_failed => {
            Some("an earlier change did not apply, so a number may still route to it".to_owned())
        }
        _ => None,
    }
}
