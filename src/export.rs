//! The live account as a desired-state document that plans to no changes.
//!
//! Every number routed to an assistant is listed under one business per assistant. An
//! assistant carrying vapiform's label becomes that business's managed `spec` (key = label);
//! any other becomes an `id` reference, so vapiform routes to it without editing it.
//! Labelled assistants no number routes to become shared `assistants:`. Numbers routed to
//! squads or workflows, or not routed, are left out: `unassigned: leave` keeps them as they are.
//! The output is sorted, so exporting again gives a minimal diff. [`split`] writes the same
//! document as a folder: the root file, and one file per business.
//!
//! Whatever the account holds, the file validates. What it cannot express is named, in the
//! file and to the caller: a second copy of a labelled assistant (the planner keeps the same
//! one, and shows the repair), a label that is not a key (routed to by id, unmanaged), a number
//! the account has twice (listed under `ignore`).
//!
//! Secrets stay out of the file: a sensitive string (`server.headers`, or a field named like
//! a token, secret, password, key or credential) is written as an `${env.NAME}` reference,
//! and [`Export::secrets`] names the variables to set (never their values).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::desired::Key;
use crate::desired::file::{
    ASSISTANT_READ_ONLY, AssistantBody, AssistantSpec, BusinessSpec, ExistingAssistant, File,
    IgnoreSpec, NumberEntry, SpecAssistant, Text, UnassignedMode, UnassignedSpec, Version,
};
use crate::desired::folder;
use crate::plan::Live;
use crate::plan::assistants::keeper;
use crate::plan::compare::{self, Segment};
use crate::plan::live::{Assistant, Index, LABEL, METADATA};
use crate::plan::sensitive;

/// Fields the server computes besides the read-only ones, which it returns but a file never
/// needs to declare.
const COMPUTED_FIELDS: [&str; 5] = [
    "analyticsMetadata",
    "isDeleted",
    "isServerUrlSecretSet",
    "workflowIds",
    "latestVersion",
];

/// An exported account.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The desired-state file: YAML, starting with the schema comment (and a comment naming
    /// what the file could not express).
    pub text: String,
    /// Environment variables the document references in place of secret values, sorted.
    pub secrets: Vec<String>,
    /// What the file does not express, and why, one line each: the file still validates and
    /// plans without touching them.
    pub left_out: Vec<String>,
}

/// The desired-state file for `live`. Whatever the account holds, the file validates; what
/// it cannot express (a second copy of a labelled assistant, a label that is not a key, a
/// number the account has twice) is named in [`Export::left_out`] and in the file.
pub fn export(live: &Live) -> Result<Export, serde_yaml::Error> {
    let (file, secrets, left_out) = document(live);
    Ok(Export {
        text: with_note(crate::desired::to_file(&file)?, &left_out),
        secrets,
        left_out,
    })
}

/// An account exported as a folder: `vapiform.yaml` and `businesses/<key>.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// `vapiform.yaml`: everything but the businesses that have files of their own, and what
    /// the files do not express, as in [`Export::text`].
    pub root: String,
    /// Each business's file, `businesses/<key>.yaml`, by key.
    pub businesses: BTreeMap<String, String>,
    /// Environment variables the files reference in place of secret values, sorted.
    pub secrets: Vec<String>,
    /// What the files do not express, as in [`Export::left_out`].
    pub left_out: Vec<String>,
}

/// The folder for `live`: one file per business. A business whose key is not a valid key
/// stays in the root file, so that no file name comes from the account unchecked.
pub fn split(live: &Live) -> Result<Split, serde_yaml::Error> {
    let (mut file, secrets, left_out) = document(live);
    let mut businesses = BTreeMap::new();
    for (key, business) in std::mem::take(&mut file.businesses) {
        if Key::parse(&key).is_some() {
            let text = folder::to_business_file(&key, business)?;
            businesses.insert(key, text);
        } else {
            file.businesses.insert(key, business);
        }
    }
    Ok(Split {
        root: with_note(crate::desired::to_file(&file)?, &left_out),
        businesses,
        secrets,
        left_out,
    })
}

/// The account as a desired-state document, the environment variables it references in
/// place of secret values (sorted), and what it does not express.
fn document(live: &Live) -> (File, Vec<String>, Vec<String>) {
    let index = Index::new(live);
    let mut secrets = BTreeSet::new();
    let mut left_out = Vec::new();

    // A number the account has twice cannot be planned: it is ignored until one goes.
    let mut ignore = IgnoreSpec::default();
    for (number, copies) in &index.numbers {
        if copies.len() > 1 && number.starts_with('+') {
            let ids: Vec<&str> = copies.iter().map(|n| n.id.as_str()).collect();
            left_out.push(format!(
                "number {number} is in the account {} times ({}): listed under `ignore` until all but one are deleted",
                copies.len(),
                ids.join(", ")
            ));
            ignore.numbers.push(NumberEntry((*number).to_owned()));
        }
    }
    let mut numbers_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for number in &live.numbers {
        if let Some(id) = number.assistant_id.as_deref()
            && index.by_id.contains_key(id)
            && number.key.starts_with('+')
            && index.numbers[number.key.as_str()].len() == 1
        {
            numbers_of.entry(id).or_default().insert(number.key.clone());
        }
    }

    // An assistant is exported under its label when the label is a key and it is the copy the
    // planner keeps; the other copies are left as they are.
    let mut managed: HashMap<&str, &str> = HashMap::new();
    for (label, copies) in &index.by_label {
        if Key::parse(label).is_none() {
            continue;
        }
        let kept = keeper(copies, &index);
        managed.insert(kept.id.as_str(), label);
        for copy in copies.iter().filter(|c| c.id != kept.id) {
            left_out.push(format!(
                "assistant {} is another copy of `{label}` (two applies at once made both); vapiform keeps {} and `plan` repairs the rest",
                copy.id, kept.id
            ));
        }
    }

    // Keys: managed assistants keep their label; others get a slug of their name, made
    // unique in a stable order (name, then id).
    let mut taken: BTreeSet<String> = managed.values().map(|key| (*key).to_owned()).collect();
    let mut unlabelled: Vec<&Assistant> = numbers_of
        .keys()
        .map(|id| index.by_id[id])
        .filter(|a| {
            a.label
                .as_deref()
                .is_none_or(|label| Key::parse(label).is_none())
        })
        .collect();
    unlabelled.sort_by(|a, b| (a.name(), &a.id).cmp(&(b.name(), &b.id)));
    let mut key_of: HashMap<&str, String> = HashMap::new();
    for assistant in unlabelled {
        let base = slug(assistant.name().unwrap_or("assistant"));
        let mut key = base.clone();
        let mut n = 2;
        while taken.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(key.clone());
        key_of.insert(assistant.id.as_str(), key);
    }

    let mut businesses = BTreeMap::new();
    let mut shared = BTreeMap::new();
    for assistant in &live.assistants {
        let label = managed.get(assistant.id.as_str()).copied();
        match (numbers_of.get(assistant.id.as_str()), label) {
            (Some(numbers), Some(key)) => {
                let spec = spec(assistant, key, &mut secrets);
                let route = AssistantSpec::Spec(SpecAssistant { spec, adopt: None });
                businesses.insert(key.to_owned(), business(assistant, numbers, route));
            }
            (Some(numbers), None) => {
                // Another copy of a managed assistant: left as it is, with its numbers.
                let Some(key) = key_of.get(assistant.id.as_str()).cloned() else {
                    continue;
                };
                if let Some(label) = &assistant.label {
                    left_out.push(format!(
                        "assistant {} carries the label {label:?}, which is not a key: business `{key}` routes to it by id and vapiform does not manage it",
                        assistant.id
                    ));
                }
                let route = AssistantSpec::Existing(ExistingAssistant {
                    id: Text(assistant.id.clone()),
                });
                businesses.insert(key, business(assistant, numbers, route));
            }
            (None, Some(key)) => {
                shared.insert(key.to_owned(), spec(assistant, key, &mut secrets));
            }
            (None, None) => {
                if let Some(label) = assistant
                    .label
                    .as_deref()
                    .filter(|label| Key::parse(label).is_none())
                {
                    left_out.push(format!(
                        "assistant {} carries the label {label:?}, which is not a key, and no number routes to it: left as it is",
                        assistant.id
                    ));
                }
            }
        }
    }

    let file = File {
        version: Version,
        unassigned: UnassignedSpec::Mode(UnassignedMode::Leave),
        prune: false,
        import: None,
        templates: BTreeMap::new(),
        assistants: shared,
        businesses,
        ignore,
        carrier: None,
    };
    (file, secrets.into_iter().collect(), left_out)
}

/// The file's text with what it does not express noted under its first line.
fn with_note(mut text: String, left_out: &[String]) -> String {
    if !left_out.is_empty() {
        let mut note =
            String::from("#\n# Not expressed in this file (vapiform leaves these as they are):\n");
        for line in left_out {
            note.push_str("#   - ");
            note.push_str(&crate::render::escape::line(line));
            note.push('\n');
        }
        let first = text.find('\n').map_or(text.len(), |i| i + 1);
        text.insert_str(first, &note);
    }
    text
}

fn business(
    assistant: &Assistant,
    numbers: &BTreeSet<String>,
    route: AssistantSpec,
) -> BusinessSpec {
    let name = assistant
        .name()
        .filter(|name| !name.trim().is_empty())
        .map_or_else(|| format!("Assistant {}", assistant.id), str::to_owned);
    BusinessSpec {
        name: Text(name),
        numbers: numbers.iter().cloned().map(NumberEntry).collect(),
        assistant: route,
    }
}

/// The assistant's declarable fields, with `${` escaped so nothing reads as a placeholder
/// and the label left to the planner.
fn spec(assistant: &Assistant, key: &str, secrets: &mut BTreeSet<String>) -> AssistantBody {
    let mut body = assistant.fields.clone();
    for field in ASSISTANT_READ_ONLY.iter().chain(&COMPUTED_FIELDS) {
        body.remove(*field);
    }
    if let Some(Value::Object(metadata)) = body.get_mut(METADATA) {
        metadata.remove(LABEL);
        if metadata.is_empty() {
            body.remove(METADATA);
        }
    }
    match escape(Value::Object(body), &mut Vec::new(), key, secrets) {
        Value::Object(body) => AssistantBody(body),
        _ => AssistantBody::default(),
    }
}

/// Escapes `${` in text and replaces sensitive strings with `${env.NAME}` references.
fn escape(
    value: Value,
    path: &mut Vec<Segment>,
    key: &str,
    secrets: &mut BTreeSet<String>,
) -> Value {
    match value {
        Value::String(_) if sensitive::is_sensitive_path(path) => {
            let name = secret_name(key, path);
            let reference = format!("${{env.{name}}}");
            secrets.insert(name);
            Value::String(reference)
        }
        Value::String(text) => Value::String(text.replace("${", "$${")),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    path.push(Segment::Index(index));
                    let item = escape(item, path, key, secrets);
                    path.pop();
                    item
                })
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, item)| {
                    path.push(Segment::Key(name.clone()));
                    let item = escape(item, path, key, secrets);
                    path.pop();
                    (name, item)
                })
                .collect(),
        ),
        other => other,
    }
}

/// `VAPIFORM_<KEY>_<PATH>`: upper case, every other character an underscore.
fn secret_name(key: &str, path: &[Segment]) -> String {
    let mut name = format!("VAPIFORM_{key}_{}", compare::display(path));
    name = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    name.trim_end_matches('_').to_owned()
}

/// A business key from a name: lowercase letters, digits and single dashes.
fn slug(name: &str) -> String {
    let mut key = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    let key = key
        .trim_end_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned();
    if key.is_empty() {
        "assistant".to_owned()
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn secret_names_are_variable_names() {
        use super::{Segment, secret_name};
        let path = [
            Segment::Key("server".into()),
            Segment::Key("headers".into()),
            Segment::Key("x-token".into()),
        ];
        assert_eq!(
            secret_name("acme-plumbing", &path),
            "VAPIFORM_ACME_PLUMBING_SERVER_HEADERS_X_TOKEN"
        );
    }

    #[test]
    fn slugs_are_valid_keys() {
        assert_eq!(slug("Bob's Bakery (legacy)"), "bob-s-bakery-legacy");
        assert_eq!(slug("  !!"), "assistant");
        assert_eq!(slug("Café Olé"), "caf-ol");
    }
}
