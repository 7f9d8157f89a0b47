//! A plan writes what it shows. A saved plan is a file anyone with access to the artifact can
//! replace, and its digest proves only that its parts were hashed together, not that they agree:
//! a forged plan could show a number going to one business while its request routes it to
//! another. So before apply writes anything, every change's request is checked against what the
//! plan shows for it, recomputed from the request and the account as read now:
//!
//! - the object, the action and the request go together (an `assistant/KEY` change writes the
//!   assistant that carries `KEY`'s label, a `number/N` change writes N);
//! - the field changes shown are exactly the ones the request makes, value for value (with
//!   `${env.*}` resolved as apply will send them);
//! - a number's routing line names where its calls go now and where they will go once the
//!   request is written, by id, text and destination ([`Endpoint::same_route`]).
//!
//! A change already in effect, or whose object moved since the plan was made (stale), writes
//! nothing or is refused anyway, and is not checked here.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::change::{Change, NumberEdit, Operation, Target, Unchanged};
use super::live::{self, Assistant, Index, Live, Number};
use super::model::{Endpoint, FieldChange, Plan, Routing};
use super::numbers::{ROUTES, shown};
use super::{Secrets, managed, route};
use crate::desired::placeholder;
use crate::id::{AssistantId, NumberId};

/// What the changes of one plan are checked against: the account as read now, and the
/// assistants the plan adopts (an endpoint may name one by the key that adopts it).
pub(crate) struct Check<'a> {
    index: &'a Index<'a>,
    live: &'a Live,
    secrets: &'a Secrets,
    adopted: HashMap<&'a str, &'a str>,
}

impl<'a> Check<'a> {
    pub(crate) fn new(
        plan: &'a Plan,
        index: &'a Index<'a>,
        live: &'a Live,
        secrets: &'a Secrets,
    ) -> Self {
        let adopted = plan
            .changes
            .iter()
            .filter_map(|change| match change.op() {
                Operation::UpdateAssistant {
                    key,
                    adopt: true,
                    expect,
                    ..
                } => Some((expect.id.as_str(), key.as_str())),
                _ => None,
            })
            .collect();
        Self {
            index,
            live,
            secrets,
            adopted,
        }
    }

    /// Why what `change` shows is not what it writes, or `None` when they agree; its
    /// precondition holds in the account as read.
    pub(crate) fn disagreement(&self, change: &Change) -> Option<String> {
        disagreement(change, self).err()
    }

    /// An endpoint shown names its objects as the account does: an assistant shown by key
    /// carries that key's label (or is adopted for it by this plan), one shown by name has
    /// that name, and so does a squad.
    fn named(&self, endpoint: &Endpoint) -> Result<(), String> {
        match endpoint {
            Endpoint::Assistant {
                id: Some(id),
                address,
                name,
                ..
            } => {
                let assistant = self.index.by_id.get(id.as_str());
                match address {
                    Some(address) => {
                        let key = address.key();
                        let carries = assistant.and_then(|a| a.label.as_deref()) == Some(key)
                            || self.adopted.get(id.as_str()) == Some(&key);
                        agree(carries, || {
                            format!(
                                "it shows assistant {id} as {address}, whose label it does not carry"
                            )
                        })
                    }
                    None => agree(
                        name.is_none() || assistant.and_then(|a| a.name()) == name.as_deref(),
                        || format!("it shows assistant {id} under a name it does not have"),
                    ),
                }
            }
            Endpoint::Squad { id, name, .. } => agree(
                name.is_none()
                    || self
                        .live
                        .squads
                        .get(id.as_str())
                        .is_some_and(|now| now == name),
                || format!("it shows squad {id} under a name it does not have"),
            ),
            Endpoint::Say {
                then: Some(then), ..
            } => self.named(then),
            Endpoint::Screened {
                action, otherwise, ..
            } => self.named(action).and_then(|()| self.named(otherwise)),
            _ => Ok(()),
        }
    }
}

/// Why what `change` shows is not what it writes.
fn disagreement(change: &Change, check: &Check<'_>) -> Result<(), String> {
    let (index, secrets) = (check.index, check.secrets);
    match change.op() {
        Operation::CreateAssistant { body, .. } => {
            fields(&change.fields, &managed::created_fields(body))
                .and_then(|()| routing(change.routing.as_ref(), None))
        }
        Operation::UpdateAssistant {
            key,
            adopt,
            expect,
            body,
        } => assistant(expect, index).and_then(|assistant| {
            let labels = if *adopt {
                live::label_of(body)
            } else {
                assistant.label.as_deref()
            };
            agree(labels == Some(key.as_str()), || {
                format!(
                    "assistant {} would not carry the label of `{key}`",
                    expect.id
                )
            })?;
            // Apply reads every body; one not kept matches nothing the plan shows.
            let live = assistant.fields().unwrap_or_default();
            let made = resolved(body, secrets)
                .and_then(|resolved| managed::update(body, &resolved, &live))
                .map(|update| update.fields)
                .unwrap_or_default();
            fields(&change.fields, &made)?;
            routing(change.routing.as_ref(), None)
        }),
        Operation::DeleteAssistant { key, expect, .. } => {
            assistant(expect, index).and_then(|assistant| {
                agree(assistant.label.as_deref() == Some(key.as_str()), || {
                    format!(
                        "assistant {} does not carry the label of `{key}`",
                        expect.id
                    )
                })?;
                routing(change.routing.as_ref(), None)
            })
        }
        Operation::ImportNumber { body, route, .. } => {
            fields(&change.fields, &managed::created_fields(body)).and_then(|()| {
                let to = after(&Map::new(), body, route.as_ref());
                routing(change.routing.as_ref(), Some((Endpoint::Nothing, to)))
            })
        }
        Operation::UpdateNumber {
            number: key,
            edit,
            expect,
            body,
            route,
        } => number(key, expect, index).and_then(|number| {
            updated_number(change, *edit, number, body, route.as_ref(), secrets)
        }),
    }?;
    match &change.routing {
        Some(shown) => check
            .named(&shown.from)
            .and_then(|()| check.named(&shown.to)),
        None => Ok(()),
    }
}

/// `Ok` when `holds`, else the disagreement `why` describes.
fn agree(holds: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(why()) }
}

/// The assistant an assistant change writes, as read now.
fn assistant<'a>(
    expect: &Unchanged<AssistantId>,
    index: &Index<'a>,
) -> Result<&'a Assistant, String> {
    index
        .by_id
        .get(expect.id.as_str())
        .copied()
        .ok_or_else(|| format!("assistant {} is not in the account", expect.id))
}

/// The number a number update writes, as read now.
fn number<'a>(
    key: &str,
    expect: &Unchanged<NumberId>,
    index: &Index<'a>,
) -> Result<&'a Number, String> {
    let id = &expect.id;
    let number = index
        .number_by_id
        .get(id.as_str())
        .copied()
        .ok_or_else(|| format!("phone number {id} is not in the account"))?;
    agree(number.key == key, || {
        format!("it writes {}, not {key}", number.key)
    })?;
    Ok(number)
}

/// `body` with its `${env.*}` references filled in as apply sends it; `None` when one is not
/// set (apply refuses that before writing).
fn resolved(body: &Map<String, Value>, secrets: &Secrets) -> Option<Map<String, Value>> {
    match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
        secrets.get(name).cloned()
    }) {
        Ok(Value::Object(resolved)) => Some(resolved),
        _ => None,
    }
}

/// The field changes shown are the ones the request makes.
fn fields(shown: &[FieldChange], made: &[FieldChange]) -> Result<(), String> {
    let key = |f: &FieldChange| (f.path.clone(), f.before.clone(), f.after.clone());
    let shown: Vec<_> = shown.iter().map(key).collect();
    let made: Vec<_> = made.iter().map(key).collect();
    if shown == made {
        return Ok(());
    }
    let unshown: Vec<&str> = made
        .iter()
        .filter(|f| !shown.contains(f))
        .map(|(path, ..)| path.as_str())
        .collect();
    let unmade: Vec<&str> = shown
        .iter()
        .filter(|f| !made.contains(f))
        .map(|(path, ..)| path.as_str())
        .collect();
    Err(match (unshown.is_empty(), unmade.is_empty()) {
        (false, _) => format!(
            "its request changes {} as the plan does not show (an environment variable it uses may have changed since the plan was made)",
            unshown.join(", ")
        ),
        (true, false) => format!(
            "the plan shows {} changing as its request does not",
            unmade.join(", ")
        ),
        (true, true) => "its field changes are shown in another order than made".to_owned(),
    })
}

/// The routing line shown is where calls go now and once written (`None`: the change routes
/// nothing, and shows no routing line).
fn routing(shown: Option<&Routing>, made: Option<(Endpoint, Endpoint)>) -> Result<(), String> {
    let made = made.filter(|(from, to)| !from.same_route(to));
    match (shown, made) {
        (None, None) => Ok(()),
        (Some(shown), Some((from, to))) => {
            agree(shown.from.same_route(&from), || {
                "the plan shows its calls going somewhere else now than they do".to_owned()
            })?;
            agree(shown.to.same_route(&to), || {
                "its request sends its calls somewhere else than the plan shows".to_owned()
            })
        }
        (Some(_), None) => {
            Err("the plan shows a routing change its request does not make".to_owned())
        }
        (None, Some(_)) => {
            Err("its request changes where calls go, and the plan shows no routing line".to_owned())
        }
    }
}

/// Where calls go for a number holding `live` once `body` is written and its assistant set to
/// `route`.
fn after(live: &Map<String, Value>, body: &Map<String, Value>, route: Option<&Target>) -> Endpoint {
    let mut fields = live.clone();
    fields.extend(body.clone());
    match route {
        Some(Target::Id(id)) => {
            fields.insert("assistantId".to_owned(), Value::from(id.as_str()));
        }
        Some(Target::Address(address)) => {
            fields.remove("assistantId");
            let created = Endpoint::Assistant {
                id: None,
                address: Some(address.clone()),
                name: None,
                business: None,
                greeting: None,
            };
            return route::calls(fields.get("hooks"), created);
        }
        None => {}
    }
    route::unnamed(&fields)
}

/// A number update: its routing fields, its settings and its routing line as the request
/// makes them, and the action they make it.
fn updated_number(
    change: &Change,
    edit: NumberEdit,
    number: &Number,
    body: &Map<String, Value>,
    route: Option<&Target>,
    secrets: &Secrets,
) -> Result<(), String> {
    let provider = body.get("provider").and_then(Value::as_str);
    agree(provider == Some(number.provider.as_str()), || {
        format!(
            "its request sets the provider {}, the number's is {}",
            provider.unwrap_or("(none)"),
            number.provider
        )
    })?;
    let live = number.fields();
    let mut made = Vec::new();
    for (field, now) in ROUTES
        .into_iter()
        .zip([number.assistant_id.as_deref(), number.squad_id.as_deref()])
    {
        let written = match (field, route) {
            ("assistantId", Some(target)) => Some(shown(target)),
            _ => body.get(field).cloned(),
        };
        let now_value = now.map_or(Value::Null, Value::from);
        if let Some(written) = written.filter(|written| *written != now_value) {
            made.push(FieldChange {
                path: field.to_owned(),
                before: now.map(Value::from),
                after: Some(written),
                origin: None,
            });
        }
    }
    let rerouted = !made.is_empty();
    let settings: Map<String, Value> = body
        .iter()
        .filter(|(key, _)| *key != "provider" && !ROUTES.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    if let Some(update) = resolved(&settings, secrets)
        .and_then(|resolved| managed::update(&settings, &resolved, &live))
    {
        made.extend(update.fields);
    }
    fields(&change.fields, &made)?;
    let from = route::unnamed(&live);
    let to = after(&live, body, route);
    // The field that routes the number once written: its assistant's, else its squad's.
    let squad = body.get("squadId").map_or(number.squad_id.is_some(), |id| {
        id.as_str().is_some_and(|id| !id.is_empty())
    });
    let own = if route.is_some() {
        Some("assistantId")
    } else {
        squad.then_some("squadId")
    };
    let moved = own.is_some_and(|own| made.iter().any(|f| f.path == own));
    let expected = match own {
        None if rerouted => NumberEdit::Unlink,
        _ if moved && from.answers() => NumberEdit::Reassign,
        _ if moved => NumberEdit::Assign,
        _ => NumberEdit::Update,
    };
    agree(edit == expected, || {
        format!(
            "it is shown as {}, but its request makes it {}",
            edit.action().as_str(),
            expected.action().as_str()
        )
    })?;
    routing(change.routing.as_ref(), Some((from, to)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::plan::{Options, Plan, Secrets, plan};
    use crate::vapi::{Assistant, PhoneNumber};

    const AT: &str = "2026-01-01T00:00:00.000Z";

    /// Acme (labelled), Bob (not), the squad `s1` named "Front desk", and the numbers
    /// `+14155550100` (Bob behind a customer's say hook, and, for callers from +1212, a
    /// transfer) and `+14155550101` (Bob).
    fn live() -> Live {
        let assistant = |id: &str, fields: Value| {
            let Value::Object(fields) = fields else {
                panic!("an object")
            };
            Assistant::new(id, AT, AT, &fields)
        };
        let number = |id: &str, e164: &str, extra: Value| -> PhoneNumber {
            let mut object = json!({"id": id, "orgId": "o", "provider": "telnyx", "number": e164,
                "credentialId": "c", "assistantId": "b1", "createdAt": AT, "updatedAt": AT});
            if let (Some(object), Value::Object(extra)) = (object.as_object_mut(), extra) {
                object.extend(extra);
            }
            serde_json::from_value(object).expect("a number")
        };
        let mut live = Live::read(
            vec![
                number(
                    "n1",
                    "+14155550100",
                    json!({"hooks": [
                        {"on": "call.ringing", "filters": [{"type": "oneOf", "key": "customer.number", "startsWith": ["+1212"]}],
                         "do": [{"type": "transfer", "destination": {"type": "number", "number": "+14155550999"}}]},
                        {"on": "call.ringing", "do": [{"type": "say", "exact": "Welcome."}]}
                    ]}),
                ),
                number("n2", "+14155550101", json!({})),
            ],
            vec![
                assistant(
                    "a1",
                    json!({"name": "Acme", "firstMessage": "Hi", "metadata": {"vapiform": {"key": "acme"}}}),
                ),
                assistant("b1", json!({"name": "Bob", "firstMessage": "Bob here"})),
            ],
        );
        live.squads = BTreeMap::from([("s1".to_owned(), Some("Front desk".to_owned()))]);
        live
    }

    /// Acme's number +14155550100 moves to Acme; Bob's +14155550101 to the squad, named
    /// "Desk line".
    fn planned(live: &Live) -> Plan {
        let file = "version: 1\nbusinesses:\n  acme:\n    name: Acme\n    numbers: [\"+14155550100\"]\n    assistant: {spec: {name: Acme, firstMessage: Hello}}\n  desk:\n    name: Desk\n    phone: {name: Desk line}\n    numbers: [\"+14155550101\"]\n    squad: s1\n";
        let desired = crate::desired::load_str(file, "vapiform.yaml").expect("loads");
        let options = Options {
            allow_mass_change: true,
            ..Options::default()
        };
        plan(&desired, live, &Secrets::new(), &options).expect("plans")
    }

    /// Why `change` of `plan`, edited by `edit`, does not write what it shows.
    fn edited(address: &str, edit: impl FnOnce(&mut Change)) -> Option<String> {
        let live = live();
        let mut plan = planned(&live);
        let index = Index::new(&live);
        let secrets = Secrets::new();
        {
            let check = Check::new(&plan, &index, &live, &secrets);
            for change in &plan.changes {
                assert_eq!(check.disagreement(change), None, "{change:#?}");
            }
        }
        let change = plan
            .changes
            .iter_mut()
            .find(|c| c.address().to_string() == address)
            .unwrap_or_else(|| panic!("no change of {address}"));
        edit(change);
        let change = change.clone();
        let check = Check::new(&plan, &index, &live, &secrets);
        check.disagreement(&change)
    }

    fn rename(endpoint: &mut Endpoint, to: &str) {
        match endpoint {
            Endpoint::Assistant { name, .. } | Endpoint::Squad { name, .. } => {
                *name = Some(to.to_owned());
            }
            Endpoint::Say {
                then: Some(then), ..
            } => rename(then, to),
            Endpoint::Screened { otherwise, .. } => rename(otherwise, to),
            other => panic!("nothing named in {other:?}"),
        }
    }

    #[test]
    fn a_name_shown_for_an_object_must_be_its_name_wherever_it_is_shown() {
        // The squad a number goes to.
        let why = edited("number/+14155550101", |c| {
            rename(&mut c.routing.as_mut().unwrap().to, "Acme");
        });
        assert_eq!(
            why.as_deref(),
            Some("it shows squad s1 under a name it does not have")
        );
        // The assistant behind a say hook, and behind a hook for some callers.
        let why = edited("number/+14155550100", |c| {
            rename(&mut c.routing.as_mut().unwrap().from, "Acme");
        });
        assert_eq!(
            why.as_deref(),
            Some("it shows assistant b1 under a name it does not have")
        );
        // An unnamed assistant is fine.
        let why = edited("number/+14155550101", |c| {
            let from = &mut c.routing.as_mut().unwrap().from;
            if let Endpoint::Assistant { name, .. } = from {
                *name = None;
            }
        });
        assert_eq!(why, None);
    }

    #[test]
    fn a_field_shown_that_the_request_does_not_change_is_named() {
        let why = edited("assistant/acme", |c| {
            c.fields.push(FieldChange {
                path: "voice.voiceId".to_owned(),
                before: None,
                after: Some(json!("Elliot")),
                origin: None,
            });
        });
        assert_eq!(
            why.as_deref(),
            Some("the plan shows voice.voiceId changing as its request does not")
        );
    }
}
