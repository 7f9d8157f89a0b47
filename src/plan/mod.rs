//! The pure planner: `plan(desired, live) -> Plan`. No I/O, no clock, no environment: the
//! same input gives the same Plan, byte for byte.

mod assistants;
pub mod compare;
pub mod live;
mod model;
mod numbers;
mod precondition;
#[cfg(test)]
mod proptests;
pub mod sensitive;

use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use live::Live;
pub use model::*;
pub use precondition::{Stale, check as check_preconditions};

use crate::desired::Desired;

/// Values of the `${env.NAME}` variables the file references, read by the caller.
pub type Secrets = BTreeMap<String, String>;

/// Choices that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--prune`: delete undeclared labelled assistants even if the file says `prune: false`.
    pub prune: bool,
    /// `--target`: plan only these addresses (and the assistants they need created).
    pub targets: Vec<Address>,
    /// `--allow-mass-change`: lift the mass-change rule.
    pub allow_mass_change: bool,
}

/// Problems that stop planning: the file and the account disagree in a way no change can fix.
#[derive(Debug, thiserror::Error)]
#[error("cannot plan:\n  {}", problems.join("\n  "))]
pub struct PlanError {
    /// One line each.
    pub problems: Vec<String>,
}

/// Works out the changes that make `live` equal to `desired`.
pub fn plan(
    desired: &Desired,
    live: &Live,
    secrets: &Secrets,
    options: &Options,
) -> Result<Plan, PlanError> {
    let index = live::Index::new(live);
    let mut problems = Vec::new();
    let managed = assistants::plan(desired, &index, secrets, &mut problems);
    let names = numbers::Names::new(desired, &index, &managed.ids);
    let numbers = numbers::plan(desired, &index, &names, &mut problems);
    if !problems.is_empty() {
        return Err(PlanError { problems });
    }

    let mut changes = select(
        managed.changes.into_iter().chain(numbers.changes).collect(),
        &options.targets,
    );
    let still_routed = still_routed(live, &changes);
    let (deletes, kept) = assistants::prune(
        desired,
        &index,
        desired.prune || options.prune,
        &still_routed,
    );
    changes.extend(select(deletes, &options.targets));
    changes.sort_by(|a, b| {
        phase(a)
            .cmp(&phase(b))
            .then_with(|| a.address.cmp(&b.address))
    });

    let mut unmanaged: Vec<AssistantRef> = live
        .assistants
        .iter()
        .filter(|a| live::label(a).is_none())
        .map(|a| AssistantRef {
            id: a.id.clone(),
            name: a.name().map(str::to_owned),
        })
        .collect();
    unmanaged.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));

    let routing_changes = changes.iter().filter(|c| c.action.is_routing()).count();
    let routed_numbers = live.numbers.iter().filter(|n| live::is_routed(n)).count();
    Ok(Plan {
        format_version: FORMAT_VERSION,
        summary: Summary::of(&changes),
        changes,
        untouched: Untouched {
            unmanaged_assistants: unmanaged,
            kept_assistants: kept,
            left_alone: numbers.left_alone,
            ignored: desired.ignore.iter().cloned().collect(),
        },
        safety: Safety::evaluate(routing_changes, routed_numbers, options.allow_mass_change),
        targets: options.targets.clone(),
    })
}

/// Apply order: assistants first, then routing, then unlinks, then deletes.
fn phase(change: &Change) -> u8 {
    match change.action {
        Action::Create | Action::Adopt => 0,
        Action::Update if matches!(change.address, Address::Assistant(_)) => 0,
        Action::Import | Action::Update | Action::Assign | Action::Reassign => 1,
        Action::Unlink => 2,
        Action::Delete => 3,
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
        .filter(|c| wanted.contains(&c.address))
        .filter_map(|c| match &c.write {
            Write::UpdateNumber {
                route: Some(Target::Address(a)),
                ..
            }
            | Write::CreateNumber {
                route: Some(Target::Address(a)),
                ..
            } => Some(a.clone()),
            _ => None,
        })
        .collect();
    wanted.extend(needed.iter());
    changes
        .into_iter()
        .filter(|c| wanted.contains(&c.address))
        .collect()
}

/// Ids of assistants some number will still route to once `changes` are applied.
fn still_routed<'a>(live: &'a Live, changes: &'a [Change]) -> HashSet<&'a str> {
    let moved: HashSet<&str> = changes
        .iter()
        .filter_map(|c| match &c.write {
            Write::UpdateNumber { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let mut routed: HashSet<&str> = live
        .numbers
        .iter()
        .filter(|n| !moved.contains(n.id.as_str()))
        .filter_map(|n| n.assistant_id.as_deref())
        .collect();
    routed.extend(changes.iter().filter_map(|c| match &c.write {
        Write::UpdateNumber {
            route: Some(Target::Id(id)),
            ..
        }
        | Write::CreateNumber {
            route: Some(Target::Id(id)),
            ..
        } => Some(id.as_str()),
        _ => None,
    }));
    routed
}
