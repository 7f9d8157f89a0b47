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

use futures::future::join_all;

pub use report::{FORMAT_VERSION, Outcome, Report, Status, Totals};

use crate::plan::{Action, Address, Change, Plan, Secrets, Target, Write};
use crate::vapi::Client;

/// How apply behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to keep reading an object back before calling it unverified.
    pub verify_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            verify_timeout: Duration::from_secs(30),
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
    let mut stopped = false;
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
        let results = join_all(members.iter().map(|(i, change)| {
            let blocked = if stopped {
                Some((
                    Status::NotAttempted,
                    "apply stopped: the API key was rejected".to_owned(),
                ))
            } else {
                blocker(change, phase, earlier_failed, &created)
            };
            let run = &run;
            let created = &created;
            async move {
                let (outcome, fatal) = match blocked {
                    Some((status, detail)) => (
                        Outcome {
                            address: change.address.clone(),
                            action: change.action,
                            status,
                            id: None,
                            detail: Some(detail),
                        },
                        false,
                    ),
                    None => run.change(change, created).await,
                };
                progress.finish(&outcome);
                (*i, outcome, fatal)
            }
        }))
        .await;
        for (i, outcome, fatal) in results {
            if outcome.status == Status::Applied
                && let (Write::CreateAssistant { .. }, Some(id)) =
                    (&plan.changes[i].write, &outcome.id)
            {
                created.insert(outcome.address.clone(), id.clone());
            }
            stopped |= fatal;
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
