//! Planning managed assistants: create, adopt, update, and prune.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::Secrets;
use super::compare::{self, Path};
use super::live::{self, Index, LABEL, METADATA};
use super::model::{Action, Address, Change, FieldChange, KeptAssistant, Precondition, Write};
use super::sensitive::{self, Side};
use crate::desired::{Desired, ManagedAssistant, placeholder};
use crate::vapi::Assistant;

/// The outcome for managed assistants: their changes, and the id each key resolves to
/// (`None` while it is still to be created).
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub ids: BTreeMap<String, Option<String>>,
}

pub(crate) fn plan(
    desired: &Desired,
    index: &Index<'_>,
    secrets: &Secrets,
    problems: &mut Vec<String>,
) -> Planned {
    let mut planned = Planned {
        changes: Vec::new(),
        ids: BTreeMap::new(),
    };
    for (key, managed) in &desired.assistants {
        let address = Address::Assistant(key.clone());
        let Some(body) = labelled_body(managed, &address, problems) else {
            continue;
        };
        let resolved = match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
            secrets.get(name).cloned()
        }) {
            Ok(Value::Object(resolved)) => resolved,
            Ok(_) => continue,
            Err(missing) => {
                problems.push(format!("{address}: {missing}"));
                continue;
            }
        };
        let labelled = index
            .by_label
            .get(key.as_str())
            .map_or(&[][..], Vec::as_slice);
        let (live, action) = match (labelled, &managed.adopt) {
            ([], None) => {
                planned.ids.insert(key.clone(), None);
                planned.changes.push(create(address, &body));
                continue;
            }
            ([], Some(id)) => match index.by_id.get(id.as_str()) {
                Some(live) if live::label(live).is_none() => (*live, Action::Adopt),
                Some(live) => {
                    let other = live::label(live).unwrap_or_default();
                    problems.push(format!("{address}: cannot adopt assistant {id}: it already carries the label of {other:?}"));
                    continue;
                }
                None => {
                    problems.push(format!("{address}: cannot adopt assistant {id}: no assistant with that id in the account"));
                    continue;
                }
            },
            ([live], _) => (*live, Action::Update),
            (many, _) => {
                let ids: Vec<&str> = many.iter().map(|a| a.id.as_str()).collect();
                problems.push(format!(
                    "{address}: {} assistants carry this label ({}); delete or relabel all but one",
                    many.len(),
                    ids.join(", ")
                ));
                continue;
            }
        };
        planned.ids.insert(key.clone(), Some(live.id.clone()));
        if let Some(change) = update(address, action, &body, &resolved, live) {
            planned.changes.push(change);
        }
    }
    planned
}

/// The body with the label merged into the declared metadata.
fn labelled_body(
    managed: &ManagedAssistant,
    address: &Address,
    problems: &mut Vec<String>,
) -> Option<Map<String, Value>> {
    let mut body = managed.body.clone();
    let mut metadata = match body.remove(METADATA) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(metadata)) => metadata,
        Some(_) => {
            problems.push(format!("{address}: metadata must be an object"));
            return None;
        }
    };
    metadata.insert(LABEL.to_owned(), live::label_value(&managed.key));
    body.insert(METADATA.to_owned(), Value::Object(metadata));
    Some(body)
}

fn create(address: Address, body: &Map<String, Value>) -> Change {
    let fields = created_fields(body);
    let label = match &address {
        Address::Assistant(key) => Some(key.clone()),
        Address::Number(_) => None,
    };
    Change {
        reason: "declared, and no assistant carries its label".to_owned(),
        address,
        action: Action::Create,
        fields,
        routing: None,
        precondition: Precondition::Absent {
            label,
            number: None,
        },
        write: Write::CreateAssistant { body: body.clone() },
    }
}

fn update(
    address: Address,
    action: Action,
    body: &Map<String, Value>,
    resolved: &Map<String, Value>,
    live: &Assistant,
) -> Option<Change> {
    let differences = compare::differences(resolved, &live.fields);
    if differences.is_empty() {
        return None;
    }
    let mut sent = Map::new();
    for path in &differences {
        let Some(compare::Segment::Key(key)) = path.first() else {
            continue;
        };
        if sent.contains_key(key) {
            continue;
        }
        // PATCH replaces a field wholesale, so send the desired subtree merged over the
        // live one: keys the file does not declare (server defaults, other metadata) survive.
        let mut value = live.fields.get(key).cloned().unwrap_or(Value::Null);
        crate::desired::merge(&mut value, &body[key]);
        sent.insert(key.clone(), value);
    }
    let (body_value, live_value) = (
        Value::Object(body.clone()),
        Value::Object(live.fields.clone()),
    );
    let fields = differences
        .iter()
        .flat_map(|path| field_changes(path, &body_value, &live_value))
        .collect();
    let write = Write::UpdateAssistant {
        id: live.id.clone(),
        body: sent,
    };
    let reason = match action {
        Action::Adopt => format!("adopt: assistant {} has no label yet", live.id),
        _ => match differences.len() {
            1 => "1 field differs".to_owned(),
            n => format!("{n} fields differ"),
        },
    };
    Some(Change {
        address,
        action,
        reason,
        fields,
        routing: None,
        precondition: Precondition::Unchanged {
            id: live.id.clone(),
            updated_at: live.updated_at.clone(),
            sha256: compare::fingerprint(&live.fields, &write.compared_keys()),
        },
        write,
    })
}

/// Field differences as a reviewer sees them, sensitive values masked. A subtree missing on
/// the live side is shown leaf by leaf.
fn field_changes(path: &Path, body: &Value, live: &Value) -> Vec<FieldChange> {
    let desired = compare::value_at(body, path);
    let before = compare::value_at(live, path);
    let mut paths = Vec::new();
    match (desired, before) {
        (Some(value @ (Value::Object(_) | Value::Array(_))), None) => {
            compare::leaves(value, &mut path.clone(), &mut paths);
        }
        _ => paths.push(path.clone()),
    }
    paths
        .iter()
        .map(|path| field_change(path, body, live))
        .collect()
}

/// One field difference, sensitive values masked.
pub(crate) fn field_change(path: &Path, body: &Value, live: &Value) -> FieldChange {
    let desired = compare::value_at(body, path);
    let live = compare::value_at(live, path);
    let before = live.map(|value| {
        sensitive::show(
            &mut path.clone(),
            value,
            Side::Live(desired),
            desired.is_some(),
        )
    });
    let after = desired
        .map(|value| sensitive::show(&mut path.clone(), value, Side::Desired, live.is_some()));
    FieldChange {
        path: compare::display(path),
        before,
        after,
    }
}

/// Every leaf of a body that is created, as field changes from nothing.
pub(crate) fn created_fields(body: &Map<String, Value>) -> Vec<FieldChange> {
    let body = Value::Object(body.clone());
    let nothing = Value::Object(Map::new());
    let mut paths = Vec::new();
    compare::leaves(&body, &mut Vec::new(), &mut paths);
    paths
        .iter()
        .map(|path| field_change(path, &body, &nothing))
        .collect()
}

/// Labelled assistants no longer declared: deleted when prune is on and no number will route
/// to them, kept (and listed) otherwise.
pub(crate) fn prune(
    desired: &Desired,
    index: &Index<'_>,
    prune: bool,
    still_routed: &HashSet<&str>,
) -> (Vec<Change>, Vec<KeptAssistant>) {
    let mut deletes = Vec::new();
    let mut kept = Vec::new();
    for (key, assistants) in &index.by_label {
        if desired.assistants.contains_key(*key) {
            continue;
        }
        for assistant in assistants {
            let keep = |reason: &str| KeptAssistant {
                key: (*key).to_owned(),
                id: assistant.id.clone(),
                reason: reason.to_owned(),
            };
            if !prune {
                kept.push(keep("no longer declared; prune is off"));
            } else if still_routed.contains(assistant.id.as_str()) {
                kept.push(keep("no longer declared, but a number still routes to it"));
            } else {
                let write = Write::DeleteAssistant {
                    id: assistant.id.clone(),
                };
                deletes.push(Change {
                    address: Address::Assistant((*key).to_owned()),
                    action: Action::Delete,
                    reason: "no longer declared; prune is on and no number routes to it".to_owned(),
                    fields: Vec::new(),
                    routing: None,
                    precondition: Precondition::Unchanged {
                        id: assistant.id.clone(),
                        updated_at: assistant.updated_at.clone(),
                        sha256: compare::fingerprint(&assistant.fields, &write.compared_keys()),
                    },
                    write,
                });
            }
        }
    }
    (deletes, kept)
}
