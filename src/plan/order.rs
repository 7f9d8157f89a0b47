//! The order a plan is applied in, decided with the plan: its changes sorted by phase and
//! address, which phases must end before another starts, and which assistant change each
//! number change waits for. Apply follows it, and so does the statement of what applying
//! costs.

use std::collections::HashMap;

use super::change::{Change, Operation, Target};
use super::model::Phase;

/// Sorts `changes` into apply order: by phase, then by address.
pub(super) fn sort(changes: &mut [Change]) {
    changes.sort_by(|a, b| (a.phase(), a.address()).cmp(&(b.phase(), b.address())));
}

/// The phases whose changes must all have ended before a change of `phase` starts: every
/// phase before it in apply order, except that routing runs beside the assistants (a number
/// waits only for its own assistant).
pub(crate) fn after(phase: Phase) -> &'static [Phase] {
    const ALL: &[Phase] = &Phase::ALL;
    match phase {
        Phase::Assistants | Phase::Routing => &[],
        Phase::Unlinks => &ALL[..2],
        Phase::Deletes => &ALL[..3],
    }
}

/// For each change, the change (by index) it waits for: a number routed to an assistant this
/// plan creates waits for the create, one routed to an assistant it updates or adopts waits
/// for that update, so its callers reach the assistant as the plan leaves it.
pub(crate) fn needs(changes: &[Change]) -> Vec<Option<usize>> {
    let mut by_address = HashMap::new();
    let mut by_id = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        match change.op() {
            Operation::CreateAssistant { .. } => {
                by_address.insert(change.address(), i);
            }
            Operation::UpdateAssistant { expect, .. } => {
                by_id.insert(expect.id.as_str(), i);
            }
            _ => {}
        }
    }
    changes
        .iter()
        .map(|change| match change.op().route() {
            Some(Target::Address(address)) => by_address.get(address).copied(),
            Some(Target::Id(id)) => by_id.get(id.as_str()).copied(),
            None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::plan::{Address, NumberEdit, Unchanged};

    fn routed(number: &str, route: Target) -> Change {
        Change::of(Operation::UpdateNumber {
            number: number.into(),
            edit: NumberEdit::Assign,
            expect: Unchanged::of(number),
            body: Map::new(),
            route: Some(route),
        })
    }

    #[test]
    fn a_number_waits_for_the_create_or_update_of_its_assistant_only() {
        let update = Change::of(Operation::UpdateAssistant {
            key: "b".into(),
            adopt: false,
            expect: Unchanged::of("b1"),
            body: Map::new(),
        });
        let changes = [
            Change::create("a"),
            update,
            routed("+1", Target::Address(Address::Assistant("a".into()))),
            routed("+2", Target::Id("b1".into())),
            routed("+3", Target::Id("c1".into())),
            routed("+4", Target::Address(Address::Assistant("z".into()))),
        ];
        assert_eq!(needs(&changes), [None, None, Some(0), Some(1), None, None]);
    }

    #[test]
    fn changes_run_by_phase_then_address_in_natural_order() {
        let delete = Change::of(Operation::DeleteAssistant {
            key: "old".into(),
            copy: false,
            expect: Unchanged::of("o1"),
            routed_numbers: std::collections::BTreeSet::new(),
        });
        let unlink = Change::of(Operation::UpdateNumber {
            number: "+1".into(),
            edit: NumberEdit::Unlink,
            expect: Unchanged::of("n1"),
            body: Map::new(),
            route: None,
        });
        let mut changes = vec![
            delete,
            unlink,
            routed("+10", Target::Id("a1".into())),
            routed("+9", Target::Id("a1".into())),
            Change::create("b10"),
            Change::create("b9"),
        ];
        sort(&mut changes);
        let order: Vec<String> = changes.iter().map(|c| c.address().to_string()).collect();
        assert_eq!(
            order,
            [
                "assistant/b9",
                "assistant/b10",
                "number/+9",
                "number/+10",
                "number/+1",
                "assistant/old"
            ]
        );
    }

    #[test]
    fn phases_wait_for_the_ones_before_them_but_routing_runs_beside_the_assistants() {
        assert!(after(Phase::Assistants).is_empty());
        assert!(after(Phase::Routing).is_empty());
        assert_eq!(after(Phase::Unlinks), [Phase::Assistants, Phase::Routing]);
        assert_eq!(
            after(Phase::Deletes),
            [Phase::Assistants, Phase::Routing, Phase::Unlinks]
        );
    }
}
