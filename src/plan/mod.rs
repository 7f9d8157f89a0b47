//! The pure planner: `plan(desired, live) -> Plan`. No I/O, no clock, no environment: the
//! same input gives the same Plan, byte for byte.

pub(crate) mod assistants;
mod change;
pub(crate) mod compare;
mod faithful;
mod group;
pub(crate) mod inventory;
pub(crate) mod live;
mod managed;
mod model;
pub(crate) mod natural;
mod numbers;
pub(crate) mod order;
mod origin;
mod precondition;
mod problem;
#[cfg(test)]
mod proptests;
mod recheck;
pub(crate) mod route;
pub(crate) mod sensitive;
mod settle;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

pub(crate) use change::{Change, Operation, Target};
#[cfg(test)]
pub(crate) use change::{NumberEdit, Unchanged};
pub(crate) use live::Live;
pub(crate) use model::*;
pub(crate) use problem::{Problem, Problems};
pub(crate) use recheck::{Stale, recheck};
pub(crate) use settle::Settle;

use crate::desired::Desired;
use crate::id::NumberName;

/// Values of the `${env.NAME}` variables the file references, read by the caller.
pub(crate) type Secrets = std::collections::BTreeMap<String, String>;

/// Choices that come from the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// `--prune`: delete undeclared labelled assistants even if the file says `prune: false`.
    pub prune: bool,
    /// `--target`: plan only these addresses (and the assistants they need created).
    pub targets: Vec<Address>,
    /// `--allow-mass-change`: lift the mass-change rule.
    pub allow_mass_change: bool,
    /// `--baseline`: a desired state planned against the same account, to label each change
    /// intent or drift (see [`Origin`]).
    pub baseline: Option<Arc<Desired>>,
}

/// Works out the changes that make `live` equal to `desired`, or every problem that stands in
/// the way.
pub(crate) fn plan(
    desired: &Desired,
    live: &Live,
    secrets: &Secrets,
    options: &Options,
) -> Result<Plan, Problems> {
    let index = live::Index::new(live);
    let mut problems: Vec<Problem> = options
        .targets
        .iter()
        .filter(|target| !names_something(target, desired, &index))
        .map(|target| Problem {
            path: None,
            also: None,
            business: None,
            address: Some(target.clone()),
            message: format!("--target {target} names nothing in the file or the account"),
        })
        .collect();
    let Draft {
        mut changes,
        mut left_alone,
        mut kept_hooks,
        mut kept,
    } = draft(desired, live, &index, secrets, options, &mut problems);
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut baseline_problems = Vec::new();
    if let Some(baseline) = &options.baseline {
        // What stops the baseline from being planned does not stop the plan: the changes it
        // could not plan count as intent, and the plan says why.
        let mut found = Vec::new();
        let planned = draft(baseline, live, &index, secrets, options, &mut found);
        origin::label(&mut changes, &planned.changes);
        baseline_problems = found.iter().map(Problem::describe).collect();
    }
    let groups = group::assign(&mut changes, desired);

    // An assistant this plan adopts is no longer unmanaged, even before apply.
    let adopted: HashSet<&str> = changes
        .iter()
        .filter_map(|c| match c.op() {
            Operation::UpdateAssistant {
                adopt: true,
                expect,
                ..
            } => Some(expect.id.as_str()),
            _ => None,
        })
        .collect();
    let mut unmanaged: Vec<AssistantRef> = live
        .assistants
        .iter()
        .filter(|a| a.label.as_deref().is_none() && !adopted.contains(a.id.as_str()))
        .map(|a| AssistantRef {
            id: a.id.clone(),
            name: a.name().map(str::to_owned),
        })
        .collect();
    unmanaged.sort_by(|a, b| {
        natural::cmp(
            a.name.as_deref().unwrap_or(""),
            b.name.as_deref().unwrap_or(""),
        )
        .then_with(|| a.id.cmp(&b.id))
    });
    left_alone.sort_by(|a, b| natural::cmp(&a.number, &b.number));
    kept_hooks.sort_by(|a, b| natural::cmp(&a.number, &b.number));
    kept.sort_by(|a, b| natural::cmp(&a.key, &b.key).then_with(|| a.id.cmp(&b.id)));

    let moves = changes.iter().filter(|c| c.moves_callers()).count();
    let routed_numbers = live.numbers.iter().filter(|n| n.answers()).count();
    let mut plan = Plan {
        format_version: FORMAT_VERSION,
        digest: String::new(),
        summary: Summary::of(&changes),
        changes,
        groups,
        baseline_problems,
        untouched: Untouched {
            unmanaged_assistants: unmanaged,
            kept_assistants: kept,
            left_alone,
            kept_hooks,
            ignored: desired
                .ignore
                .iter()
                .cloned()
                .map(NumberName::Key)
                .collect(),
            carrier: live
                .carrier
                .is_some()
                .then(|| carrier_report(desired, live)),
        },
        safety: Safety::evaluate(moves, routed_numbers, options.allow_mass_change),
        targets: options.targets.clone(),
    };
    plan.digest = plan.content_digest();
    Ok(plan)
}

/// The changes that make `live` equal to `desired`, in apply order, with the numbers left
/// alone and the labelled assistants kept; every problem found on the way is pushed.
struct Draft {
    changes: Vec<Change>,
    left_alone: Vec<NumberRef>,
    kept_hooks: Vec<NumberRef>,
    kept: Vec<KeptAssistant>,
}

fn draft(
    desired: &Desired,
    live: &Live,
    index: &live::Index<'_>,
    secrets: &Secrets,
    options: &Options,
    problems: &mut Vec<Problem>,
) -> Draft {
    let managed = assistants::plan(desired, index, secrets, problems);
    let names = numbers::Names::new(desired, index, live, &managed.ids);
    let numbers = numbers::plan(desired, index, &names, secrets, problems);
    let mut changes = select(
        managed.changes.into_iter().chain(numbers.changes).collect(),
        &options.targets,
    );
    let still_routed = still_routed(live, &changes);
    let (deletes, kept) = assistants::prune(
        desired,
        live,
        index,
        &managed.ids,
        desired.prune || options.prune,
        &still_routed,
    );
    changes.extend(select(deletes, &options.targets));
    order::sort(&mut changes);
    Draft {
        changes,
        left_alone: numbers.left_alone,
        kept_hooks: numbers.kept_hooks,
        kept,
    }
}

/// The carrier's free numbers, the numbers Vapi has that the carrier no longer owns, and the
/// carrier's numbers that are not active.
fn carrier_report(desired: &Desired, live: &Live) -> CarrierReport {
    let mut report = CarrierReport::default();
    for row in inventory::inventory(desired, live) {
        if let Some(carrier) = row.carrier.as_ref().filter(|c| !c.active) {
            report.inactive.push(CarrierStatus {
                number: row.number.clone(),
                status: carrier.status.clone(),
            });
        }
        match row.state {
            inventory::State::Pool if row.is_free(true) => report.free.push(row.number),
            inventory::State::Orphan => report.orphans.push(NumberRef {
                number: NumberName::of(&row.number),
                routed_to: row.routed_to,
            }),
            _ => {}
        }
    }
    report
}

/// Whether a `--target` address names an object of the file or the account.
fn names_something(target: &Address, desired: &Desired, index: &live::Index<'_>) -> bool {
    match target {
        Address::Assistant(key) => {
            desired.assistants.contains_key(key.as_str())
                || index.by_label.contains_key(key.as_str())
        }
        Address::Duplicate { id, .. } => index.by_id.contains_key(id.as_str()),
        Address::Number(number) => {
            index.numbers.contains_key(number.as_str())
                || desired.ignore.contains(number.as_str())
                || desired
                    .businesses
                    .values()
                    .any(|b| b.numbers.iter().any(|n| n.as_str() == number.as_str()))
        }
    }
}

/// The changes `--target` selects, plus the assistant creations they depend on.
fn select(changes: Vec<Change>, targets: &[Address]) -> Vec<Change> {
    if targets.is_empty() {
        return changes;
    }
    let mut wanted: BTreeSet<&Address> = targets.iter().collect();
    let needed: Vec<Address> = changes
        .iter()
        .filter(|c| wanted.contains(&c.address()))
        .filter_map(|c| match c.op().route() {
            Some(Target::Address(a)) => Some(a.clone()),
            _ => None,
        })
        .collect();
    wanted.extend(needed.iter());
    changes
        .into_iter()
        .filter(|c| wanted.contains(&c.address()))
        .collect()
}

/// Ids of assistants some number will still route to once `changes` are applied.
fn still_routed<'a>(live: &'a Live, changes: &'a [Change]) -> HashSet<&'a str> {
    let moved: HashSet<&str> = changes
        .iter()
        .filter_map(|c| match c.op() {
            Operation::UpdateNumber { expect, .. } => Some(expect.id.as_str()),
            _ => None,
        })
        .collect();
    let mut routed: HashSet<&str> = live
        .numbers
        .iter()
        .filter(|n| !moved.contains(n.id.as_str()))
        .filter_map(|n| n.assistant_id.as_deref())
        .collect();
    routed.extend(changes.iter().filter_map(|c| match c.op().route() {
        Some(Target::Id(id)) => Some(id.as_str()),
        _ => None,
    }));
    routed
}
