//! Checking a plan against the account as it is now, just before apply writes: which changes
//! are already in effect (a re-run after a partial apply), which objects moved since the plan
//! was made (the plan is stale), and the mass-change rule against today's routing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::change::{Change, Operation, Target, Unchanged};
use super::live::{Index, Live};
use super::model::{Address, Plan, Safety};
use super::{Secrets, compare, faithful, precondition};
use crate::desired::placeholder;
use crate::id::NumberId;

/// A change whose precondition no longer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stale {
    /// The change's object.
    pub address: Address,
    /// What changed.
    pub detail: String,
}

/// What the account now says about a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recheck {
    /// Changes whose object changed otherwise or disappeared: apply must refuse them all.
    pub stale: Vec<Stale>,
    /// Changes whose object already holds their intended end state, by index into the plan's
    /// changes, with the id of that object.
    pub applied: BTreeMap<usize, String>,
    /// Changes whose request does not do what the plan shows for them (see
    /// [`super::faithful`]): apply must refuse the plan.
    pub unfaithful: Vec<Stale>,
    /// The mass-change rule: the changes still to write that move callers as the account
    /// routes them now, and the plan's own `--allow-mass-change` decision, against the numbers
    /// routed now.
    pub safety: Safety,
}

/// Compares every change of `plan` with `live`. `secrets` holds the values of the `${env.*}`
/// references in the plan's writes, to tell whether a body is already in effect.
pub(crate) fn recheck(plan: &Plan, live: &Live, secrets: &Secrets) -> Recheck {
    let index = Index::new(live);
    let mut stale = Vec::new();
    let mut applied = BTreeMap::new();
    let mut record = |i: usize, change: &Change, verdict: Verdict| match verdict {
        Verdict::Pending => {}
        Verdict::Applied(id) => {
            applied.insert(i, id);
        }
        Verdict::Stale(detail) => stale.push(Stale {
            address: change.address().clone(),
            detail,
        }),
    };
    // Creates first, so the numbers routed to a created assistant know its id.
    let mut created: BTreeMap<&Address, String> = BTreeMap::new();
    for (i, change) in plan.changes.iter().enumerate() {
        if let Operation::CreateAssistant { key, body } = change.op() {
            let verdict = create(key, body, &index, secrets);
            if let Verdict::Applied(id) = &verdict {
                created.insert(change.address(), id.clone());
            }
            record(i, change, verdict);
        }
    }
    for (i, change) in plan.changes.iter().enumerate() {
        if !matches!(change.op(), Operation::CreateAssistant { .. }) {
            record(
                i,
                change,
                verdict(change.op(), &created, &index, live, secrets),
            );
        }
    }
    let moved: BTreeSet<&Address> = stale.iter().map(|s| &s.address).collect();
    let pending = || {
        plan.changes
            .iter()
            .enumerate()
            .filter(|(i, change)| !applied.contains_key(i) && !moved.contains(&change.address()))
            .map(|(_, change)| change)
    };
    let check = faithful::Check::new(plan, &index, live, secrets);
    let unfaithful = pending()
        .filter_map(|change| {
            Some(Stale {
                address: change.address().clone(),
                detail: check.disagreement(change)?,
            })
        })
        .collect();
    // Each change's routing line now agrees with today's account (or the plan is refused), so
    // the changes that move callers are counted by it.
    let routing_changes = pending().filter(|change| change.moves_callers()).count();
    let routed_now = live.numbers.iter().filter(|n| n.answers()).count();
    Recheck {
        stale,
        applied,
        unfaithful,
        safety: Safety::evaluate(routing_changes, routed_now, plan.safety.allowed),
    }
}

/// The verdict on creating the assistant labelled `key` with `body`: applied when one
/// assistant carries the label and holds the body, stale when any other does.
fn create(key: &str, body: &Map<String, Value>, index: &Index<'_>, secrets: &Secrets) -> Verdict {
    match index.by_label.get(key).map(Vec::as_slice) {
        None | Some([]) => Verdict::Pending,
        Some([one])
            if one
                .fields()
                .is_some_and(|fields| holds(Some(body), &fields, secrets)) =>
        {
            Verdict::Applied(one.id.to_string())
        }
        Some(found) => Verdict::Stale(format!(
            "assistant {} now carries the label {key:?}",
            found
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The verdict on `op`, the assistants found already created known by address (`created`).
fn verdict(
    op: &Operation,
    created: &BTreeMap<&Address, String>,
    index: &Index<'_>,
    live: &Live,
    secrets: &Secrets,
) -> Verdict {
    let target = match op.route() {
        None => None,
        Some(Target::Id(id)) => {
            if !index.by_id.contains_key(id.as_str()) {
                return Verdict::Stale(format!(
                    "assistant {id}, which this change routes to, no longer exists"
                ));
            }
            Some(id.as_str())
        }
        Some(Target::Address(address)) => created.get(address).map(String::as_str),
    };
    match op {
        Operation::CreateAssistant { key, body } => create(key, body, index, secrets),
        Operation::ImportNumber {
            number,
            body,
            route,
        } => match index.numbers.get(number.as_str()).map(Vec::as_slice) {
            None | Some([]) => Verdict::Pending,
            Some([one])
                if holds(
                    end_state(body, route.as_ref(), target).as_ref(),
                    &one.fields(),
                    secrets,
                ) =>
            {
                Verdict::Applied(one.id.to_string())
            }
            Some(existing) => Verdict::Stale(format!(
                "the number now exists in the account (id {})",
                existing[0].id
            )),
        },
        Operation::UpdateAssistant { expect, body, .. } => {
            // Apply reads every body; one not kept matches no precondition.
            let now = index
                .by_id
                .get(expect.id.as_str())
                .map(|a| (a.fields().unwrap_or_default(), a.updated_at.as_str()));
            unchanged(expect, now, Some(body), Some(body), secrets)
        }
        Operation::UpdateNumber {
            expect,
            body,
            route,
            ..
        } => {
            let now = index
                .number_by_id
                .get(expect.id.as_str())
                .map(|n| (n.fields(), n.updated_at.as_str()));
            let end = end_state(body, route.as_ref(), target);
            unchanged(expect, now, end.as_ref(), Some(body), secrets)
        }
        Operation::DeleteAssistant {
            expect,
            routed_numbers,
            ..
        } => match index.by_id.get(expect.id.as_str()) {
            // Gone already: what the delete does is done.
            None => Verdict::Applied(expect.id.to_string()),
            Some(now) => {
                let now = (now.fields().unwrap_or_default(), now.updated_at.as_str());
                match unchanged(expect, Some(now), None, None, secrets) {
                    Verdict::Pending => newly_routed(live, &expect.id, routed_numbers),
                    verdict => verdict,
                }
            }
        },
    }
}

/// What the account now says of one change.
enum Verdict {
    /// It is still to be written.
    Pending,
    /// Its object already holds its end state: the object's id.
    Applied(String),
    /// Its object moved since the plan was made: what changed.
    Stale(String),
}

/// The verdict on a write to the object `expect` names, as read `now` (its fields and
/// `updatedAt`; `None` when it is gone): applied when it holds `end` (the body as it should
/// read once written, `${env.*}` unresolved), stale when a field the change read or will write
/// (`body`) moved.
fn unchanged<I: std::fmt::Display>(
    expect: &Unchanged<I>,
    now: Option<(Map<String, Value>, &str)>,
    end: Option<&Map<String, Value>>,
    body: Option<&Map<String, Value>>,
    secrets: &Secrets,
) -> Verdict {
    let Some((object, updated_at)) = now else {
        return Verdict::Stale(format!("{} no longer exists", expect.id));
    };
    if holds(end, &object, secrets) {
        return Verdict::Applied(expect.id.to_string());
    }
    let fingerprints =
        precondition::fingerprints(&object, expect.fields.keys().map(String::as_str), body);
    let moved: Vec<&str> = expect
        .fields
        .iter()
        .filter(|(key, hash)| fingerprints.get(*key) != Some(*hash))
        .map(|(key, _)| key.as_str())
        .collect();
    if moved.is_empty() {
        Verdict::Pending
    } else {
        Verdict::Stale(format!(
            "{} changed since the plan was made (updatedAt {} → {updated_at})",
            moved.join(", "),
            expect.updated_at
        ))
    }
}

/// Stale when numbers route to the assistant `id` that did not when the plan was made
/// (`planned`, by number id): deleting it would leave them ringing nobody.
fn newly_routed(live: &Live, id: &str, planned: &BTreeSet<NumberId>) -> Verdict {
    let newly: BTreeSet<&str> = live
        .numbers
        .iter()
        .filter(|n| n.assistant_id.as_deref() == Some(id))
        .filter(|n| !planned.contains(&n.id))
        .map(|n| n.key.as_str())
        .collect();
    if newly.is_empty() {
        Verdict::Pending
    } else {
        Verdict::Stale(format!(
            "numbers now route to it that did not when the plan was made: {}",
            newly.into_iter().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// The object as it should read once written: the body, plus the assistant a number routes
/// to. `None` when the route's assistant does not exist yet, so the change cannot be in effect.
fn end_state(
    body: &Map<String, Value>,
    route: Option<&Target>,
    target: Option<&str>,
) -> Option<Map<String, Value>> {
    let mut body = body.clone();
    match (route, target) {
        (None, _) => {}
        (Some(_), None) => return None,
        (Some(_), Some(id)) => {
            body.insert("assistantId".to_owned(), Value::String(id.to_owned()));
        }
    }
    Some(body)
}

/// Whether `live` already holds `body`, its `${env.*}` references resolved.
fn holds(body: Option<&Map<String, Value>>, live: &Map<String, Value>, secrets: &Secrets) -> bool {
    let Some(body) = body else {
        return false;
    };
    match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
        secrets.get(name).cloned()
    }) {
        Ok(Value::Object(resolved)) => compare::differences(&resolved, live).is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{Options, plan};
    use crate::vapi::{Assistant, PhoneNumber};

    const AT: &str = "2026-01-01T00:00:00.000Z";
    const LATER: &str = "2026-01-02T00:00:00.000Z";

    fn assistant(id: &str, fields: Value) -> Assistant {
        let Value::Object(fields) = fields else {
            panic!("an object")
        };
        Assistant::new(id, AT, AT, &fields)
    }

    fn number(id: &str, e164: &str, assistant: Option<&str>) -> PhoneNumber {
        serde_json::from_value(json!({"id": id, "orgId": "o", "provider": "telnyx",
            "number": e164, "credentialId": "9a1e0c4e-5b7d-4f2a-8c3e-1d6f0b2a7e91",
            "assistantId": assistant, "createdAt": AT, "updatedAt": AT}))
        .expect("a number")
    }

    /// Acme (labelled `acme`), Bob (not labelled), `old` (labelled, no longer declared); Acme's
    /// number +14155550100, and +14155550101 and +14155550103 routed nowhere.
    fn account(extra: Vec<Assistant>, more: Vec<PhoneNumber>) -> Live {
        let mut assistants = vec![
            assistant(
                "a1",
                json!({"name": "Acme", "firstMessage": "Hi", "metadata": {"vapiform": {"key": "acme"}}}),
            ),
            assistant("b1", json!({"name": "Bob"})),
            assistant(
                "o1",
                json!({"name": "Old", "metadata": {"vapiform": {"key": "old"}}}),
            ),
        ];
        assistants.extend(extra);
        let mut numbers = vec![
            number("n1", "+14155550100", Some("a1")),
            number("n2", "+14155550101", None),
            number("n4", "+14155550103", None),
        ];
        numbers.extend(more);
        Live::read(numbers, assistants)
    }

    /// Acme's greeting changes, Carol is created with +14155550101 and +14155550102 (imported),
    /// Bob gets +14155550103, and `old` is deleted.
    fn planned() -> Plan {
        let file = r#"
version: 1
prune: true
import: {provider: telnyx, credentialId: 9a1e0c4e-5b7d-4f2a-8c3e-1d6f0b2a7e91}
businesses:
  acme: {name: Acme, numbers: ["+14155550100"], assistant: {spec: {name: Acme, firstMessage: Hello}}}
  bob: {name: Bob, numbers: ["+14155550103"], assistant: {id: b1}}
  carol: {name: Carol, numbers: ["+14155550101", "+14155550102"], assistant: {spec: {name: Carol, firstMessage: Hi}}}
"#;
        let desired = crate::desired::load_str(file, "vapiform.yaml").expect("loads");
        let options = Options {
            allow_mass_change: true,
            ..Options::default()
        };
        plan(
            &desired,
            &account(Vec::new(), Vec::new()),
            &Secrets::new(),
            &options,
        )
        .expect("plans")
    }

    /// Pairs of an address and a detail or an id.
    type Found = Vec<(String, String)>;

    /// The recheck of the plan against `live`: what is stale, by address, and what is in
    /// effect, by address and id.
    fn checked(live: &Live) -> (Found, Found) {
        let plan = planned();
        let found = recheck(&plan, live, &Secrets::new());
        assert!(found.unfaithful.is_empty(), "{:?}", found.unfaithful);
        let stale = found
            .stale
            .into_iter()
            .map(|s| (s.address.to_string(), s.detail))
            .collect();
        let applied = found
            .applied
            .into_iter()
            .map(|(i, id)| (plan.changes[i].address().to_string(), id))
            .collect();
        (stale, applied)
    }

    #[test]
    fn a_plan_against_the_account_it_was_made_from_is_neither_stale_nor_applied() {
        let plan = planned();
        let actions: Vec<String> = plan
            .changes
            .iter()
            .map(|c| format!("{} {}", c.action().as_str(), c.address()))
            .collect();
        assert_eq!(
            actions,
            [
                "update assistant/acme",
                "create assistant/carol",
                "assign number/+14155550101",
                "import number/+14155550102",
                "assign number/+14155550103",
                "delete assistant/old"
            ]
        );
        let found = recheck(&plan, &account(Vec::new(), Vec::new()), &Secrets::new());
        assert!(found.stale.is_empty() && found.applied.is_empty());
        assert_eq!(found.safety.routing_changes, plan.safety.routing_changes);
    }

    #[test]
    fn what_already_holds_its_end_state_is_applied_and_what_moved_is_stale() {
        let carol = json!({"name": "Carol", "firstMessage": "Hi", "metadata": {"vapiform": {"key": "carol"}}});
        let mut live = account(
            vec![assistant("c1", carol)],
            vec![number("n3", "+14155550102", Some("c1"))],
        );
        // Acme already greets as planned; Carol's first number already routes to her; Bob's
        // number was routed since by hand; `old` is gone.
        live.assistants[0] = assistant(
            "a1",
            json!({"name": "Acme", "firstMessage": "Hello", "metadata": {"vapiform": {"key": "acme"}}}),
        )
        .into();
        live.numbers[1].assistant_id = Some("c1".into());
        live.numbers[2].assistant_id = Some("a1".into());
        live.numbers[2].updated_at = LATER.to_owned();
        live.assistants.retain(|a| a.id != "o1");
        let (stale, applied) = checked(&live);
        assert_eq!(
            applied,
            [
                ("assistant/acme".to_owned(), "a1".to_owned()),
                ("assistant/carol".to_owned(), "c1".to_owned()),
                ("number/+14155550101".to_owned(), "n2".to_owned()),
                ("number/+14155550102".to_owned(), "n3".to_owned()),
                ("assistant/old".to_owned(), "o1".to_owned()),
            ]
        );
        assert_eq!(
            stale,
            [(
                "number/+14155550103".to_owned(),
                format!("assistantId changed since the plan was made (updatedAt {AT} → {LATER})")
            )]
        );
    }

    #[test]
    fn objects_that_appeared_or_changed_otherwise_make_the_plan_stale() {
        let other = json!({"name": "Not Carol", "metadata": {"vapiform": {"key": "carol"}}});
        let mut live = account(
            vec![assistant("c9", other)],
            vec![number("n3", "+14155550102", Some("b1"))],
        );
        // Acme renamed in the dashboard; Bob deleted; a number now routed to `old`.
        live.assistants[0] = assistant(
            "a1",
            json!({"name": "Acme Co", "firstMessage": "Hi", "metadata": {"vapiform": {"key": "acme"}}}),
        )
        .into();
        live.assistants.retain(|a| a.id != "b1");
        live.numbers[1].assistant_id = Some("o1".into());
        let (stale, applied) = checked(&live);
        assert!(applied.is_empty(), "{applied:?}");
        let expected = [
            (
                "assistant/carol",
                "assistant c9 now carries the label \"carol\"".to_owned(),
            ),
            (
                "assistant/acme",
                format!("name changed since the plan was made (updatedAt {AT} → {AT})"),
            ),
            (
                "number/+14155550101",
                format!("assistantId changed since the plan was made (updatedAt {AT} → {AT})"),
            ),
            (
                "number/+14155550102",
                "the number now exists in the account (id n3)".to_owned(),
            ),
            (
                "number/+14155550103",
                "assistant b1, which this change routes to, no longer exists".to_owned(),
            ),
            (
                "assistant/old",
                "numbers now route to it that did not when the plan was made: +14155550101"
                    .to_owned(),
            ),
        ];
        assert_eq!(
            stale,
            expected.map(|(address, detail)| (address.to_owned(), detail))
        );
    }
}
