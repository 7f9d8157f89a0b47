//! Checking a plan against the account as it is now, just before apply writes: which changes
//! are already in effect (a re-run after a partial apply), which objects moved since the plan
//! was made (the plan is stale), and the mass-change rule against today's routing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::change::{Change, Operation, Target, Unchanged};
use super::live::{Index, Live};
use super::model::{Address, Plan, Safety};
use super::{Secrets, compare, faithful, precondition};
use crate::desired::placeholder;
use crate::id::NumberId;

/// A change whose precondition no longer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stale {
    /// The change's object.
    pub address: Address,
    /// What changed.
    pub detail: String,
}

/// What the account now says about a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recheck {
    /// Changes whose object changed otherwise or disappeared: apply must refuse them all.
    pub stale: Vec<Stale>,
    /// Changes whose object already holds their intended end state, by index into the plan's
    /// changes, with the id of that object.
    pub applied: BTreeMap<usize, String>,
    /// Changes whose request does not do what the plan shows for them (see
    /// [`super::faithful`]): apply must refuse the plan.
    pub unfaithful: Vec<Stale>,
    /// The mass-change rule: the changes still to write that move callers as the account
    /// routes them now, and the plan's own `--allow-mass-change` decision, against the numbers
    /// routed now.
    pub safety: Safety,
}

/// Compares every change of `plan` with `live`. `secrets` holds the values of the `${env.*}`
/// references in the plan's writes, to tell whether a body is already in effect.
pub(crate) fn recheck(plan: &Plan, live: &Live, secrets: &Secrets) -> Recheck {
    let index = Index::new(live);
    let mut stale = Vec::new();
    let mut applied = BTreeMap::new();
    let mut record = |i: usize, change: &Change, verdict: Verdict| match verdict {
        Verdict::Pending => {}
        Verdict::Applied(id) => {
            applied.insert(i, id);
        }
        Verdict::Stale(detail) => stale.push(Stale {
            address: change.address().clone(),
            detail,
        }),
    };
    // Creates first, so the numbers routed to a created assistant know its id.
    let mut created: BTreeMap<&Address, String> = BTreeMap::new();
    for (i, change) in plan.changes.iter().enumerate() {
        if let Operation::CreateAssistant { key, body } = change.op() {
            let verdict = create(key, body, &index, secrets);
            if let Verdict::Applied(id) = &verdict {
                created.insert(change.address(), id.clone());
            }
            record(i, change, verdict);
        }
    }
    for (i, change) in plan.changes.iter().enumerate() {
        if !matches!(change.op(), Operation::CreateAssistant { .. }) {
            record(
                i,
                change,
                verdict(change.op(), &created, &index, live, secrets),
            );
        }
    }
    let moved: BTreeSet<&Address> = stale.iter().map(|s| &s.address).collect();
    let pending = || {
        plan.changes
            .iter()
            .enumerate()
            .filter(|(i, change)| !applied.contains_key(i) && !moved.contains(&change.address()))
            .map(|(_, change)| change)
    };
    let check = faithful::Check::new(plan, &index, live, secrets);
    let unfaithful = pending()
        .filter_map(|change| {
            Some(Stale {
                address: change.address().clone(),
                detail: check.disagreement(change)?,
            })
        })
        .collect();
    // Each change's routing line now agrees with today's account (or the plan is refused), so
    // the changes that move callers are counted by it.
    let routing_changes = pending().filter(|change| change.moves_callers()).count();
    let routed_now = live.numbers.iter().filter(|n| n.answers()).count();
    Recheck {
        stale,
        applied,
        unfaithful,
        safety: Safety::evaluate(routing_changes, routed_now, plan.safety.allowed),
    }
}

/// The verdict on creating the assistant labelled `key` with `body`: applied when one
/// assistant carries the label and holds the body, stale when any other does.
fn create(key: &str, body: &Map<String, Value>, index: &Index<'_>, secrets: &Secrets) -> Verdict {
    match index.by_label.get(key).map(Vec::as_slice) {
        None | Some([]) => Verdict::Pending,
        Some([one])
            if one
                .fields()
                .is_some_and(|fields| holds(Some(body), &fields, secrets)) =>
        {
            Verdict::Applied(one.id.to_string())
        }
        Some(found) => Verdict::Stale(format!(
            "assistant {} now carries the label {key:?}",
            found
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The verdict on `op`, the assistants found already created known by address (`created`).
fn verdict(
    op: &Operation,
    created: &BTreeMap<&Address, String>,
    index: &Index<'_>,
    live: &Live,
    secrets: &Secrets,
) -> Verdict {
    let target = match op.route() {
        None => None,
        Some(Target::Id(id)) => {
            if !index.by_id.contains_key(id.as_str()) {
                return Verdict::Stale(format!(
                    "assistant {id}, which this change routes to, no longer exists"
                ));
            }
            Some(id.as_str())
        }
        Some(Target::Address(address)) => created.get(address).map(String::as_str),
    };
    match op {
        Operation::CreateAssistant { key, body } => create(key, body, index, secrets),
        Operation::ImportNumber {
            number,
            body,
            route,
        } => match index.numbers.get(number.as_str()).map(Vec::as_slice) {
            None | Some([]) => Verdict::Pending,
            Some([one])
                if holds(
                    end_state(body, route.as_ref(), target).as_ref(),
                    &one.fields(),
                    secrets,
                ) =>
            {
                Verdict::Applied(one.id.to_string())
            }
            Some(existing) => Verdict::Stale(format!(
                "the number now exists in the account (id {})",
                existing[0].id
            )),
        },
        Operation::UpdateAssistant { expect, body, .. } => {
            // Apply reads every body; one not kept matches no precondition.
            let now = index
                .by_id
                .get(expect.id.as_str())
                .map(|a| (a.fields().unwrap_or_default(), a.updated_at.as_str()));
            unchanged(expect, now, Some(body), Some(body), secrets)
        }
        Operation::UpdateNumber {
            expect,
            body,
            route,
            ..
        } => {
            let now = index
                .number_by_id
                .get(expect.id.as_str())
                .map(|n| (n.fields(), n.updated_at.as_str()));
            let end = end_state(body, route.as_ref(), target);
            unchanged(expect, now, end.as_ref(), Some(body), secrets)
        }
        Operation::DeleteAssistant {
            expect,
            routed_numbers,
            ..
        } => match index.by_id.get(expect.id.as_str()) {
            // Gone already: what the delete does is done.
            None => Verdict::Applied(expect.id.to_string()),
            Some(now) => {
                let now = (now.fields().unwrap_or_default(), now.updated_at.as_str());
                match unchanged(expect, Some(now), None, None, secrets) {
                    Verdict::Pending => newly_routed(live, &expect.id, routed_numbers),
                    verdict => verdict,
                }
            }
        },
    }
}

/// What the account now says of one change.
enum Verdict {
    /// It is still to be written.
    Pending,
    /// Its object already holds its end state: the object's id.
    Applied(String),
    /// Its object moved since the plan was made: what changed.
    Stale(String),
}

/// The verdict on a write to the object `expect` names, as read `now` (its fields and
/// `updatedAt`; `None` when it is gone): applied when it holds `end` (the body as it should
/// read once written, `${env.*}` unresolved), stale when a field the change read or will write
/// (`body`) moved.
fn unchanged<I: std::fmt::Display>(
    expect: &Unchanged<I>,
    now: Option<(Map<String, Value>, &str)>,
    end: Option<&Map<String, Value>>,
    body: Option<&Map<String, Value>>,
    secrets: &Secrets,
) -> Verdict {
    let Some((object, updated_at)) = now else {
        return Verdict::Stale(format!("{} no longer exists", expect.id));
    };
    if holds(end, &object, secrets) {
        return Verdict::Applied(expect.id.to_string());
    }
    let fingerprints =
        precondition::fingerprints(&object, expect.fields.keys().map(String::as_str), body);
    let moved: Vec<&str> = expect
        .fields
        .iter()
        .filter(|(key, hash)| fingerprints.get(*key) != Some(*hash))
        .map(|(key, _)| key.as_str())
        .collect();
    if moved.is_empty() {
        Verdict::Pending
    } else {
        Verdict::Stale(format!(
            "{} changed since the plan was made (updatedAt {} → {updated_at})",
            moved.join(", "),
            expect.updated_at
        ))
    }
}

/// Stale when numbers route to the assistant `id` that did not when the plan was made
/// (`planned`, by number id): deleting it would leave them ringing nobody.
fn newly_routed(live: &Live, id: &str, planned: &BTreeSet<NumberId>) -> Verdict {
    let newly: BTreeSet<&str> = live
        .numbers
        .iter()
        .filter(|n| n.assistant_id.as_deref() == Some(id))
        .filter(|n| !planned.contains(&n.id))
        .map(|n| n.key.as_str())
        .collect();
    if newly.is_empty() {
        Verdict::Pending
    } else {
        Verdict::Stale(format!(
            "numbers now route to it that did not when the plan was made: {}",
            newly.into_iter().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// The object as it should read once written: the body, plus the assistant a number routes
/// to. `None` when the route's assistant does not exist yet, so the change cannot be in effect.
fn end_state(
    body: &Map<String, Value>,
    route: Option<&Target>,
    target: Option<&str>,
) -> Option<Map<String, Value>> {
    let mut body = body.clone();
    match (route, target) {
        (None, _) => {}
        (Some(_), None) => return None,
        (Some(_), Some(id)) => {
            body.insert("assistantId".to_owned(), Value::String(id.to_owned()));
        }
    }
    Some(body)
}

/// Whether `live` already holds `body`, its `${env.*}` references resolved.
fn holds(body: Option<&Map<String, Value>>, live: &Map<String, Value>, secrets: &Secrets) -> bool {
    let Some(body) = body else {
        return false;
    };
    match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
        secrets.get(name).cloned()
    }) {
        Ok(Value::Object(resolved)) => compare::differences(&resolved, live).is_empty(),
        _ => false,
    }
}
