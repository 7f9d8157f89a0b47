//! The one walk over the strings of a JSON value, never its keys: what fills a body's
//! placeholders, resolves its `${env.*}` references, masks the numbers of a plan, reads a live
//! body back into a template's placeholders, and escapes an exported body. Containers are
//! rebuilt around what each string becomes; every other value is kept as it is.

use std::convert::Infallible;

use serde_json::{Map, Value};

use crate::path::{Path, Segment};

/// `value` with every string replaced by what `text` makes of it.
pub(crate) fn map(value: &Value, mut text: impl FnMut(&str) -> String) -> Value {
    let Ok(value) = walk::<Infallible>(value, &mut Path::root(), false, &mut |string, _| {
        Ok(text(string))
    });
    value
}

/// [`map`], stopped by the first error `text` returns.
pub(crate) fn try_map<E>(
    value: &Value,
    mut text: impl FnMut(&str) -> Result<String, E>,
) -> Result<Value, E> {
    walk(value, &mut Path::root(), false, &mut |string, _| {
        text(string)
    })
}

/// [`map`], `text` given where each string is: its path from the root of `value`.
pub(crate) fn map_at(value: &Value, mut text: impl FnMut(&str, &Path) -> String) -> Value {
    let Ok(value) = walk::<Infallible>(value, &mut Path::root(), true, &mut |string, at| {
        Ok(text(string, at))
    });
    value
}

/// Calls `visit` with every string of `values`, building nothing.
pub(crate) fn each<'v>(values: impl IntoIterator<Item = &'v Value>, visit: &mut impl FnMut(&str)) {
    for value in values {
        match value {
            Value::String(string) => visit(string),
            Value::Array(items) => each(items, visit),
            Value::Object(map) => each(map.values(), visit),
            _ => {}
        }
    }
}

/// The walk: `at` is where `value` is, kept up to date only when `track` (a path costs a copy
/// of every key on the way).
fn walk<E>(
    value: &Value,
    at: &mut Path,
    track: bool,
    text: &mut dyn FnMut(&str, &Path) -> Result<String, E>,
) -> Result<Value, E> {
    let mut step = |at: &mut Path, segment: Segment, item: &Value| {
        if !track {
            return walk(item, at, track, text);
        }
        at.push(segment);
        let item = walk(item, at, track, text);
        at.pop();
        item
    };
    Ok(match value {
        Value::String(string) => Value::String(text(string, at)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| step(at, Segment::Index(index), item))
                .collect::<Result<_, E>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), step(at, Segment::Key(key.clone()), item)?)))
                .collect::<Result<Map<String, Value>, E>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_string_and_only_strings_are_mapped_with_their_paths() {
        let value = json!({"a b": ["x", 1, {"c": "y", "d": null}], "e": true, "f": "z"});
        let mut seen = Vec::new();
        let mapped = map_at(&value, |string, at| {
            seen.push(format!("{at}={string}"));
            string.to_uppercase()
        });
        assert_eq!(
            mapped,
            json!({"a b": ["X", 1, {"c": "Y", "d": null}], "e": true, "f": "Z"})
        );
        assert_eq!(seen, [r#"["a b"][0]=x"#, r#"["a b"][2].c=y"#, "f=z"]);
        assert_eq!(map(&value, str::to_uppercase), mapped);
        let mut visited = Vec::new();
        each([&value], &mut |string| visited.push(string.to_owned()));
        assert_eq!(visited, ["x", "y", "z"]);
    }

    #[test]
    fn the_first_error_stops_the_walk() {
        let value = json!(["ok", "bad", "never"]);
        let mut asked = Vec::new();
        let result = try_map(&value, |string| {
            asked.push(string.to_owned());
            if string == "bad" {
                Err(string.to_owned())
            } else {
                Ok(string.to_owned())
            }
        });
        assert_eq!(result, Err("bad".to_owned()));
        assert_eq!(asked, ["ok", "bad"]);
        assert_eq!(try_map::<()>(&json!(7), |_| unreachable!()), Ok(json!(7)));
    }
}
