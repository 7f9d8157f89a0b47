//! The shape of the document: deserialising the raw [`File`] types, part by part when it
//! fails, so that every broken part is reported at the path where serde stopped.
//!
//! A valid document is deserialised in one pass, without tracking paths. Only when that fails
//! is each part (`version`, each other top-level section, and each entry of the keyed
//! sections) deserialised on its own, with its path tracked; the parts without problems are
//! then deserialised together, so the rest of the file is still checked and expanded.

use super::diagnostic::{Path, Problem, Segment};
use super::file::{File, KEYED_SECTIONS, Mapping};
use super::validate::closest;
use serde::Deserialize as _;
use serde_json::{Map, Value};

/// The raw file, with a problem pushed for every part that does not deserialise; `None` when
/// nothing usable is left (the document is not a mapping).
pub(crate) fn deserialize(root: &Value, problems: &mut Vec<Problem>) -> Option<File> {
    if let Ok(Mapping(file)) = Mapping::<File>::deserialize(root) {
        return Some(file);
    }
    let Value::Object(sections) = root else {
        problems.extend(if root.is_null() {
            Some(Problem::value(
                &Path::root(),
                "the file is empty; it must be a mapping that starts with `version: 1`",
            ))
        } else {
            check(root).err()
        });
        return None;
    };
    // `version` on its own, so that a missing or wrong one is reported once; the other parts
    // are checked beside a valid one.
    let version = if let Some(version) = sections.get("version") {
        sound(
            beside_version("version", version.clone()),
            "version",
            problems,
        )
    } else {
        problems.push(Problem::value(
            &Path::root(),
            "missing field `version`; add `version: 1` at the top of the file",
        ));
        None
    };
    let mut kept = Map::from_iter([("version".to_owned(), version.unwrap_or(Value::from(1)))]);
    for (key, value) in sections.iter().filter(|(key, _)| *key != "version") {
        let entries = match value {
            Value::Object(entries) if KEYED_SECTIONS.contains(&key.as_str()) => entries,
            _ => {
                if let Some(value) = sound(beside_version(key, value.clone()), key, problems) {
                    kept.insert(key.clone(), value);
                }
                continue;
            }
        };
        let mut sound_entries = Map::new();
        for (entry, body) in entries {
            let one = Value::Object(Map::from_iter([(entry.clone(), body.clone())]));
            if let Some(Value::Object(one)) = sound(beside_version(key, one), key, problems) {
                sound_entries.extend(one);
            }
        }
        kept.insert(key.clone(), Value::Object(sound_entries));
    }
    match serde_path_to_error::deserialize(&Value::Object(kept)) {
        Ok(Mapping(file)) => Some(file),
        Err(error) => {
            // Parts that are sound alone are sound together; should they not be, say so.
            problems.push(problem(&error));
            None
        }
    }
}

/// A document of a valid `version` and one section.
fn beside_version(key: &str, value: Value) -> Map<String, Value> {
    Map::from_iter([
        ("version".to_owned(), Value::from(1)),
        (key.to_owned(), value),
    ])
}

/// Section `key` of `document` if the document deserialises; else its problem is pushed.
fn sound(document: Map<String, Value>, key: &str, problems: &mut Vec<Problem>) -> Option<Value> {
    let document = Value::Object(document);
    if let Err(problem) = check(&document) {
        problems.push(problem);
        return None;
    }
    match document {
        Value::Object(mut map) => map.remove(key),
        _ => None,
    }
}

/// Deserialises a document, with the problem where it fails.
fn check(document: &Value) -> Result<(), Problem> {
    serde_path_to_error::deserialize::<_, Mapping<File>>(document)
        .map(drop)
        .map_err(|error| problem(&error))
}

/// The problem a serde error describes, at its path: an unknown field at its key (with the
/// closest expected field as a suggestion), a missing field at the key of the mapping that
/// lacks it, anything else at the value.
fn problem(error: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let mut path = Path::root();
    for segment in error.path() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => path = path.index(*index),
            serde_path_to_error::Segment::Map { key } => path = path.key(key),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = error.inner().to_string();
    if message.starts_with("unknown field") {
        let message = suggestion(&path, &message).unwrap_or(message);
        Problem::key(&path, message)
    } else if message.starts_with("missing field") {
        Problem::key(&path, message)
    } else {
        Problem::value(&path, message)
    }
}

/// "did you mean" for serde's "unknown field `x`, expected one of `a`, `b`", when one of the
/// expected fields is close to the unknown one (the last key of `path`).
fn suggestion(path: &Path, message: &str) -> Option<String> {
    let Some(Segment::Key(field)) = path.0.last() else {
        return None;
    };
    let expected = message.strip_prefix(&format!("unknown field `{field}`"))?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let guess = closest(field, &names)?;
    Some(format!("unknown field `{field}`, did you mean `{guess}`?"))
}
