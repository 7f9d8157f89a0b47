//! Expansion of checked raw types into the domain [`Desired`]: templates deep-merged with
//! overrides, placeholders substituted, numbers normalised.
//!
//! Placeholder problems can only be seen while substituting, so they are collected here, each
//! at the place a user has to edit: the template, the override, the spec, or the business.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::strings;
use serde_json::{Map, Value};

use super::diagnostic::{Path, Problem};
use super::file::{
    AssistantBody, AssistantSpec, BusinessSpec, File, RouteSpec, UnassignedAction, UnassignedMode,
    UnassignedSpec,
};
use super::placeholder::{self, Context, Kind, Unfilled, Vars};
use super::{
    Body, Business, Carrier, Desired, Import, Key, ManagedAssistant, NumberKey, Route, Sources,
    Unassigned,
};

/// Vapi's limit on an assistant name, in characters.
const MAX_NAME_CHARS: usize = 40;

const PLACEHOLDER_HELP: &str = "placeholders are `${business.key}`, `${business.name}`, `${vars.NAME}` and `${env.NAME}`; write `$${` for a literal `${`";

/// Deep-merges `over` into `base`: objects merge key by key, anything else replaces. An object
/// whose `type` differs from the one it lands on (a transfer destination going from `number` to
/// `sip`) replaces it too: the other keys belong to the other kind.
///
/// Overrides merge over templates, a number's settings over its business's, and a PATCH sends
/// an owned field as the declared value merged over the live one, all by this one rule.
pub(crate) fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) if same_kind(base, over) => {
            for (key, value) in over {
                match base.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

/// Whether two objects are of one kind: not both typed, with different `type`s.
fn same_kind(base: &Map<String, Value>, over: &Map<String, Value>) -> bool {
    match (base.get("type"), over.get("type")) {
        (Some(base), Some(over)) => base == over,
        _ => true,
    }
}

/// A string whose placeholders could not all be filled.
struct Unresolved {
    /// Where the string is, relative to the body.
    at: Path,
    /// Whether the string came from `overrides` rather than the template.
    from_override: bool,
    /// What could not be filled.
    unfilled: Vec<Unfilled>,
}

/// Substitutes placeholders in every string of `value` (keys untouched). `over` is the
/// `overrides` merged into it, so each string knows whether it came from an override.
/// Unfilled placeholders are listed in `unresolved` with where they are.
fn substitute(
    value: &Value,
    over: Option<&Value>,
    ctx: &Context,
    unresolved: &mut Vec<Unresolved>,
) -> Value {
    strings::map_at(value, |text, at| {
        let (filled, unfilled) = placeholder::fill(text, ctx);
        if !unfilled.is_empty() {
            unresolved.push(Unresolved {
                at: at.clone(),
                from_override: over.and_then(|over| at.value_in(over)).is_some(),
                unfilled,
            });
        }
        filled
    })
}

/// `value` with its placeholders filled from `ctx` (what could not be filled stays as written).
pub(crate) fn fill_value(value: &Value, ctx: &Context) -> Value {
    strings::map(value, |text| placeholder::fill(text, ctx).0)
}

/// `body` with its placeholders filled from `ctx`.
pub(crate) fn fill(body: &Map<String, Value>, ctx: &Context) -> Map<String, Value> {
    body.iter()
        .map(|(key, value)| (key.clone(), fill_value(value, ctx)))
        .collect()
}

/// A template as every business that uses it without overrides shares it.
#[derive(Debug, PartialEq)]
pub(crate) struct Template {
    /// The body as written.
    pub(crate) body: Map<String, Value>,
    /// The `${env.NAME}` variables it references.
    pub(crate) env: BTreeSet<String>,
    /// The `${vars.NAME}` placeholders it uses (the text between the braces), each of which a
    /// business must define.
    vars: BTreeSet<String>,
}

impl Template {
    fn new(body: &AssistantBody) -> Self {
        let mut vars = BTreeSet::new();
        strings::each(body.0.values(), &mut |text: &str| {
            for piece in placeholder::pieces(text) {
                if let placeholder::Piece::Placeholder { name, closed: true } = piece
                    && matches!(kind(name), Kind::Var(_))
                {
                    vars.insert(name.to_owned());
                }
            }
        });
        Self {
            env: placeholder::env_references_in(body.0.values()),
            body: body.0.clone(),
            vars,
        }
    }
}

fn unknown_message(unfilled: &Unfilled) -> String {
    if let Kind::ApiKey(name) = kind(&unfilled.name) {
        format!(
            "`${{env.{name}}}` is an API key of vapiform's own and cannot be a placeholder: the file must not copy it into the account; give the value its own variable"
        )
    } else if unfilled.closed {
        format!(
            "unknown placeholder `${{{}}}`; {PLACEHOLDER_HELP}",
            unfilled.name
        )
    } else {
        format!(
            "unterminated placeholder `${{{}`: missing `}}`; write `$${{` for a literal `${{`",
            unfilled.name
        )
    }
}

/// Reports every placeholder left unfilled under `base`: an unknown kind by the shared
/// message, a known one used where it cannot be by `misplaced`.
fn report_unfilled(
    unresolved: Vec<Unresolved>,
    base: &Path,
    problems: &mut Vec<Problem>,
    misplaced: impl Fn(&Unfilled) -> String,
) {
    for string in unresolved {
        for unfilled in &string.unfilled {
            let message = if is_unknown(unfilled) {
                unknown_message(unfilled)
            } else {
                misplaced(unfilled)
            };
            problems.push(Problem::value(&base.join(&string.at), message));
        }
    }
}

/// Whether the placeholder is wrong wherever it is (no kind vapiform knows, or an API key),
/// as opposed to a known one misplaced.
fn is_unknown(unfilled: &Unfilled) -> bool {
    !unfilled.closed || matches!(kind(&unfilled.name), Kind::Unknown | Kind::ApiKey(_))
}

fn kind(name: &str) -> Kind<'_> {
    placeholder::kind(name)
}

/// Reports placeholders that are wrong in any context, once per template.
fn check_template(name: &str, body: &AssistantBody, problems: &mut Vec<Problem>) {
    let base = Path::root().key("templates").key(name);
    // A context that fills every well-formed placeholder, so only unknown kinds remain.
    let mut unresolved = Vec::new();
    substitute(
        &Value::Object(body.0.clone()),
        None,
        &Context::shared(),
        &mut unresolved,
    );
    for string in unresolved {
        for unfilled in string.unfilled.iter().filter(|u| is_unknown(u)) {
            problems.push(Problem::value(
                &base.join(&string.at),
                unknown_message(unfilled),
            ));
        }
    }
}

/// Reports a `name` longer than Vapi allows (for assistants and phone numbers alike) at
/// `path`; `what` says whose name it is.
/// `path` makes the path of the problem, only when there is one: it is checked once per
/// business.
fn check_name(
    name: Option<&Value>,
    what: &str,
    path: impl FnOnce() -> Path,
    problems: &mut Vec<Problem>,
) {
    if let Some(Value::String(name)) = name {
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            problems.push(Problem::key(
                &path(),
                format!(
                    "{what} name \"{name}\" is {chars} characters after expansion; Vapi allows at most {MAX_NAME_CHARS}"
                ),
            ));
        }
    }
}

fn shared_assistant(
    key: &str,
    body: &AssistantBody,
    problems: &mut Vec<Problem>,
) -> Map<String, Value> {
    let base = Path::root().key("assistants").key(key);
    let mut unresolved = Vec::new();
    let expanded = substitute(
        &Value::Object(body.0.clone()),
        None,
        &Context::shared(),
        &mut unresolved,
    );
    report_unfilled(unresolved, &base, problems, |unfilled| {
        format!(
            "`${{{}}}` cannot be used in shared assistant `{key}`: a shared assistant belongs to no business, so only `${{env.NAME}}` is available",
            unfilled.name
        )
    });
    let body = into_map(expanded);
    check_name(body.get("name"), "assistant", || base.clone(), problems);
    body
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The problem of a business that does not define every `${vars.*}` its template uses.
fn missing_vars(
    template: &str,
    key: &str,
    missing: &BTreeSet<String>,
    vars_given: bool,
    assistant_path: &Path,
) -> Problem {
    let names: Vec<String> = missing.iter().map(|n| format!("`${{{n}}}`")).collect();
    let message = format!(
        "template `{template}` uses {} but business `{key}` does not define {} in `vars`",
        names.join(", "),
        if missing.len() == 1 { "it" } else { "them" }
    );
    if vars_given {
        Problem::value(&assistant_path.key("vars"), message)
    } else {
        Problem::key(assistant_path, message)
    }
}

/// One business's own assistant (`template` or `spec`); `None` for `id` and `shared`.
fn business_assistant(
    key: &str,
    business: &BusinessSpec,
    templates: &BTreeMap<String, Arc<Template>>,
    problems: &mut Vec<Problem>,
) -> Option<(Body, Option<String>)> {
    // Made only for a problem: most businesses have none.
    let business_path = || Path::root().key("businesses").key(key);
    let assistant_path = || business_path().key("assistant");
    let mut unresolved = Vec::new();
    let RouteSpec::Assistant(assistant) = &business.route else {
        return None;
    };
    let (expanded, adopt) = match assistant {
        AssistantSpec::Template(spec) => {
            // An unknown template was reported by validation.
            let template = templates.get(&spec.template)?;
            let vars: Vars = spec
                .vars
                .iter()
                .map(|(name, value)| (name.clone(), value.to_text()))
                .collect();
            let ctx = Context::business(key, &business.name.0, &vars);
            if spec.overrides.0.is_empty() {
                // Kept unexpanded. Only the vars it uses can be missing: its unknown
                // placeholders were reported once, at the template.
                let missing: BTreeSet<String> = template
                    .vars
                    .iter()
                    .filter(|name| !vars.contains(name.trim_start_matches("vars.")))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    problems.push(missing_vars(
                        &spec.template,
                        key,
                        &missing,
                        !spec.vars.is_empty(),
                        &assistant_path(),
                    ));
                }
                let name = template.body.get("name").map(|name| fill_value(name, &ctx));
                check_name(name.as_ref(), "assistant", business_path, problems);
                let body = Body::Template {
                    template: Arc::clone(template),
                    name: business.name.0.clone(),
                    vars,
                };
                return Some((body, spec.adopt.clone().map(|id| id.0)));
            }
            let mut merged = Value::Object(template.body.clone());
            let overrides = Value::Object(spec.overrides.0.clone());
            merge(&mut merged, &overrides);
            let expanded = substitute(&merged, Some(&overrides), &ctx, &mut unresolved);
            let overrides_path = assistant_path().key("overrides");
            let mut missing = BTreeSet::new();
            for string in unresolved {
                for unfilled in &string.unfilled {
                    if string.from_override {
                        let message = if is_unknown(unfilled) {
                            unknown_message(unfilled)
                        } else {
                            format!(
                                "`${{{}}}` is not defined: add `{}` to this business's `vars`",
                                unfilled.name,
                                unfilled.name.trim_start_matches("vars.")
                            )
                        };
                        problems.push(Problem::value(&overrides_path.join(&string.at), message));
                    } else if !is_unknown(unfilled) {
                        // Unknown kinds were reported once at the template.
                        missing.insert(unfilled.name.clone());
                    }
                }
            }
            if !missing.is_empty() {
                problems.push(missing_vars(
                    &spec.template,
                    key,
                    &missing,
                    !spec.vars.is_empty(),
                    &assistant_path(),
                ));
            }
            (expanded, spec.adopt.clone())
        }
        AssistantSpec::Spec(spec) => {
            let vars = Vars::default();
            let ctx = Context::business(key, &business.name.0, &vars);
            let expanded = substitute(
                &Value::Object(spec.spec.0.clone()),
                None,
                &ctx,
                &mut unresolved,
            );
            let spec_path = assistant_path().key("spec");
            report_unfilled(unresolved, &spec_path, problems, |unfilled| {
                format!(
                    "`${{{}}}` cannot be used in a `spec`: only a `template` takes `vars`",
                    unfilled.name
                )
            });
            (expanded, spec.adopt.clone())
        }
        AssistantSpec::Existing(_) | AssistantSpec::Shared(_) => return None,
    };
    let body = into_map(expanded);
    check_name(body.get("name"), "assistant", business_path, problems);
    Some((Body::Expanded(body), adopt.map(|id| id.0)))
}

/// Where a business's numbers route; `None` for a shared key that is not a key (reported by
/// validation).
fn route(key: &str, spec: &BusinessSpec) -> Option<Route> {
    Some(match &spec.route {
        RouteSpec::Assistant(AssistantSpec::Template(_) | AssistantSpec::Spec(_)) => {
            Route::Managed(Key::parse(key)?)
        }
        RouteSpec::Assistant(AssistantSpec::Shared(shared)) => {
            Route::Managed(Key::parse(&shared.shared)?)
        }
        RouteSpec::Assistant(AssistantSpec::Existing(existing)) => {
            Route::Existing(existing.id.0.clone())
        }
        RouteSpec::Squad(id) => Route::Squad(id.0.clone()),
    })
}

/// Expands a value that belongs to no business (`import`, the unassigned policy), where only
/// `${env.NAME}` is available; placeholders are reported under `base`, which `what` names.
fn expand_shared(value: &Value, base: &Path, what: &str, problems: &mut Vec<Problem>) -> Value {
    let mut unresolved = Vec::new();
    let expanded = substitute(value, None, &Context::shared(), &mut unresolved);
    report_unfilled(unresolved, base, problems, |unfilled| {
        format!(
            "`${{{}}}` cannot be used in `{what}`: it belongs to no business, so only `${{env.NAME}}` is available",
            unfilled.name
        )
    });
    expanded
}

/// A business's phone settings for each of its numbers that has some: its `phone`, with a
/// number's own settings deep-merged over it, expanded for the business (`${business.key}`,
/// `${business.name}`, `${env.NAME}`). A problem in `phone` is reported once, there; one in a
/// number's own settings at that entry.
fn business_phone(
    key: &str,
    business: &BusinessSpec,
    problems: &mut Vec<Problem>,
) -> BTreeMap<NumberKey, Map<String, Value>> {
    if business.phone.is_none() && business.numbers.iter().all(|n| n.phone.is_empty()) {
        return BTreeMap::new();
    }
    let business_path = Path::root().key("businesses").key(key);
    let no_vars = Vars::default();
    let ctx = Context::business(key, &business.name.0, &no_vars);
    let misplaced = |unfilled: &Unfilled| {
        format!(
            "`${{{}}}` cannot be used in phone settings: they have `${{business.key}}`, `${{business.name}}` and `${{env.NAME}}`",
            unfilled.name
        )
    };
    let declared = Value::Object(business.phone.clone().unwrap_or_default().0);
    let phone_path = business_path.key("phone");
    let mut unresolved = Vec::new();
    let phone = into_map(substitute(&declared, None, &ctx, &mut unresolved));
    report_unfilled(unresolved, &phone_path, problems, misplaced);
    check_name(
        phone.get("name"),
        "phone number",
        || phone_path.key("name"),
        problems,
    );
    let mut settings = BTreeMap::new();
    for (index, entry) in business.numbers.iter().enumerate() {
        // A malformed number was reported by validation.
        let Ok(number) = NumberKey::parse(&entry.number) else {
            continue;
        };
        let own = if entry.phone.is_empty() {
            phone.clone()
        } else {
            let entry_path = business_path.key("numbers").index(index);
            let over = Value::Object(entry.phone.clone());
            let mut merged = declared.clone();
            merge(&mut merged, &over);
            let mut unresolved = Vec::new();
            let own = into_map(substitute(&merged, Some(&over), &ctx, &mut unresolved));
            // What came from `phone` was reported there.
            unresolved.retain(|string| string.from_override);
            report_unfilled(unresolved, &entry_path, problems, misplaced);
            if entry.phone.contains_key("name") {
                check_name(
                    own.get("name"),
                    "phone number",
                    || entry_path.key("name"),
                    problems,
                );
            }
            own
        };
        if !own.is_empty() {
            settings.insert(number, own);
        }
    }
    settings
}

/// The policy for unassigned numbers and the phone settings it writes on them.
fn unassigned(
    spec: &UnassignedSpec,
    problems: &mut Vec<Problem>,
) -> (Unassigned, Map<String, Value>) {
    let UnassignedSpec::Policy(policy) = spec else {
        let mode = match spec {
            UnassignedSpec::Mode(UnassignedMode::Unlink) => Unassigned::Unlink,
            _ => Unassigned::Leave,
        };
        return (mode, Map::new());
    };
    let base = Path::root().key("unassigned");
    let unassigned = match &policy.action {
        // A shared key that is not a key was reported by validation.
        UnassignedAction::Assistant(key) => {
            Key::parse(key).map_or(Unassigned::Leave, Unassigned::Assistant)
        }
        UnassignedAction::Say(text) => {
            let said = expand_shared(
                &Value::String(text.0.clone()),
                &base.key("say"),
                "unassigned",
                problems,
            );
            Unassigned::Say(said.as_str().unwrap_or_default().to_owned())
        }
        UnassignedAction::Unlink(_) => Unassigned::Unlink,
    };
    let phone_path = base.key("phone");
    let declared = Value::Object(policy.phone.clone().unwrap_or_default().0);
    let phone = into_map(expand_shared(
        &declared,
        &phone_path,
        "unassigned",
        problems,
    ));
    check_name(
        phone.get("name"),
        "phone number",
        || phone_path.key("name"),
        problems,
    );
    (unassigned, phone)
}

/// Builds the domain [`Desired`] from checked raw types, with any placeholder or name problems;
/// `sources` are the files they were read from.
pub(crate) fn expand(file: &File, sources: Sources) -> (Desired, Vec<Problem>) {
    let mut problems = Vec::new();
    for (name, body) in &file.templates {
        check_template(name, body, &mut problems);
    }
    // A key that is not one was reported by validation, which then refuses the file; only its
    // placeholder problems are still looked for.
    // Gathered in lists and made maps at once, which fills their nodes (see `load`).
    let mut assistants = Vec::new();
    for (key, body) in &file.assistants {
        let body = shared_assistant(key, body, &mut problems);
        if let Some(key) = Key::parse(key) {
            assistants.push((key.clone(), ManagedAssistant::new(key, body, None)));
        }
    }
    let templates: BTreeMap<String, Arc<Template>> = file
        .templates
        .iter()
        .map(|(name, body)| (name.clone(), Arc::new(Template::new(body))))
        .collect();
    let mut businesses = Vec::new();
    for (key, spec) in &file.businesses {
        let assistant = business_assistant(key, spec, &templates, &mut problems);
        let settings = business_phone(key, spec, &mut problems);
        let (Some(key), Some(route)) = (Key::parse(key), route(key, spec)) else {
            continue;
        };
        if let Some((body, adopt)) = assistant {
            let template = match &spec.route {
                RouteSpec::Assistant(AssistantSpec::Template(t)) => Some(t.template.clone()),
                _ => None,
            };
            let managed = ManagedAssistant {
                key: key.clone(),
                adopt,
                template,
                body,
            };
            assistants.push((key.clone(), managed));
        }
        businesses.push((
            key.clone(),
            Business {
                key,
                name: spec.name.0.clone(),
                numbers: spec
                    .numbers
                    .iter()
                    .filter_map(|n| NumberKey::parse(&n.number).ok())
                    .collect(),
                route,
                settings,
                test_call: spec.check.as_ref().map(|spec| Box::new(check(spec))),
            },
        ));
    }
    let (unassigned, unassigned_phone) = unassigned(&file.unassigned, &mut problems);
    if let Some(spec) = &file.import {
        let import = Value::Object(spec.0.clone());
        expand_shared(
            &import,
            &Path::root().key("import"),
            "import",
            &mut problems,
        );
    }
    let import = file.import.as_ref().map(|spec| Import {
        body: spec.0.clone(),
    });
    let desired = Desired {
        unassigned,
        unassigned_phone,
        prune: file.prune,
        import,
        assistants: BTreeMap::from_iter(assistants),
        businesses: BTreeMap::from_iter(businesses),
        ignore: file
            .ignore
            .numbers
            .iter()
            .filter_map(|n| NumberKey::parse(&n.0).ok())
            .collect(),
        carrier: file.carrier.as_ref().map(|spec| Carrier {
            tag: spec.tag.clone(),
        }),
        sources,
    };
    (desired, problems)
}

/// A business's `check:` as the planner and `check` read it.
fn check(spec: &super::file::CheckSpec) -> super::Check {
    let texts = |texts: &Vec<super::file::Text>| texts.iter().map(|t| t.0.clone()).collect();
    super::Check {
        ask: spec.ask.as_ref().map(|t| t.0.clone()),
        expect: spec.expect.as_ref().map(texts),
        reject: spec.reject.as_ref().map(texts),
        mentions: texts(&spec.mentions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_name_of_the_most_characters_vapi_takes_passes_and_one_more_does_not() {
        let path = || Path::root().key("businesses").key("acme");
        let mut problems = Vec::new();
        let most = Value::from("é".repeat(MAX_NAME_CHARS));
        check_name(Some(&most), "assistant", path, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let over = Value::from("é".repeat(MAX_NAME_CHARS + 1));
        check_name(Some(&over), "assistant", path, &mut problems);
        let [problem] = &problems[..] else {
            panic!("{problems:?}");
        };
        assert_eq!(problem.path, path());
        assert!(
            problem.message.contains("is 41 characters after expansion"),
            "{problem:?}"
        );
    }

    #[test]
    fn merge_recurses_into_objects_and_replaces_the_rest() {
        let mut base = json!({
            "model": {"provider": "openai", "messages": [{"role": "system"}], "temperature": 0.2},
            "voice": {"provider": "vapi"},
            "keep": 1,
        });
        merge(
            &mut base,
            &json!({
                "model": {"messages": [], "temperature": null},
                "voice": "none",
                "new": {"a": 1},
            }),
        );
        assert_eq!(
            base,
            json!({
                "model": {"provider": "openai", "messages": [], "temperature": null},
                "voice": "none",
                "keep": 1,
                "new": {"a": 1},
            })
        );
    }
}
