//! Structural and cross-reference checks of a parsed document, collecting every problem.
//!
//! Each part of the document (a section, a business) is checked by hand so that one bad part
//! does not hide problems in the others, then deserialized into the raw [`File`] types. Parts
//! with problems are left out of the returned [`File`]; their names are still remembered so that
//! references to them do not produce a second, misleading problem.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::diagnostic::{Path, Problem};
use super::file::{BusinessSpec, File, IgnoreSpec, ImportSpec, UnassignedSpec};
use super::number;

const TOP_FIELDS: &[&str] = &[
    "version",
    "unassigned",
    "prune",
    "import",
    "templates",
    "assistants",
    "businesses",
    "ignore",
];
const BUSINESS_FIELDS: &[&str] = &["name", "numbers", "assistant"];
const ASSISTANT_FORMS: &[&str] = &["template", "spec", "id", "shared"];
const ASSISTANT_FIELDS: &[&str] = &[
    "template",
    "spec",
    "id",
    "shared",
    "vars",
    "overrides",
    "adopt",
];
const IGNORE_FIELDS: &[&str] = &["numbers"];

/// The result of checking a document.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Every part that passed its checks.
    pub(crate) file: File,
    /// Every problem found.
    pub(crate) problems: Vec<Problem>,
}

/// The YAML name of a value's type, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The problem with a reference to a `what` that `section` does not declare, if it is one.
fn unknown_reference(
    name: &str,
    declared: &BTreeSet<String>,
    what: &str,
    section: &str,
) -> Option<String> {
    if declared.contains(name) {
        return None;
    }
    let known: Vec<&str> = declared.iter().map(String::as_str).collect();
    let hint = closest(name, &known)
        .map(|g| format!(", did you mean `{g}`?"))
        .unwrap_or_default();
    Some(format!(
        "unknown {what} `{name}`: it is not declared under `{section}`{hint}"
    ))
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.chars().count() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Collects problems while walking the document.
struct Checker {
    problems: Vec<Problem>,
    /// Names under `templates`, including broken ones.
    templates: BTreeSet<String>,
    /// Keys under `assistants`, including broken ones.
    shared: BTreeSet<String>,
    /// Normalised number → where it is first listed in a business.
    business_numbers: BTreeMap<String, (String, Path)>,
    /// Normalised number → where it is listed in `ignore`.
    ignored_numbers: BTreeMap<String, Path>,
}

impl Checker {
    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn unknown_fields(&mut self, map: &Map<String, Value>, path: &Path, allowed: &[&str]) {
        for key in map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let message = match closest(key, allowed) {
                Some(guess) => format!("unknown field `{key}`, did you mean `{guess}`?"),
                None => format!("unknown field `{key}`, expected one of {}", list(allowed)),
            };
            self.push(Problem::key(&path.key(key), message));
        }
    }

    fn expect_map<'v>(
        &mut self,
        value: &'v Value,
        path: &Path,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        if let Value::Object(map) = value {
            Some(map)
        } else {
            self.push(Problem::value(
                path,
                format!("{what} must be a mapping, found {}", type_name(value)),
            ));
            None
        }
    }

    fn expect_string<'v>(&mut self, value: &'v Value, path: &Path, what: &str) -> Option<&'v str> {
        if let Value::String(text) = value {
            Some(text)
        } else {
            self.push(Problem::value(
                path,
                format!("{what} must be a string, found {}", type_name(value)),
            ));
            None
        }
    }

    fn expect_id(&mut self, value: &Value, path: &Path, what: &str) {
        if let Some(text) = self.expect_string(value, path, what)
            && text.trim().is_empty()
        {
            self.push(Problem::value(path, format!("{what} must not be empty")));
        }
    }

    /// Deserializes a part that passed its checks; a failure here means the hand-written checks
    /// missed something, which is still reported rather than lost.
    fn parse<T: DeserializeOwned>(&mut self, value: &Value, path: &Path) -> Option<T> {
        match serde_json::from_value(value.clone()) {
            Ok(parsed) => Some(parsed),
            Err(err) => {
                self.push(Problem::value(path, err.to_string()));
                None
            }
        }
    }

    /// Checks a list of numbers, returning the normalised ones with their paths.
    fn numbers(&mut self, value: &Value, path: &Path) -> Vec<(String, Path)> {
        let Value::Array(items) = value else {
            self.push(Problem::value(
                path,
                format!(
                    "`numbers` must be a list of quoted phone numbers, found {}",
                    type_name(value)
                ),
            ));
            return Vec::new();
        };
        let mut normalised = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_path = path.index(index);
            match item {
                Value::String(text) => match number::normalize(text) {
                    Ok(e164) => normalised.push((e164, item_path)),
                    Err(message) => self.push(Problem::value(&item_path, message)),
                },
                Value::Number(n) => self.push(Problem::value(
                    &item_path,
                    format!("phone number {n} must be a quoted string like \"+{n}\""),
                )),
                other => self.push(Problem::value(
                    &item_path,
                    format!(
                        "a phone number must be a quoted string like \"+14155550100\", found {}",
                        type_name(other)
                    ),
                )),
            }
        }
        normalised
    }

    fn version(&mut self, root: &Map<String, Value>) {
        match root.get("version") {
            None => self.push(Problem::value(
                &Path::root(),
                "missing field `version`; add `version: 1` at the top of the file",
            )),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
            Some(Value::Number(n)) => self.push(Problem::value(
                &Path::root().key("version"),
                format!("unsupported version {n}; this vapiform reads version 1"),
            )),
            Some(other) => self.push(Problem::value(
                &Path::root().key("version"),
                format!("`version` must be the number 1, found {}", type_name(other)),
            )),
        }
    }

    fn unassigned(&mut self, value: &Value) -> Option<UnassignedSpec> {
        let path = Path::root().key("unassigned");
        match value {
            Value::String(mode) if mode == "leave" || mode == "unlink" => self.parse(value, &path),
            Value::Object(map) => {
                self.unknown_fields(map, &path, &["assistant"]);
                let key_path = path.key("assistant");
                match map.get("assistant") {
                    None => self.push(Problem::key(
                        &path,
                        "`unassigned` as a mapping needs `assistant: <shared assistant key>`",
                    )),
                    Some(key) => {
                        if let Some(key) = self.expect_string(key, &key_path, "`assistant`")
                            && !self.shared.contains(key)
                        {
                            let known: Vec<&str> = self.shared.iter().map(String::as_str).collect();
                            let hint = closest(key, &known)
                                .map(|g| format!(", did you mean `{g}`?"))
                                .unwrap_or_default();
                            self.push(Problem::value(
                                    &key_path,
                                    format!(
                                        "unknown shared assistant `{key}`: it is not declared under `assistants`{hint}"
                                    ),
                                ));
                        }
                    }
                }
                if map.len() == 1 && map.get("assistant").is_some_and(Value::is_string) {
                    self.parse(value, &path)
                } else {
                    None
                }
            }
            other => {
                self.push(Problem::value(
                    &path,
                    format!(
                        "`unassigned` must be `leave`, `unlink` or `{{assistant: <key>}}`, found {}",
                        describe(other)
                    ),
                ));
                None
            }
        }
    }

    fn import(&mut self, value: &Value) -> Option<ImportSpec> {
        let path = Path::root().key("import");
        let map = self.expect_map(value, &path, "`import`")?;
        let before = self.problems.len();
        match map.get("provider") {
            None => self.push(Problem::key(
                &path,
                "`import` needs a `provider`, e.g. `provider: twilio`",
            )),
            Some(provider) => self.expect_id(provider, &path.key("provider"), "`provider`"),
        }
        (self.problems.len() == before)
            .then(|| self.parse(value, &path))
            .flatten()
    }

    fn bodies(&mut self, value: &Value, section: &str) -> BTreeMap<String, Map<String, Value>> {
        let path = Path::root().key(section);
        let mut out = BTreeMap::new();
        let Some(map) = self.expect_map(value, &path, &format!("`{section}`")) else {
            return out;
        };
        for (key, body) in map {
            let body_path = path.key(key);
            if section == "assistants" && !is_valid_key(key) {
                self.push(Problem::key(
                    &body_path,
                    format!("shared assistant key `{key}` must match [a-z0-9][a-z0-9-]*"),
                ));
            }
            let what = if section == "assistants" {
                format!("shared assistant `{key}`")
            } else {
                format!("template `{key}`")
            };
            if let Some(body) = self.expect_map(body, &body_path, &what) {
                out.insert(key.clone(), body.clone());
            }
        }
        out
    }

    fn ignore(&mut self, value: &Value) -> Option<IgnoreSpec> {
        let path = Path::root().key("ignore");
        let map = self.expect_map(value, &path, "`ignore`")?;
        let before = self.problems.len();
        self.unknown_fields(map, &path, IGNORE_FIELDS);
        if let Some(numbers) = map.get("numbers") {
            for (number, number_path) in self.numbers(numbers, &path.key("numbers")) {
                if let Some(first) = self.ignored_numbers.get(&number) {
                    let message =
                        format!("number {number} is listed twice in `ignore` (first at {first})");
                    self.push(Problem::value(&number_path, message));
                } else {
                    self.ignored_numbers.insert(number, number_path);
                }
            }
        }
        (self.problems.len() == before)
            .then(|| self.parse(value, &path))
            .flatten()
    }

    fn business(&mut self, key: &str, value: &Value, path: &Path) -> Option<BusinessSpec> {
        let before = self.problems.len();
        if !is_valid_key(key) {
            self.push(Problem::key(
                path,
                format!("business key `{key}` must match [a-z0-9][a-z0-9-]*"),
            ));
        }
        if self.shared.contains(key) {
            self.push(Problem::key(
                path,
                format!(
                    "key `{key}` is used by both a business and a shared assistant; keys must be unique"
                ),
            ));
        }
        let map = self.expect_map(value, path, &format!("business `{key}`"))?;
        self.unknown_fields(map, path, BUSINESS_FIELDS);
        match map.get("name") {
            None => self.push(Problem::key(
                path,
                format!("business `{key}` needs a `name`"),
            )),
            Some(name) => self.expect_id(name, &path.key("name"), "`name`"),
        }
        if let Some(numbers) = map.get("numbers") {
            for (number, number_path) in self.numbers(numbers, &path.key("numbers")) {
                if let Some((owner, first)) = self.business_numbers.get(&number) {
                    let message = if owner == key {
                        format!(
                            "number {number} is listed twice in business `{key}` (first at {first})"
                        )
                    } else {
                        format!(
                            "number {number} is already listed in business `{owner}` (at {first}); a number belongs to at most one business"
                        )
                    };
                    self.push(Problem::value(&number_path, message));
                    continue;
                }
                if let Some(ignored) = self.ignored_numbers.get(&number) {
                    let message = format!(
                        "number {number} is listed in business `{key}` and in `ignore` (at {ignored}); remove one"
                    );
                    self.push(Problem::value(&number_path, message));
                }
                self.business_numbers
                    .insert(number, (key.to_owned(), number_path));
            }
        }
        match map.get("assistant") {
            None => self.push(Problem::key(
                path,
                format!(
                    "business `{key}` needs an `assistant`: one of `template`, `spec`, `id` or `shared`"
                ),
            )),
            Some(assistant) => self.assistant(assistant, &path.key("assistant")),
        }
        if self.problems.len() == before {
            self.parse(value, path)
        } else {
            // Still expand what can be read, so placeholder problems show up in the same run.
            lenient_business(map)
        }
    }

    fn assistant(&mut self, value: &Value, path: &Path) {
        let Some(map) = self.expect_map(value, path, "`assistant`") else {
            return;
        };
        let forms: Vec<&str> = ASSISTANT_FORMS
            .iter()
            .copied()
            .filter(|form| map.contains_key(*form))
            .collect();
        let allowed: &[&str] = match forms.as_slice() {
            ["template"] => &["template", "vars", "overrides", "adopt"],
            ["spec"] => &["spec", "adopt"],
            ["id"] => &["id"],
            ["shared"] => &["shared"],
            [] => {
                self.push(Problem::key(
                    path,
                    "`assistant` needs exactly one of `template`, `spec`, `id` or `shared`",
                ));
                ASSISTANT_FIELDS
            }
            several => {
                self.push(Problem::value(
                    path,
                    format!(
                        "`assistant` has {}; use exactly one of `template`, `spec`, `id` or `shared`",
                        list(several).replace(", ", " and ")
                    ),
                ));
                ASSISTANT_FIELDS
            }
        };
        for key in map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let key_path = path.key(key);
            if ASSISTANT_FIELDS.contains(&key.as_str()) {
                let with = if key == "adopt" {
                    "`template` or `spec`"
                } else {
                    "`template`"
                };
                self.push(Problem::key(
                    &key_path,
                    format!("`{key}` is only allowed with {with}"),
                ));
            } else {
                let message = match closest(key, allowed) {
                    Some(guess) => format!("unknown field `{key}`, did you mean `{guess}`?"),
                    None => format!("unknown field `{key}`, expected one of {}", list(allowed)),
                };
                self.push(Problem::key(&key_path, message));
            }
        }
        for (key, field) in map {
            let field_path = path.key(key);
            match key.as_str() {
                "template" => {
                    if let Some(name) = self.expect_string(field, &field_path, "`template`")
                        && let Some(problem) =
                            unknown_reference(name, &self.templates, "template", "templates")
                    {
                        self.push(Problem::value(&field_path, problem));
                    }
                }
                "shared" => {
                    if let Some(name) = self.expect_string(field, &field_path, "`shared`")
                        && let Some(problem) =
                            unknown_reference(name, &self.shared, "shared assistant", "assistants")
                    {
                        self.push(Problem::value(&field_path, problem));
                    }
                }
                "id" => self.expect_id(field, &field_path, "`id`"),
                "adopt" => self.expect_id(field, &field_path, "`adopt`"),
                "spec" => {
                    self.expect_map(field, &field_path, "`spec`");
                }
                "overrides" => {
                    self.expect_map(field, &field_path, "`overrides`");
                }
                "vars" => {
                    if let Some(vars) = self.expect_map(field, &field_path, "`vars`") {
                        for (name, var) in vars {
                            if matches!(var, Value::Null | Value::Array(_) | Value::Object(_)) {
                                self.push(Problem::value(
                                    &field_path.key(name),
                                    format!(
                                        "variable `{name}` must be a string, number or boolean, found {}",
                                        type_name(var)
                                    ),
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The business with unknown fields and unreadable parts dropped, if what is left is usable.
fn lenient_business(map: &Map<String, Value>) -> Option<BusinessSpec> {
    let mut business = map.clone();
    business.retain(|key, _| BUSINESS_FIELDS.contains(&key.as_str()));
    if let Some(Value::Array(numbers)) = business.get_mut("numbers") {
        numbers.retain(Value::is_string);
    }
    if let Some(Value::Object(assistant)) = business.get_mut("assistant") {
        assistant.retain(|key, value| {
            ASSISTANT_FIELDS.contains(&key.as_str())
                && match key.as_str() {
                    "adopt" | "id" => value.as_str().is_some_and(|s| !s.trim().is_empty()),
                    _ => true,
                }
        });
        if let Some(Value::Object(vars)) = assistant.get_mut("vars") {
            vars.retain(|_, value| {
                !matches!(value, Value::Null | Value::Array(_) | Value::Object(_))
            });
        }
    }
    serde_json::from_value(Value::Object(business)).ok()
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => type_name(other).to_owned(),
    }
}

/// Checks a whole document (already converted from YAML), collecting every problem.
pub(crate) fn check(root: &Value) -> Checked {
    let mut checker = Checker {
        problems: Vec::new(),
        templates: BTreeSet::new(),
        shared: BTreeSet::new(),
        business_numbers: BTreeMap::new(),
        ignored_numbers: BTreeMap::new(),
    };
    let mut file = File::default();
    let map = match root {
        Value::Object(map) => map,
        Value::Null => {
            checker.push(Problem::value(
                &Path::root(),
                "the file is empty; it must be a mapping that starts with `version: 1`",
            ));
            return Checked {
                file,
                problems: checker.problems,
            };
        }
        other => {
            checker.push(Problem::value(
                &Path::root(),
                format!(
                    "the file must be a mapping that starts with `version: 1`, found {}",
                    type_name(other)
                ),
            ));
            return Checked {
                file,
                problems: checker.problems,
            };
        }
    };
    checker.unknown_fields(map, &Path::root(), TOP_FIELDS);
    checker.version(map);
    file.version = 1;

    // Declared names first, so references can be checked wherever they appear.
    if let Some(Value::Object(templates)) = map.get("templates") {
        checker.templates = templates.keys().cloned().collect();
    }
    if let Some(Value::Object(shared)) = map.get("assistants") {
        checker.shared = shared.keys().cloned().collect();
    }

    if let Some(value) = map.get("unassigned") {
        file.unassigned = checker.unassigned(value).unwrap_or_default();
    }
    match map.get("prune") {
        None => {}
        Some(Value::Bool(prune)) => file.prune = *prune,
        Some(other) => checker.push(Problem::value(
            &Path::root().key("prune"),
            format!("`prune` must be true or false, found {}", type_name(other)),
        )),
    }
    // `import: null` is what an empty `import:` reads as; the schema allows it too.
    if let Some(value) = map.get("import").filter(|v| !v.is_null()) {
        file.import = checker.import(value);
    }
    if let Some(value) = map.get("templates") {
        file.templates = checker.bodies(value, "templates");
    }
    if let Some(value) = map.get("assistants") {
        file.assistants = checker.bodies(value, "assistants");
    }
    if let Some(value) = map.get("ignore") {
        file.ignore = checker.ignore(value).unwrap_or_default();
    }
    if let Some(value) = map.get("businesses") {
        let path = Path::root().key("businesses");
        if let Some(businesses) = checker.expect_map(value, &path, "`businesses`") {
            for (key, business) in businesses {
                if let Some(spec) = checker.business(key, business, &path.key(key)) {
                    file.businesses.insert(key.clone(), spec);
                }
            }
        }
    }
    Checked {
        file,
        problems: checker.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(doc: &Value) -> Vec<String> {
        check(doc)
            .problems
            .into_iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn suggests_the_closest_field() {
        assert_eq!(closest("busineses", TOP_FIELDS), Some("businesses"));
        assert_eq!(closest("nmae", BUSINESS_FIELDS), Some("name"));
        assert_eq!(closest("zzzzzz", BUSINESS_FIELDS), None);
    }

    #[test]
    fn checks_keys() {
        assert!(is_valid_key("acme-plumbing"));
        assert!(is_valid_key("0day"));
        assert!(!is_valid_key("-acme"));
        assert!(!is_valid_key("Acme"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("acme_plumbing"));
    }

    #[test]
    fn rejects_assistant_forms() {
        let doc = json!({
            "version": 1,
            "businesses": {
                "a": {"name": "A", "assistant": {}},
                "b": {"name": "B", "assistant": {"id": "x", "shared": "y"}},
                "c": {"name": "C", "assistant": {"spec": {}, "vars": {}}},
                "d": {"name": "D", "assistant": {"id": ""}},
                "e": {"name": "E", "assistant": {"spec": {}, "adopt": 3}},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "businesses.a.assistant: `assistant` needs exactly one of `template`, `spec`, `id` or `shared`",
                "businesses.b.assistant: `assistant` has `id` and `shared`; use exactly one of `template`, `spec`, `id` or `shared`",
                "businesses.b.assistant.shared: unknown shared assistant `y`: it is not declared under `assistants`",
                "businesses.c.assistant.vars: `vars` is only allowed with `template`",
                "businesses.d.assistant.id: `id` must not be empty",
                "businesses.e.assistant.adopt: `adopt` must be a string, found a number",
            ]
        );
    }

    #[test]
    fn checks_numbers_across_businesses_and_ignore() {
        let doc = json!({
            "version": 1,
            "assistants": {"shared": {}},
            "ignore": {"numbers": ["+14155550199", "+1 415 555 0199"]},
            "businesses": {
                "a": {"name": "A", "numbers": ["+14155550100", "+14155550199"], "assistant": {"shared": "shared"}},
                "b": {"name": "B", "numbers": ["+1 (415) 555-0100", 14_155_550_101_u64], "assistant": {"shared": "shared"}},
                "shared": {"name": "S", "assistant": {"shared": "shared"}},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "ignore.numbers[1]: number +14155550199 is listed twice in `ignore` (first at ignore.numbers[0])",
                "businesses.a.numbers[1]: number +14155550199 is listed in business `a` and in `ignore` (at ignore.numbers[0]); remove one",
                "businesses.b.numbers[1]: phone number 14155550101 must be a quoted string like \"+14155550101\"",
                "businesses.b.numbers[0]: number +14155550100 is already listed in business `a` (at businesses.a.numbers[0]); a number belongs to at most one business",
                "businesses.shared: key `shared` is used by both a business and a shared assistant; keys must be unique",
            ]
        );
    }

    #[test]
    fn checks_top_level() {
        let doc = json!({"version": 2, "prune": "yes", "unassigned": "drop", "import": {"credentialId": "x"}});
        assert_eq!(
            messages(&doc),
            [
                "version: unsupported version 2; this vapiform reads version 1",
                "unassigned: `unassigned` must be `leave`, `unlink` or `{assistant: <key>}`, found `drop`",
                "prune: `prune` must be true or false, found a string",
                "import: `import` needs a `provider`, e.g. `provider: twilio`",
            ]
        );
        assert_eq!(
            messages(&json!({"unassigned": {"assistant": "nope"}})),
            [
                ": missing field `version`; add `version: 1` at the top of the file",
                "unassigned.assistant: unknown shared assistant `nope`: it is not declared under `assistants`",
            ]
        );
    }
}
