//! Checking a plan against the account as it is now, just before apply writes: which changes
//! are already in effect (a re-run after a partial apply), which objects moved since the plan
//! was made (the plan is stale), and the mass-change rule against today's routing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::live::{Index, Live};
use super::model::{Address, Plan, Precondition, Safety, Target, Write};
use super::{Secrets, compare, faithful, precondition};
use crate::desired::placeholder;

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
    // Creates first, so the numbers routed to a created assistant know its id.
    let mut created: BTreeMap<&Address, &str> = BTreeMap::new();
    for (i, change) in plan.changes.iter().enumerate() {
        if let Write::CreateAssistant { key, body } = &change.write {
            match index.by_label.get(key.as_str()).map(Vec::as_slice) {
                None | Some([]) => {}
                Some([one])
                    if one
                        .fields()
                        .is_some_and(|fields| holds(Some(body), &fields, secrets)) =>
                {
                    applied.insert(i, one.id.clone());
                    created.insert(&change.address, one.id.as_str());
                }
                Some(found) => stale.push(Stale {
                    address: change.address.clone(),
                    detail: format!(
                        "assistant {} now carries the label {key:?}",
                        found
                            .iter()
                            .map(|a| a.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            }
        }
    }
    for (i, change) in plan.changes.iter().enumerate() {
        let mut found = |detail: String| {
            stale.push(Stale {
                address: change.address.clone(),
                detail,
            });
        };
        let target = match change.write.target() {
            None => None,
            Some(Target::Id(id)) => {
                if !index.by_id.contains_key(id.as_str()) {
                    found(format!(
                        "assistant {id}, which this change routes to, no longer exists"
                    ));
                    continue;
                }
                Some(id.as_str())
            }
            Some(Target::Address(address)) => created.get(address).copied(),
        };
        match (&change.write, &change.precondition) {
            (Write::CreateAssistant { .. }, _) => {}
            (Write::CreateNumber { body, .. }, _) => {
                let number = body.get("number").and_then(Value::as_str).unwrap_or("");
                match index.numbers.get(number).map(Vec::as_slice) {
                    None | Some([]) => {}
                    Some([one])
                        if holds(
                            end_state(body, change.write.target(), target).as_ref(),
                            &one.fields(),
                            secrets,
                        ) =>
                    {
                        applied.insert(i, one.id.clone());
                    }
                    Some(existing) => found(format!(
                        "the number now exists in the account (id {})",
                        existing[0].id
                    )),
                }
            }
            (
                write,
                Precondition::Unchanged {
                    id,
                    updated_at,
                    fields,
                    routed_numbers,
                },
            ) => {
                let current = match write {
                    Write::UpdateNumber { .. } => index
                        .number_by_id
                        .get(id.as_str())
                        .map(|n| (n.fields(), n.updated_at.as_str())),
                    _ => index
                        .by_id
                        .get(id.as_str())
                        // Apply reads every body; one not kept matches no precondition.
                        .map(|a| (a.fields().unwrap_or_default(), a.updated_at.as_str())),
                };
                let Some((object, now)) = current else {
                    if matches!(write, Write::DeleteAssistant { .. }) {
                        applied.insert(i, id.clone());
                    } else {
                        found(format!("{id} no longer exists"));
                    }
                    continue;
                };
                if let Some(body) = write.body()
                    && holds(
                        end_state(body, write.target(), target).as_ref(),
                        &object,
                        secrets,
                    )
                {
                    applied.insert(i, id.clone());
                    continue;
                }
                let fingerprints = precondition::fingerprints(
                    &object,
                    fields.keys().map(String::as_str),
                    write.body(),
                );
                let moved: Vec<&str> = fields
                    .iter()
                    .filter(|(key, hash)| fingerprints.get(*key) != Some(*hash))
                    .map(|(key, _)| key.as_str())
                    .collect();
                if !moved.is_empty() {
                    found(format!(
                        "{} changed since the plan was made (updatedAt {updated_at} → {now})",
                        moved.join(", ")
                    ));
                } else if let Some(planned) = routed_numbers {
                    let newly: BTreeSet<String> = live
                        .numbers
                        .iter()
                        .filter(|n| n.assistant_id.as_deref() == Some(id.as_str()))
                        .filter(|n| !planned.contains(&n.id))
                        .map(|n| n.key.clone())
                        .collect();
                    if !newly.is_empty() {
                        found(format!(
                            "numbers now route to it that did not when the plan was made: {}",
                            newly.into_iter().collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
            (_, Precondition::Absent { .. }) => {}
        }
    }
    let moved: BTreeSet<&Address> = stale.iter().map(|s| &s.address).collect();
    let pending = || {
        plan.changes
            .iter()
            .enumerate()
            .filter(|(i, change)| !applied.contains_key(i) && !moved.contains(&change.address))
            .map(|(_, change)| change)
    };
    let check = faithful::Check::new(plan, &index, live, secrets);
    let unfaithful = pending()
        .filter_map(|change| {
            Some(Stale {
                address: change.address.clone(),
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
