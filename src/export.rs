//! The live account as a desired-state document that plans to no changes.
//!
//! Every number routed to an assistant is listed under one business per assistant. An
//! assistant carrying vapiform's label becomes that business's managed `spec` (key = label);
//! any other becomes an `id` reference, so vapiform routes to it without editing it.
//! Labelled assistants no number routes to become shared `assistants:`. Numbers routed to
//! squads or workflows, or not routed, are left out: `unassigned: leave` keeps them as they are.
//! The output is sorted, so exporting again gives a minimal diff.
//!
//! Secrets stay out of the file: a sensitive string (`server.headers`, or a field named like
//! a token, secret, password, key or credential) is written as an `${env.NAME}` reference,
//! and [`Export::secrets`] names the variables to set (never their values).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::desired::file::{
    ASSISTANT_READ_ONLY, AssistantBody, AssistantSpec, BusinessSpec, ExistingAssistant, File,
    IgnoreSpec, NumberEntry, SpecAssistant, Text, UnassignedMode, UnassignedSpec, Version,
};
use crate::plan::Live;
use crate::plan::compare::{self, Segment};
use crate::plan::live::Assistant;
use crate::plan::live::{LABEL, METADATA};
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
    /// The desired-state file: YAML, starting with the schema comment.
    pub text: String,
    /// Environment variables the document references in place of secret values, sorted.
    pub secrets: Vec<String>,
}

/// The desired-state file for `live`.
pub fn export(live: &Live) -> Result<Export, serde_yaml::Error> {
    let mut secrets = BTreeSet::new();
    let by_id: HashMap<&str, &Assistant> =
        live.assistants.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut numbers_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for number in &live.numbers {
        if let Some(id) = number.assistant_id.as_deref()
            && by_id.contains_key(id)
            && number.key.starts_with('+')
        {
            numbers_of.entry(id).or_default().insert(number.key.clone());
        }
    }

    // Keys: labelled assistants keep their label; others get a slug of their name, made
    // unique in a stable order (name, then id).
    let mut taken: BTreeSet<String> = live
        .assistants
        .iter()
        .filter_map(|a| a.label.as_deref().map(str::to_owned))
        .collect();
    let mut unlabelled: Vec<&Assistant> = numbers_of
        .keys()
        .map(|id| by_id[id])
        .filter(|a| a.label.as_deref().is_none())
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
        let label = assistant.label.as_deref();
        match (numbers_of.get(assistant.id.as_str()), label) {
            (Some(numbers), Some(key)) => {
                let spec = spec(assistant, key, &mut secrets);
                let route = AssistantSpec::Spec(SpecAssistant { spec, adopt: None });
                businesses.insert(key.to_owned(), business(assistant, numbers, route));
            }
            (Some(numbers), None) => {
                let key = key_of[assistant.id.as_str()].clone();
                let route = AssistantSpec::Existing(ExistingAssistant {
                    id: Text(assistant.id.clone()),
                });
                businesses.insert(key, business(assistant, numbers, route));
            }
            (None, Some(key)) => {
                shared.insert(key.to_owned(), spec(assistant, key, &mut secrets));
            }
            (None, None) => {}
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
        ignore: IgnoreSpec::default(),
    };
    Ok(Export {
        text: crate::desired::to_file(&file)?,
        secrets: secrets.into_iter().collect(),
    })
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
    let mut body = assistant.fields();
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
