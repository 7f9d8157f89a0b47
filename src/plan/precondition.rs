//! Preconditions: the live fields a change read or will write, fingerprinted when the plan is
//! made, so that a saved plan can tell whether the account moved since.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::change::Unchanged;
use super::compare::{self, Path};
use super::sensitive::{self, Side};

/// The phone-number fields that decide what a caller reaches (see [`super::route`]). Every
/// number change watches all of them, whatever it writes: a squad set in the dashboard since
/// the plan was made matters, and so does a server URL, whose webhook answers an unrouted
/// number.
pub(super) const ROUTING_FIELDS: [&str; 6] = [
    "assistantId",
    "squadId",
    "workflowId",
    "hooks",
    "fallbackDestination",
    "server",
];

/// The precondition of a write to the live object: its `keys`, fingerprinted. `desired` is the
/// body the change writes, whose `${env.*}` references mark the live values at the same paths
/// as secrets.
pub(crate) fn unchanged<'k, I: Clone>(
    id: &I,
    updated_at: &str,
    live: &Map<String, Value>,
    keys: impl IntoIterator<Item = &'k str>,
    desired: Option<&Map<String, Value>>,
) -> Unchanged<I> {
    Unchanged {
        id: id.clone(),
        updated_at: updated_at.to_owned(),
        fields: fingerprints(live, keys, desired),
    }
}

/// Field name to the sha256 of its live value (`null` when missing), with sensitive leaves
/// replaced by a marker so no secret is hashed into a plan file.
pub(crate) fn fingerprints<'k>(
    live: &Map<String, Value>,
    keys: impl IntoIterator<Item = &'k str>,
    desired: Option<&Map<String, Value>>,
) -> BTreeMap<String, String> {
    keys.into_iter()
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(|key| {
            let mut path = Path::root().key(key);
            let value = live.get(key).unwrap_or(&Value::Null);
            // Masked as a plan shows it: the same rule decides what is secret.
            let masked = sensitive::show(
                &mut path,
                value,
                Side::Live(desired.and_then(|d| d.get(key))),
                false,
            );
            (key.to_owned(), compare::sha256(&masked))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::compare::object as map;
    use serde_json::json;

    #[test]
    fn fingerprints_cover_each_key_and_ignore_other_fields() {
        let a = map(json!({"name": "A", "model": {"b": 1, "a": 2}, "other": 1}));
        let b = map(json!({"model": {"a": 2, "b": 1}, "name": "A", "other": 2}));
        let keys = ["name", "model", "squadId"];
        assert_eq!(fingerprints(&a, keys, None), fingerprints(&b, keys, None));
        let c = map(json!({"name": "A", "model": {"b": 1, "a": 2}, "squadId": "s"}));
        let (fa, fc) = (fingerprints(&a, keys, None), fingerprints(&c, keys, None));
        assert_eq!(fa["name"], fc["name"]);
        assert_ne!(fa["squadId"], fc["squadId"]);
    }

    #[test]
    fn secrets_are_never_hashed() {
        let live = |token: &str, hook: &str| {
            map(
                json!({"server": {"url": format!("https://x/?t={hook}"), "headers": {"x-token": token}}}),
            )
        };
        let desired = map(json!({"server": {"url": "https://x/?t=${env.HOOK}"}}));
        let one = fingerprints(&live("a", "b"), ["server"], Some(&desired));
        let two = fingerprints(&live("c", "d"), ["server"], Some(&desired));
        assert_eq!(one, two, "secret values must not change the fingerprint");
        let other_url = map(json!({"server": {"url": "https://y/", "headers": {"x-token": "a"}}}));
        assert_ne!(one, fingerprints(&other_url, ["server"], None));
    }
}
