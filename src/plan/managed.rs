//! Managed bodies: the fields vapiform owns on an object (a managed assistant's declared body,
//! a phone number's declared settings), compared with the live object and updated the same
//! way wherever they occur.
//!
//! Ownership: only the top-level fields the body declares are compared and sent; inside them
//! the comparator ([`compare::differences`]) tolerates keys only the live side has, and `null`
//! clears. Because Vapi's PATCH replaces a top-level field wholesale, an update sends the whole
//! owned field, declared subtree merged over the live one, so keys the file does not declare
//! (server defaults, other metadata) survive.

use serde_json::{Map, Value};

use super::compare::{self, Path};
use super::model::FieldChange;
use super::sensitive::{self, Side};

/// What updating the owned fields of one object takes.
pub(crate) struct Update {
    /// The PATCH body: each top-level field that differs, whole.
    pub(crate) sent: Map<String, Value>,
    /// The differences as a reviewer sees them, sensitive values masked.
    pub(crate) fields: Vec<FieldChange>,
    /// How many places differ.
    pub(crate) differences: usize,
}

impl Update {
    /// The top-level fields the update would clear with `null`, which Vapi documents for no
    /// field of an assistant or a number's settings: the planner refuses them as problems
    /// rather than send them.
    pub(crate) fn cleared(&self) -> impl Iterator<Item = &str> {
        self.sent
            .iter()
            .filter(|(_, value)| value.is_null())
            .map(|(key, _)| key.as_str())
    }
}

/// The message for a field the file clears with `null` where Vapi offers no documented way.
pub(crate) fn uncleared(field: &str) -> String {
    format!(
        "`{field}: null` would clear `{field}`, but Vapi documents no way to clear it (its API takes no null there): declare a value, or remove it in Vapi's dashboard and drop the line"
    )
}

/// A body to create, without the top-level `null`s a file may hold to clear a field: there is
/// nothing to clear on a new object, and Vapi takes no null there.
pub(crate) fn created(body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The update that makes `live` hold `body`, or `None` when it already does. `body` is the
/// body as planned (`${env.NAME}` references unresolved, as sent and shown); `resolved` the same
/// body with the references filled in, as the live object holds it once written.
pub(crate) fn update(
    body: &Map<String, Value>,
    resolved: &Map<String, Value>,
    live: &Map<String, Value>,
) -> Option<Update> {
    let differences = compare::differences(resolved, live);
    if differences.is_empty() {
        return None;
    }
    let mut sent = Map::new();
    for path in &differences {
        let Some(compare::Segment::Key(key)) = path.first() else {
            continue;
        };
        if sent.contains_key(key) {
            continue;
        }
        let mut value = live.get(key).cloned().unwrap_or(Value::Null);
        crate::desired::merge(&mut value, &body[key]);
        sent.insert(key.clone(), value);
    }
    let (body_value, live_value) = (Value::Object(body.clone()), Value::Object(live.clone()));
    let fields = differences
        .iter()
        .flat_map(|path| field_changes(path, &body_value, &live_value))
        .collect();
    Some(Update {
        sent,
        fields,
        differences: differences.len(),
    })
}

/// Field differences as a reviewer sees them, sensitive values masked. A subtree missing on
/// the live side is shown leaf by leaf.
fn field_changes(path: &Path, body: &Value, live: &Value) -> Vec<FieldChange> {
    let desired = path.value_in(body);
    let before = path.value_in(live);
    let mut paths = Vec::new();
    match (desired, before) {
        (Some(value @ (Value::Object(_) | Value::Array(_))), None) => {
            compare::leaves(value, &mut path.clone(), &mut paths);
        }
        _ => paths.push(path.clone()),
    }
    paths
        .iter()
        .map(|path| field_change(path, body, live))
        .collect()
}

/// One field difference, sensitive values masked.
fn field_change(path: &Path, body: &Value, live: &Value) -> FieldChange {
    let desired = path.value_in(body);
    let live = path.value_in(live);
    let before = live.map(|value| {
        sensitive::show(
            &mut path.clone(),
            value,
            Side::Live(desired),
            desired.is_some(),
        )
    });
    let after = desired
        .map(|value| sensitive::show(&mut path.clone(), value, Side::Desired, live.is_some()));
    FieldChange {
        path: path.to_string(),
        before,
        after,
        origin: None,
    }
}

/// Every leaf of a body that is created, as field changes from nothing.
pub(crate) fn created_fields(body: &Map<String, Value>) -> Vec<FieldChange> {
    let body = Value::Object(body.clone());
    let nothing = Value::Object(Map::new());
    let mut paths = Vec::new();
    compare::leaves(&body, &mut Path::root(), &mut paths);
    paths
        .iter()
        .map(|path| field_change(path, &body, &nothing))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::compare::object as map;
    use serde_json::json;

    #[test]
    fn sends_whole_owned_fields_merged_over_live() {
        let body = map(json!({"server": {"url": "https://new"}, "name": "A"}));
        let live = map(
            json!({"server": {"url": "https://old", "timeoutSeconds": 20}, "name": "A", "other": 1}),
        );
        let planned = update(&body, &body, &live).expect("differs");
        assert_eq!(
            Value::Object(planned.sent),
            json!({"server": {"url": "https://new", "timeoutSeconds": 20}})
        );
        assert_eq!(planned.differences, 1);
        assert_eq!(planned.fields[0].path, "server.url");
        assert!(
            update(
                &body,
                &body,
                &map(json!({"server": {"url": "https://new", "x": 1}, "name": "A"}))
            )
            .is_none()
        );
    }

    #[test]
    fn an_object_of_another_type_is_replaced_not_merged() {
        let body = map(json!({"fallbackDestination": {"type": "sip", "sipUri": "sip:a@b.c"}}));
        let live = map(
            json!({"fallbackDestination": {"type": "number", "number": "+14155550100", "extension": "1"}}),
        );
        let planned = update(&body, &body, &live).expect("differs");
        assert_eq!(Value::Object(planned.sent), Value::Object(body));
    }
}
