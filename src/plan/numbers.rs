//! Planning phone numbers: route every listed number to its business's assistant or squad
//! with its phone settings, apply the unassigned policy to the rest, import listed numbers
//! Vapi does not have.
//!
//! A number's change is one PATCH: its route (setting `assistantId` or `squadId` and clearing
//! the other; a retired workflow's id is never written), its phone settings (owned like an
//! assistant's body, see [`managed`]) and vapiform's say hook (see [`say`] and
//! [`route::owns_say_hook`]): a number the plan routes or unlinks loses it, one under
//! `unassigned: {say}` gets it first in the list, and every other hook is kept. Where the
//! number's calls go before and after is worked out by [`route`], the "after" from the number
//! as the write leaves it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::Secrets;
use super::change::{Change, NumberEdit, Operation, Target};
use super::live::Number as PhoneNumber;
use super::live::{Index, Live};
use super::model::{Address, Endpoint, FieldChange, NumberRef, Routing};
use super::problem::Problem;
use super::route;
use super::{managed, precondition};
use crate::desired::{Business, Desired, Route, Unassigned, placeholder, say};
use crate::id::Key;
use crate::id::{AssistantId, Label, NumberKey};

/// Number changes and the numbers left alone.
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub left_alone: Vec<NumberRef>,
    /// Numbers the plan manages that keep `call.ringing` hooks someone else set, with where
    /// their calls go once the plan is applied.
    pub kept_hooks: Vec<NumberRef>,
}

/// Where a number's calls should go.
#[derive(Debug, Clone)]
enum Destination {
    /// An assistant: one that exists, or one this plan creates.
    Assistant(Target),
    /// A squad, by id.
    Squad(String),
    /// Nowhere: no assistant or squad.
    Nothing,
}

/// The routing fields vapiform writes, each with the id a destination gives it. A retired
/// workflow's `workflowId` is never written: Vapi documents no way to set or clear it.
pub(super) const ROUTES: [&str; 2] = ["assistantId", "squadId"];

impl Destination {
    /// The routing field this destination sets, if any.
    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Assistant(_) => Some("assistantId"),
            Self::Squad(_) => Some("squadId"),
            Self::Nothing => None,
        }
    }
}

/// What a number should look like once the plan is applied.
struct Goal<'a> {
    destination: Destination,
    /// The route as declared, read as a reviewer reads it when the number changes; for
    /// [`Destination::Nothing`] the change works it out from the number as written (a
    /// webhook, a fallback, a say hook, or nothing).
    to: Option<&'a Route>,
    /// The declared phone settings, expanded (`${env.NAME}` unresolved).
    settings: &'a Map<String, Value>,
    /// The text the number says, under `unassigned: {say}`.
    say: Option<&'a str>,
    reason: String,
    /// The business that lists the number; `None` for the unassigned policy.
    business: Option<&'a Key>,
}

/// Names that make endpoints readable: which business an assistant, squad or workflow belongs
/// to, and what the account calls it.
pub(crate) struct Names<'a> {
    desired: &'a Desired,
    index: &'a Index<'a>,
    live: &'a Live,
    ids: &'a BTreeMap<Key, Option<AssistantId>>,
    business_of_key: HashMap<&'a str, &'a str>,
    /// Business names by the id they route to: an existing assistant, a squad or a workflow.
    business_of_id: HashMap<&'a str, &'a str>,
    /// Assistant id to the key that adopts it.
    adopted_by: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    pub(crate) fn new(
        desired: &'a Desired,
        index: &'a Index<'a>,
        live: &'a Live,
        ids: &'a BTreeMap<Key, Option<AssistantId>>,
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
                Route::Existing(id) | Route::Squad(id) => {
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
            live,
            ids,
            business_of_key,
            business_of_id,
            adopted_by,
        }
    }

    fn business_of(&self, id: &str) -> Option<String> {
        self.business_of_id.get(id).map(|name| (*name).to_owned())
    }

    /// Where a live number's calls go now.
    pub(crate) fn current(&self, number: &PhoneNumber) -> Endpoint {
        self.calls(&number.fields())
    }

    /// Where calls go for a number with these fields (see [`route`]), every id named.
    pub(crate) fn calls(&self, fields: &Map<String, Value>) -> Endpoint {
        route::endpoint(
            fields,
            |id| self.assistant(id),
            |id| Endpoint::Squad {
                id: id.into(),
                name: self.live.squads.get(id).cloned().flatten(),
                business: self.business_of(id),
            },
        )
    }

    /// An assistant of the account, with the business and key it belongs to.
    fn assistant(&self, id: &str) -> Endpoint {
        let assistant = self.index.by_id.get(id);
        let key = assistant.and_then(|a| a.label.as_deref());
        let business = key
            .and_then(|key| self.business_of_key.get(key))
            .map(|name| (*name).to_owned())
            .or_else(|| self.business_of(id));
        Endpoint::Assistant {
            id: Some(id.into()),
            address: key
                .filter(|key| self.desired.assistants.contains_key(*key))
                .map(|key| Address::Assistant(Label::of(key))),
            name: assistant.and_then(|a| a.name()).map(str::to_owned),
            business,
            greeting: greeting(assistant.and_then(|a| a.first_message())),
        }
    }

    /// Where a desired route sends calls, or what is wrong with it (and the other place in
    /// the file involved, if any). How a reviewer reads it is [`Names::endpoint`], worked out
    /// only for a number that changes.
    fn route(&self, route: &Route) -> Result<Destination, (String, Option<String>)> {
        match route {
            Route::Managed(key) => Ok(Destination::Assistant(
                match self.ids.get(key.as_str()).cloned().flatten() {
                    Some(id) => Target::Id(id),
                    None => Target::Address(Address::Assistant(key.clone().into())),
                },
            )),
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
                Ok(Destination::Assistant(Target::Id(id.as_str().into())))
            }
            Route::Squad(id) => {
                if !self.live.squads.contains_key(id) {
                    return Err((format!("no squad with id {id} in the account"), None));
                }
                Ok(Destination::Squad(id.clone()))
            }
        }
    }

    /// A desired route as a reviewer reads it, for a route [`Names::route`] accepts.
    fn endpoint(&self, route: &Route) -> Endpoint {
        match route {
            Route::Managed(key) => {
                let declared = self.desired.assistants.get(key);
                let name = declared.and_then(|a| a.field("name"));
                let first_message = declared.and_then(|a| a.field("firstMessage"));
                Endpoint::Assistant {
                    id: self.ids.get(key.as_str()).cloned().flatten(),
                    address: Some(Address::Assistant(key.clone().into())),
                    name: name
                        .as_deref()
                        .and_then(Value::as_str)
                        .map(placeholder::unescape),
                    business: self
                        .business_of_key
                        .get(key.as_str())
                        .map(|name| (*name).to_owned()),
                    greeting: greeting(first_message.as_deref().and_then(Value::as_str)),
                }
            }
            Route::Existing(id) => {
                let assistant = self.index.by_id.get(id.as_str());
                Endpoint::Assistant {
                    id: Some(id.as_str().into()),
                    address: None,
                    name: assistant.and_then(|a| a.name()).map(str::to_owned),
                    business: self.business_of(id),
                    greeting: greeting(assistant.and_then(|a| a.first_message())),
                }
            }
            Route::Squad(id) => Endpoint::Squad {
                id: id.as_str().into(),
                name: self.live.squads.get(id).cloned().flatten(),
                business: self.business_of(id),
            },
        }
    }
}

/// What a caller hears first from an assistant: its `firstMessage` as the body has it
/// (`${env.*}` references and `$${` escapes shown as written).
fn greeting(first_message: Option<&str>) -> Option<String> {
    first_message.map(placeholder::unescape)
}

/// Where in the file a business's route is declared.
fn route_path(business: &Business) -> String {
    let field = match business.route {
        Route::Managed(_) | Route::Existing(_) => "assistant",
        Route::Squad(_) => "squad",
    };
    format!("businesses.{}.{field}", business.key)
}

/// The change of each number of the account (a business's, or the unassigned policy's), the
/// imports of the numbers listed that it lacks, and the numbers left as they are; every
/// problem found on the way is pushed.
pub(crate) fn plan(
    desired: &Desired,
    index: &Index<'_>,
    names: &Names<'_>,
    secrets: &Secrets,
    problems: &mut Vec<Problem>,
) -> Planned {
    let mut planned = Planned {
        changes: Vec::new(),
        left_alone: Vec::new(),
        kept_hooks: Vec::new(),
    };
    let routes = Routes::new(desired, names, problems);
    let owners = desired.owners();
    let mut settings = Settings {
        secrets,
        reported: BTreeSet::new(),
    };
    for (&key, numbers) in &index.numbers {
        if desired.ignore.contains(key) {
            continue;
        }
        let address = Address::Number(numbers[0].key.clone());
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
            Some(business) => routes.listed(business, key),
            None => match routes.unassigned(desired, number, problems) {
                Ok(goal) => goal,
                Err(Unclaimed::LeftAlone) => {
                    planned.left_alone.push(NumberRef {
                        number: number.key.clone(),
                        routed_to: names.current(number),
                    });
                    continue;
                }
                Err(Unclaimed::Refused) => continue,
            },
        };
        // A business whose route is broken was reported already.
        let Some(goal) = goal else {
            continue;
        };
        let keeps_hooks = !goal.settings.contains_key("hooks")
            && theirs(number, &goal).any(|hook| hook["on"] == "call.ringing");
        let change = settings.change(address, number, names, goal, problems);
        if keeps_hooks {
            planned.kept_hooks.push(NumberRef {
                number: number.key.clone(),
                routed_to: change
                    .as_ref()
                    .and_then(|c| c.routing.as_ref())
                    .map_or_else(|| names.current(number), |r| r.to.clone()),
            });
        }
        if let Some(change) = change {
            planned.changes.push(change);
        }
    }
    imports(
        desired,
        index,
        names,
        &routes,
        &mut planned.changes,
        problems,
    );
    planned
}

/// Where each business's numbers go, and the unassigned policy's shared assistant, each
/// checked once whether or not a number needs it.
struct Routes<'d> {
    /// By business key, with the route as declared; a broken route is a problem instead.
    businesses: HashMap<&'d str, (Destination, &'d Route)>,
    /// `unassigned: {assistant}`'s, when it is declared and not broken.
    shared: Option<(Destination, Route)>,
    /// Phone settings for a business that declares none.
    none: Map<String, Value>,
}

/// Why a number no business lists gets no goal.
enum Unclaimed {
    /// `unassigned: leave`.
    LeftAlone,
    /// The policy cannot be carried out for it (a problem says why), or its route is broken.
    Refused,
}

impl<'d> Routes<'d> {
    fn new(desired: &'d Desired, names: &Names<'_>, problems: &mut Vec<Problem>) -> Self {
        let mut businesses = HashMap::new();
        for business in desired.businesses.values() {
            match names.route(&business.route) {
                Ok(destination) => {
                    businesses.insert(business.key.as_str(), (destination, &business.route));
                }
                Err((message, also)) => {
                    let mut problem =
                        Problem::at(route_path(business), message).business(&business.key);
                    if let Some(also) = also {
                        problem = problem.also(also);
                    }
                    problems.push(problem);
                }
            }
        }
        let shared = match &desired.unassigned {
            Unassigned::Assistant(shared) => {
                let route = Route::Managed(shared.clone());
                match names.route(&route) {
                    Ok(destination) => Some((destination, route)),
                    Err((message, _)) => {
                        problems.push(Problem::at("unassigned", message));
                        None
                    }
                }
            }
            Unassigned::Leave | Unassigned::Unlink | Unassigned::Say(_) => None,
        };
        Self {
            businesses,
            shared,
            none: Map::new(),
        }
    }

    /// The goal of `key`, which `business` lists; `None` when its route is broken.
    fn listed<'g>(&'g self, business: &'g Business, key: &str) -> Option<Goal<'g>> {
        let (destination, to) = self.businesses.get(business.key.as_str())?;
        Some(Goal {
            destination: destination.clone(),
            to: Some(*to),
            settings: business.settings.get(key).unwrap_or(&self.none),
            say: None,
            reason: format!("listed under {}", business.key),
            business: Some(&business.key),
        })
    }

    /// The goal of `number`, which no business lists, as `unassigned` says.
    fn unassigned<'g>(
        &'g self,
        desired: &'g Desired,
        number: &PhoneNumber,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<Goal<'g>>, Unclaimed> {
        let (destination, to, say, reason) = match (&desired.unassigned, &self.shared) {
            (Unassigned::Leave, _) => return Err(Unclaimed::LeftAlone),
            (Unassigned::Unlink, _) if number.workflow_id.is_some() => {
                problems.push(Problem::account(
                    Address::Number(number.key.clone()),
                    format!(
                        "no business lists it, and `unassigned: unlink` would unlink it, but it holds the retired workflow {}, which Vapi's API documents no way to clear: route it to a business, say a text to its callers (`unassigned: {{say: TEXT}}`), or list it under `ignore`",
                        number.workflow_id.as_deref().unwrap_or_default()
                    ),
                ));
                return Err(Unclaimed::Refused);
            }
            (Unassigned::Unlink, _) => (
                Destination::Nothing,
                None,
                None,
                "no business lists it; unassigned numbers are unlinked".to_owned(),
            ),
            (Unassigned::Say(text), _) => (
                Destination::Nothing,
                None,
                Some(text.as_str()),
                "no business lists it; unassigned numbers say a text and ring no assistant"
                    .to_owned(),
            ),
            (Unassigned::Assistant(shared), Some((destination, to))) => (
                destination.clone(),
                Some(to),
                None,
                format!("no business lists it; unassigned numbers go to {shared}"),
            ),
            (Unassigned::Assistant(_), None) => return Err(Unclaimed::Refused),
        };
        Ok(Some(Goal {
            destination,
            to,
            settings: &desired.unassigned_phone,
            say,
            reason,
            business: None,
        }))
    }
}

/// The imports of the numbers businesses list that the account lacks, or why each cannot be
/// imported.
fn imports(
    desired: &Desired,
    index: &Index<'_>,
    names: &Names<'_>,
    routes: &Routes<'_>,
    changes: &mut Vec<Change>,
    problems: &mut Vec<Problem>,
) {
    for business in desired.businesses.values() {
        for (position, number) in business.numbers.iter().enumerate() {
            if index.numbers.contains_key(number.as_str()) {
                continue;
            }
            let address = Address::Number(number.clone().into());
            let at = format!("businesses.{}.numbers[{position}]", business.key);
            let refusal = if number.is_e164() {
                desired.import.is_none().then(|| format!(
                    "{number} is listed under {} but is not in the account; add `import:` settings to the file to import it",
                    business.key
                ))
            } else {
                Some(format!(
                    "{number} is listed under {} but is not in the account; only an E.164 number can be imported, so create it in Vapi first",
                    business.key
                ))
            };
            if let Some(refusal) = refusal {
                problems.push(
                    Problem::at(at, refusal)
                        .business(&business.key)
                        .address(address),
                );
                continue;
            }
            // A business whose route is broken was reported already.
            let (Some(import), Some((destination, to))) = (
                &desired.import,
                routes.businesses.get(business.key.as_str()),
            ) else {
                continue;
            };
            if let Some(refusal) = carrier_refusal(desired, index, number) {
                problems.push(
                    Problem::at(at, refusal)
                        .business(&business.key)
                        .address(address),
                );
                continue;
            }
            changes.push(import_change(
                number,
                &import.body,
                business,
                destination.clone(),
                names.endpoint(to),
            ));
        }
    }
}

/// Why a listed number Vapi lacks cannot be imported, when the file declares a carrier: the
/// carrier must own it, and it must be active there.
fn carrier_refusal(desired: &Desired, index: &Index<'_>, number: &str) -> Option<String> {
    let carrier = index.carrier.as_ref()?;
    let tag = desired.carrier.as_ref().and_then(|c| c.tag.as_deref());
    match carrier.get(number) {
        Some(owned) if !owned.tagged => Some(format!(
            "{number} is not in Vapi, and the carrier owns it without the tag `{}`: tag it to take it into the pool",
            tag.unwrap_or_default()
        )),
        Some(owned) if owned.active => None,
        Some(owned) => Some(format!(
            "{number} is not in Vapi, and the carrier has it as {}, not active: it can be imported once the carrier activates it",
            owned.status
        )),
        None => Some(match tag {
            Some(tag) => format!(
                "{number} is not in Vapi, and the carrier does not own it with the tag `{tag}`: buy it, tag it, or fix the number"
            ),
            None => format!(
                "{number} is not in Vapi, and the carrier does not own it: buy it, or fix the number"
            ),
        }),
    }
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

/// Works out number changes, resolving `${env.NAME}` in phone settings to compare them.
struct Settings<'s> {
    secrets: &'s Secrets,
    /// Problems already reported: a variable `phone` uses is missing once, not once a number.
    reported: BTreeSet<(String, String)>,
}

impl Settings<'_> {
    /// The change that gives `number` its goal, or `None` when it already has it.
    fn change(
        &mut self,
        address: Address,
        number: &PhoneNumber,
        names: &Names<'_>,
        goal: Goal<'_>,
        problems: &mut Vec<Problem>,
    ) -> Option<Change> {
        let mut body = base_body(number);
        let mut fields = Vec::new();
        let route = routing(number, &goal.destination, &mut body, &mut fields);
        let rerouted = !fields.is_empty();
        let owned = owned_settings(number, &goal);
        let resolved = match placeholder::resolve_env(&Value::Object(owned.clone()), &|name| {
            self.secrets.get(name).cloned()
        }) {
            Ok(Value::Object(resolved)) => resolved,
            Ok(_) => return None,
            Err(missing) => {
                let path = goal.business.map_or_else(
                    || "unassigned".to_owned(),
                    |key| format!("businesses.{key}"),
                );
                if self.reported.insert((path.clone(), missing.name.clone())) {
                    let message = format!("{missing}; the phone settings here use it");
                    let mut problem = Problem::at(path, message).address(address);
                    if let Some(key) = goal.business {
                        problem = problem.business(key);
                    }
                    problems.push(problem);
                }
                return None;
            }
        };
        // Read out of the number only when something is compared or written.
        let live = (!owned.is_empty()).then(|| number.fields());
        if let Some(live) = &live
            && let Some(update) = managed::update(&owned, &resolved, live)
        {
            let mut refused = false;
            for field in update.cleared() {
                refused = true;
                let at = goal.business.map_or_else(
                    || "unassigned.phone".to_owned(),
                    |key| format!("businesses.{key}.phone"),
                );
                let mut problem = Problem::at(format!("{at}.{field}"), managed::uncleared(field))
                    .address(address.clone());
                if let Some(key) = goal.business {
                    problem = problem.business(key);
                }
                problems.push(problem);
            }
            if refused {
                return None;
            }
            body.extend(update.sent);
            fields.extend(update.fields);
        }
        if fields.is_empty() {
            return None;
        }
        let live = live.unwrap_or_else(|| number.fields());
        let from = names.calls(&live);
        // Where calls go once the body is written: the number as it will read back.
        let mut after = live.clone();
        after.extend(body.clone());
        let to = match goal.destination {
            Destination::Nothing => names.calls(&after),
            _ => route::calls(
                after.get("hooks"),
                goal.to.map_or(Endpoint::Nothing, |to| names.endpoint(to)),
            ),
        };
        let moved = goal
            .destination
            .field()
            .is_some_and(|own| fields.iter().any(|f| f.path == own));
        let edit = match &goal.destination {
            Destination::Nothing if rerouted => NumberEdit::Unlink,
            _ if moved && from.answers() => NumberEdit::Reassign,
            _ if moved => NumberEdit::Assign,
            _ => NumberEdit::Update,
        };
        let routing = (!from.same_route(&to)).then_some(Routing { from, to });
        // The fingerprint masks what the written values mark as secret: the body as sent,
        // and the declared settings for what is not sent.
        let mut marked = owned;
        marked.extend(body.clone());
        let expect = precondition::unchanged(
            &number.id,
            &number.updated_at,
            &live,
            marked
                .keys()
                .map(String::as_str)
                .chain(precondition::ROUTING_FIELDS),
            Some(&marked),
        );
        let op = Operation::UpdateNumber {
            number: number.key.clone(),
            edit,
            expect,
            body,
            route,
        };
        Some(Change::new(op, goal.reason, fields, routing))
    }
}

/// Routes the number to `destination` in `body`: its own field set (an assistant's through
/// the write's route, which the returned target is), the other two cleared when set, each
/// shown in `fields`.
fn routing(
    number: &PhoneNumber,
    destination: &Destination,
    body: &mut Map<String, Value>,
    fields: &mut Vec<FieldChange>,
) -> Option<Target> {
    let live = [number.assistant_id.as_deref(), number.squad_id.as_deref()];
    let (wanted, shown) = match destination {
        Destination::Assistant(Target::Id(id)) => (Some(id.as_str()), Value::from(id.as_str())),
        Destination::Squad(id) => (Some(id.as_str()), Value::from(id.as_str())),
        Destination::Assistant(target) => (None, shown(target)),
        Destination::Nothing => (None, Value::Null),
    };
    for (field, live) in ROUTES.into_iter().zip(live) {
        if destination.field() == Some(field) {
            if live.is_some() && live == wanted {
                continue;
            }
            if field != "assistantId" {
                body.insert(field.to_owned(), shown.clone());
            }
            fields.push(FieldChange {
                path: field.to_owned(),
                before: live.map(Value::from),
                after: Some(shown.clone()),
                origin: None,
            });
        } else if let Some(value) = live {
            body.insert(field.to_owned(), Value::Null);
            fields.push(FieldChange {
                path: field.to_owned(),
                before: Some(Value::from(value)),
                after: Some(Value::Null),
                origin: None,
            });
        }
    }
    match destination {
        Destination::Assistant(target) => Some(target.clone()),
        _ => None,
    }
}

/// An assistant route as its `assistantId` field change shows it: the id, or the address of
/// the assistant this plan creates.
pub(super) fn shown(target: &Target) -> Value {
    match target {
        Target::Id(id) => Value::from(id.as_str()),
        Target::Address(address) => Value::String(format!("({address}, created by this plan)")),
    }
}

/// The settings a number must hold: the declared ones, and its hooks as the say hook decides.
/// A number under `unassigned: {say}` carries the say hook first, then its other hooks (the
/// declared ones, else the live ones) but those of the say hook's shape, which would never
/// play behind it; a number the plan unlinks or routes loses vapiform's say hook (see
/// [`route::owns_say_hook`]; an unlinked number's say hooks all count as vapiform's, since
/// nothing would tell them apart once it is unrouted). Every other hook is kept, and so is a
/// say hook on a number that is routed and stays so.
fn owned_settings(number: &PhoneNumber, goal: &Goal<'_>) -> Map<String, Value> {
    let mut settings = goal.settings.clone();
    let live = number.hooks().and_then(Value::as_array);
    let ours = ours(number, goal);
    match goal.say {
        Some(text) => {
            let mut hooks = vec![say::hook(text)];
            match settings.get("hooks").and_then(Value::as_array) {
                Some(declared) => hooks.extend(declared.iter().filter(|h| !ours(h)).cloned()),
                None => hooks.extend(theirs(number, goal).cloned()),
            }
            settings.insert("hooks".to_owned(), Value::Array(hooks));
        }
        None if !settings.contains_key("hooks") && live.into_iter().flatten().any(&ours) => {
            settings.insert(
                "hooks".to_owned(),
                Value::Array(theirs(number, goal).cloned().collect()),
            );
        }
        None => {}
    }
    settings
}

/// Which hooks are vapiform's say hook on `number` under `goal`: one of its shape is vapiform's
/// on a number that is unrouted now or will be (the plan must converge, and on an unrouted
/// number nothing tells them apart).
fn ours(number: &PhoneNumber, goal: &Goal<'_>) -> impl Fn(&Value) -> bool + use<> {
    let stays_routed = number.is_routed() && !matches!(goal.destination, Destination::Nothing);
    move |hook| route::owns_say_hook(hook, stays_routed)
}

/// The hooks on `number` that someone else set, which the plan keeps.
fn theirs<'n>(
    number: &'n PhoneNumber,
    goal: &Goal<'_>,
) -> impl Iterator<Item = &'n Value> + use<'n> {
    let ours = ours(number, goal);
    number
        .hooks()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |hook| !ours(hook))
}

fn import_change(
    number: &NumberKey,
    import: &Map<String, Value>,
    business: &Business,
    destination: Destination,
    to: Endpoint,
) -> Change {
    let mut body = import.clone();
    // The number before the settings, as the request reads (`Operation::import` keeps its place).
    body.insert("number".to_owned(), Value::from(number.as_str()));
    if let Some(settings) = business.settings.get(number) {
        body.extend(managed::created(settings));
    }
    let route = match destination {
        Destination::Assistant(target) => Some(target),
        Destination::Squad(id) => {
            body.insert("squadId".to_owned(), Value::String(id));
            None
        }
        Destination::Nothing => None,
    };
    let fields = managed::created_fields(&body);
    let routing = Routing {
        from: Endpoint::Nothing,
        to: route::calls(body.get("hooks"), to),
    };
    Change::new(
        Operation::import(number, body, route),
        format!("listed under {} but not in the account", business.key),
        fields,
        Some(routing),
    )
}
