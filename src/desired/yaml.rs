//! From a file's YAML text to the JSON document the desired state is read from, in one pass
//! over `saphyr-parser`'s events: no event buffer, no YAML tree, no second walk.
//!
//! The pass enforces the bounds as it goes, before anything is built past them: nesting deeper
//! than `MAX_DEPTH` (64), aliases adding more than `MAX_ALIAS_NODES` nodes, a key written twice
//! in one mapping, a second document. Scalars resolve as YAML 1.2's core schema says (`null`,
//! `~` and nothing are null; `true` and `false` in three spellings; decimal, `0x`, `0o` and `0b`
//! integers, a decimal with leading zeros being text; floats); a quoted or block scalar is
//! text; `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` are honoured. Merge keys (`<<`)
//! are applied. What JSON cannot hold (a tag of the file's own, a list or mapping as a key, an
//! integer beyond 64 bits, `.inf`, `.nan`) is a problem at its path, and reading goes on, so
//! every such problem is reported at once.
//!
//! Paths are only built for a problem. Line and column are found by the same pass run again
//! over the text ([`positions`]), recording every node, only when a problem is to be located.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Value};

use super::diagnostic::{At, Path, Problem, Segment};

/// How many nodes aliases may add to the document before it is refused as an alias bomb.
const MAX_ALIAS_NODES: u64 = 100_000;

/// The deepest nesting of mappings and lists accepted. An assistant body needs a handful.
const MAX_DEPTH: usize = 64;

/// The handle `!!` stands for: YAML's own tags.
const CORE_SCHEMA: &str = "tag:yaml.org,2002:";

/// The key whose value is merged into its mapping.
const MERGE: &str = "<<";

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Pos {
    pub(super) const START: Pos = Pos { line: 1, column: 1 };

    fn of(span: Span) -> Self {
        Pos {
            line: span.start.line().max(1),
            column: span.start.col() + 1,
        }
    }
}

/// Where a node is: its key (for mapping entries) and its value.
#[derive(Debug, Clone, Copy)]
struct Place {
    key: Option<Pos>,
    value: Pos,
    /// Whether the value is a mapping or a list (as opposed to a scalar).
    container: bool,
}

/// Positions of the nodes of a file's document, by path within it.
#[derive(Debug, Default)]
pub(super) struct Positions {
    nodes: HashMap<Path, Place>,
}

impl Positions {
    /// The position of a problem: its own node, or the nearest ancestor's key.
    pub(super) fn locate(&self, path: &Path, at: At) -> Pos {
        let mut path = path.clone();
        let mut at = at;
        loop {
            if let Some(place) = self.nodes.get(&path) {
                return match at {
                    At::Key => place.key.unwrap_or(place.value),
                    // A block mapping or list starts at its first entry, which would
                    // mislead, so point at its key; a block scalar's text is the place.
                    At::Value => match place.key {
                        Some(key) if place.container && place.value.line > key.line => key,
                        _ => place.value,
                    },
                };
            }
            match path.parent() {
                Some(parent) => {
                    path = parent;
                    at = At::Key;
                }
                None => return Pos::START,
            }
        }
    }
}

/// Why a file could not be read at all, and where.
pub(super) struct Failure {
    pub(super) pos: Pos,
    pub(super) message: String,
}

/// A document read: its JSON (`Null` for a file without content) and every part of it JSON
/// cannot hold, at its path.
pub(super) struct Document {
    pub(super) root: Value,
    pub(super) problems: Vec<Problem>,
}

/// Reads the document of `text`, whose paths start at `base` in the desired state.
pub(super) fn read(text: &str, base: &Path) -> Result<Document, Failure> {
    read_taking(text, base, None)
}

/// Entries of one top-level section handed over as they are read, rather than built into the
/// document: a fleet's businesses are nearly all of its file, and each is read into its own
/// type at once, so the document never holds them all. `entry` is given each entry's key and
/// value and says whether it took it; an entry taken leaves `null` in its place, so that keys
/// are still told apart as written. Not for a section with an anchor, whose aliases repeat it
/// whole.
pub(super) struct Take<'t> {
    pub(super) section: &'t str,
    pub(super) entry: &'t mut dyn FnMut(&str, &Value) -> bool,
}

/// [`read`], with the entries of a section handed to `take` as they are read.
pub(super) fn read_taking(
    text: &str,
    base: &Path,
    take: Option<Take<'_>>,
) -> Result<Document, Failure> {
    let mut reader = Reader::new(base.clone(), None, take);
    reader.run(text)?;
    Ok(Document {
        root: reader.root.unwrap_or(Value::Null),
        problems: reader.problems,
    })
}

/// The position of every node of `text`'s document, as far as it reads.
pub(super) fn positions(text: &str) -> Positions {
    let mut reader = Reader::new(Path::root(), Some(Positions::default()), None);
    // A file that stops reading is located up to where it stops.
    let _ = reader.run(text);
    reader.positions.unwrap_or_default()
}

/// A mapping key read and waiting for its value.
enum Key {
    /// A key JSON holds.
    Text(String),
    /// `<<`: the value is merged into the mapping.
    Merge,
    /// A list or mapping as a key: the entry is dropped.
    Dropped,
}

/// A container being read.
#[expect(
    clippy::large_enum_variant,
    reason = "one per level of nesting, at most 64, and each becomes a mapping or a list"
)]
enum Node {
    Mapping {
        map: Map<String, Value>,
        /// The key waiting for its value, and where it is.
        key: Option<(Key, Pos)>,
        /// Keys as written, where that differs from the key JSON holds (`0x10` for `16`), to
        /// tell a key written twice from two keys that read the same.
        written: HashMap<String, String>,
        /// The value of `<<`, merged when the mapping ends.
        merge: Option<Value>,
    },
    Sequence(Vec<Value>),
}

/// A container open during the pass.
struct Frame {
    node: Node,
    anchor: usize,
    /// The node count when it opened, itself counted.
    start_nodes: u64,
    /// Whether it is a mapping key or inside one, where nothing has a path.
    in_key: bool,
}

/// An anchored node, for the aliases that repeat it.
struct Anchored {
    value: Value,
    nodes: u64,
}

/// The state of one pass over a document.
struct Reader<'t> {
    base: Path,
    /// Where the entries of one section go, when they are taken.
    take: Option<Take<'t>>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    nodes: u64,
    alias_nodes: u64,
    documents: usize,
    root: Option<Value>,
    problems: Vec<Problem>,
    /// Where every node is, when recording.
    positions: Option<Positions>,
}

/// The problem of nesting beyond `MAX_DEPTH`.
fn too_deep() -> String {
    format!("mappings and lists nest deeper than {MAX_DEPTH} levels, the most vapiform reads")
}

impl<'t> Reader<'t> {
    fn new(base: Path, positions: Option<Positions>, take: Option<Take<'t>>) -> Self {
        Self {
            base,
            take,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            alias_nodes: 0,
            documents: 0,
            root: None,
            problems: Vec::new(),
            positions,
        }
    }

    fn run(&mut self, text: &str) -> Result<(), Failure> {
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|err| invalid(&err))?;
            let pos = Pos::of(span);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(Failure {
                            pos,
                            message: "the file holds more than one YAML document; vapiform reads exactly one".to_owned(),
                        });
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.nodes = self.nodes.saturating_add(1);
                    self.enter(pos, false);
                    let value = self.scalar(&text, style, tag.as_deref());
                    if anchor > 0 {
                        let anchored = Anchored {
                            value: value.clone(),
                            nodes: 1,
                        };
                        self.anchors.insert(anchor, anchored);
                    }
                    self.accept(value, Some(&text), pos)?;
                }
                Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                    self.nodes = self.nodes.saturating_add(1);
                    self.enter(pos, true);
                    if let Some(tag) = tag.as_deref() {
                        self.untagged(tag);
                    }
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(Failure {
                            pos,
                            message: too_deep(),
                        });
                    }
                    let node = if matches!(event, Event::MappingStart(..)) {
                        Node::Mapping {
                            map: Map::new(),
                            key: None,
                            written: HashMap::new(),
                            merge: None,
                        }
                    } else {
                        Node::Sequence(Vec::new())
                    };
                    let in_key = self.reads_key() || self.stack.last().is_some_and(|f| f.in_key);
                    self.stack.push(Frame {
                        node,
                        anchor,
                        start_nodes: self.nodes - 1,
                        in_key,
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => self.close(pos)?,
                Event::Alias(id) => self.alias(id, pos)?,
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(())
    }

    /// Whether the value read now is an entry of the section whose entries are taken: the
    /// innermost container is that section's mapping, without an anchor, at the top level.
    fn takes_entry(&self) -> bool {
        let Some(take) = &self.take else {
            return false;
        };
        match &self.stack[..] {
            [
                Frame {
                    node:
                        Node::Mapping {
                            key: Some((Key::Text(section), _)),
                            ..
                        },
                    ..
                },
                Frame {
                    node: Node::Mapping { .. },
                    anchor: 0,
                    in_key: false,
                    ..
                },
            ] => section == take.section,
            _ => false,
        }
    }

    /// Whether the next node is a mapping key.
    fn reads_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                node: Node::Mapping { key: None, .. },
                ..
            })
        )
    }

    /// The path of the node read next, when it is a value with a path (not a key, nor inside
    /// one, nor the value of a key dropped).
    fn path(&self) -> Option<Path> {
        self.path_through(&self.stack)
    }

    /// The path of the innermost open container, when it has one.
    fn container_path(&self) -> Option<Path> {
        let (innermost, outer) = self.stack.split_last()?;
        if innermost.in_key {
            return None;
        }
        self.path_through(outer)
    }

    /// The path of what `frames` (from the root) read next.
    fn path_through(&self, frames: &[Frame]) -> Option<Path> {
        let mut path = self.base.clone();
        for frame in frames {
            if frame.in_key {
                return None;
            }
            path.0.push(match &frame.node {
                Node::Mapping {
                    key: Some((Key::Text(key), _)),
                    ..
                } => Segment::Key(key.clone()),
                Node::Mapping {
                    key: Some((Key::Merge, _)),
                    ..
                } => Segment::Key(MERGE.to_owned()),
                Node::Mapping { .. } => return None,
                Node::Sequence(items) => Segment::Index(items.len()),
            });
        }
        Some(path)
    }

    /// A problem with the node read next: its value, or the key of its mapping when it is a
    /// key. Nothing inside a key is reported; the key is, as a key JSON cannot hold.
    fn problem(&mut self, message: String) {
        let problem = if self.reads_key() {
            self.container_path()
                .map(|path| Problem::key(&path, message))
        } else {
            self.path().map(|path| Problem::value(&path, message))
        };
        self.problems.extend(problem);
    }

    /// Records where the node starting at `pos` is, when recording.
    fn enter(&mut self, pos: Pos, container: bool) {
        if self.positions.is_none() || self.reads_key() {
            return;
        }
        let key = match self.stack.last() {
            Some(Frame {
                node: Node::Mapping {
                    key: Some((_, at)), ..
                },
                ..
            }) => Some(*at),
            _ => None,
        };
        if let Some(path) = self.path()
            && let Some(positions) = &mut self.positions
        {
            positions.nodes.entry(path).or_insert(Place {
                key,
                value: pos,
                container,
            });
        }
    }

    /// Reports a tag JSON has no place for; `!!` tags are YAML's own and read as such.
    fn untagged(&mut self, tag: &Tag) {
        if tag.handle == CORE_SCHEMA {
            return;
        }
        self.problem(format!(
            "YAML tags such as `{}{}` are not supported",
            tag.handle, tag.suffix
        ));
    }

    /// The value of a scalar, reporting what JSON cannot hold.
    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
        let core = match tag {
            Some(tag) if tag.handle == CORE_SCHEMA => Some(tag.suffix.as_str()),
            Some(tag) => {
                self.untagged(tag);
                None
            }
            None => None,
        };
        let resolved = match core {
            Some(kind @ ("bool" | "int" | "float" | "null")) => match plain(text) {
                Ok(value) if kind_of(&value) == Some(kind) => Ok(value),
                Ok(Value::Number(number)) if kind == "float" => number
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("`{text}` is not a valid !!float")),
                _ => Err(format!("`{text}` is not a valid !!{kind}")),
            },
            None if style == ScalarStyle::Plain => plain(text),
            Some(_) | None => Ok(Value::String(text.to_owned())),
        };
        resolved.unwrap_or_else(|message| {
            self.problem(message);
            Value::Null
        })
    }

    /// Puts a finished node in its container: as a key, a value, an item, or the root.
    /// `written` is a scalar's text as written.
    fn accept(&mut self, value: Value, written: Option<&str>, pos: Pos) -> Result<(), Failure> {
        if self.reads_key() {
            let key = self.key(value, written, pos)?;
            if let Some(Frame {
                node: Node::Mapping { key: pending, .. },
                ..
            }) = self.stack.last_mut()
            {
                *pending = Some((key, pos));
            }
            return Ok(());
        }
        let taken = self.takes_entry();
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame {
                node: Node::Sequence(items),
                ..
            }) => items.push(value),
            Some(Frame {
                node: Node::Mapping {
                    map, key, merge, ..
                },
                ..
            }) => match key.take() {
                Some((Key::Text(key), _)) => {
                    let took = taken
                        && self
                            .take
                            .as_mut()
                            .is_some_and(|take| (take.entry)(&key, &value));
                    map.insert(key, if took { Value::Null } else { value });
                }
                Some((Key::Merge, _)) => *merge = Some(value),
                Some((Key::Dropped, _)) | None => {}
            },
        }
        Ok(())
    }

    /// The key a node makes in the innermost mapping.
    fn key(&mut self, value: Value, written: Option<&str>, pos: Pos) -> Result<Key, Failure> {
        let text = match value {
            Value::String(text) if text == MERGE => {
                if let Some(Frame {
                    node: Node::Mapping { merge: Some(_), .. },
                    ..
                }) = self.stack.last()
                {
                    return Err(duplicate(MERGE, pos));
                }
                return Ok(Key::Merge);
            }
            Value::String(text) => text,
            Value::Null => "null".to_owned(),
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => {
                self.problem("mapping keys must be strings, not lists or mappings".to_owned());
                return Ok(Key::Dropped);
            }
        };
        let Some(Frame {
            node: Node::Mapping {
                map, written: keys, ..
            },
            in_key,
            ..
        }) = self.stack.last_mut()
        else {
            return Ok(Key::Text(text));
        };
        if !map.contains_key(&text) {
            if let Some(written) = written.filter(|written| *written != text) {
                keys.insert(text.clone(), written.to_owned());
            }
            return Ok(Key::Text(text));
        }
        let before = keys.get(&text).unwrap_or(&text);
        if written.is_some_and(|written| written == before) {
            return Err(duplicate(before, pos));
        }
        if !*in_key && let Some(path) = self.container_path() {
            let message = format!("duplicate key `{text}`");
            self.problems.push(Problem::key(&path.key(&text), message));
        }
        Ok(Key::Text(text))
    }

    /// Ends the innermost container: merges what `<<` names into a mapping, remembers it for
    /// the aliases of its anchor, and puts it in its own container.
    fn close(&mut self, pos: Pos) -> Result<(), Failure> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.node {
            Node::Mapping { mut map, merge, .. } => {
                if let Some(merged) = merge
                    && let Err(message) = merge_into(&mut map, merged)
                    && !frame.in_key
                    && let Some(path) = self.path()
                {
                    self.problems
                        .push(Problem::value(&path.key(MERGE), message.to_owned()));
                }
                Value::Object(map)
            }
            Node::Sequence(items) => Value::Array(items),
        };
        if frame.anchor > 0 {
            let anchored = Anchored {
                value: value.clone(),
                nodes: self.nodes.saturating_sub(frame.start_nodes),
            };
            self.anchors.insert(frame.anchor, anchored);
        }
        self.accept(value, None, pos)
    }

    /// Repeats the node anchored as `id`, refusing an alias bomb before it is copied.
    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), Failure> {
        let size = self.anchors.get(&id).map_or(1, |anchored| anchored.nodes);
        self.alias_nodes = self.alias_nodes.saturating_add(size);
        self.nodes = self.nodes.saturating_add(size).saturating_add(1);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Failure {
                pos,
                message: format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing what looks like an alias bomb"
                ),
            });
        }
        self.enter(pos, false);
        let value = self
            .anchors
            .get(&id)
            .map_or(Value::Null, |anchored| anchored.value.clone());
        self.accept(value, None, pos)
    }
}

/// The failure of text that is not YAML.
fn invalid(err: &ScanError) -> Failure {
    let marker = err.marker();
    Failure {
        pos: Pos {
            line: marker.line().max(1),
            column: marker.col() + 1,
        },
        // The scanner stops flow collections nested too deep before any event.
        message: if err.info().contains("recursion limit") {
            too_deep()
        } else {
            format!("invalid YAML: {}", err.info())
        },
    }
}

/// The failure of a key written twice in one mapping.
fn duplicate(key: &str, pos: Pos) -> Failure {
    Failure {
        pos,
        message: format!("invalid YAML: duplicate key `{key}`"),
    }
}

/// Adds the entries of `merged` (a mapping, or a list of mappings, earlier ones first) that
/// `map` does not have; the message says what `merged` holds instead.
fn merge_into(map: &mut Map<String, Value>, merged: Value) -> Result<(), &'static str> {
    let mut add = |from: Map<String, Value>| {
        for (key, value) in from {
            map.entry(key).or_insert(value);
        }
    };
    match merged {
        Value::Object(from) => add(from),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(from) => add(from),
                    Value::Array(_) => {
                        return Err("expected a mapping for merging, but found a list");
                    }
                    _ => return Err("expected a mapping for merging, but found a scalar"),
                }
            }
        }
        _ => return Err("expected a mapping or list of mappings for merging, but found a scalar"),
    }
    Ok(())
}

/// The core-schema kind of a value read from a plain scalar.
fn kind_of(value: &Value) -> Option<&'static str> {
    match value {
        Value::Null => Some("null"),
        Value::Bool(_) => Some("bool"),
        Value::Number(number) if number.is_f64() => Some("float"),
        Value::Number(_) => Some("int"),
        _ => None,
    }
}

/// The value of a plain scalar by YAML 1.2's core schema; the message says why JSON cannot
/// hold it.
fn plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unrepresentable =
        || format!("{text} is not a number JSON can hold; quote it if it is text");
    if let Some(integer) = integer(text) {
        return u64::try_from(integer)
            .map(Value::from)
            .or_else(|_| i64::try_from(integer).map(Value::from))
            .map_err(|_| unrepresentable());
    }
    if leading_zeros(text) {
        return Ok(Value::String(text.to_owned()));
    }
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return Ok(Value::String(text.to_owned())),
        Some(rest) => rest,
        None => text,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(text, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
    {
        return Err(unrepresentable());
    }
    // Rust reads `inf` and `nan` too, and a float too large as infinite: all text here.
    if let Ok(float) = unsigned.parse::<f64>()
        && let Some(number) = serde_json::Number::from_f64(float)
    {
        return Ok(Value::Number(number));
    }
    Ok(Value::String(text.to_owned()))
}

/// An integer in decimal, `0x`, `0o` or `0b`, with an optional sign; `None` for anything else,
/// a decimal with leading zeros among them (YAML 1.2 reads `007` as text).
fn integer(text: &str) -> Option<i128> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((radix, unsigned.strip_prefix(prefix)?)))
        .unwrap_or((10, unsigned));
    if digits.is_empty() || digits.starts_with(['+', '-']) || (radix == 10 && leading_zeros(text)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Whether `text` is digits after a leading zero (and an optional sign): text in YAML 1.2.
fn leading_zeros(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(text: &str) -> (Value, Vec<String>) {
        let document = read(text, &Path::root()).unwrap_or_else(|failure| {
            panic!("{text:?} fails at {:?}: {}", failure.pos, failure.message)
        });
        let problems = document
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        (document.root, problems)
    }

    fn failure(text: &str) -> String {
        match read(text, &Path::root()) {
            Ok(document) => panic!("{text:?} reads as {}", document.root),
            Err(failure) => format!(
                "{}:{}: {}",
                failure.pos.line, failure.pos.column, failure.message
            ),
        }
    }

    #[test]
    fn entries_of_the_section_taken_are_handed_over_and_left_null() {
        let text = "version: 1
templates: {t: {name: T}}
businesses:
  a: {name: A}
  b: {name: B, t: {name: deeper}}
  c: {name: C}
";
        let mut seen = Vec::new();
        let mut entry = |key: &str, value: &Value| {
            seen.push(key.to_owned());
            assert!(value.is_object(), "{key}: {value}");
            key != "b"
        };
        let take = Take {
            section: "businesses",
            entry: &mut entry,
        };
        let Ok(document) = read_taking(text, &Path::root(), Some(take)) else {
            panic!("the file reads");
        };
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(
            document.root,
            json!({
                "version": 1,
                "templates": {"t": {"name": "T"}},
                "businesses": {"a": null, "b": {"name": "B", "t": {"name": "deeper"}}, "c": null},
            })
        );
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        let cases = [
            ("~", json!(null)),
            ("null", json!(null)),
            ("NULL", json!(null)),
            ("", json!(null)),
            ("True", json!(true)),
            ("FALSE", json!(false)),
            ("yes", json!("yes")),
            ("42", json!(42)),
            ("+42", json!(42)),
            ("-42", json!(-42)),
            ("0", json!(0)),
            ("-0", json!(0)),
            ("0x1F", json!(31)),
            ("-0x10", json!(-16)),
            ("0o17", json!(15)),
            ("0b101", json!(5)),
            ("007", json!("007")),
            ("-007", json!("-007")),
            ("0x", json!("0x")),
            ("+-5", json!("+-5")),
            ("1.5", json!(1.5)),
            ("-1.5", json!(-1.5)),
            ("+1.5", json!(1.5)),
            ("1e3", json!(1000.0)),
            ("1e999", json!("1e999")),
            ("nan", json!("nan")),
            ("1_000", json!("1_000")),
            ("18446744073709551615", json!(u64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("+14155550100", json!(14_155_550_100_u64)),
            ("\"42\"", json!("42")),
            ("'true'", json!("true")),
            ("\"\"", json!("")),
            ("!!str 42", json!("42")),
            ("!!int 42", json!(42)),
            ("!!float 1", json!(1.0)),
            ("!!bool true", json!(true)),
            ("!!null ~", json!(null)),
        ];
        for (text, expected) in cases {
            let (value, problems) = document(&format!("v: {text}\n"));
            assert_eq!(value["v"], expected, "{text}");
            assert!(problems.is_empty(), "{text}: {problems:?}");
        }
    }

    #[test]
    fn what_json_cannot_hold_is_a_problem_at_its_path_and_reading_goes_on() {
        let (value, problems) = document(
            "a: [1, 18446744073709551616]\nb: {c: .inf, d: -.Inf, e: .nan}\nf: !!int x\ng: !custom 5\nh: !thing {i: 1}\nj: !!int 1.5\nk: !!bool 1\n",
        );
        assert_eq!(
            problems,
            [
                "a[1]: 18446744073709551616 is not a number JSON can hold; quote it if it is text",
                "b.c: .inf is not a number JSON can hold; quote it if it is text",
                "b.d: -.Inf is not a number JSON can hold; quote it if it is text",
                "b.e: .nan is not a number JSON can hold; quote it if it is text",
                "f: `x` is not a valid !!int",
                "g: YAML tags such as `!custom` are not supported",
                "h: YAML tags such as `!thing` are not supported",
                "j: `1.5` is not a valid !!int",
                "k: `1` is not a valid !!bool",
            ]
        );
        // What is under a tag is read, so one mistake is not reported twice.
        assert_eq!(value["g"], json!(5));
        assert_eq!(value["h"], json!({"i": 1}));
    }

    #[test]
    fn keys_are_text_and_a_list_or_mapping_as_a_key_drops_its_entry() {
        let (value, problems) = document("1: a\ntrue: b\n~: c\n1.5: d\n[x]: e\n{y: 1}: f\nz: g\n");
        assert_eq!(
            value,
            json!({"1": "a", "true": "b", "null": "c", "1.5": "d", "z": "g"})
        );
        assert_eq!(
            problems,
            [
                ": mapping keys must be strings, not lists or mappings",
                ": mapping keys must be strings, not lists or mappings",
            ]
        );
    }

    #[test]
    fn a_key_written_twice_stops_reading_and_two_that_read_the_same_are_a_problem() {
        assert_eq!(
            failure("a: 1\nb:\n  c: 2\n  \"c\": 3\n"),
            "4:3: invalid YAML: duplicate key `c`"
        );
        assert_eq!(
            failure("<<: {a: 1}\n'<<': {b: 2}\n"),
            "2:1: invalid YAML: duplicate key `<<`"
        );
        let (value, problems) = document("m:\n  0x10: a\n  16: b\n");
        assert_eq!(problems, ["m.16: duplicate key `16`"]);
        assert_eq!(value, json!({"m": {"16": "b"}}));
    }

    #[test]
    fn merge_keys_add_what_the_mapping_lacks_in_order() {
        let (value, problems) = document(
            "base: &base {a: 1, b: 2}\nmore: &more {c: 3, a: 0}\none: {<<: *base, b: 9}\nmany:\n  <<: [*more, *base]\n  z: 0\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(value["one"], json!({"b": 9, "a": 1}));
        assert_eq!(value["many"], json!({"z": 0, "c": 3, "a": 0, "b": 2}));
        assert_eq!(
            value["many"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["z", "c", "a", "b"]
        );
        let (_, problems) = document("x: {<<: 1}\ny: {<<: [[1]]}\nz: {<<: [2]}\n");
        assert_eq!(
            problems,
            [
                "x[\"<<\"]: expected a mapping or list of mappings for merging, but found a scalar",
                "y[\"<<\"]: expected a mapping for merging, but found a list",
                "z[\"<<\"]: expected a mapping for merging, but found a scalar",
            ]
        );
    }

    #[test]
    fn aliases_repeat_their_anchor_and_are_bounded() {
        let (value, _) = document("a: &x [1, {b: 2}]\nc: *x\nd: &s text\ne: *s\n");
        assert_eq!(value["c"], json!([1, {"b": 2}]));
        assert_eq!(value["e"], json!("text"));
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
        assert!(failure(bomb).contains("alias bomb"), "{}", failure(bomb));
    }

    #[test]
    fn paths_of_problems_start_at_the_base() {
        let base = Path::root().key("businesses");
        let document = read("acme:\n  n: !x 1\n", &base).ok().unwrap();
        assert_eq!(document.problems[0].path.to_string(), "businesses.acme.n");
    }

    #[test]
    fn positions_name_each_key_and_value() {
        let positions = positions("a:\n  b: [x, {c: 1}]\n");
        let at = |path: &str, at| {
            let pos = positions.locate(&Path::parse(path), at);
            (pos.line, pos.column)
        };
        assert_eq!(at("a.b", At::Key), (2, 3));
        assert_eq!(at("a.b[1].c", At::Value), (2, 14));
        assert_eq!(at("a.b[0]", At::Value), (2, 7));
        // A block mapping's value is shown at its key.
        assert_eq!(at("a", At::Value), (1, 1));
        assert_eq!(at("a.missing", At::Value), (1, 1));
    }
}
