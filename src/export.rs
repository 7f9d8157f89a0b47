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
//! its SIP URI. The output is sorted, so exporting again gives a minimal diff. [`split`]
//! writes the same document as a folder: the root file, and one file per business.
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

use serde_json::{Map, Value};

use crate::desired::file::{
    ASSISTANT_READ_ONLY, AssistantBody, AssistantSpec, BusinessSpec, ExistingAssistant, File,
    IgnoreSpec, IgnoredNumber, NumberEntry, PhoneSettings, RouteSpec, SETTINGS, SpecAssistant,
    Text, UnassignedMode, UnassignedSpec, Version,
};
use crate::desired::folder;
use crate::id::{Key, Label};
use crate::plan::Live;
use crate::plan::assistants::keeper;
use crate::plan::compare::{Path, Segment};
use crate::plan::live::{Assistant, Index, LABEL, METADATA, Number};
use crate::plan::route;
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

/// The second line of every file `export --split` writes: how a later export knows the file
/// is its own to rewrite or remove (a hand-written one never is).
pub const SPLIT_MARK: &str = "# Written by `vapiform export --split`, which rewrites this file when exporting again, or removes it once its business is gone.\n";

/// Whether `text` is a file `export --split` wrote: its second line is [`SPLIT_MARK`].
pub fn written_by_split(text: &str) -> bool {
    text.split_once('\n')
        .is_some_and(|(_, rest)| rest.starts_with(SPLIT_MARK))
}

/// `text` with [`SPLIT_MARK`] after its first line (the schema comment).
fn marked(mut text: String) -> String {
    let first = text.find('\n').map_or(text.len(), |i| i + 1);
    text.insert_str(first, SPLIT_MARK);
    text
}

/// The folder for `live`: one file per business. A business whose key is not a valid key
/// stays in the root file, so that no file name comes from the account unchecked. Every file
/// carries [`SPLIT_MARK`].
pub fn split(live: &Live) -> Result<Split, serde_yaml::Error> {
    let (mut file, secrets, left_out) = document(live);
    let mut businesses = BTreeMap::new();
    for (key, business) in std::mem::take(&mut file.businesses) {
        if Key::parse(&key).is_some() {
            let text = marked(folder::to_business_file(&key, business)?);
            businesses.insert(key, text);
        } else {
            file.businesses.insert(key, business);
        }
    }
    Ok(Split {
        root: marked(with_note(crate::desired::to_file(&file)?, &left_out)),
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

    let ignore = twice(&index, &mut left_out);
    let (managed, kept_for) = kept_copies(live, &index, &mut left_out);
    let (numbers_of, squads) = routed(live, &index, &kept_for);

    // Keys: managed assistants keep their label; others, squads and workflows get a slug of
    // their name, made unique in a stable order (assistants, squads, workflows; each by name,
    // then id).
    let mut keys = Keys {
        taken: managed.values().map(|key| (*key).to_owned()).collect(),
    };
    let mut unlabelled: Vec<&Assistant> = numbers_of
        .keys()
        .map(|id| index.by_id[id])
        .filter(|a| a.label.as_ref().is_none_or(|label| label.key().is_none()))
        .collect();
    unlabelled.sort_by(|a, b| (a.name(), &a.id).cmp(&(b.name(), &b.id)));
    let key_of: HashMap<&str, String> = unlabelled
        .into_iter()
        .map(|a| (a.id.as_str(), keys.fresh(a.name().unwrap_or("assistant"))))
        .collect();

    let mut businesses = BTreeMap::new();
    let mut shared = BTreeMap::new();
    for assistant in &live.assistants {
        let label = managed.get(assistant.id.as_str()).copied();
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
                // Another copy of a managed assistant: left as it is, with its numbers.
                let Some(key) = key_of.get(assistant.id.as_str()).cloned() else {
                    continue;
                };
                if let Some(label) = assistant.label.as_deref() {
                    left_out.push(format!(
                        "assistant {} carries the label {label:?}, which is not a key: business `{key}` routes to it by id and vapiform does not manage it",
                        assistant.id
                    ));
                }
                let route = RouteSpec::Assistant(AssistantSpec::Existing(ExistingAssistant {
                    id: Text(assistant.id.to_string()),
                }));
                let business = business(&key, name(), numbers, route, &mut secrets);
                businesses.insert(key, business);
            }
            (None, Some(key)) => {
                shared.insert(key.to_owned(), spec(assistant, key, &mut secrets));
            }
            (None, None) => {
                if let Some(label) = assistant
                    .label
                    .as_ref()
                    .filter(|label| label.key().is_none())
                    .map(Label::as_str)
                {
                    left_out.push(format!(
                        "assistant {} carries the label {label:?}, which is not a key, and no number routes to it: left as it is",
                        assistant.id
                    ));
                }
            }
        }
    }
    let mut targets: Vec<(&str, Option<&str>)> = squads
        .keys()
        .map(|id| (*id, live.squads.get(*id).and_then(|name| name.as_deref())))
        .collect();
    targets.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, name) in targets {
        let name = name
            .filter(|name| !name.trim().is_empty())
            .map_or_else(|| format!("squad {id}"), str::to_owned);
        let key = keys.fresh(&name);
        let route = RouteSpec::Squad(Text(id.to_owned()));
        let business = business(&key, name, &squads[id], route, &mut secrets);
        businesses.insert(key, business);
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

/// The numbers the account has twice, which cannot be planned: ignored until one goes.
fn twice(index: &Index<'_>, left_out: &mut Vec<String>) -> IgnoreSpec {
    let mut ignore = IgnoreSpec::default();
    for (number, copies) in &index.numbers {
        if copies.len() > 1 && copies[0].key.key().is_some() {
            let ids: Vec<&str> = copies.iter().map(|n| n.id.as_str()).collect();
            left_out.push(format!(
                "number {number} is in the account {} times ({}): listed under `ignore` until all but one are deleted",
                copies.len(),
                ids.join(", ")
            ));
            ignore.numbers.push(IgnoredNumber((*number).to_owned()));
        }
    }
    ignore
}

/// Labelled assistants by id, to their label key: an assistant is exported under its label
/// when the label is a key and it is the copy the planner keeps. Every number routed to a copy
/// is listed under the key's business or left as it is, so all count for the planner: it keeps
/// the copy most numbers route to. Also, each other copy's id to the kept one's.
fn kept_copies<'a>(
    live: &'a Live,
    index: &Index<'a>,
    left_out: &mut Vec<String>,
) -> (HashMap<&'a str, &'a str>, HashMap<&'a str, &'a str>) {
    let mut routes: HashMap<&str, usize> = HashMap::new();
    for id in live
        .numbers
        .iter()
        .filter_map(|n| n.assistant_id.as_deref())
    {
        *routes.entry(id).or_default() += 1;
    }
    let mut managed: HashMap<&str, &str> = HashMap::new();
    let mut kept_for: HashMap<&str, &str> = HashMap::new();
    for (label, copies) in &index.by_label {
        // Every copy carries the label; a label that is no key is left as it is.
        if copies[0].label.as_ref().and_then(|l| l.key()).is_none() {
            continue;
        }
        let kept = keeper(copies, &routes);
        managed.insert(kept.id.as_str(), label);
        for copy in copies.iter().filter(|c| c.id != kept.id) {
            kept_for.insert(copy.id.as_str(), kept.id.as_str());
            left_out.push(format!(
                "assistant {} is another copy of `{label}` (two applies at once made both): its numbers are listed under `{label}`, so `plan` routes them to {} and deletes this copy",
                copy.id, kept.id
            ));
        }
    }
    (managed, kept_for)
}

/// The numbers a file can name (a valid key the account has once) routed to each assistant
/// (a copy's under the kept one) and to each squad.
type Routed<'a> = BTreeMap<&'a str, Vec<&'a Number>>;

fn routed<'a>(
    live: &'a Live,
    index: &Index<'a>,
    kept_for: &HashMap<&'a str, &'a str>,
) -> (Routed<'a>, Routed<'a>) {
    let mut numbers_of: Routed<'a> = BTreeMap::new();
    let mut squads: Routed<'a> = BTreeMap::new();
    for number in &live.numbers {
        let listable = number.key.key().is_some() && index.numbers[number.key.as_str()].len() == 1;
        if !listable {
            continue;
        }
        let group = match (&number.assistant_id, &number.squad_id, &number.workflow_id) {
            (Some(id), ..) if index.by_id.contains_key(id.as_str()) => {
                numbers_of.entry(kept_for.get(id.as_str()).copied().unwrap_or(id))
            }
            // A route to a squad the account does not have, or to a retired workflow, is left
            // out, as `unassigned: leave` keeps it, since no file can route to it.
            (None, Some(id), _) if live.squads.contains_key(id.as_str()) => squads.entry(id),
            _ => continue,
        };
        group.or_default().push(number);
    }
    (numbers_of, squads)
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
            number: number.key.to_string(),
            phone: escape(settings, &format!("{key}_{}", number.key), secrets),
        })
        .collect();
    BusinessSpec {
        name: Text(name),
        phone: (!phone.is_empty())
            .then(|| PhoneSettings(escape(phone, &format!("{key}_phone"), secrets))),
        numbers: entries,
        route,
        check: None,
    }
}

/// A number's phone settings as the account has them. vapiform's own say hook is left out
/// (the unassigned policy writes it); every other hook is the customer's and is kept.
fn settings(number: &Number) -> Map<String, Value> {
    let fields = number.fields();
    let routed = route::is_routed(&fields);
    let mut settings = Map::new();
    for field in SETTINGS {
        let value = match fields.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(hooks)) if field == "hooks" => {
                let kept: Vec<Value> = hooks
                    .iter()
                    .filter(|hook| !route::owns_say_hook(hook, routed))
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

/// The assistant's declarable fields, with `${` escaped so nothing reads as a placeholder
/// and the label left to the planner.
fn spec(assistant: &Assistant, key: &str, secrets: &mut BTreeSet<String>) -> AssistantBody {
    // Export reads every body: it settles nothing.
    let mut body = assistant.fields().unwrap_or_default();
    for field in ASSISTANT_READ_ONLY.iter().chain(&COMPUTED_FIELDS) {
        body.remove(*field);
    }
    if let Some(Value::Object(metadata)) = body.get_mut(METADATA) {
        metadata.remove(LABEL);
        if metadata.is_empty() {
            body.remove(METADATA);
        }
    }
    AssistantBody(escape(body, key, secrets))
}

/// A body or settings as a file declares them: `${` escaped in their text, and their sensitive
/// strings replaced by `${env.NAME}` references named after `key`.
fn escape(
    body: Map<String, Value>,
    key: &str,
    secrets: &mut BTreeSet<String>,
) -> Map<String, Value> {
    let escaped = crate::strings::map_at(&Value::Object(body), |text, path| {
        if sensitive::is_sensitive_path(path) {
            let name = secret_name(key, path);
            secrets.insert(name.clone());
            format!("${{env.{name}}}")
        } else {
            with_url_secrets(text, path, key, secrets)
        }
    });
    match escaped {
        Value::Object(body) => body,
        _ => Map::new(),
    }
}

/// Text as a file declares it: `${` escaped, and in a URL the value of each secret-looking
/// query parameter (`?token=`, `&sig=`, ...) replaced by an `${env.NAME}` reference named after
/// `key`, the path and the parameter, so no credential carried in a URL is written to git.
fn with_url_secrets(text: &str, path: &Path, key: &str, secrets: &mut BTreeSet<String>) -> String {
    let escaped = |text: &str| text.replace("${", "$${");
    let Some((address, query)) = text
        .split_once('?')
        .filter(|(address, _)| address.contains("://"))
    else {
        return escaped(text);
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && crate::http::is_secret_parameter(name) => {
                let mut at = path.clone();
                at.push(Segment::Key(name.to_owned()));
                let secret = secret_name(key, &at);
                let reference = format!("{}=${{env.{secret}}}", escaped(name));
                secrets.insert(secret);
                reference
            }
            _ => escaped(pair),
        })
        .collect();
    format!("{}?{}", escaped(address), pairs.join("&"))
}

/// `VAPIFORM_<KEY>_<PATH>`: upper case, every other character an underscore.
fn secret_name(key: &str, path: &Path) -> String {
    let mut name = format!("VAPIFORM_{key}_{path}");
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
        use super::{Path, Segment, secret_name};
        let path = Path::from(vec![
            Segment::Key("server".into()),
            Segment::Key("headers".into()),
            Segment::Key("x-token".into()),
        ]);
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
