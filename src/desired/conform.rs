//! Every body the file makes, judged offline by Vapi's own DTOs (`vapi::schema`), each problem
//! located where it is written: the template, the override, the `spec`, the shared assistant,
//! the business's `phone`, a number's own settings, `unassigned` or `import`.
//!
//! What is judged is what would be sent: assistant bodies as `CreateAssistantDTO` (the label
//! vapiform adds goes into `metadata`, which is free-form), phone settings as
//! `UpdateTelnyxPhoneNumberDTO` (every provider's update DTO declares `name`, `server`,
//! `fallbackDestination` and `hooks` alike, and settings hold nothing else, so the provider,
//! unknown offline, does not matter), the say hook of `unassigned: {say}` in a number's
//! `hooks`, and `import` (with a stand-in `number`) as the create DTO of its `provider`.
//! A top-level `null` clears a field and is never sent, so it is not judged.
//!
//! A string holding `${` is not final offline (an `${env.NAME}` is resolved when the request is
//! sent, a `$${` escape is unescaped then): it stands for any text its field accepts, and is
//! refused only where a field takes no text. Values never appear in a message.
//!
//! Thousands of businesses share a template: a template used without `overrides` is judged once
//! with its business placeholders pending, then only the strings holding them are judged for
//! each business, filled; a problem in a template is reported once, naming the businesses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::diagnostic::{Path, Problem, Segment};
use super::file::{AssistantSpec, File, RouteSpec, UnassignedSpec};
use super::{Body, Desired, NumberKey, Unassigned, placeholder, say};
use crate::vapi::schema::{self, Dto, PhoneProvider, Violation};

/// The DTO phone settings are judged by; see the module docs.
const SETTINGS_DTO: Dto = Dto::UpdatePhoneNumber(PhoneProvider::Telnyx);

/// The `number` an `import` body is judged with: which listed number is imported is known only
/// when planning.
const STAND_IN_NUMBER: &str = "+14155550100";

/// The top-level field whose length is judged while expanding (`expand::check_name`), with
/// the expanded name in the message, so it is not judged again here.
const NAME: &str = "name";

/// Businesses named in a problem of a template, at most.
const NAMED: usize = 3;

/// Whether a string is final only when sent; see the module docs.
fn pending(text: &str) -> bool {
    text.contains("${")
}

/// Every reason Vapi would refuse a body `desired` (expanded from `file`) sends.
pub(super) fn check(file: &File, desired: &Desired) -> Vec<Problem> {
    let mut found = Found::default();
    for (key, body) in &file.assistants {
        if let Some(managed) = desired.assistants.get(key.as_str()) {
            let base = Path::root().key("assistants").key(key);
            found.judge(Dto::CreateAssistant, &managed.body(), &|_| base.clone());
        } else {
            // A key that is not one was reported; its body is still worth judging.
            let base = Path::root().key("assistants").key(key);
            found.judge(Dto::CreateAssistant, &body.0, &|_| base.clone());
        }
    }
    found.business_assistants(file, desired);
    found.phone_settings(file, desired);
    found.unassigned(file, desired);
    found.import(desired);
    found.into_problems()
}

/// The problems found so far; those in a template wait for every business it was expanded for.
#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    /// A template's problem (where, what) and the businesses whose assistant has it.
    in_templates: BTreeMap<(Path, String), BTreeSet<String>>,
}

impl Found {
    /// Judges `body` as `dto`, each problem located by `base` (given the path in the body) at
    /// that path below it.
    fn judge(&mut self, dto: Dto, body: &Map<String, Value>, base: &dyn Fn(&Path) -> Path) {
        let body = sent(body);
        for violation in schema::check_pending(dto, &body, &pending).violations {
            if let Some((at, message)) = located(dto, &violation) {
                self.problems
                    .push(Problem::key(&base(&at).join(&at), message));
            }
        }
    }

    /// Records a problem of the template at `base` found in the assistant of `business`.
    fn in_template(&mut self, base: &Path, dto: Dto, violation: &Violation, business: &str) {
        if let Some((at, message)) = located(dto, violation) {
            self.in_templates
                .entry((base.join(&at), message))
                .or_default()
                .insert(business.to_owned());
        }
    }

    /// The assistants of businesses: a template's (judged once, then by its filled strings), a
    /// template's with `overrides` and a `spec` (each judged whole).
    fn business_assistants(&mut self, file: &File, desired: &Desired) {
        let dto = Dto::CreateAssistant;
        // Businesses by the template they use as it is, in file order.
        let mut plain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (key, business) in &file.businesses {
            let RouteSpec::Assistant(assistant) = &business.route else {
                continue;
            };
            let Some(managed) = desired.assistants.get(key.as_str()) else {
                continue;
            };
            let assistant_path = || Path::root().key("businesses").key(key).key("assistant");
            match assistant {
                AssistantSpec::Template(spec) if spec.overrides.0.is_empty() => {
                    plain.entry(&spec.template).or_default().push(key);
                }
                AssistantSpec::Template(spec) => {
                    let template = Path::root().key("templates").key(&spec.template);
                    let overrides = Value::Object(spec.overrides.0.clone());
                    let body = sent(&managed.body());
                    for violation in schema::check_pending(dto, &body, &pending).violations {
                        let at = Path::parse(&violation.path);
                        if written_in(&overrides, &at) {
                            if let Some((at, message)) = located(dto, &violation) {
                                let path = assistant_path().key("overrides").join(&at);
                                self.problems.push(Problem::key(&path, message));
                            }
                        } else {
                            self.in_template(&template, dto, &violation, key);
                        }
                    }
                }
                AssistantSpec::Spec(_) => {
                    let base = assistant_path().key("spec");
                    self.judge(dto, &managed.body(), &|_| base.clone());
                }
                AssistantSpec::Existing(_) | AssistantSpec::Shared(_) => {}
            }
        }
        for (name, businesses) in plain {
            self.template(name, &businesses, desired);
        }
    }

    /// A template used as it is by `businesses`: its fixed part is judged once, then each
    /// string a business fills is judged filled, in its place.
    fn template(&mut self, name: &str, businesses: &[&str], desired: &Desired) {
        let dto = Dto::CreateAssistant;
        let base = Path::root().key("templates").key(name);
        let assistants = businesses
            .iter()
            .filter_map(|key| desired.assistants.get(*key));
        let mut shared = None;
        for managed in assistants.clone() {
            if let Body::Template { template, .. } = &managed.body {
                shared = Some(template);
                break;
            }
        }
        let Some(template) = shared else {
            return;
        };
        let body = sent(&template.body);
        let checked = schema::check_pending(dto, &body, &pending);
        for violation in &checked.violations {
            for key in businesses {
                self.in_template(&base, dto, violation, key);
            }
        }
        // The slots worth filling, each with its placeholders counted once for all businesses.
        let slots: Vec<(&schema::Slot<'_>, usize)> = checked
            .slots
            .iter()
            .filter(|slot| slot.constrains() && slot.path != NAME)
            .map(|slot| (slot, slot.text.matches("${").count()))
            .collect();
        for managed in assistants {
            if !checked.complete {
                // A string a business fills picks a union's branch: judge its whole body.
                let body = sent(&managed.body());
                for violation in schema::check_pending(dto, &body, &pending).violations {
                    self.in_template(&base, dto, &violation, managed.key.as_str());
                }
                continue;
            }
            let ctx = managed.context();
            // The longest text a placeholder of this business can put in: a slot limited
            // only in length that cannot reach its limit however it is filled needs no filling.
            let widest = match &managed.body {
                Body::Template { name, vars, .. } => vars
                    .values()
                    .map(str::len)
                    .chain([name.len(), managed.key.as_str().len()])
                    .max()
                    .unwrap_or(0),
                Body::Expanded(_) => 0,
            };
            let judged = slots.iter().filter(|(slot, holes)| {
                slot.longest()
                    .is_none_or(|longest| slot.text.len() + holes * widest > longest)
            });
            for (slot, _) in judged {
                let (filled, _) = placeholder::fill(slot.text, &ctx);
                if filled == slot.text {
                    // Only `${env.NAME}` or escapes: judged with the template.
                    continue;
                }
                for violation in slot.check(&filled, &pending) {
                    self.in_template(&base, dto, &violation, managed.key.as_str());
                }
            }
        }
    }

    /// Each business's phone settings: its `phone` once, and each number's own settings merged
    /// over it.
    fn phone_settings(&mut self, file: &File, desired: &Desired) {
        for (key, spec) in &file.businesses {
            let Some(business) = desired.businesses.get(key.as_str()) else {
                continue;
            };
            if business.settings.is_empty() {
                continue;
            }
            let business_path = Path::root().key("businesses").key(key);
            let phone_path = business_path.key("phone");
            let mut phone_judged = false;
            for (index, entry) in spec.numbers.iter().enumerate() {
                let Some(settings) = NumberKey::parse(&entry.number)
                    .ok()
                    .and_then(|number| business.settings.get(&number))
                else {
                    continue;
                };
                if entry.phone.is_empty() {
                    if !phone_judged {
                        phone_judged = true;
                        self.judge(SETTINGS_DTO, settings, &|_| phone_path.clone());
                    }
                    continue;
                }
                let own = Value::Object(entry.phone.clone());
                let entry_path = business_path.key("numbers").index(index);
                self.judge(SETTINGS_DTO, settings, &|at| {
                    if written_in(&own, at) {
                        entry_path.clone()
                    } else {
                        phone_path.clone()
                    }
                });
            }
        }
    }

    /// The settings the unassigned policy writes, and the hook its `say` writes.
    fn unassigned(&mut self, file: &File, desired: &Desired) {
        let base = Path::root().key("unassigned");
        if !desired.unassigned_phone.is_empty() {
            let phone_path = base.key("phone");
            self.judge(SETTINGS_DTO, &desired.unassigned_phone, &|_| {
                phone_path.clone()
            });
        }
        if let (Unassigned::Say(text), UnassignedSpec::Policy(_)) =
            (&desired.unassigned, &file.unassigned)
        {
            let body = Value::Object(Map::from_iter([(
                "hooks".to_owned(),
                Value::Array(vec![say::hook(text)]),
            )]));
            let said = base.key("say");
            for violation in schema::check_pending(SETTINGS_DTO, &body, &pending).violations {
                if let Some((_, message)) = located(SETTINGS_DTO, &violation) {
                    self.problems.push(Problem::value(&said, message));
                }
            }
        }
    }

    /// The body that imports a listed number Vapi lacks, as its provider's create DTO.
    fn import(&mut self, desired: &Desired) {
        let Some(import) = &desired.import else {
            return;
        };
        let base = Path::root().key("import");
        let provider = import.body.get("provider").and_then(Value::as_str);
        let Some(provider) = provider.and_then(PhoneProvider::from_wire) else {
            let names: Vec<&str> = PhoneProvider::ALL.iter().map(|p| p.wire()).collect();
            self.problems.push(Problem::value(
                &base.key("provider"),
                format!(
                    "provider must be one of the following values: {}: Vapi would refuse it (POST /phone-number)",
                    names.join(", ")
                ),
            ));
            return;
        };
        let mut body = import.body.clone();
        body.entry("number")
            .or_insert_with(|| Value::String(STAND_IN_NUMBER.to_owned()));
        self.judge(Dto::CreatePhoneNumber(provider), &body, &|_| base.clone());
    }

    /// Every problem, those of templates naming the businesses they were found for.
    fn into_problems(self) -> Vec<Problem> {
        let mut problems = self.problems;
        for ((path, message), businesses) in self.in_templates {
            problems.push(Problem::key(
                &path,
                format!("{message}, in {}", expanded_for(&businesses)),
            ));
        }
        problems
    }
}

/// "the assistant expanded for business `a`", or for several, naming at most [`NAMED`].
fn expanded_for(businesses: &BTreeSet<String>) -> String {
    let names: Vec<String> = businesses
        .iter()
        .take(NAMED)
        .map(|key| format!("`{key}`"))
        .collect();
    match (businesses.len(), names.as_slice()) {
        (1, [one]) => format!("the assistant expanded for business {one}"),
        (n, _) if n <= NAMED => {
            let (last, rest) = names.split_last().expect("at least two");
            format!(
                "the assistants expanded for businesses {} and {last}",
                rest.join(", ")
            )
        }
        (n, _) => format!(
            "the assistants expanded for {n} businesses ({}, and {} more)",
            names.join(", "),
            n - NAMED
        ),
    }
}

/// `body` as it would be sent: without its top-level `null`s, which clear a field and are
/// never sent (the plan refuses one the live object holds).
fn sent(body: &Map<String, Value>) -> Value {
    Value::Object(
        body.iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    )
}

/// Where in the body a violation is and what to say, or `None` for one reported otherwise: a
/// top-level `name` too long is reported while expanding, with the expanded name.
fn located(dto: Dto, violation: &Violation) -> Option<(Path, String)> {
    if violation.path == NAME && violation.message.starts_with("name must be shorter") {
        return None;
    }
    Some((
        Path::parse(&violation.path),
        format!(
            "{}: Vapi would refuse it ({})",
            violation.message,
            dto.schema_name()
        ),
    ))
}

/// Whether the value at `at` of a merged body comes from `over`, the part merged over the base
/// (an override, a number's own settings): it does when `over` has it, or replaced an ancestor
/// wholesale (a list, a scalar).
fn written_in(over: &Value, at: &Path) -> bool {
    if at.0.is_empty() {
        return false;
    }
    let mut here = over;
    for segment in &at.0 {
        match (here, segment) {
            (Value::Object(map), Segment::Key(key)) => match map.get(key) {
                Some(value) => here = value,
                None => return false,
            },
            _ => return true,
        }
    }
    true
}
