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

use super::live::{self, Assistant, Index, Live, Number};
use super::model::{
    Action, Address, Change, Endpoint, FieldChange, Plan, Precondition, Routing, Target, Write,
};
use super::numbers::{ROUTES, shown};
use super::{Secrets, managed, route};
use crate::desired::placeholder;

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
            .filter(|change| change.action == Action::Adopt)
            .filter_map(|change| match &change.write {
                Write::UpdateAssistant { id, .. } => Some((id.as_str(), change.address.key())),
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
                name.is_none() || self.live.squads.get(id).is_some_and(|now| now == name),
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
    match (&change.address, change.action, &change.write) {
        (Address::Assistant(key), Action::Create, Write::CreateAssistant { key: writes, body }) => {
            agree(key == writes, || {
                format!("it creates the assistant of `{writes}`")
            })
            .and_then(|()| fields(&change.fields, &managed::created_fields(body)))
            .and_then(|()| routing(change.routing.as_ref(), None))
        }
        (
            address @ (Address::Assistant(_) | Address::Duplicate { .. }),
            action @ (Action::Update | Action::Adopt),
            Write::UpdateAssistant { id, body },
        ) => labelled(address, id, &change.precondition, index).and_then(|assistant| {
            let labels = match action {
                Action::Adopt => live::label_of(body),
                _ => assistant.label.as_deref(),
            };
            agree(labels == Some(address.key()), || {
                format!(
                    "assistant {id} would not carry the label of `{}`",
                    address.key()
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
        (
            address @ (Address::Assistant(_) | Address::Duplicate { .. }),
            Action::Delete,
            Write::DeleteAssistant { id },
        ) => labelled(address, id, &change.precondition, index).and_then(|assistant| {
            agree(assistant.label.as_deref() == Some(address.key()), || {
                format!(
                    "assistant {id} does not carry the label of `{}`",
                    address.key()
                )
            })?;
            routing(change.routing.as_ref(), None)
        }),
        (Address::Number(number), Action::Import, Write::CreateNumber { body, route }) => {
            let writes = body.get("number").and_then(Value::as_str);
            agree(writes == Some(number.as_str()), || {
                format!("it imports {}", writes.unwrap_or("no number"))
            })
            .and_then(|()| fields(&change.fields, &managed::created_fields(body)))
            .and_then(|()| {
                let to = after(&Map::new(), body, route.as_ref());
                routing(change.routing.as_ref(), Some((Endpoint::Nothing, to)))
            })
        }
        (
            Address::Number(key),
            action @ (Action::Update | Action::Assign | Action::Reassign | Action::Unlink),
            Write::UpdateNumber { id, body, route },
        ) => number(key, id, &change.precondition, index).and_then(|number| {
            updated_number(change, action, number, body, route.as_ref(), secrets)
        }),
        (_, action, write) => Err(format!(
            "its action ({}) and its request ({}) do not go together",
            action.as_str(),
            request(write)
        )),
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

fn request(write: &Write) -> &'static str {
    match write {
        Write::CreateAssistant { .. } => "POST /assistant",
        Write::UpdateAssistant { .. } => "PATCH /assistant",
        Write::DeleteAssistant { .. } => "DELETE /assistant",
        Write::CreateNumber { .. } => "POST /phone-number",
        Write::UpdateNumber { .. } => "PATCH /phone-number",
    }
}

/// The precondition's object is the one written.
fn same_object(id: &str, precondition: &Precondition) -> Result<(), String> {
    match precondition {
        Precondition::Unchanged { id: checked, .. } if checked == id => Ok(()),
        _ => Err(format!(
            "it writes {id}, but checks another object before writing"
        )),
    }
}

/// The assistant an assistant change writes, as read now: the precondition's, and for one
/// copy of several (`assistant/KEY@ID`), the one the address names.
fn labelled<'a>(
    address: &Address,
    id: &str,
    precondition: &Precondition,
    index: &Index<'a>,
) -> Result<&'a Assistant, String> {
    same_object(id, precondition)?;
    if let Address::Duplicate { id: named, .. } = address {
        agree(named == id, || {
            format!("it writes assistant {id}, not {named}")
        })?;
    }
    index
        .by_id
        .get(id)
        .copied()
        .ok_or_else(|| format!("assistant {id} is not in the account"))
}

/// The number a number update writes, as read now.
fn number<'a>(
    key: &str,
    id: &str,
    precondition: &Precondition,
    index: &Index<'a>,
) -> Result<&'a Number, String> {
    same_object(id, precondition)?;
    let number = index
        .number_by_id
        .get(id)
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
            fields.insert("assistantId".to_owned(), Value::String(id.clone()));
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
    action: Action,
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
        .zip([&number.assistant_id, &number.squad_id])
    {
        let written = match (field, route) {
            ("assistantId", Some(target)) => Some(shown(target)),
            _ => body.get(field).cloned(),
        };
        let now_value = now.clone().map_or(Value::Null, Value::String);
        if let Some(written) = written.filter(|written| *written != now_value) {
            made.push(FieldChange {
                path: field.to_owned(),
                before: now.clone().map(Value::String),
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
        None if rerouted => Action::Unlink,
        _ if moved && from.answers() => Action::Reassign,
        _ if moved => Action::Assign,
        _ => Action::Update,
    };
    agree(action == expected, || {
        format!(
            "it is shown as {}, but its request makes it {}",
            action.as_str(),
            expected.as_str()
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
            .find(|c| c.address.to_string() == address)
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
    fn the_object_the_request_writes_is_the_one_shown_and_checked() {
        // A number change whose check before writing is of another number.
        let why = edited("number/+14155550100", |c| {
            if let Precondition::Unchanged { id, .. } = &mut c.precondition {
                *id = "n2".to_owned();
            }
        });
        assert_eq!(
            why.as_deref(),
            Some("it writes n1, but checks another object before writing")
        );
        // An update shown for one copy of a label that writes another.
        let why = edited("assistant/acme", |c| {
            c.address = Address::Duplicate {
                key: "acme".to_owned(),
                id: "a2".to_owned(),
            };
        });
        assert_eq!(why.as_deref(), Some("it writes assistant a1, not a2"));
        // A create whose request creates another key.
        let live = live();
        let mut created = planned(&live);
        created
            .changes
            .retain(|c| c.address.to_string() == "assistant/acme");
        let mut change = created.changes[0].clone();
        change.address = Address::Assistant("other".to_owned());
        change.action = Action::Create;
        change.write = Write::CreateAssistant {
            key: "acme".to_owned(),
            body: Map::new(),
        };
        let index = Index::new(&live);
        let secrets = Secrets::new();
        let check = Check::new(&created, &index, &live, &secrets);
        assert_eq!(
            check.disagreement(&change).as_deref(),
            Some("it creates the assistant of `acme`")
        );
        // A request of another kind names what it is.
        let why = edited("assistant/acme", |c| {
            c.write = Write::DeleteAssistant {
                id: "a1".to_owned(),
            };
        });
        assert_eq!(
            why.as_deref(),
            Some("its action (update) and its request (DELETE /assistant) do not go together")
        );
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
