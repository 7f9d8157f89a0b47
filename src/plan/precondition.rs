//! Checking a saved plan's preconditions against a fresh read of the account.

use std::collections::HashMap;

use super::compare;
use super::live::{self, Live};
use super::model::{Address, Plan, Precondition};

/// A change whose precondition no longer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The change's object.
    pub address: Address,
    /// What changed.
    pub detail: String,
}

/// Every change of `plan` whose object changed since the plan was made.
pub fn check(plan: &Plan, live: &Live) -> Vec<Stale> {
    let numbers: HashMap<&str, _> = live.numbers.iter().map(|n| (n.id.as_str(), n)).collect();
    let index = live::Index::new(live);
    let mut stale = Vec::new();
    for change in &plan.changes {
        let mut found = |detail: String| {
            stale.push(Stale {
                address: change.address.clone(),
                detail,
            });
        };
        match &change.precondition {
            Precondition::Absent { label, number } => {
                if let Some(key) = label
                    && let Some(a) = index
                        .by_label
                        .get(key.as_str())
                        .and_then(|found| found.first())
                {
                    found(format!("assistant {} now carries the label {key:?}", a.id));
                }
                if let Some(number) = number
                    && let Some(n) = index.numbers.get(number).and_then(|found| found.first())
                {
                    found(format!(
                        "the number now exists in the account (id {})",
                        n.id
                    ));
                }
            }
            Precondition::Unchanged {
                id,
                updated_at,
                sha256,
            } => {
                let keys = change.write.compared_keys();
                let current = match &change.address {
                    Address::Assistant(_) => index
                        .by_id
                        .get(id.as_str())
                        .map(|a| (a.fields.clone(), a.updated_at.clone())),
                    Address::Number(_) => numbers
                        .get(id.as_str())
                        .map(|n| (n.to_object(), n.updated_at.clone())),
                };
                match current {
                    None => found(format!("{id} no longer exists")),
                    Some((fields, now)) if &compare::fingerprint(&fields, &keys) != sha256 => {
                        found(format!(
                            "{} changed since the plan was made (updatedAt {updated_at} → {now})",
                            keys.join(", ")
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    stale
}
