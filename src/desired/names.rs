//! The test call's offline half (see `check`), run whenever the file loads, so `validate` and
//! `plan` refuse before anything is sent what a caller would hear wrong: a business's own
//! greeting or system prompt that names another business of the file (a name written into a
//! template, an override copied from another business), and a `vars` value left empty where
//! the greeting or prompt expects a word ("Thanks for calling ."). A name the business lists
//! under `check.mentions` is deliberate ("formerly Bob's Bakery"): it is said as a warning.

use serde_json::Value;

use super::diagnostic::{Path, Problem};
use super::file::{AssistantSpec, File, RouteSpec, VarValue};
use super::{Desired, Route};
use crate::check::normalized;

/// What a caller hears of an assistant body: its first message and its system prompts.
fn heard(body: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut texts: Vec<String> = body
        .get("firstMessage")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    texts.extend(
        body.get("model")
            .and_then(|model| model.get("messages"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
            .filter_map(|m| m.get("content").and_then(Value::as_str))
            .map(str::to_owned),
    );
    texts
}

pub(super) fn check(file: &File, desired: &Desired) -> Vec<Problem> {
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
        let own = normalized(&business.name);
        let mut text = heard(&assistant.body())
            .iter()
            .map(|t| normalized(t))
            .collect::<Vec<_>>()
            .join(" ");
        text = text.replace(&own, " ");
        let at = Path::root()
            .key("businesses")
            .key(business.key.as_str())
            .key("assistant");
        for other in desired.businesses.values() {
            let name = normalized(&other.name);
            if other.key == business.key || name.trim().is_empty() || !text.contains(&name) {
                continue;
            }
            let deliberate = business
                .check
                .mentions
                .iter()
                .any(|m| normalized(m) == name);
            if deliberate {
                tracing::warn!(
                    "the greeting or system prompt of businesses.{}.assistant names {:?}, another business of the file; its check.mentions says that is deliberate",
                    business.key,
                    other.name
                );
            } else {
                problems.push(Problem::value(
                    &at,
                    format!(
                        "its greeting or system prompt names {:?}, another business of the file: callers of {} would hear it (if that is deliberate, list it under `check: {{mentions: [...]}}`)",
                        other.name, business.name
                    ),
                ));
            }
        }
    }
    problems.extend(empty_vars(file));
    problems
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
