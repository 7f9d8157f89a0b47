//! The test call's offline half (see `check`), run whenever the file loads, so `validate` and
//! `plan` refuse before anything is sent what a caller would hear wrong: a business's own
//! greeting or system prompt that names another business of the file (a name written into a
//! template, an override copied from another business), and a `vars` value left empty where
//! the greeting or prompt expects a word ("Thanks for calling ."). A name the business lists
//! under `check.mentions` is deliberate ("formerly Bob's Bakery"): it is said as a warning.
//!
//! Names are looked up as runs of whole words (case, punctuation and apostrophes aside), one
//! pass over each text. A template's text is scanned once for all its businesses, each of
//! which adds only its own `vars`, so the check stays linear in the file at any fleet size.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::diagnostic::{Path, Problem};
use super::file::{AssistantSpec, File, RouteSpec, VarValue};
use super::{Business, Desired, Route};
use crate::check::normalized;

/// What a caller hears of an assistant body: its first message and its system prompts.
fn heard(body: &Map<String, Value>) -> Vec<&str> {
    let mut texts: Vec<&str> = body
        .get("firstMessage")
        .and_then(Value::as_str)
        .into_iter()
        .collect();
    texts.extend(
        body.get("model")
            .and_then(|model| model.get("messages"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
            .filter_map(|m| m.get("content").and_then(Value::as_str)),
    );
    texts
}

/// The words of a text as compared.
fn words(text: &str) -> Vec<String> {
    normalized(text)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A name found in a text: where (in words) and which.
struct Found {
    start: usize,
    len: usize,
    name: String,
}

/// Every business name of the file, as words, for looking up runs of words.
struct Names {
    names: HashSet<String>,
    longest: usize,
}

impl Names {
    fn new(desired: &Desired) -> Self {
        let names: HashSet<String> = desired
            .businesses
            .values()
            .map(|b| words(&b.name).join(" "))
            .filter(|name| !name.is_empty())
            .collect();
        let longest = names
            .iter()
            .map(|n| n.split(' ').count())
            .max()
            .unwrap_or(0);
        Self { names, longest }
    }

    /// Every run of `words` that is a business name.
    fn found(&self, words: &[String]) -> Vec<Found> {
        let mut found = Vec::new();
        for start in 0..words.len() {
            let mut run = String::new();
            for len in 1..=self.longest.min(words.len() - start) {
                if len > 1 {
                    run.push(' ');
                }
                run.push_str(&words[start + len - 1]);
                if self.names.contains(&run) {
                    found.push(Found {
                        start,
                        len,
                        name: run.clone(),
                    });
                }
            }
        }
        found
    }
}

/// The names `found` in `words` that are not `own` and not inside a mention of it.
fn others<'f>(words: &[String], found: &'f [Found], own: &str) -> Vec<&'f str> {
    if found.iter().all(|f| f.name == own) {
        return Vec::new();
    }
    let own_words: Vec<&str> = own.split(' ').collect();
    let own_at: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words.len() - i >= own_words.len()
                && words[i..i + own_words.len()]
                    .iter()
                    .zip(&own_words)
                    .all(|(a, b)| a == b)
        })
        .collect();
    found
        .iter()
        .filter(|f| f.name != own)
        .filter(|f| {
            !own_at
                .iter()
                .any(|&at| at <= f.start && f.start + f.len <= at + own_words.len())
        })
        .map(|f| f.name.as_str())
        .collect()
}

/// A text scanned: its words and the names in them.
struct Scanned {
    words: Vec<String>,
    found: Vec<Found>,
}

impl Scanned {
    fn new(text: &str, names: &Names) -> Self {
        let words = words(text);
        let found = names.found(&words);
        Self { words, found }
    }
}

/// The literal parts of a template's greeting and prompts (what is not a placeholder), each
/// scanned apart so that no run of words spans a placeholder.
fn template_literals(body: &Map<String, Value>, names: &Names) -> Vec<Scanned> {
    heard(body)
        .into_iter()
        .flat_map(|text| {
            let mut parts = Vec::new();
            let mut rest = text;
            while let Some(at) = rest.find("${") {
                parts.push(&rest[..at]);
                rest = rest[at..].find('}').map_or("", |end| &rest[at + end + 1..]);
            }
            parts.push(rest);
            parts
        })
        .map(|part| Scanned::new(part, names))
        .collect()
}

pub(super) fn check(file: &File, desired: &Desired) -> Vec<Problem> {
    let lookup = Names::new(desired);
    let mut templates: HashMap<*const Map<String, Value>, Vec<Scanned>> = HashMap::new();
    let mut problems = Vec::new();
    for business in desired.businesses.values() {
        // Only a business's own assistant speaks for it alone; a shared one serves several.
        let Route::Managed(key) = &business.route else {
            continue;
        };
        if key != &business.key {
            continue;
        }
        let Some(assistant) = desired.assistants.get(key) else {
            continue;
        };
        let own = words(&business.name).join(" ");
        let mut named: Vec<String> = Vec::new();
        let mut note = |scanned: &Scanned| {
            named.extend(
                others(&scanned.words, &scanned.found, &own)
                    .into_iter()
                    .map(str::to_owned),
            );
        };
        match assistant.template_parts() {
            Some((body, vars)) => {
                let literals = templates
                    .entry(std::ptr::from_ref(body))
                    .or_insert_with(|| template_literals(body, &lookup));
                literals.iter().for_each(&mut note);
                for value in vars.values() {
                    note(&Scanned::new(value, &lookup));
                }
            }
            None => {
                for text in heard(&assistant.body()) {
                    note(&Scanned::new(text, &lookup));
                }
            }
        }
        named.sort();
        named.dedup();
        for name in named {
            // Rare (a problem): the name as the file writes it, found again.
            let shown = desired
                .businesses
                .values()
                .find(|b| words(&b.name).join(" ") == name)
                .map_or(name.as_str(), |b| b.name.as_str());
            report(business, shown, &name, &mut problems);
        }
    }
    problems.extend(empty_vars(file));
    problems
}

/// A name of another business found in `business`'s text: a problem, or a warning when its
/// `check.mentions` says it is deliberate.
fn report(business: &Business, shown: &str, name: &str, problems: &mut Vec<Problem>) {
    let deliberate = business
        .check()
        .mentions
        .iter()
        .any(|m| words(m).join(" ") == name);
    if deliberate {
        tracing::warn!(
            "the greeting or system prompt of businesses.{}.assistant names {shown:?}, another business of the file; its check.mentions says that is deliberate",
            business.key
        );
    } else {
        let at = Path::root()
            .key("businesses")
            .key(business.key.as_str())
            .key("assistant");
        problems.push(Problem::value(
            &at,
            format!(
                "its greeting or system prompt names {shown:?}, another business of the file: callers of {} would hear it (if that is deliberate, list it under `check: {{mentions: [...]}}`)",
                business.name
            ),
        ));
    }
}

/// `vars` values that are blank where the template's greeting or system prompt uses them.
fn empty_vars(file: &File) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, business) in &file.businesses {
        let RouteSpec::Assistant(AssistantSpec::Template(template)) = &business.route else {
            continue;
        };
        let Some(body) = file.templates.get(&template.template) else {
            continue;
        };
        let texts = heard(&body.0);
        for (name, value) in &template.vars {
            let VarValue::Text(text) = value else {
                continue;
            };
            let placeholder = format!("${{vars.{name}}}");
            if text.trim().is_empty() && texts.iter().any(|t| t.contains(&placeholder)) {
                problems.push(Problem::value(
                    &Path::root()
                        .key("businesses")
                        .key(key)
                        .key("assistant")
                        .key("vars")
                        .key(name),
                    format!(
                        "`{name}` is empty, and the greeting or system prompt of template `{}` says `{placeholder}`: callers would hear a gap where a word belongs",
                        template.template
                    ),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(text: &str, names: &[&str]) -> Vec<String> {
        let names = Names {
            names: names.iter().map(|n| words(n).join(" ")).collect(),
            longest: 3,
        };
        let s = Scanned::new(text, &names);
        others(&s.words, &s.found, "acme plumbing")
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn another_name_is_found_as_whole_words_and_not_inside_the_own_one() {
        let names = ["Acme", "Acme Plumbing", "Bob's Bakery"];
        assert_eq!(
            scanned("Welcome to Acme Plumbing!", &names),
            Vec::<String>::new()
        );
        assert_eq!(scanned("Acme Plumbing, not acme.", &names), ["acme"]);
        assert_eq!(scanned("Formerly BOBS bakery", &names), ["bobs bakery"]);
        assert_eq!(scanned("Acmes and bakery", &names), Vec::<String>::new());
    }

    #[test]
    fn a_templates_literal_text_is_read_around_its_placeholders_not_into_them() {
        let names = Names {
            names: ["e plumbing".to_owned(), "bobs bakery".to_owned()].into(),
            longest: 2,
        };
        let Value::Object(body) = serde_json::json!({
            "firstMessage": "Call ${business.name} Plumbing, not Bob's ${vars.x} Bakery."
        }) else {
            panic!("an object")
        };
        let found: Vec<String> = template_literals(&body, &names)
            .iter()
            .flat_map(|s| s.found.iter().map(|f| f.name.clone()))
            .collect();
        assert_eq!(found, Vec::<String>::new());
    }
}
