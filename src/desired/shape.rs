//! The shape of the document: deserialising the raw [`File`] types, part by part when it
//! fails, so that every broken part is reported at the path where serde stopped.
//!
//! A valid document is deserialised in one pass, without tracking paths. Only when that fails
//! is each part (`version`, each other top-level section, and each entry of the keyed
//! sections) deserialised on its own, with its path tracked. Within a part, every mistake is
//! found by taking out what failed and deserialising again, until the rest deserialises (see
//! [`sound`]); what is left of every part is then deserialised together, so the file is still
//! checked and expanded as far as it can be.

use super::diagnostic::{Path, Problem, Segment};
use super::file::{File, KEYED_SECTIONS, Mapping};
use super::validate::closest;
use std::collections::{BTreeMap, BTreeSet};

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
            problems.push(located(&error));
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

/// The most problems reported in one part; a part with more stops there.
const MAX_PROBLEMS_PER_PART: usize = 100;

/// Section `key` of `document`, with a problem pushed for each mistake in it: the value that
/// failed is taken out and the rest deserialised again, until it deserialises (what is left of
/// the section is returned) or nothing is left to take out (`None`). What is left is checked
/// further only when no list item was taken out, since the later checks name items by their
/// place in the list (`None` then too).
///
/// Taking a field out of a mapping can make the mapping itself fail (a required field now
/// missing, a choice of fields now empty); such a failure is a consequence, not a mistake of
/// its own, so it is not reported, and the mapping is taken out in turn.
fn sound(document: Map<String, Value>, key: &str, problems: &mut Vec<Problem>) -> Option<Value> {
    let mut document = Value::Object(document);
    let mut removed = Removed::default();
    for _ in 0..MAX_PROBLEMS_PER_PART {
        let error = match serde_path_to_error::deserialize::<_, Mapping<File>>(&document) {
            Ok(Mapping(_)) => {
                return match document {
                    Value::Object(mut map) if removed.items.is_empty() => map.remove(key),
                    _ => None,
                };
            }
            Err(error) => error,
        };
        let at = segments(&error);
        let original = removed.original(&at);
        if !removed.parents.contains(&original) {
            problems.push(problem(&original, error.inner().to_string()));
        }
        if !removed.take_out(&mut document, &at, &original) {
            return None;
        }
    }
    None
}

/// Where a serde error is, as steps into the document.
fn segments(error: &serde_path_to_error::Error<serde_json::Error>) -> Vec<Segment> {
    error
        .path()
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {
                None
            }
        })
        .collect()
}

/// What [`sound`] took out of a part, so that later paths still name places in the file.
#[derive(Default)]
struct Removed {
    /// For each list (by its path in the file), the indexes in the file of the items taken out.
    items: BTreeMap<Path, Vec<usize>>,
    /// The paths in the file of the mappings and lists something was taken out of.
    parents: BTreeSet<Path>,
}

impl Removed {
    /// The path in the file of `at`, steps into the document as it is now.
    fn original(&self, at: &[Segment]) -> Path {
        let mut path = Path::root();
        for segment in at {
            path = match segment {
                Segment::Key(key) => path.key(key),
                Segment::Index(index) => {
                    let gone = self.items.get(&path).map_or(&[][..], Vec::as_slice);
                    let original = (0..)
                        .filter(|i| !gone.contains(i))
                        .nth(*index)
                        .unwrap_or(*index);
                    path.index(original)
                }
            };
        }
        path
    }

    /// Takes the value at `at` (`original` in the file) out of `document`; false when there
    /// is nothing to take out, as when the whole document failed.
    fn take_out(&mut self, document: &mut Value, at: &[Segment], original: &Path) -> bool {
        let Some((last, parent)) = at.split_last() else {
            return false;
        };
        let container = parent
            .iter()
            .try_fold(document, |value, segment| match segment {
                Segment::Key(key) => value.get_mut(key),
                Segment::Index(index) => value.get_mut(*index),
            });
        let taken = match (container, last) {
            (Some(Value::Object(map)), Segment::Key(key)) => map.shift_remove(key).is_some(),
            (Some(Value::Array(items)), Segment::Index(index)) if *index < items.len() => {
                items.remove(*index);
                true
            }
            _ => false,
        };
        if let (true, Some(parent)) = (taken, original.parent()) {
            if let Some(Segment::Index(index)) = original.0.last() {
                self.items.entry(parent.clone()).or_default().push(*index);
            }
            self.parents.insert(parent);
        }
        taken
    }
}

/// Deserialises a document, with the problem where it fails.
fn check(document: &Value) -> Result<(), Problem> {
    serde_path_to_error::deserialize::<_, Mapping<File>>(document)
        .map(drop)
        .map_err(|error| located(&error))
}

/// The problem of a serde error, at its path.
fn located(error: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = Removed::default().original(&segments(error));
    problem(&path, error.inner().to_string())
}

/// The problem a serde error's `message` describes, at `path`: an unknown field at its key
/// (with the closest expected field as a suggestion), a missing field at the key of the
/// mapping that lacks it, anything else at the value.
fn problem(path: &Path, message: String) -> Problem {
    if message.starts_with("unknown field") {
        let message = suggestion(path, &message).unwrap_or(message);
        Problem::key(path, message)
    } else if message.starts_with("missing field") {
        Problem::key(path, message)
    } else {
        Problem::value(path, message)
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
