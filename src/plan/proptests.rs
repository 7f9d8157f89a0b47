//! Properties of the planner over random desired states and accounts (numbers routed to
//! assistants, squads and retired workflows, answered by webhooks, fallbacks and transfer hooks,
//! carrying say hooks and other hooks; squads with members): every write of a plan, applied in
//! order to a model of the account, keeps the safety rules (every body passes Vapi's DTO,
//! ignored numbers are never written, only labelled or adopted assistants are edited, only
//! labelled ones deleted and only when nothing routes to them and no squad names them, a number
//! is written once and unrouted only by an unlink, so never in between phases, no routed number
//! gains a say hook, settings the file does not declare are never changed, someone else's hooks
//! stay, and each number change's action says how its route changed); the account then holds
//! the file (each managed assistant's declared fields, each listed number routed as its
//! business says and named as its entry says, each other number as `unassigned` says, nothing
//! left that should have been deleted); every number's callers reach what the plan said they
//! would, and the mass-change rule counted exactly the numbers whose callers moved; planning
//! again afterwards gives no changes, and so does planning the account's export; and planning
//! is deterministic.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

use super::live::{Index, label_of, number_key};
use super::numbers::Names;
use super::{Action, Address, Endpoint, Live, Operation, Options, Plan, Secrets, Target, plan};
use crate::desired::{
    Business, Desired, Import, ManagedAssistant, Route, Source, Sources, Unassigned,
};
use crate::id::{Key, NumberKey};
use crate::vapi::schema::{self, Dto, PhoneProvider};
use crate::vapi::{Assistant, PhoneNumber};

const NUMBERS: usize = 8;

/// The account as the API would return it, in wire types the model can change.
#[derive(Debug, Clone, Default)]
struct Model {
    numbers: Vec<PhoneNumber>,
    assistants: Vec<Assistant>,
    /// The assistants the account's squad names as members.
    members: Vec<String>,
}

impl Model {
    /// The account as the planner reads it.
    fn live(&self) -> Live {
        let mut live = Live::read(self.numbers.clone(), self.assistants.clone());
        live.squads = BTreeMap::from([("squad".to_owned(), Some("Squad".to_owned()))]);
        live.members = self
            .members
            .iter()
            .map(|id| (id.clone(), "squad \"Squad\" (squad)".to_owned()))
            .collect();
        live
    }
}

/// Where a number routes: its assistant, squad and workflow.
fn routes(number: &PhoneNumber) -> [Option<String>; 3] {
    [
        number.assistant_id.clone(),
        number.squad_id.clone(),
        number.workflow_id.clone(),
    ]
}

/// Whether an assistant or squad takes the number's calls (a retired workflow runs no more).
fn is_routed(number: &PhoneNumber) -> bool {
    number.assistant_id.is_some() || number.squad_id.is_some()
}

/// Whether a number's callers reach anything but nobody or a message: an assistant or squad,
/// the webhook of its server URL or its fallback destination (with nothing routed), or a
/// transfer hook.
fn answered(number: &PhoneNumber) -> bool {
    let transfers = number
        .other
        .get("hooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|hook| hook["on"] == "call.ringing" && hook["do"][0]["type"] == "transfer");
    // A retired workflow still stops the webhook and the fallback (Vapi asks the webhook only
    // when no assistant, squad or workflow is set), though it answers nothing itself.
    let unset = number.workflow_id.is_none();
    is_routed(number)
        || unset
            && (number.other.get("server").is_some()
                || number.other.get("fallbackDestination").is_some())
        || transfers
}

/// The say hooks a number carries (vapiform's on an unrouted number, someone else's on a
/// routed one).
fn said(number: &PhoneNumber) -> Vec<Value> {
    number
        .other
        .get("hooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|hook| crate::desired::say::text_of(hook).is_some())
        .cloned()
        .collect()
}

/// Whether a number says a text when it rings, as `unassigned: {say}` makes it.
fn says(number: &PhoneNumber) -> bool {
    !said(number).is_empty()
}

/// The say hooks someone else put on a routed number, which a plan that leaves it routed
/// keeps; none for an unrouted one, whose say hook is vapiform's.
fn theirs(number: &PhoneNumber) -> Vec<Value> {
    if is_routed(number) {
        said(number)
    } else {
        Vec::new()
    }
}

/// A hook of someone else's, which every plan must keep.
fn other_hook() -> Value {
    json!({"on": "call.ending", "do": {"type": "say", "exact": "Goodbye"}})
}

fn number(i: usize) -> String {
    format!("+1415555{i:04}")
}

fn body(name: &str, greeting: usize, model: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "name": name,
        "firstMessage": format!("Hello {greeting}"),
        "model": {"provider": "openai", "model": model, "messages": [{"role": "system", "content": format!("You are {name}.\nGreeting {greeting}.\n")}]},
    }) else {
        unreachable!()
    };
    map
}

/// How a business routes, before keys and ids are known.
#[derive(Debug, Clone)]
enum Form {
    Own { greeting: usize, adopt: bool },
    Existing(usize),
    Shared,
    Squad,
}

/// An account: unlabelled assistants, labelled ones, and numbers with their routing.
#[derive(Debug, Clone)]
struct Scenario {
    unlabelled: Vec<usize>,
    labelled: Vec<(usize, usize)>,
    /// Each number's route (an assistant, 6 a retired workflow, 7 a squad) and what else
    /// answers it (bit 0 a say hook, bit 1 a `call.ending` hook, bit 2 a `call.ringing`
    /// transfer hook, bit 3 a server URL, whose webhook answers when nothing is routed, bit 4
    /// a fallback destination), all of it someone else's but the say hook.
    numbers: Vec<(Option<u8>, u8)>,
    /// Each business's route, numbers, and whether it names its numbers.
    businesses: Vec<(Form, Vec<usize>, bool)>,
    unassigned: u8,
    prune: bool,
    ignore_first: bool,
    /// Whether the squad names the first labelled assistant as a member.
    pin: bool,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let form = prop_oneof![
        (0..3usize, any::<bool>()).prop_map(|(greeting, adopt)| Form::Own { greeting, adopt }),
        (0..3usize).prop_map(Form::Existing),
        Just(Form::Shared),
        Just(Form::Squad),
    ];
    (
        prop::collection::vec(0..3usize, 1..4),
        prop::collection::vec((0..6usize, 0..3usize), 0..4),
        prop::collection::vec((prop::option::of(0..8u8), 0..32u8), NUMBERS),
        prop::collection::vec(
            (form, prop::collection::vec(0..NUMBERS, 0..3), any::<bool>()),
            0..5,
        ),
        0..4u8,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(unlabelled, labelled, numbers, businesses, unassigned, prune, ignore_first, pin)| {
                Scenario {
                    unlabelled,
                    labelled,
                    numbers,
                    businesses,
                    unassigned,
                    prune,
                    ignore_first,
                    pin,
                }
            },
        )
}

fn assistant(id: &str, fields: &Map<String, Value>) -> Assistant {
    const AT: &str = "2026-01-01T00:00:00.000Z";
    Assistant::new(id, AT, AT, fields)
}

/// Builds a consistent desired state and account from a scenario.
#[expect(
    clippy::too_many_lines,
    reason = "one scenario built into a desired state and an account, step by step"
)]
fn build(s: &Scenario) -> (Desired, Model) {
    let mut live = Model::default();
    for (i, greeting) in s.unlabelled.iter().enumerate() {
        live.assistants.push(assistant(
            &format!("u{i}"),
            &body(&format!("Legacy {i}"), *greeting, "gpt-4o"),
        ));
    }
    // Two entries with one key are two copies of a labelled assistant, as two applies at once
    // leave them: the planner keeps one and repairs the rest.
    for (copy, (key, greeting)) in s.labelled.iter().enumerate() {
        let mut fields = body(&format!("B{key}"), *greeting, "gpt-4o-mini");
        fields.insert(
            "metadata".into(),
            json!({"vapiform": {"key": format!("b{key}")}, "other": 1}),
        );
        live.assistants
            .push(assistant(&format!("l{key}-{copy}"), &fields));
        if s.pin && copy == 0 {
            live.members.push(format!("l{key}-{copy}"));
        }
    }
    let mut taken = BTreeSet::new();
    let mut businesses = BTreeMap::new();
    let mut assistants = BTreeMap::new();
    assistants.insert(
        "shared".into(),
        ManagedAssistant::new("shared".into(), body("Shared", 0, "gpt-4o-mini"), None),
    );
    for (i, (form, numbers, named)) in s.businesses.iter().enumerate() {
        let key = Key::from(format!("b{i}").as_str());
        let numbers: Vec<NumberKey> = numbers
            .iter()
            .filter(|n| taken.insert(**n))
            .map(|n| NumberKey::from(number(*n).as_str()))
            .collect();
        let route = match form {
            Form::Own { greeting, adopt } => {
                let adopt = adopt
                    .then(|| format!("u{}", i % s.unlabelled.len()))
                    .filter(|id| {
                        // Adopt each unlabelled assistant at most once.
                        !assistants
                            .values()
                            .any(|a: &ManagedAssistant| a.adopt.as_deref() == Some(id.as_str()))
                    });
                assistants.insert(
                    key.clone(),
                    ManagedAssistant::new(
                        key.clone(),
                        body(&format!("B{i}"), *greeting, "gpt-4o-mini"),
                        adopt,
                    ),
                );
                Route::Managed(key.clone())
            }
            Form::Existing(n) => Route::Existing(format!("u{}", n % s.unlabelled.len())),
            Form::Shared => Route::Managed("shared".into()),
            Form::Squad => Route::Squad("squad".into()),
        };
        let settings = numbers
            .iter()
            .filter(|_| *named)
            .map(|number| {
                let Value::Object(settings) = json!({"name": format!("B{i} {number}")}) else {
                    unreachable!()
                };
                (number.clone(), settings)
            })
            .collect();
        businesses.insert(
            key.clone(),
            Business {
                key,
                name: format!("Business {i}"),
                numbers,
                route,
                settings,
                test_call: None,
            },
        );
    }
    // An assistant belongs to one key: one that a business routes to by id is not adopted.
    let routed_by_id: BTreeSet<&str> = businesses
        .values()
        .filter_map(|b: &Business| match &b.route {
            Route::Existing(id) => Some(id.as_str()),
            Route::Managed(_) | Route::Squad(_) => None,
        })
        .collect();
    for managed in assistants.values_mut() {
        if managed
            .adopt
            .as_deref()
            .is_some_and(|id| routed_by_id.contains(id))
        {
            managed.adopt = None;
        }
    }
    for (i, (routing, hooks)) in s.numbers.iter().enumerate() {
        let (assistant_id, squad_id, workflow_id) = match routing {
            None => (None, None, None),
            Some(7) => (None, Some("squad".to_owned()), None),
            // A retired workflow cannot be cleared, so `unassigned: unlink` refuses one; the
            // generator gives none to an account under that policy.
            Some(6) if s.unassigned == 1 => (None, None, None),
            Some(6) => (None, None, Some("workflow".to_owned())),
            Some(n) => (
                live.assistants
                    .get(usize::from(*n) % live.assistants.len())
                    .map(|a| a.id.clone()),
                None,
                None,
            ),
        };
        let mut other = Map::new();
        if hooks & 7 > 0 {
            let mut list = Vec::new();
            if hooks & 1 == 1 {
                list.push(crate::desired::say::hook("Closed"));
            }
            if hooks & 2 == 2 {
                list.push(other_hook());
            }
            if hooks & 4 == 4 {
                list.push(json!({"on": "call.ringing", "do": [{"type": "transfer",
                    "destination": {"type": "number", "number": "+19005550000"}}]}));
            }
            other.insert("hooks".to_owned(), Value::Array(list));
        }
        if hooks & 8 == 8 {
            other.insert(
                "server".to_owned(),
                json!({"url": "https://hooks.example/pick"}),
            );
        }
        if hooks & 16 == 16 {
            other.insert(
                "fallbackDestination".to_owned(),
                json!({"type": "number", "number": "+14155559999"}),
            );
        }
        if i % 4 == 3 && taken.contains(&i) {
            continue; // listed but missing: imported
        }
        live.numbers.push(PhoneNumber {
            id: format!("n{i}"),
            provider: "telnyx".into(),
            number: Some(number(i)),
            name: None,
            assistant_id,
            squad_id,
            workflow_id,
            sip_uri: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            other,
        });
    }
    let ignore = if s.ignore_first && !taken.contains(&0) {
        BTreeSet::from([NumberKey::from(number(0).as_str())])
    } else {
        BTreeSet::new()
    };
    let unassigned = match s.unassigned {
        0 => Unassigned::Leave,
        1 => Unassigned::Unlink,
        2 => Unassigned::Say("Not in service".into()),
        _ => Unassigned::Assistant("shared".into()),
    };
    let Value::Object(import) = json!({"provider": "telnyx", "credentialId": "c"}) else {
        unreachable!()
    };
    let desired = Desired {
        unassigned,
        unassigned_phone: Map::new(),
        prune: s.prune,
        import: Some(Import { body: import }),
        assistants,
        businesses,
        ignore,
        carrier: None,
        sources: Sources::new(Source::new("vapiform.yaml", "")),
    };
    (desired, live)
}

/// What Vapi would do with the plan's writes, in order, checking the safety rules at every
/// write.
#[expect(
    clippy::too_many_lines,
    reason = "a model of Vapi carrying out each kind of write, beside the invariants each must keep"
)]
fn apply(plan: &Plan, desired: &Desired, mut live: Model) -> Result<Model, TestCaseError> {
    let ignored: HashSet<String> = live
        .numbers
        .iter()
        .filter(|n| desired.ignore.contains(number_key(n).as_str()))
        .map(|n| n.id.clone())
        .collect();
    let untouched: Vec<PhoneNumber> = live
        .numbers
        .iter()
        .filter(|n| ignored.contains(&n.id))
        .cloned()
        .collect();
    let labelled: HashSet<String> = live
        .assistants
        .iter()
        .filter(|a| label_of(&a.fields()).is_some())
        .map(|a| a.id.clone())
        .collect();
    let adopted: HashSet<&str> = desired
        .assistants
        .values()
        .filter_map(|a| a.adopt.as_deref())
        .collect();
    let mut written: HashSet<String> = HashSet::new();
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    for (n, change) in plan.changes.iter().enumerate() {
        // Nothing Vapi would refuse is planned: every body passes its DTO.
        if let Some(body) = change.op().body() {
            let dto = match change.op() {
                Operation::CreateAssistant { .. } => Dto::CreateAssistant,
                Operation::UpdateAssistant { .. } => Dto::UpdateAssistant,
                Operation::ImportNumber { .. } => Dto::CreatePhoneNumber(PhoneProvider::Telnyx),
                Operation::UpdateNumber { .. } | Operation::DeleteAssistant { .. } => {
                    Dto::UpdatePhoneNumber(PhoneProvider::Telnyx)
                }
            };
            let refused = schema::check(dto, &Value::Object(body.clone()));
            prop_assert!(
                refused.is_empty(),
                "Vapi would refuse the write of {}: {:?}",
                change.address(),
                refused
            );
        }
        let route = |target: &Option<Target>, created: &BTreeMap<String, String>| match target {
            Some(Target::Id(id)) => Some(id.to_string()),
            Some(Target::Address(address)) => Some(created[&address.to_string()].clone()),
            None => None,
        };
        match change.op() {
            Operation::CreateAssistant { body, .. } => {
                let id = format!("new{n}");
                created.insert(change.address().to_string(), id.clone());
                live.assistants.push(assistant(&id, body));
            }
            Operation::UpdateAssistant { expect, body, .. } => {
                let id = expect.id.as_str();
                prop_assert!(
                    labelled.contains(id) || adopted.contains(id),
                    "edited {id}, an assistant vapiform neither labelled nor adopts"
                );
                let target = live
                    .assistants
                    .iter_mut()
                    .find(|a| a.id == id)
                    .expect("updated assistant exists");
                let mut fields = target.fields();
                fields.extend(body.clone());
                *target = assistant(id, &fields);
            }
            Operation::DeleteAssistant { expect, .. } => {
                let id = expect.id.as_str();
                prop_assert!(
                    labelled.contains(id),
                    "deleted the unlabelled assistant {id}"
                );
                prop_assert!(
                    live.numbers
                        .iter()
                        .all(|n| n.assistant_id.as_deref() != Some(id)),
                    "deleted {id}, which a number routes to"
                );
                prop_assert!(
                    !live.members.iter().any(|member| member == id),
                    "deleted {id}, which a squad names as a member: Vapi refuses"
                );
                live.assistants.retain(|a| a.id != id);
            }
            Operation::UpdateNumber {
                expect,
                body,
                route: target,
                ..
            } => {
                let id = expect.id.as_str();
                prop_assert!(!ignored.contains(id), "wrote the ignored number {id}");
                prop_assert!(written.insert(id.to_owned()), "wrote the number {id} twice");
                let number = live
                    .numbers
                    .iter_mut()
                    .find(|n| n.id == id)
                    .expect("updated number exists");
                let was_routed = is_routed(number);
                let was_answered = answered(number);
                let routes_before = routes(number);
                let others_before = number.other.get("hooks").map(others);
                let theirs_before = theirs(number);
                let undeclared = |n: &PhoneNumber| {
                    [
                        n.other.get("server").cloned(),
                        n.other.get("fallbackDestination").cloned(),
                    ]
                };
                let undeclared_before = undeclared(number);
                write_number(number, body, route(target, &created));
                prop_assert_eq!(
                    undeclared(number),
                    undeclared_before,
                    "{} changed a setting the file does not declare",
                    change.address()
                );
                // The action names what happens to today's callers: a number whose callers
                // reached something (a webhook, a fallback, a transfer too) is reassigned.
                let expected = if routes(number) == routes_before {
                    Action::Update
                } else if !is_routed(number) {
                    Action::Unlink
                } else if was_answered {
                    Action::Reassign
                } else {
                    Action::Assign
                };
                prop_assert_eq!(
                    change.action(),
                    expected,
                    "the action of {} does not say how its route changed",
                    change.address()
                );
                prop_assert!(
                    !is_routed(number) || said(number) == theirs_before,
                    "{} left {} routed with a say hook that was not someone else's",
                    change.action().as_str(),
                    change.address()
                );
                prop_assert!(
                    others_before
                        .is_none_or(|before| Some(before) == number.other.get("hooks").map(others)),
                    "{} dropped a hook of someone else's on {}",
                    change.action().as_str(),
                    change.address()
                );
                prop_assert!(
                    !was_routed || is_routed(number) || change.action() == Action::Unlink,
                    "{} left {} unrouted",
                    change.action().as_str(),
                    change.address()
                );
            }
            Operation::ImportNumber {
                body,
                route: target,
                ..
            } => {
                let mut number = PhoneNumber {
                    id: format!("new{n}"),
                    provider: "telnyx".into(),
                    number: body["number"].as_str().map(str::to_owned),
                    name: None,
                    assistant_id: None,
                    squad_id: None,
                    workflow_id: None,
                    sip_uri: None,
                    created_at: "2026-01-02T00:00:00.000Z".into(),
                    updated_at: "2026-01-02T00:00:00.000Z".into(),
                    other: Map::new(),
                };
                write_number(&mut number, body, route(target, &created));
                live.numbers.push(number);
            }
        }
    }
    let now: Vec<&PhoneNumber> = live
        .numbers
        .iter()
        .filter(|n| ignored.contains(&n.id))
        .collect();
    prop_assert_eq!(
        now,
        untouched.iter().collect::<Vec<_>>(),
        "ignored numbers changed"
    );
    Ok(live)
}

/// The account holds the file: some assistant carrying each managed key's label has every
/// declared field; each listed number routes where its business routes, with the name its
/// entry gives it; each other number is as `unassigned` says.
#[expect(
    clippy::too_many_lines,
    reason = "every property the account must hold once applied, one after another"
)]
fn holds(desired: &Desired, before: &Model, after: &Model) -> Result<(), TestCaseError> {
    let holding = |key: &str| -> Vec<&str> {
        let Some(managed) = desired.assistants.get(key) else {
            return Vec::new();
        };
        after
            .assistants
            .iter()
            .filter(|a| label_of(&a.fields()) == Some(key))
            .filter(|a| super::compare::differences(&managed.body(), &a.fields()).is_empty())
            .map(|a| a.id.as_str())
            .collect()
    };
    for key in desired.assistants.keys() {
        prop_assert!(
            !holding(key.as_str()).is_empty(),
            "no assistant labelled `{key}` has its declared fields"
        );
    }
    // A labelled assistant goes when it is a copy beyond the kept one, or undeclared while
    // prune is on, unless a number still routes to it or a squad names it.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for assistant in &after.assistants {
        let fields = assistant.fields();
        let Some(key) = label_of(&fields) else {
            continue;
        };
        let routed = after
            .numbers
            .iter()
            .any(|n| n.assistant_id.as_deref() == Some(assistant.id.as_str()));
        // A squad's member stays: Vapi refuses its delete.
        if routed || after.members.contains(&assistant.id) {
            continue;
        }
        let declared = desired.assistants.contains_key(key);
        prop_assert!(
            declared || !desired.prune,
            "{} carries the undeclared label `{key}`, no number routes to it, and prune is on",
            assistant.id
        );
        if declared {
            let count = copies.entry(key.to_owned()).or_default();
            *count += 1;
            prop_assert!(
                *count == 1,
                "two copies of `{key}` that no number routes to are left"
            );
        }
    }
    let owners: BTreeMap<&str, &Business> = desired
        .businesses
        .values()
        .flat_map(|b| b.numbers.iter().map(move |n| (n.as_str(), b)))
        .collect();
    for number in &after.numbers {
        let key = number_key(number);
        if desired.ignore.contains(key.as_str()) {
            continue;
        }
        let at = |field: &Option<String>| field.as_deref().map(str::to_owned);
        let routes = (
            at(&number.assistant_id),
            at(&number.squad_id),
            at(&number.workflow_id),
        );
        if let Some(business) = owners.get(key.as_str()) {
            match &business.route {
                // A retired workflow's id stays: Vapi documents no way to clear it, and the
                // assistant or squad set beside it takes the calls.
                Route::Managed(managed) => prop_assert!(
                    routes.1.is_none()
                        && routes
                            .0
                            .as_deref()
                            .is_some_and(|id| holding(managed.as_str()).contains(&id)),
                    "{key}, listed under {}, routes to {routes:?}, not to `{managed}`",
                    business.key
                ),
                Route::Existing(id) => prop_assert_eq!(
                    (&routes.0, &routes.1),
                    (&Some(id.clone()), &None),
                    "{} is listed under {}",
                    key,
                    business.key
                ),
                Route::Squad(id) => prop_assert_eq!(
                    (&routes.0, &routes.1),
                    (&None, &Some(id.clone())),
                    "{} is listed under {}",
                    key,
                    business.key
                ),
            }
            let before = before.numbers.iter().find(|n| number_key(n) == key);
            prop_assert_eq!(
                said(number),
                before.map(theirs).unwrap_or_default(),
                "{}, listed, says a text that was not someone else's",
                key
            );
            if let Some(name) = business
                .settings
                .get(key.as_str())
                .and_then(|settings| settings.get("name"))
            {
                prop_assert_eq!(number.name.as_deref(), name.as_str(), "the name of {}", key);
            }
            continue;
        }
        match &desired.unassigned {
            Unassigned::Leave => {}
            Unassigned::Unlink => prop_assert!(!is_routed(number), "{key} is still routed"),
            Unassigned::Say(_) => prop_assert!(
                !is_routed(number) && says(number),
                "{key} should ring no one and say a text"
            ),
            Unassigned::Assistant(shared) => prop_assert!(
                number
                    .assistant_id
                    .as_deref()
                    .is_some_and(|id| holding(shared.as_str()).contains(&id)),
                "{key} should route to `{shared}`"
            ),
        }
    }
    Ok(())
}

/// Of several copies of a declared assistant, the plan keeps one that the most numbers routed
/// to before and still route to that key after: it moves as few callers as it can.
fn keeps_the_most_routed_copy(
    desired: &Desired,
    before: &Model,
    after: &Model,
) -> Result<(), TestCaseError> {
    let label = |a: &Assistant| label_of(&a.fields()).map(str::to_owned);
    let key_after: BTreeMap<&str, String> = after
        .assistants
        .iter()
        .filter_map(|a| Some((a.id.as_str(), label(a)?)))
        .collect();
    for key in desired.assistants.keys() {
        let copies: Vec<&str> = before
            .assistants
            .iter()
            .filter(|a| label(a).as_deref() == Some(key.as_str()))
            .map(|a| a.id.as_str())
            .collect();
        if copies.len() < 2 {
            continue;
        }
        // Numbers routed to a copy before that route to the key after, by copy.
        let stayed = |copy: &str| {
            before
                .numbers
                .iter()
                .filter(|n| n.assistant_id.as_deref() == Some(copy))
                .filter(|n| {
                    let now = after.numbers.iter().find(|m| m.id == n.id);
                    now.and_then(|m| m.assistant_id.as_deref())
                        .and_then(|id| key_after.get(id))
                        .is_some_and(|k| k == key.as_str())
                })
                .count()
        };
        let most = copies.iter().map(|c| stayed(c)).max().unwrap_or(0);
        let kept: Vec<&str> = copies
            .iter()
            .copied()
            .filter(|c| after.assistants.iter().any(|a| a.id == *c))
            .collect();
        prop_assert!(
            kept.iter().any(|c| stayed(c) == most),
            "of the copies of `{key}` {kept:?} were kept, but another had more numbers that stay with the key"
        );
        // And no more are left than the numbers still routed to them, or a squad naming them,
        // hold on to.
        let routed = kept
            .iter()
            .filter(|c| {
                after.members.iter().any(|m| m == **c)
                    || after
                        .numbers
                        .iter()
                        .any(|n| n.assistant_id.as_deref() == Some(**c))
            })
            .count();
        prop_assert!(
            kept.len() <= routed.max(1),
            "{} copies of `{key}` were left ({kept:?}), {routed} of them routed to or squad members",
            kept.len()
        );
    }
    Ok(())
}

/// What Vapi does with a number write: each field sent replaces the stored one, `null` clears,
/// and the assistant the write routes to becomes `assistantId`.
fn write_number(number: &mut PhoneNumber, body: &Map<String, Value>, assistant: Option<String>) {
    for (field, value) in body {
        let text = value.as_str().map(str::to_owned);
        match field.as_str() {
            "assistantId" => number.assistant_id = text,
            "squadId" => number.squad_id = text,
            "workflowId" => number.workflow_id = text,
            "name" => number.name = text,
            "provider" | "number" => {}
            _ => {
                number.other.insert(field.clone(), value.clone());
            }
        }
    }
    if let Some(assistant) = assistant {
        number.assistant_id = Some(assistant);
    }
}

/// Whether calls reach `now` where the plan said they would go (`planned`): an assistant the
/// plan creates is known by its address until then.
fn arrives(planned: &Endpoint, now: &Endpoint) -> bool {
    match (planned, now) {
        (
            Endpoint::Assistant {
                id: None,
                address: Some(planned),
                ..
            },
            Endpoint::Assistant {
                address: Some(now), ..
            },
        ) => planned == now,
        (
            Endpoint::Say {
                text: planned,
                then: planned_then,
            },
            Endpoint::Say { text, then },
        ) => {
            planned == text
                && match (planned_then, then) {
                    (Some(planned), Some(now)) => arrives(planned, now),
                    (None, None) => true,
                    _ => false,
                }
        }
        _ => planned.same_route(now),
    }
}

/// After apply, every number's callers reach what the plan said they would (its routing's `to`,
/// or where they went before when the plan shows no routing), and the mass-change rule
/// counted exactly the numbers whose callers reached something before and now reach
/// something else.
fn callers_hear_what_the_plan_said(
    plan: &Plan,
    desired: &Desired,
    before: &Model,
    after: &Model,
) -> Result<(), TestCaseError> {
    let ids = BTreeMap::new();
    let (live_before, live_after) = (before.live(), after.live());
    let (index_before, index_after) = (Index::new(&live_before), Index::new(&live_after));
    let names_before = Names::new(desired, &index_before, &live_before, &ids);
    let names_after = Names::new(desired, &index_after, &live_after, &ids);
    let mut moved = 0;
    for number in &live_after.numbers {
        let key = &number.key;
        let now = names_after.current(number);
        let address = Address::Number(key.clone());
        let change = plan.changes.iter().find(|c| *c.address() == address);
        let was = live_before
            .numbers
            .iter()
            .find(|n| n.id == number.id)
            .map(|n| names_before.current(n));
        if let Some(routing) = change.and_then(|c| c.routing.as_ref()) {
            prop_assert!(
                arrives(&routing.to, &now),
                "the plan said {key}'s callers reach {:?}, they reach {now:?}",
                routing.to
            );
        } else if let Some(was) = &was {
            prop_assert!(
                was.same_route(&now),
                "{key}'s callers went to {was:?} and now reach {now:?}, and the plan showed no routing"
            );
        }
        if let Some(was) = was
            && was.answers()
            && !was.same_route(&now)
        {
            moved += 1;
        }
    }
    prop_assert_eq!(
        plan.safety.routing_changes,
        moved,
        "the mass-change rule counted other changes than those that moved callers"
    );
    Ok(())
}

/// The hooks of a list that are not say hooks.
fn others(hooks: &Value) -> Vec<Value> {
    hooks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|hook| crate::desired::say::text_of(hook).is_none())
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn applying_a_plan_keeps_the_safety_rules_and_converges(s in scenario()) {
        let (desired, live) = build(&s);
        let options = Options { allow_mass_change: true, ..Options::default() };
        let first = plan(&desired, &live.live(), &Secrets::new(), &options).expect("a consistent scenario plans");
        let addresses: HashSet<String> = first.changes.iter().map(|c| c.address().to_string()).collect();
        prop_assert_eq!(addresses.len(), first.changes.len(), "an address appears twice in the plan");
        // What the plan shows is what it writes, checked as apply checks it.
        let checked = crate::plan::recheck(&first, &live.live(), &Secrets::new());
        prop_assert!(checked.stale.is_empty(), "stale at once: {:#?}", checked.stale);
        prop_assert!(checked.unfaithful.is_empty(), "shown is not written: {:#?}", checked.unfaithful);
        prop_assert_eq!(checked.safety.routing_changes, first.safety.routing_changes);
        let after = apply(&first, &desired, live.clone())?;
        // Applied again as a saved plan (a re-run), every change is found in effect.
        let rerun = crate::plan::recheck(&first, &after.live(), &Secrets::new());
        prop_assert!(rerun.stale.is_empty(), "stale once applied: {:#?}", rerun.stale);
        prop_assert_eq!(
            rerun.applied.len(),
            first.changes.len(),
            "a change not found in effect once applied"
        );
        prop_assert_eq!(rerun.safety.routing_changes, 0, "nothing is left to move callers");
        holds(&desired, &live, &after)?;
        callers_hear_what_the_plan_said(&first, &desired, &live, &after)?;
        keeps_the_most_routed_copy(&desired, &live, &after)?;
        let second = plan(&desired, &after.live(), &Secrets::new(), &options).expect("plans again");
        prop_assert!(second.changes.is_empty(), "second plan not empty: {:#?}", second.changes);
        // The account exported, as it now is, plans to no changes either, unless the export
        // says what it could not express (a second copy of a label, whose repair it plans).
        let exported = crate::export::export(&after.live()).expect("exports");
        prop_assume!(exported.left_out.is_empty());
        let file = crate::desired::load_str(&exported.text, "exported.yaml")
            .map_err(|report| TestCaseError::fail(format!("{report}\n{}", exported.text)))?;
        let third = plan(&file, &after.live(), &Secrets::new(), &options)
            .map_err(|problems| TestCaseError::fail(format!("{problems:?}\n{}", exported.text)))?;
        prop_assert!(
            third.changes.is_empty(),
            "the export plans changes: {:#?}\n{}",
            third.changes,
            exported.text
        );
    }

    #[test]
    fn planning_is_deterministic(s in scenario()) {
        let (desired, model) = build(&s);
        let live = model.live();
        let options = Options { allow_mass_change: true, ..Options::default() };
        let a = serde_json::to_string(&plan(&desired, &live, &Secrets::new(), &options).expect("plans")).unwrap();
        let b = serde_json::to_string(&plan(&desired, &live, &Secrets::new(), &options).expect("plans")).unwrap();
        prop_assert_eq!(a, b);
    }
}
