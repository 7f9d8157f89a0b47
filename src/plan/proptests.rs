//! Properties of the planner over random desired states and accounts: every write of a plan,
//! applied in order to a model of the account, keeps the safety rules (ignored numbers are
//! never written, only labelled or adopted assistants are edited, only labelled ones deleted
//! and only when nothing routes to them, a number is written once and unrouted only by an
//! unlink, so never in between phases); planning again afterwards gives no changes; and
//! planning is deterministic.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

use super::live::{label_of, number_key};
use super::{Action, Live, Options, Plan, Secrets, Target, Write, plan};
use crate::desired::{
    Business, Desired, E164, Import, Key, ManagedAssistant, Route, Source, Unassigned,
};
use crate::vapi::{Assistant, PhoneNumber};

const NUMBERS: usize = 8;

/// The account as the API would return it, in wire types the model can change.
#[derive(Debug, Clone, Default)]
struct Model {
    numbers: Vec<PhoneNumber>,
    assistants: Vec<Assistant>,
}

impl Model {
    /// The account as the planner reads it.
    fn live(&self) -> Live {
        Live::read(self.numbers.clone(), self.assistants.clone())
    }
}

fn is_routed(number: &PhoneNumber) -> bool {
    number.assistant_id.is_some() || number.squad_id.is_some() || number.workflow_id.is_some()
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
}

/// An account: unlabelled assistants, labelled ones, and numbers with their routing.
#[derive(Debug, Clone)]
struct Scenario {
    unlabelled: Vec<usize>,
    labelled: Vec<(usize, usize)>,
    numbers: Vec<Option<u8>>,
    businesses: Vec<(Form, Vec<usize>)>,
    unassigned: u8,
    prune: bool,
    ignore_first: bool,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let form = prop_oneof![
        (0..3usize, any::<bool>()).prop_map(|(greeting, adopt)| Form::Own { greeting, adopt }),
        (0..3usize).prop_map(Form::Existing),
        Just(Form::Shared),
    ];
    (
        prop::collection::vec(0..3usize, 1..4),
        prop::collection::vec((0..6usize, 0..3usize), 0..4),
        prop::collection::vec(prop::option::of(0..8u8), NUMBERS),
        prop::collection::vec((form, prop::collection::vec(0..NUMBERS, 0..3)), 0..5),
        0..3u8,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(unlabelled, labelled, numbers, businesses, unassigned, prune, ignore_first)| {
                Scenario {
                    unlabelled,
                    labelled,
                    numbers,
                    businesses,
                    unassigned,
                    prune,
                    ignore_first,
                }
            },
        )
}

fn assistant(id: &str, fields: &Map<String, Value>) -> Assistant {
    const AT: &str = "2026-01-01T00:00:00.000Z";
    Assistant::new(id, AT, AT, fields)
}

/// Builds a consistent desired state and account from a scenario.
fn build(s: &Scenario) -> (Desired, Model) {
    let mut live = Model::default();
    for (i, greeting) in s.unlabelled.iter().enumerate() {
        live.assistants.push(assistant(
            &format!("u{i}"),
            &body(&format!("Legacy {i}"), *greeting, "gpt-4o"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (key, greeting) in &s.labelled {
        if seen.insert(*key) {
            let mut fields = body(&format!("B{key}"), *greeting, "gpt-4o-mini");
            fields.insert(
                "metadata".into(),
                json!({"vapiform": {"key": format!("b{key}")}, "other": 1}),
            );
            live.assistants.push(assistant(&format!("l{key}"), &fields));
        }
    }
    let mut taken = BTreeSet::new();
    let mut businesses = BTreeMap::new();
    let mut assistants = BTreeMap::new();
    assistants.insert(
        "shared".into(),
        ManagedAssistant::new("shared".into(), body("Shared", 0, "gpt-4o-mini"), None),
    );
    for (i, (form, numbers)) in s.businesses.iter().enumerate() {
        let key = Key::from(format!("b{i}").as_str());
        let numbers: Vec<E164> = numbers
            .iter()
            .filter(|n| taken.insert(**n))
            .map(|n| E164::from(number(*n).as_str()))
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
        };
        businesses.insert(
            key.clone(),
            Business {
                key,
                name: format!("Business {i}"),
                numbers,
                route,
            },
        );
    }
    // An assistant belongs to one key: one that a business routes to by id is not adopted.
    let routed_by_id: BTreeSet<&str> = businesses
        .values()
        .filter_map(|b: &Business| match &b.route {
            Route::Existing(id) => Some(id.as_str()),
            Route::Managed(_) => None,
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
    for (i, routing) in s.numbers.iter().enumerate() {
        let (assistant_id, squad_id) = match routing {
            None => (None, None),
            Some(7) => (None, Some("squad".to_owned())),
            Some(n) => (
                live.assistants
                    .get(usize::from(*n) % live.assistants.len())
                    .map(|a| a.id.clone()),
                None,
            ),
        };
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
            workflow_id: None,
            sip_uri: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            other: Map::new(),
        });
    }
    let ignore = if s.ignore_first && !taken.contains(&0) {
        BTreeSet::from([E164::from(number(0).as_str())])
    } else {
        BTreeSet::new()
    };
    let unassigned = match s.unassigned {
        0 => Unassigned::Leave,
        1 => Unassigned::Unlink,
        _ => Unassigned::Assistant("shared".into()),
    };
    let Value::Object(import) = json!({"provider": "telnyx", "credentialId": "c"}) else {
        unreachable!()
    };
    let desired = Desired {
        unassigned,
        prune: s.prune,
        import: Some(Import { body: import }),
        assistants,
        businesses,
        ignore,
        source: Source::new("vapiform.yaml", ""),
    };
    (desired, live)
}

/// What Vapi would do with the plan's writes, in order, checking the safety rules at every
/// write.
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
        let route = |target: &Option<Target>, created: &BTreeMap<String, String>| match target {
            Some(Target::Id(id)) => Some(id.clone()),
            Some(Target::Address(address)) => Some(created[&address.to_string()].clone()),
            None => None,
        };
        match &change.write {
            Write::CreateAssistant { body, .. } => {
                let id = format!("new{n}");
                created.insert(change.address.to_string(), id.clone());
                live.assistants.push(assistant(&id, body));
            }
            Write::UpdateAssistant { id, body } => {
                prop_assert!(
                    labelled.contains(id) || adopted.contains(id.as_str()),
                    "edited {id}, an assistant vapiform neither labelled nor adopts"
                );
                let target = live
                    .assistants
                    .iter_mut()
                    .find(|a| &a.id == id)
                    .expect("updated assistant exists");
                let mut fields = target.fields();
                fields.extend(body.clone());
                *target = assistant(id, &fields);
            }
            Write::DeleteAssistant { id } => {
                prop_assert!(
                    labelled.contains(id),
                    "deleted the unlabelled assistant {id}"
                );
                prop_assert!(
                    live.numbers
                        .iter()
                        .all(|n| n.assistant_id.as_ref() != Some(id)),
                    "deleted {id}, which a number routes to"
                );
                live.assistants.retain(|a| &a.id != id);
            }
            Write::UpdateNumber {
                id,
                body,
                route: target,
            } => {
                prop_assert!(!ignored.contains(id), "wrote the ignored number {id}");
                prop_assert!(written.insert(id.clone()), "wrote the number {id} twice");
                let number = live
                    .numbers
                    .iter_mut()
                    .find(|n| &n.id == id)
                    .expect("updated number exists");
                let was_routed = is_routed(number);
                if let Some(assistant) = route(target, &created) {
                    number.assistant_id = Some(assistant);
                }
                for (field, slot) in [
                    ("assistantId", &mut number.assistant_id),
                    ("squadId", &mut number.squad_id),
                    ("workflowId", &mut number.workflow_id),
                ] {
                    if body.get(field) == Some(&Value::Null) {
                        *slot = None;
                    }
                }
                prop_assert!(
                    !was_routed || is_routed(number) || change.action == Action::Unlink,
                    "{} left {} unrouted",
                    change.action.as_str(),
                    change.address
                );
            }
            Write::CreateNumber {
                body,
                route: target,
            } => live.numbers.push(PhoneNumber {
                id: format!("new{n}"),
                provider: "telnyx".into(),
                number: body["number"].as_str().map(str::to_owned),
                name: None,
                assistant_id: route(target, &created),
                squad_id: None,
                workflow_id: None,
                sip_uri: None,
                created_at: "2026-01-02T00:00:00.000Z".into(),
                updated_at: "2026-01-02T00:00:00.000Z".into(),
                other: Map::new(),
            }),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn applying_a_plan_keeps_the_safety_rules_and_converges(s in scenario()) {
        let (desired, live) = build(&s);
        let options = Options { allow_mass_change: true, ..Options::default() };
        let first = plan(&desired, &live.live(), &Secrets::new(), &options).expect("a consistent scenario plans");
        let after = apply(&first, &desired, live)?;
        let second = plan(&desired, &after.live(), &Secrets::new(), &options).expect("plans again");
        prop_assert!(second.changes.is_empty(), "second plan not empty: {:#?}", second.changes);
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
