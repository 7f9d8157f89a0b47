//! Planning phone numbers: route every listed number to its business's assistant, apply the
//! unassigned policy to the rest, import listed numbers Vapi does not have.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::compare;
use super::live::{self, Index};
use super::model::{
    Action, Address, Change, Endpoint, FieldChange, NumberRef, Precondition, Routing, Target, Write,
};
use crate::desired::{Business, Desired, Route, Unassigned, placeholder};
use crate::vapi::PhoneNumber;

/// Number changes and the numbers left alone.
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub left_alone: Vec<NumberRef>,
}

/// Where a number should go.
enum Goal {
    Route {
        target: Target,
        to: Endpoint,
        reason: String,
    },
    Unlink,
    Leave,
}

/// Names that make endpoints readable: which business an assistant belongs to.
pub(crate) struct Names<'a> {
    desired: &'a Desired,
    index: &'a Index<'a>,
    ids: &'a BTreeMap<String, Option<String>>,
    business_of_key: HashMap<&'a str, &'a str>,
    business_of_id: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    pub(crate) fn new(
        desired: &'a Desired,
        index: &'a Index<'a>,
        ids: &'a BTreeMap<String, Option<String>>,
    ) -> Self {
        let mut business_of_key = HashMap::new();
        let mut business_of_id = HashMap::new();
        let mut shared: HashMap<&str, usize> = HashMap::new();
        for business in desired.businesses.values() {
            match &business.route {
                Route::Managed(key) => {
                    *shared.entry(key.as_str()).or_default() += 1;
                    business_of_key.insert(key.as_str(), business.name.as_str());
                }
                Route::Existing(id) => {
                    business_of_id.insert(id.as_str(), business.name.as_str());
                }
            }
        }
        // An assistant several businesses share belongs to none of them.
        business_of_key.retain(|key, _| shared.get(key) == Some(&1));
        Self {
            desired,
            index,
            ids,
            business_of_key,
            business_of_id,
        }
    }

    /// The endpoint a live number routes to now.
    pub(crate) fn current(&self, number: &PhoneNumber) -> Endpoint {
        if let Some(id) = &number.assistant_id {
            let assistant = self.index.by_id.get(id.as_str());
            let key = assistant.and_then(|a| live::label(a));
            let business = key
                .and_then(|key| self.business_of_key.get(key))
                .or_else(|| self.business_of_id.get(id.as_str()))
                .map(|name| (*name).to_owned());
            Endpoint::Assistant {
                id: Some(id.clone()),
                address: key
                    .filter(|key| self.desired.assistants.contains_key(*key))
                    .map(|key| Address::Assistant(key.to_owned())),
                name: assistant.and_then(|a| a.name()).map(str::to_owned),
                business,
            }
        } else if let Some(id) = &number.squad_id {
            Endpoint::Squad { id: id.clone() }
        } else if let Some(id) = &number.workflow_id {
            Endpoint::Workflow { id: id.clone() }
        } else {
            Endpoint::Nothing
        }
    }

    /// The target and endpoint of a desired route, or a problem.
    fn route(&self, route: &Route) -> Result<(Target, Endpoint), String> {
        match route {
            Route::Managed(key) => {
                let id = self.ids.get(key).cloned().flatten();
                let name = self
                    .desired
                    .assistants
                    .get(key)
                    .and_then(|a| a.body.get("name"))
                    .and_then(Value::as_str);
                let endpoint = Endpoint::Assistant {
                    id: id.clone(),
                    address: Some(Address::Assistant(key.clone())),
                    name: name.map(placeholder::unescape),
                    business: self
                        .business_of_key
                        .get(key.as_str())
                        .map(|name| (*name).to_owned()),
                };
                let target = id.map_or_else(
                    || Target::Address(Address::Assistant(key.clone())),
                    Target::Id,
                );
                Ok((target, endpoint))
            }
            Route::Existing(id) => {
                let assistant = self
                    .index
                    .by_id
                    .get(id.as_str())
                    .ok_or_else(|| format!("no assistant with id {id} in the account"))?;
                let endpoint = Endpoint::Assistant {
                    id: Some(id.clone()),
                    address: None,
                    name: assistant.name().map(str::to_owned),
                    business: self
                        .business_of_id
                        .get(id.as_str())
                        .map(|name| (*name).to_owned()),
                };
                Ok((Target::Id(id.clone()), endpoint))
            }
        }
    }
}

pub(crate) fn plan(
    desired: &Desired,
    index: &Index<'_>,
    names: &Names<'_>,
    problems: &mut Vec<String>,
) -> Planned {
    let mut planned = Planned {
        changes: Vec::new(),
        left_alone: Vec::new(),
    };
    let owners: HashMap<&str, &Business> = desired
        .businesses
        .values()
        .flat_map(|b| b.numbers.iter().map(move |n| (n.as_str(), b)))
        .collect();

    for (key, numbers) in &index.numbers {
        if desired.ignore.contains(key) {
            continue;
        }
        let address = Address::Number(key.clone());
        let [number] = numbers.as_slice() else {
            let ids: Vec<&str> = numbers.iter().map(|n| n.id.as_str()).collect();
            problems.push(format!(
                "{address}: {} phone numbers in the account have this number ({})",
                numbers.len(),
                ids.join(", ")
            ));
            continue;
        };
        let goal = match owners.get(key.as_str()) {
            Some(business) => match names.route(&business.route) {
                Ok((target, to)) => Goal::Route {
                    target,
                    to,
                    reason: format!("listed under {}", business.key),
                },
                Err(problem) => {
                    problems.push(format!("businesses.{}.assistant: {problem}", business.key));
                    continue;
                }
            },
            None => match &desired.unassigned {
                Unassigned::Leave => Goal::Leave,
                Unassigned::Unlink => Goal::Unlink,
                Unassigned::Assistant(shared) => match names.route(&Route::Managed(shared.clone()))
                {
                    Ok((target, to)) => Goal::Route {
                        target,
                        to,
                        reason: format!("no business lists it; unassigned numbers go to {shared}"),
                    },
                    Err(problem) => {
                        problems.push(format!("unassigned: {problem}"));
                        continue;
                    }
                },
            },
        };
        let from = names.current(number);
        match goal {
            Goal::Leave => planned.left_alone.push(NumberRef {
                number: key.clone(),
                routed_to: from,
            }),
            Goal::Unlink => planned.changes.extend(unlink(address, number, from)),
            Goal::Route { target, to, reason } => planned
                .changes
                .extend(route(address, number, from, target, to, reason)),
        }
    }

    for business in desired.businesses.values() {
        for number in &business.numbers {
            if index.numbers.contains_key(number) {
                continue;
            }
            let address = Address::Number(number.clone());
            let Some(import) = &desired.import else {
                problems.push(format!(
                    "{address}: listed under {} but not in the account; add `import:` settings to the file to import it",
                    business.key
                ));
                continue;
            };
            let Ok((target, to)) = names.route(&business.route) else {
                continue;
            };
            planned.changes.push(import_change(
                address,
                number,
                &import.body,
                business,
                target,
                to,
            ));
        }
    }
    planned
}

/// The body every number PATCH starts from: the stored provider, as the SDKs send it.
fn base_body(number: &PhoneNumber) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert(
        "provider".to_owned(),
        Value::String(number.provider.clone()),
    );
    body
}

fn route(
    address: Address,
    number: &PhoneNumber,
    from: Endpoint,
    target: Target,
    to: Endpoint,
    reason: String,
) -> Option<Change> {
    let already = matches!(&target, Target::Id(id) if number.assistant_id.as_ref() == Some(id));
    let mut body = base_body(number);
    let mut fields = Vec::new();
    if !already {
        let after = match &target {
            Target::Id(id) => Value::String(id.clone()),
            Target::Address(address) => Value::String(format!("({address}, created by this plan)")),
        };
        fields.push(FieldChange {
            path: "assistantId".to_owned(),
            before: number.assistant_id.clone().map(Value::String),
            after: Some(after),
        });
    }
    clear(
        [
            ("squadId", &number.squad_id),
            ("workflowId", &number.workflow_id),
        ],
        &mut body,
        &mut fields,
    );
    if fields.is_empty() {
        return None;
    }
    let action = if already {
        Action::Update
    } else if live::is_routed(number) {
        Action::Reassign
    } else {
        Action::Assign
    };
    Some(number_change(
        address,
        action,
        reason,
        fields,
        Routing { from, to },
        number,
        body,
        Some(target),
    ))
}

/// Sends `null` for each routing field that is set, and shows it as cleared.
fn clear<const N: usize>(
    set: [(&str, &Option<String>); N],
    body: &mut Map<String, Value>,
    fields: &mut Vec<FieldChange>,
) {
    for (field, value) in set {
        if let Some(value) = value {
            body.insert(field.to_owned(), Value::Null);
            fields.push(FieldChange {
                path: field.to_owned(),
                before: Some(Value::String(value.clone())),
                after: Some(Value::Null),
            });
        }
    }
}

fn unlink(address: Address, number: &PhoneNumber, from: Endpoint) -> Option<Change> {
    if !live::is_routed(number) {
        return None;
    }
    let mut body = base_body(number);
    let mut fields = Vec::new();
    clear(
        [
            ("assistantId", &number.assistant_id),
            ("squadId", &number.squad_id),
            ("workflowId", &number.workflow_id),
        ],
        &mut body,
        &mut fields,
    );
    let reason = "no business lists it; unassigned numbers are unlinked".to_owned();
    Some(number_change(
        address,
        Action::Unlink,
        reason,
        fields,
        Routing {
            from,
            to: Endpoint::Nothing,
        },
        number,
        body,
        None,
    ))
}

#[allow(clippy::too_many_arguments)]
fn number_change(
    address: Address,
    action: Action,
    reason: String,
    fields: Vec<FieldChange>,
    routing: Routing,
    number: &PhoneNumber,
    body: Map<String, Value>,
    route: Option<Target>,
) -> Change {
    let write = Write::UpdateNumber {
        id: number.id.clone(),
        body,
        route,
    };
    Change {
        address,
        action,
        reason,
        fields,
        routing: Some(routing),
        precondition: Precondition::Unchanged {
            id: number.id.clone(),
            updated_at: number.updated_at.clone(),
            sha256: compare::fingerprint(&number.to_object(), &write.compared_keys()),
        },
        write,
    }
}

fn import_change(
    address: Address,
    number: &str,
    import: &Map<String, Value>,
    business: &Business,
    target: Target,
    to: Endpoint,
) -> Change {
    let mut body = import.clone();
    body.insert("number".to_owned(), Value::String(number.to_owned()));
    let fields = super::assistants::created_fields(&body);
    Change {
        reason: format!("listed under {} but not in the account", business.key),
        address,
        action: Action::Import,
        fields,
        routing: Some(Routing {
            from: Endpoint::Nothing,
            to,
        }),
        precondition: Precondition::Absent {
            label: None,
            number: Some(number.to_owned()),
        },
        write: Write::CreateNumber {
            body,
            route: Some(target),
        },
    }
}
