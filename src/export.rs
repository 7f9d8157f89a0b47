//! The live account as a desired-state document that plans to no changes.
//!
//! Every number routed to an assistant is listed under one business per assistant. An
//! assistant carrying vapiform's label becomes that business's managed `spec` (key = label);
//! any other becomes an `id` reference, so vapiform routes to it without editing it.
//! Labelled assistants no number routes to become shared `assistants:`. Numbers routed to a
//! squad or workflow are listed under one business per squad or workflow, named after it.
//! Numbers not routed are left out: `unassigned: leave` keeps them as they are. Each listed
//! number carries its phone settings (`name`, `fallbackDestination`, `server`, `hooks`), so
//! they are owned from then on; a number is named by its E.164 form, or a SIP-only number by
//! its SIP URI. The output is sorted, so exporting again gives a minimal diff.
//!
//! Secrets stay out of the file: a sensitive string (`server.headers`, or a field named like
//! a token, secret, password, key or credential) is written as an `${env.NAME}` reference,
//! and [`Export::secrets`] names the variables to set (never their values).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::desired::file::{
    ASSISTANT_READ_ONLY, AssistantBody, AssistantSpec, BusinessSpec, ExistingAssistant, File,
    IgnoreSpec, NumberEntry, PhoneSettings, RouteSpec, SETTINGS, SpecAssistant, Text,
    UnassignedMode, UnassignedSpec, Version,
};
use crate::desired::{NumberKey, say};
use crate::plan::Live;
use crate::plan::compare::{self, Segment};
use crate::plan::live::{Assistant, Number};
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
    // The numbers routed to each assistant, squad and workflow, that a file can name.
    let mut numbers_of: BTreeMap<&str, Vec<&Number>> = BTreeMap::new();
    let mut squads: BTreeMap<&str, Vec<&Number>> = BTreeMap::new();
    let mut workflows: BTreeMap<&str, Vec<&Number>> = BTreeMap::new();
    for number in &live.numbers {
        if NumberKey::parse(&number.key).is_err() {
            continue;
        }
        let group = match (&number.assistant_id, &number.squad_id, &number.workflow_id) {
            (Some(id), ..) if by_id.contains_key(id.as_str()) => numbers_of.entry(id),
            // A route to a squad or workflow the account does not have is left out, as
            // `unassigned: leave` keeps it, since no file can route to it.
            (None, Some(id), _) if live.squads.contains_key(id) => squads.entry(id),
            (None, None, Some(id)) if live.workflows.contains_key(id) => workflows.entry(id),
            _ => continue,
        };
        group.or_default().push(number);
    }

    // Keys: labelled assistants keep their label; others, squads and workflows get a slug of
    // their name, made unique in a stable order (assistants, squads, workflows; each by name,
    // then id).
    let mut keys = Keys {
        taken: live
            .assistants
            .iter()
            .filter_map(|a| a.label.as_deref().map(str::to_owned))
            .collect(),
    };
    let mut unlabelled: Vec<&Assistant> = numbers_of
        .keys()
        .map(|id| by_id[id])
        .filter(|a| a.label.as_deref().is_none())
        .collect();
    unlabelled.sort_by(|a, b| (a.name(), &a.id).cmp(&(b.name(), &b.id)));
    let key_of: HashMap<&str, String> = unlabelled
        .into_iter()
        .map(|a| (a.id.as_str(), keys.fresh(a.name().unwrap_or("assistant"))))
        .collect();

    let mut businesses = BTreeMap::new();
    let mut shared = BTreeMap::new();
    for assistant in &live.assistants {
        let label = assistant.label.as_deref();
        let name = || {
            assistant
                .name()
                .filter(|name| !name.trim().is_empty())
                .map_or_else(|| format!("Assistant {}", assistant.id), str::to_owned)
        };
        match (numbers_of.get(assistant.id.as_str()), label) {
            (Some(numbers), Some(key)) => {
                let spec = spec(assistant, key, &mut secrets);
                let route =
                    RouteSpec::Assistant(AssistantSpec::Spec(SpecAssistant { spec, adopt: None }));
                let business = business(key, name(), numbers, route, &mut secrets);
                businesses.insert(key.to_owned(), business);
            }
            (Some(numbers), None) => {
                let key = key_of[assistant.id.as_str()].clone();
                let route = RouteSpec::Assistant(AssistantSpec::Existing(ExistingAssistant {
                    id: Text(assistant.id.clone()),
                }));
                let business = business(&key, name(), numbers, route, &mut secrets);
                businesses.insert(key, business);
            }
            (None, Some(key)) => {
                shared.insert(key.to_owned(), spec(assistant, key, &mut secrets));
            }
            (None, None) => {}
        }
    }
    for (kind, groups, names) in [
        ("squad", &squads, &live.squads),
        ("workflow", &workflows, &live.workflows),
    ] {
        let mut targets: Vec<(&str, Option<&str>)> = groups
            .keys()
            .map(|id| (*id, names.get(*id).and_then(|name| name.as_deref())))
            .collect();
        targets.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        for (id, name) in targets {
            let name = name
                .filter(|name| !name.trim().is_empty())
                .map_or_else(|| format!("{kind} {id}"), str::to_owned);
            let key = keys.fresh(&name);
            let route = if kind == "squad" {
                RouteSpec::Squad(Text(id.to_owned()))
            } else {
                RouteSpec::Workflow(Text(id.to_owned()))
            };
            let business = business(&key, name, &groups[id], route, &mut secrets);
            businesses.insert(key, business);
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

/// The business keys given out so far.
struct Keys {
    taken: BTreeSet<String>,
}

impl Keys {
    /// A key from a name, unique among those given out.
    fn fresh(&mut self, name: &str) -> String {
        let base = slug(name);
        let mut key = base.clone();
        let mut n = 2;
        while self.taken.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(key.clone());
        key
    }
}

/// A business `key` named `name` whose `numbers` route as `route`, each with its phone
/// settings: a setting every one of several numbers has alike is the business's `phone`, the
/// others each number's own.
fn business(
    key: &str,
    name: String,
    numbers: &[&Number],
    route: RouteSpec,
    secrets: &mut BTreeSet<String>,
) -> BusinessSpec {
    let mut numbers = numbers.to_vec();
    numbers.sort_by(|a, b| a.key.cmp(&b.key));
    let mut own: Vec<Map<String, Value>> = numbers.iter().map(|n| settings(n)).collect();
    let mut phone = Map::new();
    if let [first, rest @ ..] = own.as_slice()
        && !rest.is_empty()
    {
        for (field, value) in first {
            if rest.iter().all(|other| other.get(field) == Some(value)) {
                phone.insert(field.clone(), value.clone());
            }
        }
    }
    for settings in &mut own {
        settings.retain(|field, _| !phone.contains_key(field));
    }
    let entries = numbers
        .iter()
        .zip(own)
        .map(|(number, settings)| NumberEntry {
            number: number.key.clone(),
            phone: escaped(settings, &format!("{key}_{}", number.key), secrets),
        })
        .collect();
    BusinessSpec {
        name: Text(name),
        phone: (!phone.is_empty())
            .then(|| PhoneSettings(escaped(phone, &format!("{key}_phone"), secrets))),
        numbers: entries,
        route,
    }
}

/// A number's phone settings as the account has them. A say hook is left out: a file cannot
/// declare one, and the plan removes it from a routed number.
fn settings(number: &Number) -> Map<String, Value> {
    let mut settings = Map::new();
    for field in SETTINGS {
        let value = match number.fields.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(hooks)) if field == "hooks" => {
                let kept: Vec<Value> = hooks
                    .iter()
                    .filter(|hook| say::text_of(hook).is_none())
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    continue;
                }
                Value::Array(kept)
            }
            Some(value) => value.clone(),
        };
        settings.insert(field.to_owned(), value);
    }
    settings
}

/// Settings as a file declares them: `${` escaped, secrets as `${env.NAME}` references named
/// after `owner`.
fn escaped(
    settings: Map<String, Value>,
    owner: &str,
    secrets: &mut BTreeSet<String>,
) -> Map<String, Value> {
    match escape(Value::Object(settings), &mut Vec::new(), owner, secrets) {
        Value::Object(settings) => settings,
        _ => Map::new(),
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
