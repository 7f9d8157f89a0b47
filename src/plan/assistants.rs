//! Planning managed assistants: create, adopt, update, and prune.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

use super::Secrets;
use super::change::{Change, Operation};
use super::live::{self, Assistant, Index, LABEL, Live, METADATA};
use super::model::{Address, KeptAssistant};
use super::problem::Problem;
use super::{compare, managed, precondition};
use crate::desired::{Desired, ManagedAssistant, Route, Unassigned, placeholder};
use crate::id::Key;
use crate::id::{AssistantId, Label};

/// The outcome for managed assistants: their changes, and the id each key resolves to
/// (`None` while it is still to be created).
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub ids: BTreeMap<Key, Option<AssistantId>>,
}

pub(crate) fn plan(
    desired: &Desired,
    index: &Index<'_>,
    secrets: &Secrets,
    problems: &mut Vec<Problem>,
) -> Planned {
    let mut planned = Planned {
        changes: Vec::new(),
        ids: BTreeMap::new(),
    };
    let kept_routes = routes_kept(desired, index);
    let held = all_unchanged(desired, index, &kept_routes, secrets);
    for ((key, managed), held) in desired.assistants.iter().zip(held) {
        if let Some(live) = held {
            planned.ids.insert(key.clone(), Some(live.id.clone()));
            continue;
        }
        let address = Address::Assistant(key.clone().into());
        let at = path_of(desired, key);
        let problem = |message: String| Problem::at(at.clone(), message).address(address.clone());
        let labelled = labelled(index, key);
        let Some(body) = labelled_body(managed) else {
            problems.push(problem("metadata must be a mapping".to_owned()));
            continue;
        };
        let resolved = match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
            secrets.get(name).cloned()
        }) {
            Ok(Value::Object(resolved)) => resolved,
            Ok(_) => continue,
            Err(missing) => {
                problems.push(problem(missing.to_string()));
                continue;
            }
        };
        let (live, adopt) = match (labelled, &managed.adopt) {
            ([], None) => {
                planned.ids.insert(key.clone(), None);
                planned.changes.push(create(key, managed::created(&body)));
                continue;
            }
            ([], Some(id)) => {
                let Some(live) = index.by_id.get(id.as_str()) else {
                    problems.push(problem(format!(
                        "cannot adopt assistant {id}: no assistant with that id in the account"
                    )));
                    continue;
                };
                if let Some(other) = live.label.as_deref() {
                    let mut refusal = problem(format!(
                        "cannot adopt assistant {id}: it carries vapiform's label for `{other}`, and an assistant belongs to one key"
                    ));
                    if desired.assistants.contains_key(other) {
                        refusal = refusal.also(path_of(desired, other));
                    }
                    problems.push(refusal);
                    continue;
                }
                (*live, true)
            }
            ([live], _) => (*live, false),
            // Two applies at once can each create the assistant; keep one, `prune` deletes
            // the rest once their numbers are moved.
            (many, _) => (keeper(many, &kept_routes), false),
        };
        planned.ids.insert(key.clone(), Some(live.id.clone()));
        match update(key, adopt, &body, &resolved, live) {
            Ok(Some(change)) => planned.changes.push(change),
            Ok(None) => {}
            Err(fields) => problems.extend(fields.into_iter().map(|field| {
                Problem::at(format!("{at}.{field}"), managed::uncleared(&field))
                    .address(address.clone())
            })),
        }
    }
    planned
}

/// The live assistants carrying `key`'s label.
fn labelled<'i, 'a>(index: &'i Index<'a>, key: &str) -> &'i [&'a Assistant] {
    index.by_label.get(key).map_or(&[][..], Vec::as_slice)
}

/// The fewest assistants a thread of [`all_unchanged`] compares: below that a thread costs more
/// than it saves.
const COMPARED_PER_THREAD: usize = 256;

/// [`unchanged`] for every managed assistant, in the order of `desired.assistants`. Comparing
/// each assistant's text with its declaration is most of planning an account that holds its
/// file, and each comparison stands alone, so they run on every core.
fn all_unchanged<'a>(
    desired: &Desired,
    index: &Index<'a>,
    kept_routes: &HashMap<&str, usize>,
    secrets: &Secrets,
) -> Vec<Option<&'a Assistant>> {
    let managed: Vec<_> = desired.assistants.iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = managed.len().div_ceil(threads).max(COMPARED_PER_THREAD);
    let compare = |part: &[(&Key, &ManagedAssistant)]| -> Vec<Option<&'a Assistant>> {
        part.iter()
            .map(|(key, managed)| unchanged(managed, labelled(index, key), kept_routes, secrets))
            .collect()
    };
    if managed.len() <= chunk {
        return compare(&managed);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = managed
            .chunks(chunk)
            .map(|part| scope.spawn(move || compare(part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// The assistant that carries `managed`'s label, when it already holds what `managed`
/// declares: settled as it was read, or compared against its text (see [`holds`]). `None`
/// sends the assistant the long way (which also reports any problem).
fn unchanged<'a>(
    managed: &ManagedAssistant,
    labelled: &[&'a Assistant],
    kept_routes: &HashMap<&str, usize>,
    secrets: &Secrets,
) -> Option<&'a Assistant> {
    let live = match labelled {
        [] => return None,
        [live] => *live,
        many => keeper(many, kept_routes),
    };
    let holds = match live.json() {
        Some(json) => holds(managed, json, secrets),
        None => live.holds_declared(),
    };
    holds.then_some(live)
}

/// Whether an assistant's JSON text, carrying `managed`'s label, holds what `managed` declares:
/// compared against the text, without expanding the body or parsing the assistant. Sound
/// because the assistant carries the label, which is the only field the planner adds to the
/// body.
pub(crate) fn holds(managed: &ManagedAssistant, json: &str, secrets: &Secrets) -> bool {
    let declared = managed.declared();
    let text: &dyn Fn(&str) -> Option<Cow<'_, str>> = &|text| {
        if !text.contains('$') {
            return Some(Cow::Borrowed(text));
        }
        let filled = match &declared.context {
            Some(context) => Cow::Owned(placeholder::fill(text, context).0),
            None => Cow::Borrowed(text),
        };
        placeholder::resolve_text(&filled, &|name| secrets.get(name).cloned())
            .ok()
            .map(Cow::Owned)
    };
    compare::holds(declared.body, text, json)
}

/// Where a managed assistant is declared: a business's `assistant`, or a shared assistant.
pub(crate) fn path_of(desired: &Desired, key: &str) -> String {
    if desired.businesses.contains_key(key) {
        format!("businesses.{key}.assistant")
    } else {
        format!("assistants.{key}")
    }
}

/// The body with the label merged into the declared metadata; `None` when the declared
/// metadata is not a mapping.
fn labelled_body(managed: &ManagedAssistant) -> Option<Map<String, Value>> {
    let mut body = managed.body().into_owned();
    let mut metadata = match body.remove(METADATA) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(metadata)) => metadata,
        Some(_) => return None,
    };
    metadata.insert(LABEL.to_owned(), live::label_value(&managed.key));
    body.insert(METADATA.to_owned(), Value::Object(metadata));
    Some(body)
}

fn create(key: &Key, body: Map<String, Value>) -> Change {
    let fields = managed::created_fields(&body);
    let op = Operation::CreateAssistant {
        key: key.clone(),
        body,
    };
    Change::new(
        op,
        "declared, and no assistant carries its label".to_owned(),
        fields,
        None,
    )
}

/// The update of the assistant of `key` that `live` is, labelling it when `adopt`; `None`
/// when it holds `body` already, the fields it would clear when it cannot be updated.
fn update(
    key: &Key,
    adopt: bool,
    body: &Map<String, Value>,
    resolved: &Map<String, Value>,
    live: &Assistant,
) -> Result<Option<Change>, Vec<String>> {
    // Settled as it was read: it holds what its key declares.
    let Some(live_fields) = live.fields() else {
        return Ok(None);
    };
    let Some(update) = managed::update(body, resolved, &live_fields) else {
        return Ok(None);
    };
    let cleared: Vec<String> = update.cleared().map(str::to_owned).collect();
    if !cleared.is_empty() {
        return Err(cleared);
    }
    let reason = if adopt {
        format!("adopt: assistant {} has no label yet", live.id)
    } else {
        match update.differences {
            1 => "1 field differs".to_owned(),
            n => format!("{n} fields differ"),
        }
    };
    let expect = precondition::unchanged(
        &live.id,
        &live.updated_at,
        &live_fields,
        body.keys().map(String::as_str),
        Some(body),
    );
    let op = Operation::UpdateAssistant {
        key: key.clone(),
        adopt,
        expect,
        body: update.sent,
    };
    Ok(Some(Change::new(op, reason, update.fields, None)))
}

/// Of several assistants carrying one label, the one to keep: the one most numbers route to
/// (`routes`, by assistant id), else the oldest. The planner counts only numbers that will
/// still route to the key after the plan ([`routes_kept`]), so that the kept copy gains what
/// the plan routes to the key and a second plan keeps the same one.
pub(crate) fn keeper<'a>(copies: &[&'a Assistant], routes: &HashMap<&str, usize>) -> &'a Assistant {
    let routes = |a: &Assistant| routes.get(a.id.as_str()).copied().unwrap_or(0);
    copies
        .iter()
        .copied()
        .min_by(|a, b| {
            routes(b)
                .cmp(&routes(a))
                .then_with(|| a.created_at.cmp(&b.created_at))
                .then_with(|| a.id.cmp(&b.id))
        })
        .expect("several copies")
}

/// For each labelled assistant, how many of the numbers routed to it will still route to its
/// key after the plan, whichever copy of the key is kept: numbers a business of that key lists
/// (or `unassigned` routes to it), and numbers the plan leaves where they are (ignored, or
/// unlisted while `unassigned` leaves them). Numbers the plan moves to another business do
/// not count. (A number the account has twice and does not ignore stops the plan.)
fn routes_kept<'a>(desired: &Desired, index: &Index<'a>) -> HashMap<&'a str, usize> {
    let owners = desired.owners();
    let mut kept = HashMap::new();
    for (&number, numbers) in &index.numbers {
        for (id, key) in numbers.iter().filter_map(|n| {
            let id = n.assistant_id.as_deref()?;
            Some((id, index.by_id.get(id)?.label.as_deref()?))
        }) {
            let to_key = |route: &Route| matches!(route, Route::Managed(k) if k.as_str() == key);
            let stays = desired.ignore.contains(number)
                || match owners.get(number) {
                    Some(business) => to_key(&business.route),
                    None => match &desired.unassigned {
                        Unassigned::Leave => true,
                        Unassigned::Assistant(shared) => shared.as_str() == key,
                        Unassigned::Unlink | Unassigned::Say(_) => false,
                    },
                };
            if stays {
                *kept.entry(id).or_default() += 1;
            }
        }
    }
    kept
}

/// Labelled assistants to remove: copies of a declared assistant beyond the one kept (a
/// repair, whatever `prune` says), and assistants no longer declared when prune is on. Each is
/// deleted only when no number will route to it; the others are kept and listed.
pub(crate) fn prune(
    desired: &Desired,
    live: &Live,
    index: &Index<'_>,
    keepers: &BTreeMap<Key, Option<AssistantId>>,
    prune: bool,
    still_routed: &HashSet<&str>,
) -> (Vec<Change>, Vec<KeptAssistant>) {
    let mut deletes = Vec::new();
    let mut kept = Vec::new();
    // Only a repair says why it keeps the copy it keeps.
    let kept_routes = if index.by_label.values().any(|copies| copies.len() > 1) {
        routes_kept(desired, index)
    } else {
        HashMap::new()
    };
    for (key, assistants) in &index.by_label {
        let declared = desired.assistants.contains_key(*key);
        let keeper = keepers.get(*key).cloned().flatten();
        let kept_copy = assistants
            .iter()
            .find(|a| keeper.as_deref() == Some(a.id.as_str()));
        for assistant in assistants {
            if keeper.as_deref() == Some(assistant.id.as_str()) {
                continue;
            }
            let keep = |reason: String| KeptAssistant {
                key: Label::of(key),
                id: assistant.id.clone(),
                reason,
            };
            let reason = if declared {
                let why = kept_copy.map_or_else(String::new, |copy| {
                    match kept_routes.get(copy.id.as_str()).copied().unwrap_or(0) {
                        0 => format!(" (the oldest copy, created {})", copy.created_at),
                        1 => " (the copy 1 number will still route to)".to_owned(),
                        n => format!(" (the copy {n} numbers will still route to)"),
                    }
                });
                format!(
                    "repair: {} assistants carry the label of `{key}`; {}{why} is kept, and this copy goes once no number routes to it; the fields below are where this copy differs from the kept one",
                    assistants.len(),
                    keeper.as_deref().unwrap_or("another")
                )
            } else if prune {
                "no longer declared; prune is on and no number will route to it".to_owned()
            } else {
                kept.push(keep("no longer declared; prune is off".to_owned()));
                continue;
            };
            if let Some(squad) = live.members.get(assistant.id.as_str()) {
                kept.push(keep(format!(
                    "{}, but {squad} names it as a member: Vapi refuses to delete it, and the squad would break without it",
                    if declared {
                        format!("a copy of `{key}`")
                    } else {
                        "no longer declared".to_owned()
                    }
                )));
                continue;
            }
            if still_routed.contains(assistant.id.as_str()) {
                kept.push(keep(if declared {
                    format!(
                        "a copy of `{key}`, but a number vapiform does not route still routes to it"
                    )
                } else {
                    "no longer declared, but a number still routes to it".to_owned()
                }));
                continue;
            }
            // Never settled: its key is not declared, or several carry it (see `Settle`).
            let fields = assistant.fields().unwrap_or_default();
            let expect = precondition::unchanged(
                &assistant.id,
                &assistant.updated_at,
                &fields,
                [METADATA],
                None,
            );
            let routed_numbers = live
                .numbers
                .iter()
                .filter(|n| n.assistant_id.as_deref() == Some(assistant.id.as_str()))
                .map(|n| n.id.clone())
                .collect();
            let op = Operation::DeleteAssistant {
                key: Label::of(key),
                copy: assistants.len() > 1,
                expect,
                routed_numbers,
            };
            // What is lost with a deleted copy: where it differs from the kept one (this
            // copy's value before, the kept one's after).
            let differences = kept_copy
                .filter(|_| declared)
                .and_then(|copy| {
                    let kept = copy.fields().unwrap_or_default();
                    managed::update(&kept, &kept, &fields)
                })
                .map(|update| update.fields)
                .unwrap_or_default();
            deletes.push(Change::new(op, reason, differences, None));
        }
    }
    (deletes, kept)
}
