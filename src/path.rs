//! A place in a JSON document: the keys and indexes that lead to it from the root. One type
//! for the desired file's diagnostics (`businesses.acme.numbers[1]`) and for the fields of a
//! body the planner compares, shows and verifies (`model.messages[0].content`), displayed the
//! same way: a key that is not plain text is quoted (`metadata["a.b"]`), so that a path reads
//! back as the one it is.

use std::fmt;
use std::ops::Deref;

use serde_json::Value;

/// One step of a [`Path`]: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A location in a document as a list of keys and indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Path(pub(crate) Vec<Segment>);

/// The steps, for reading them as a slice.
impl Deref for Path {
    type Target = [Segment];

    fn deref(&self) -> &[Segment] {
        &self.0
    }
}

impl From<Vec<Segment>> for Path {
    fn from(segments: Vec<Segment>) -> Self {
        Path(segments)
    }
}

impl Path {
    /// Goes one step down, in place: for a walk that keeps one path and takes the step back
    /// with [`Path::pop`].
    pub(crate) fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    /// Takes back the last step, in place.
    pub(crate) fn pop(&mut self) -> Option<Segment> {
        self.0.pop()
    }

    /// What is at this path in `value`, if anything: a key leads into a mapping only, an
    /// index into a list only.
    pub(crate) fn value_in<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.0
            .iter()
            .try_fold(value, |value, segment| match segment {
                Segment::Key(key) => value.as_object()?.get(key),
                Segment::Index(index) => value.as_array()?.get(*index),
            })
    }

    /// The document root.
    pub(crate) fn root() -> Self {
        Path(Vec::new())
    }

    /// This path extended by a key.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Path(segments)
    }

    /// This path extended by an index.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Path(segments)
    }

    /// This path extended by every step of `relative`.
    pub(crate) fn join(&self, relative: &Path) -> Self {
        let mut segments = self.0.clone();
        segments.extend(relative.0.iter().cloned());
        Path(segments)
    }

    /// Reads a path written as [`Path`] displays it (`businesses.acme.numbers[0]`,
    /// `templates["a b"]`). Text that is not a path reads as far as it can.
    pub(crate) fn parse(text: &str) -> Self {
        let mut path = Path::root();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(inner) = rest.strip_prefix('[') {
                let Some(end) = closing_bracket(inner) else {
                    break;
                };
                let segment = &inner[..end];
                rest = &inner[end + 1..];
                if let Ok(index) = segment.parse() {
                    path = path.index(index);
                } else if let Ok(key) = serde_json::from_str::<String>(segment) {
                    path = path.key(&key);
                } else {
                    break;
                }
            } else {
                let rest_key = rest.strip_prefix('.').unwrap_or(rest);
                let end = rest_key.find(['.', '[']).unwrap_or(rest_key.len());
                path = path.key(&rest_key[..end]);
                rest = &rest_key[end..];
            }
        }
        path
    }

    /// The path one step up, or `None` at the root.
    pub(crate) fn parent(&self) -> Option<Self> {
        let (_, rest) = self.0.split_last()?;
        Some(Path(rest.to_vec()))
    }
}

/// Where the `]` closing a path segment is in `text` (which follows the `[`), skipping a
/// `]` inside a quoted key.
fn closing_bracket(text: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(at),
            _ => {}
        }
    }
    None
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => {
                    let quoted = serde_json::to_string(key).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_path_leads_into_a_value_by_keys_and_indexes() {
        let value = json!({"a": [{"b": 3}], "0": "key"});
        let path = Path::root().key("a").index(0).key("b");
        assert_eq!(path.to_string(), "a[0].b");
        assert_eq!(path.value_in(&value), Some(&json!(3)));
        assert_eq!(Path::root().key("0").value_in(&value), Some(&json!("key")));
        // A key does not lead into a list, nor an index into a mapping.
        assert_eq!(Path::root().key("a").key("0").value_in(&value), None);
        assert_eq!(Path::root().index(0).value_in(&value), None);
        assert_eq!(Path::root().key("a").index(1).value_in(&value), None);
    }

    #[test]
    fn formats_paths() {
        let path = Path::root()
            .key("businesses")
            .key("acme-plumbing")
            .key("numbers")
            .index(1);
        assert_eq!(path.to_string(), "businesses.acme-plumbing.numbers[1]");
        assert_eq!(
            Path::root().key("a").key("x.y z").to_string(),
            r#"a["x.y z"]"#
        );
        assert_eq!(
            path.parent().unwrap().to_string(),
            "businesses.acme-plumbing.numbers"
        );
    }

    #[test]
    fn parses_paths_as_displayed() {
        for path in [
            Path::root(),
            Path::root()
                .key("businesses")
                .key("acme")
                .key("numbers")
                .index(1),
            Path::root().key("templates").key("x.y z").key("a\"]b"),
            Path::root().key("ignore").key("numbers").index(0),
        ] {
            assert_eq!(Path::parse(&path.to_string()), path);
        }
        assert_eq!(
            Path::parse("businesses.acme[oops"),
            Path::root().key("businesses").key("acme")
        );
    }
}
