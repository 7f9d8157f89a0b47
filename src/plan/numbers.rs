//! Planning phone numbers: route every listed number to its business's assistant, apply the
//! unassigned policy to the rest, import listed numbers Vapi does not have.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::live::Index;
use super::live::Number as PhoneNumber;
use super::model::{
    Action, Address, Change, Endpoint, FieldChange, NumberRef, Precondition, Routing, Target, Write,
};
use super::precondition;
use super::problem::Problem;
use crate::desired::{Business, Desired, Key, Route, Unassigned, placeholder};

/// Number changes and the numbers left alone.
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub left_alone: Vec<NumberRef>,
}

/// Where a number should go.
enum Goal {
    Route {
        target: Target,
        to: Box<Endpoint>,
        reason: String,
    },
    Unlink,
    Leave,
}

/// Names that make endpoints readable: which business an assistant belongs to.
pub(crate) struct Names<'a> {
    desired: &'a Desired,
    index: &'a Index<'a>,
    ids: &'a BTreeMap<Key, Option<String>>,
    business_of_key: HashMap<&'a str, &'a str>,
    business_of_id: HashMap<&'a str, &'a str>,
    /// Assistant id to the key that adopts it.
    adopted_by: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    pub(crate) fn new(
        desired: &'a Desired,
        index: &'a Index<'a>,
        ids: &'a BTreeMap<Key, Option<String>>,
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
        let adopted_by = desired
            .assistants
            .values()
            .filter_map(|a| Some((a.adopt.as_deref()?, a.key.as_str())))
            .collect();
        Self {
            desired,
            index,
            ids,
            business_of_key,
            business_of_id,
            adopted_by,
        }
    }

    /// The endpoint a live number routes to now.
    pub(crate) fn current(&self, number: &PhoneNumber) -> Endpoint {
        if let Some(id) = &number.assistant_id {
            let assistant = self.index.by_id.get(id.as_str());
            let key = assistant.and_then(|a| a.label.as_deref());
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
                greeting: greeting(assistant.and_then(|a| a.first_message())),
            }
        } else if let Some(id) = &number.squad_id {
            Endpoint::Squad { id: id.clone() }
        } else if let Some(id) = &number.workflow_id {
            Endpoint::Workflow { id: id.clone() }
        } else {
            Endpoint::Nothing
        }
    }

    /// The target and endpoint of a desired route, or what is wrong with it (and the other
    /// place in the file involved, if any).
    fn route(&self, route: &Route) -> Result<(Target, Endpoint), (String, Option<String>)> {
        match route {
            Route::Managed(key) => {
                let id = self.ids.get(key.as_str()).cloned().flatten();
                let name = self
                    .desired
                    .assistants
                    .get(key)
                    .and_then(|a| a.field("name"));
                let name = name.as_deref().and_then(Value::as_str);
                let endpoint = Endpoint::Assistant {
                    id: id.clone(),
                    address: Some(Address::Assistant(key.to_string())),
                    name: name.map(placeholder::unescape),
                    business: self
                        .business_of_key
                        .get(key.as_str())
                        .map(|name| (*name).to_owned()),
                    greeting: self
                        .desired
                        .assistants
                        .get(key)
                        .and_then(|a| a.field("firstMessage"))
                        .as_deref()
                        .and_then(|message| greeting(message.as_str())),
                };
                let target = id.map_or_else(
                    || Target::Address(Address::Assistant(key.to_string())),
                    Target::Id,
                );
                Ok((target, endpoint))
            }
            Route::Existing(id) => {
                let assistant =
                    self.index.by_id.get(id.as_str()).ok_or_else(|| {
                        (format!("no assistant with id {id} in the account"), None)
                    })?;
                if let Some(owner) = self.adopted_by.get(id.as_str()) {
                    return Err((
                        format!(
                            "assistant {id} is adopted by `{owner}`, which manages it; an assistant belongs to one key"
                        ),
                        Some(super::assistants::path_of(self.desired, owner)),
                    ));
                }
                if let Some(owner) = assistant.label.as_deref()
                    && self.desired.assistants.contains_key(owner)
                {
                    return Err((
                        format!(
                            "assistant {id} carries vapiform's label for `{owner}`, which manages it; an assistant belongs to one key, so route to `{owner}` some other way or give this business its own assistant"
                        ),
                        Some(super::assistants::path_of(self.desired, owner)),
                    ));
                }
                let endpoint = Endpoint::Assistant {
                    id: Some(id.clone()),
                    address: None,
                    name: assistant.name().map(str::to_owned),
                    business: self
                        .business_of_id
                        .get(id.as_str())
                        .map(|name| (*name).to_owned()),
                    greeting: greeting(assistant.first_message()),
                };
                Ok((Target::Id(id.clone()), endpoint))
            }
        }
    }
}

/// What a caller hears first from an assistant: its `firstMessage` as the body has it
/// (`${env.*}` references and `$${` escapes shown as written).
fn greeting(first_message: Option<&str>) -> Option<String> {
    first_message.map(placeholder::unescape)
}

pub(crate) fn plan(
    desired: &Desired,
    index: &Index<'_>,
    names: &Names<'_>,
    problems: &mut Vec<Problem>,
) -> Planned {
    let mut planned = Planned {
        changes: Vec::new(),
        left_alone: Vec::new(),
    };
    // Each business's route, checked once whether or not its numbers need it.
    let mut routes: HashMap<&str, (Target, Endpoint)> = HashMap::new();
    for business in desired.businesses.values() {
        match names.route(&business.route) {
            Ok(route) => {
                routes.insert(business.key.as_str(), route);
            }
            Err((message, also)) => {
                let mut problem =
                    Problem::at(format!("businesses.{}.assistant", business.key), message)
                        .business(&business.key);
                if let Some(also) = also {
                    problem = problem.also(also);
                }
                problems.push(problem);
            }
        }
    }
    let unassigned = match &desired.unassigned {
        Unassigned::Assistant(shared) => match names.route(&Route::Managed(shared.clone())) {
            Ok(route) => Some(route),
            Err((message, _)) => {
                problems.push(Problem::at("unassigned", message));
                None
            }
        },
        Unassigned::Leave | Unassigned::Unlink => None,
    };
    let owners: HashMap<&str, &Business> = desired
        .businesses
        .values()
        .flat_map(|b| b.numbers.iter().map(move |n| (n.as_str(), b)))
        .collect();

    for (&key, numbers) in &index.numbers {
        if desired.ignore.contains(key) {
            continue;
        }
        let address = Address::Number(key.to_owned());
        let [number] = numbers.as_slice() else {
            let ids: Vec<&str> = numbers.iter().map(|n| n.id.as_str()).collect();
            problems.push(Problem::account(
                address,
                format!(
                    "{} phone numbers in the account have this number ({}); delete all but one in Vapi, or list it under `ignore`",
                    numbers.len(),
                    ids.join(", ")
                ),
            ));
            continue;
        };
        let goal = match owners.get(key) {
            Some(business) => match routes.get(business.key.as_str()) {
                Some((target, to)) => Goal::Route {
                    target: target.clone(),
                    to: Box::new(to.clone()),
                    reason: format!("listed under {}", business.key),
                },
                None => continue,
            },
            None => match (&desired.unassigned, &unassigned) {
                (Unassigned::Leave, _) => Goal::Leave,
                (Unassigned::Unlink, _) => Goal::Unlink,
                (Unassigned::Assistant(shared), Some((target, to))) => Goal::Route {
                    target: target.clone(),
                    to: Box::new(to.clone()),
                    reason: format!("no business lists it; unassigned numbers go to {shared}"),
                },
                (Unassigned::Assistant(_), None) => continue,
            },
        };
        let from = names.current(number);
        match goal {
            Goal::Leave => planned.left_alone.push(NumberRef {
                number: key.to_owned(),
                routed_to: from,
            }),
            Goal::Unlink => planned.changes.extend(unlink(address, number, from)),
            Goal::Route { target, to, reason } => planned
                .changes
                .extend(route(address, number, from, target, *to, reason)),
        }
    }

    for business in desired.businesses.values() {
        for (position, number) in business.numbers.iter().enumerate() {
            if index.numbers.contains_key(number.as_str()) {
                continue;
            }
            let address = Address::Number(number.to_string());
            let Some(import) = &desired.import else {
                problems.push(
                    Problem::at(
                        format!("businesses.{}.numbers[{position}]", business.key),
                        format!(
                            "{number} is listed under {} but is not in the account; add `import:` settings to the file to import it",
                            business.key
                        ),
                    )
                    .business(&business.key)
                    .address(address),
                );
                continue;
            };
            // A business whose route is broken was reported above.
            let Some((target, to)) = routes.get(business.key.as_str()) else {
                continue;
            };
            planned.changes.push(import_change(
                address,
                number,
                &import.body,
                business,
                target.clone(),
                to.clone(),
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
    } else if number.is_routed() {
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
    if !number.is_routed() {
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
    let precondition = precondition::unchanged(
        &number.id,
        &number.updated_at,
        &number.fields(),
        body.keys()
            .map(String::as_str)
            .chain(precondition::ROUTING_FIELDS),
        Some(&body),
    );
    Change::new(
        address,
        action,
        reason,
        fields,
        Some(routing),
        precondition,
        Write::UpdateNumber {
            id: number.id.clone(),
            body,
            route,
        },
    )
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
    Change::new(
        address,
        Action::Import,
        format!("listed under {} but not in the account", business.key),
        fields,
        Some(Routing {
            from: Endpoint::Nothing,
            to,
        }),
        Precondition::Absent {
            label: None,
            number: Some(number.to_owned()),
        },
        Write::CreateNumber {
            body,
            route: Some(target),
        },
    )
}
