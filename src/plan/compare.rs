//! The comparator shared by the planner and apply's verification: does the live object hold
//! what the desired body declares?
//!
//! Rules: a desired `null` matches a missing or `null` live value; inside objects, keys present
//! only on the live side are tolerated (the server fills defaults); arrays match element by
//! element with equal length; numbers compare by value (`1` equals `1.0`).

use std::borrow::Cow;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub(crate) use crate::path::{Path, Segment};

/// The leaf fields of a value at `path`: scalars, empty containers and arrays of scalars,
/// so a created object reads field by field.
pub(crate) fn leaves(value: &Value, path: &mut Path, out: &mut Vec<Path>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                path.push(Segment::Key(key.clone()));
                leaves(inner, path, out);
                path.pop();
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (index, inner) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                leaves(inner, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// The paths where `live` does not hold what `desired` declares, deepest first point of difference.
pub(crate) fn differences(desired: &Map<String, Value>, live: &Map<String, Value>) -> Vec<Path> {
    let mut found = Vec::new();
    for (key, want) in desired {
        walk(want, live.get(key), &mut Path::root().key(key), &mut found);
    }
    found
}

fn walk(desired: &Value, live: Option<&Value>, path: &mut Path, found: &mut Vec<Path>) {
    match (desired, live) {
        (Value::Null, None | Some(Value::Null)) => {}
        (Value::Object(want), Some(Value::Object(have))) => {
            for (key, value) in want {
                path.push(Segment::Key(key.clone()));
                walk(value, have.get(key), path, found);
                path.pop();
            }
        }
        (Value::Array(want), Some(Value::Array(have))) if want.len() == have.len() => {
            for (index, (value, live)) in want.iter().zip(have).enumerate() {
                path.push(Segment::Index(index));
                walk(value, Some(live), path, found);
                path.pop();
            }
        }
        (Value::Number(want), Some(Value::Number(have))) if want.as_f64() == have.as_f64() => {}
        (want, Some(have)) if want == have => {}
        _ => found.push(path.clone()),
    }
}

/// Whether the JSON object `live` holds what `desired` declares, by the rules above, read
/// straight from the text: how the planner finds thousands of unchanged assistants without
/// building a tree for each one. `id`, `createdAt` and `updatedAt` of `live` are not compared
/// (they are not body fields).
///
/// `text` gives what a desired string stands for (placeholders filled, secrets resolved), or
/// `None` when it cannot say (a secret is not set); then, as for anything else this cannot
/// read, the answer is `false`, and the caller compares the long way with [`differences`],
/// which has the final word. So `true` here always means `differences` finds nothing.
pub(crate) fn holds(
    desired: &Map<String, Value>,
    text: &dyn Fn(&str) -> Option<Cow<'_, str>>,
    live: &str,
) -> bool {
    let expect = Expect {
        want: Want::Fields(desired),
        text,
    };
    let mut reader = serde_json::Deserializer::from_str(live);
    expect.deserialize(&mut reader).is_ok() && reader.end().is_ok()
}

/// What a live value is compared with.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// A desired value.
    Value(&'a Value),
    /// The desired top-level fields of an object.
    Fields(&'a Map<String, Value>),
}

/// Reads one live value, failing as soon as it does not hold what is wanted.
struct Expect<'a, 't> {
    want: Want<'a>,
    text: &'t dyn Fn(&str) -> Option<Cow<'_, str>>,
}

impl Expect<'_, '_> {
    fn differs<E: serde::de::Error>() -> Result<(), E> {
        Err(E::custom("differs"))
    }

    fn number<E: serde::de::Error>(self, have: f64) -> Result<(), E> {
        match self.want {
            #[allow(clippy::float_cmp, reason = "the comparator's rule: equal by value")]
            Want::Value(Value::Number(want)) if want.as_f64() == Some(have) => Ok(()),
            _ => Self::differs(),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Expect<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Expect<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the desired value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        match self.want {
            Want::Value(Value::Null) => Ok(()),
            _ => Self::differs(),
        }
    }

    fn visit_bool<E: serde::de::Error>(self, have: bool) -> Result<(), E> {
        match self.want {
            Want::Value(Value::Bool(want)) if *want == have => Ok(()),
            _ => Self::differs(),
        }
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "numbers compare as f64, like as_f64"
    )]
    fn visit_u64<E: serde::de::Error>(self, have: u64) -> Result<(), E> {
        self.number(have as f64)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "numbers compare as f64, like as_f64"
    )]
    fn visit_i64<E: serde::de::Error>(self, have: i64) -> Result<(), E> {
        self.number(have as f64)
    }

    fn visit_f64<E: serde::de::Error>(self, have: f64) -> Result<(), E> {
        self.number(have)
    }

    fn visit_str<E: serde::de::Error>(self, have: &str) -> Result<(), E> {
        match self.want {
            Want::Value(Value::String(want)) if (self.text)(want).as_deref() == Some(have) => {
                Ok(())
            }
            _ => Self::differs(),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Want::Value(Value::Array(want)) = self.want else {
            return Self::differs();
        };
        for item in want {
            let expect = Expect {
                want: Want::Value(item),
                text: self.text,
            };
            if seq.next_element_seed(expect)?.is_none() {
                return Self::differs();
            }
        }
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Self::differs(),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (want, top) = match self.want {
            Want::Fields(fields) => (fields, true),
            Want::Value(Value::Object(fields)) => (fields, false),
            Want::Value(_) => return Self::differs(),
        };
        let mut seen = vec![false; want.len()];
        while let Some(LiveKey(key)) = map.next_key()? {
            let wanted = if top && ["id", "createdAt", "updatedAt"].contains(&key.as_ref()) {
                None
            } else {
                want.iter()
                    .enumerate()
                    .find(|(_, (wanted, _))| **wanted == key)
                    .map(|(index, (_, value))| (index, value))
            };
            match wanted {
                Some((index, value)) => {
                    seen[index] = true;
                    map.next_value_seed(Expect {
                        want: Want::Value(value),
                        text: self.text,
                    })?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // A desired `null` matches a missing field; nothing else does.
        let missing = want
            .values()
            .zip(&seen)
            .any(|(value, seen)| !seen && !value.is_null());
        if missing { Self::differs() } else { Ok(()) }
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct LiveKey<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for LiveKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = LiveKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                key: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(LiveKey(Cow::Borrowed(key)))
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
                Ok(LiveKey(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// sha256 (hex) of the canonical JSON of a value: equal values give equal digests whatever
/// their key order.
pub(crate) fn sha256(value: &Value) -> String {
    let mut text = String::new();
    canonical(value, &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(&Value::String(key.clone()), out);
                out.push(':');
                canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A JSON object literal as a map: how the tests of the planner write bodies.
#[cfg(test)]
pub(crate) fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

#[cfg(test)]
mod tests {
    use super::object as map;
    use super::*;
    use serde_json::json;

    fn paths(desired: Value, live: Value) -> Vec<String> {
        differences(&map(desired), &map(live))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_key_that_is_not_plain_text_is_quoted_in_its_path() {
        assert_eq!(
            paths(
                json!({"metadata": {"a.b": 1, "plain_key-1": [0, {"x y": 1}]}}),
                json!({"metadata": {"a.b": 2, "plain_key-1": [0, {"x y": 2}]}})
            ),
            [r#"metadata["a.b"]"#, r#"metadata.plain_key-1[1]["x y"]"#]
        );
    }

    #[test]
    fn live_only_keys_are_tolerated_and_null_matches_absent() {
        assert!(
            paths(
                json!({"model": {"model": "gpt-4o"}, "x": null}),
                json!({"model": {"model": "gpt-4o", "temperature": 1}})
            )
            .is_empty()
        );
    }

    #[test]
    fn differences_name_the_deepest_field() {
        assert_eq!(
            paths(
                json!({"model": {"messages": [{"role": "system", "content": "new"}]}, "name": "A"}),
                json!({"model": {"messages": [{"role": "system", "content": "old"}]}, "name": "A"})
            ),
            ["model.messages[0].content"]
        );
        assert_eq!(
            paths(
                json!({"endCallPhrases": ["bye"]}),
                json!({"endCallPhrases": ["bye", "ciao"]})
            ),
            ["endCallPhrases"]
        );
        assert_eq!(paths(json!({"name": "A"}), json!({})), ["name"]);
        assert_eq!(
            paths(
                json!({"voicemailMessage": null}),
                json!({"voicemailMessage": "hi"})
            ),
            ["voicemailMessage"]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(paths(json!({"t": 1}), json!({"t": 1.0})).is_empty());
        assert_eq!(paths(json!({"t": 1}), json!({"t": "1"})), ["t"]);
    }

    fn holds_as_is(desired: &Value, live: &Value) -> bool {
        holds(
            &map(desired.clone()),
            &|text| Some(Cow::Borrowed(text)),
            &live.to_string(),
        )
    }

    #[test]
    fn holds_reads_the_text_by_the_same_rules() {
        let desired = json!({"model": {"model": "gpt-4o", "t": 1}, "x": null, "tags": ["a"]});
        let live = json!({"id": "i", "createdAt": "c", "model": {"t": 1.0, "model": "gpt-4o", "extra": [1]}, "tags": ["a"], "y": {}});
        assert!(holds_as_is(&desired, &live));
        assert!(!holds_as_is(
            &desired,
            &json!({"model": {"model": "gpt-4o", "t": 1}, "tags": ["a", "b"]})
        ));
        assert!(!holds_as_is(
            &desired,
            &json!({"model": {"model": "gpt-4o", "t": 1}})
        ));
        assert!(
            !holds_as_is(&json!({"id": "i"}), &json!({"id": "i"})),
            "id is not a body field"
        );
        let missing_secret = holds(&map(json!({"a": "x"})), &|_| None, r#"{"a":"x"}"#);
        assert!(!missing_secret, "what the text cannot say is not a match");
        let filled = holds(
            &map(json!({"a": "${x}", "b": "plain"})),
            &|text| {
                Some(if text == "${x}" {
                    Cow::Owned("X".to_owned())
                } else {
                    Cow::Borrowed(text)
                })
            },
            r#"{"a":"X","b":"plain"}"#,
        );
        assert!(filled);
    }

    fn leaf() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0_i64..3).prop_map(Value::from),
            (0_i32..3).prop_map(|n| json!(f64::from(n))),
            Just(json!(-1)),
            "[ab\\\"]{0,2}".prop_map(Value::String),
        ]
    }

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        leaf().prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map("[abc]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn object() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        proptest::collection::btree_map("[abc]", value(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn holds_agrees_with_differences(
            desired in object(),
            other in object(),
            same in proptest::bool::ANY,
            swaps in proptest::collection::vec((proptest::bool::weighted(0.3), leaf()), 32),
        ) {
            // Half the time the live object starts as the desired one with a few leaves
            // swapped, so near misses and equal cases come up.
            let mut live = if same {
                perturb(&desired, &mut swaps.into_iter())
            } else {
                other.clone()
            };
            if same {
                merge_into(&mut live, &other);
            }
            let expected = differences(&map(desired.clone()), &map(live.clone())).is_empty();
            proptest::prop_assert_eq!(holds_as_is(&desired, &live), expected, "{} vs {}", desired, live);
        }
    }

    /// `value` with some leaves replaced, as `swaps` says (in order; none once it runs out).
    fn perturb(value: &Value, swaps: &mut impl Iterator<Item = (bool, Value)>) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, inner)| (key.clone(), perturb(inner, swaps)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|i| perturb(i, swaps)).collect()),
            leaf => match swaps.next() {
                Some((true, other)) => other,
                _ => leaf.clone(),
            },
        }
    }

    /// Adds `extra`'s keys that `base` lacks, at any depth: a live object with server defaults.
    fn merge_into(base: &mut Value, extra: &Value) {
        if let (Value::Object(base), Value::Object(extra)) = (base, extra) {
            for (key, value) in extra {
                match base.get_mut(key) {
                    Some(inner) => merge_into(inner, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
    }

    #[test]
    fn sha256_ignores_key_order() {
        let a = json!({"name": "A", "model": {"b": 1, "a": 2}});
        let b = json!({"model": {"a": 2, "b": 1}, "name": "A"});
        assert_eq!(sha256(&a), sha256(&b));
        assert_ne!(sha256(&a), sha256(&json!({"name": "B"})));
    }

    #[test]
    fn leaves_are_scalars_empty_containers_and_arrays_of_scalars() {
        let value = json!({
            "a": {"b": 1, "c": []},
            "d": [1, "x"],
            "e": [{"f": 1}, [2]],
            "g": {},
            "h": [{"i": null}, 3],
        });
        let mut found = Vec::new();
        leaves(&value, &mut Path::root(), &mut found);
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["a.b", "a.c", "d", "e[0].f", "e[1]", "g", "h[0].i", "h[1]"]
        );
    }

    #[test]
    fn the_canonical_form_sorts_keys_and_separates_items() {
        let mut text = String::new();
        canonical(
            &json!({"b": [1, 2, {"d": null, "c": "x"}], "a": {}, "e": []}),
            &mut text,
        );
        assert_eq!(text, r#"{"a":{},"b":[1,2,{"c":"x","d":null}],"e":[]}"#);
        assert_ne!(sha256(&json!([1, 2])), sha256(&json!([12])));
    }
}
