//! The comparator shared by the planner and apply's verification: does the live object hold
//! what the desired body declares?
//!
//! Rules: a desired `null` matches a missing or `null` live value; inside objects, keys present
//! only on the live side are tolerated (the server fills defaults); arrays match element by
//! element with equal length; numbers compare by value (`1` equals `1.0`).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A field path, e.g. `model.messages[0].content`.
pub type Path = Vec<Segment>;

/// Renders a path as `a.b[0].c`.
pub fn display(path: &[Segment]) -> String {
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Index(index) => {
                use std::fmt::Write as _;
                let _ = write!(text, "[{index}]");
            }
        }
    }
    text
}

/// The value at `path`, if there is one.
pub fn value_at<'a>(value: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        Segment::Key(key) => value.get(key),
        Segment::Index(index) => value.get(index),
    })
}

/// The leaf fields of a value at `path`: scalars, empty containers and arrays of scalars,
/// so a created object reads field by field.
pub fn leaves(value: &Value, path: &mut Path, out: &mut Vec<Path>) {
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
pub fn differences(desired: &Map<String, Value>, live: &Map<String, Value>) -> Vec<Path> {
    let mut found = Vec::new();
    for (key, want) in desired {
        walk(
            want,
            live.get(key),
            &mut vec![Segment::Key(key.clone())],
            &mut found,
        );
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

/// sha256 (hex) of the canonical JSON of a value: equal values give equal digests whatever
/// their key order.
pub fn sha256(value: &Value) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            panic!("not an object")
        };
        map
    }

    fn paths(desired: Value, live: Value) -> Vec<String> {
        differences(&map(desired), &map(live))
            .iter()
            .map(|p| display(p))
            .collect()
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

    #[test]
    fn sha256_ignores_key_order() {
        let a = json!({"name": "A", "model": {"b": 1, "a": 2}});
        let b = json!({"model": {"a": 2, "b": 1}, "name": "A"});
        assert_eq!(sha256(&a), sha256(&b));
        assert_ne!(sha256(&a), sha256(&json!({"name": "B"})));
    }

    #[test]
    fn value_at_follows_keys_and_indices() {
        let v = json!({"a": [{"b": 3}]});
        assert_eq!(
            value_at(
                &v,
                &[
                    Segment::Key("a".into()),
                    Segment::Index(0),
                    Segment::Key("b".into())
                ]
            ),
            Some(&json!(3))
        );
        assert_eq!(
            display(&[
                Segment::Key("a".into()),
                Segment::Index(0),
                Segment::Key("b".into())
            ]),
            "a[0].b"
        );
    }
}
