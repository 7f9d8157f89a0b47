//! The rules that need the whole file: keys, references to templates and shared assistants,
//! numbers (well formed, each listed once across businesses and `ignore`), and one owner per
//! adopted assistant. The shape of each part is checked by deserialising it (`shape`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::NumberKey;
use super::diagnostic::{Path, Problem};
use super::file::{
    AssistantSpec, BUSINESSES, File, RouteSpec, UnassignedAction, UnassignedPolicy, UnassignedSpec,
};

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

/// The keys of a section of the document as written, including entries that did not
/// deserialise, so a reference to a broken one is not reported a second time.
fn declared<'r>(root: &'r Value, section: &str) -> BTreeSet<&'r str> {
    root.get(section)
        .and_then(Value::as_object)
        .map(|entries| entries.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Checks the rules that need the whole file. `root` is the document as written; `file` holds
/// the parts of it that deserialised.
pub(crate) fn check(root: &Value, file: &File) -> Vec<Problem> {
    let mut checker = Checker {
        problems: Vec::new(),
        templates: declared(root, "templates"),
        shared: declared(root, "assistants"),
    };
    // Businesses read as they were read from the file are no longer in the document.
    let written = declared(root, BUSINESSES);
    let read = file.businesses.keys().map(String::as_str);
    checker.keys(
        written
            .iter()
            .copied()
            .chain(read.filter(|key| !written.contains(key))),
    );
    checker.references(file);
    checker.numbers(file);
    checker.owners(file);
    checker.problems
}

/// Where a number is listed: the list of a business, or `ignore`'s (`None`), at `index`, as
/// the item itself or at `number` in a mapping. Its path is made only for a problem.
#[derive(Clone, Copy)]
struct Listing<'f> {
    business: Option<&'f str>,
    index: usize,
    in_mapping: bool,
}

impl Listing<'_> {
    fn path(&self) -> Path {
        let list = match self.business {
            Some(key) => Path::root().key("businesses").key(key),
            None => Path::root().key("ignore"),
        };
        let item = list.key("numbers").index(self.index);
        if self.in_mapping {
            item.key("number")
        } else {
            item
        }
    }
}

/// Collects problems.
struct Checker<'r> {
    problems: Vec<Problem>,
    /// Names under `templates`.
    templates: BTreeSet<&'r str>,
    /// Keys under `assistants`.
    shared: BTreeSet<&'r str>,
}

impl Checker<'_> {
    fn keys<'k>(&mut self, businesses: impl Iterator<Item = &'k str>) {
        let shared = Path::root().key("assistants");
        for key in self.shared.iter().filter(|key| !crate::id::is_key(key)) {
            self.problems.push(Problem::key(
                &shared.key(key),
                format!("shared assistant key `{key}` must match [a-z0-9][a-z0-9-]*"),
            ));
        }
        let path = Path::root().key("businesses");
        for key in businesses {
            if !crate::id::is_key(key) {
                self.problems.push(Problem::key(
                    &path.key(key),
                    format!("business key `{key}` must match [a-z0-9][a-z0-9-]*"),
                ));
            }
            if self.shared.contains(key) {
                self.problems.push(Problem::key(
                    &path.key(key),
                    format!(
                        "key `{key}` is used by both a business and a shared assistant; keys must be unique"
                    ),
                ));
            }
        }
    }

    /// A reference to a `what` that `section` does not declare; `path` makes its path, only
    /// for a problem.
    fn reference(&mut self, path: impl FnOnce() -> Path, name: &str, what: &str, section: &str) {
        let declared = if section == "templates" {
            &self.templates
        } else {
            &self.shared
        };
        if declared.contains(name) {
            return;
        }
        let known: Vec<&str> = declared.iter().copied().collect();
        let hint = closest(name, &known)
            .map(|g| format!(", did you mean `{g}`?"))
            .unwrap_or_default();
        self.problems.push(Problem::value(
            &path(),
            format!("unknown {what} `{name}`: it is not declared under `{section}`{hint}"),
        ));
    }

    fn references(&mut self, file: &File) {
        if let UnassignedSpec::Policy(UnassignedPolicy {
            action: UnassignedAction::Assistant(shared),
            ..
        }) = &file.unassigned
        {
            let path = || Path::root().key("unassigned").key("assistant");
            self.reference(path, shared, "shared assistant", "assistants");
        }
        for (key, business) in &file.businesses {
            let path = || Path::root().key("businesses").key(key).key("assistant");
            let RouteSpec::Assistant(assistant) = &business.route else {
                continue;
            };
            match assistant {
                AssistantSpec::Template(t) => {
                    let path = || path().key("template");
                    self.reference(path, &t.template, "template", "templates");
                }
                AssistantSpec::Shared(s) => self.reference(
                    || path().key("shared"),
                    &s.shared,
                    "shared assistant",
                    "assistants",
                ),
                AssistantSpec::Spec(_) | AssistantSpec::Existing(_) => {}
            }
        }
    }

    /// The numbers of `list` (each as written, and whether it is at `number` inside its
    /// entry), normalised, with where each is; a malformed one is a problem.
    fn normalised<'n>(
        &mut self,
        numbers: impl Iterator<Item = (&'n str, bool)>,
        list: Option<&'n str>,
    ) -> Vec<(String, Listing<'n>)> {
        let mut out = Vec::new();
        for (index, (number, in_mapping)) in numbers.enumerate() {
            let listing = Listing {
                business: list,
                index,
                in_mapping,
            };
            match NumberKey::parse(number) {
                Ok(key) => out.push((key.to_string(), listing)),
                Err(message) => self.problems.push(Problem::value(&listing.path(), message)),
            }
        }
        out
    }

    /// Every number is listed once: in one business or in `ignore`.
    fn numbers(&mut self, file: &File) {
        let mut ignored: BTreeMap<String, Path> = BTreeMap::new();
        let ignore = file.ignore.numbers.iter().map(|n| (n.0.as_str(), false));
        for (number, listing) in self.normalised(ignore, None) {
            let path = listing.path();
            if let Some(first) = ignored.get(&number) {
                let message =
                    format!("number {number} is listed twice in `ignore` (first at {first})");
                self.problems.push(Problem::value(&path, message));
            } else {
                ignored.insert(number, path);
            }
        }
        let mut listed: BTreeMap<String, Listing> = BTreeMap::new();
        for (key, business) in &file.businesses {
            let entries = business.numbers.iter();
            let numbers = entries.map(|entry| (entry.number.as_str(), entry.is_mapping()));
            for (number, listing) in self.normalised(numbers, Some(key)) {
                // The other listing may be in another file of a folder: it is named by its
                // file, line and column.
                if let Some(first) = listed.get(&number) {
                    let problem = if first.business == Some(key) {
                        Problem::value(
                            &listing.path(),
                            format!("number {number} is listed twice in business `{key}`"),
                        )
                    } else {
                        let owner = first.business.unwrap_or_default();
                        Problem::value(
                            &listing.path(),
                            format!(
                                "number {number} is already listed in business `{owner}`; a number belongs to at most one business"
                            ),
                        )
                    };
                    self.problems
                        .push(problem.related("the first listing", &first.path()));
                    continue;
                }
                if let Some(ignored) = ignored.get(&number) {
                    let message = format!(
                        "number {number} is listed in business `{key}` and in `ignore`; remove one"
                    );
                    self.problems.push(
                        Problem::value(&listing.path(), message)
                            .related("the `ignore` entry", ignored),
                    );
                }
                listed.insert(number, listing);
            }
        }
    }

    /// An assistant adopted by one business belongs to it: no other business may adopt it or
    /// route to it by `id`. Several businesses routing to one unmanaged `id` is fine.
    fn owners(&mut self, file: &File) {
        let mut references: BTreeMap<&str, Vec<Reference>> = BTreeMap::new();
        for (key, business) in &file.businesses {
            let RouteSpec::Assistant(assistant) = &business.route else {
                continue;
            };
            let (id, adopted) = match assistant {
                AssistantSpec::Template(t) => (t.adopt.as_ref(), true),
                AssistantSpec::Spec(s) => (s.adopt.as_ref(), true),
                AssistantSpec::Existing(e) => (Some(&e.id), false),
                AssistantSpec::Shared(_) => (None, false),
            };
            if let Some(id) = id {
                references.entry(&id.0).or_default().push(Reference {
                    business: key,
                    adopted,
                    path: Path::root()
                        .key("businesses")
                        .key(key)
                        .key("assistant")
                        .key(if adopted { "adopt" } else { "id" }),
                });
            }
        }
        for (id, references) in references {
            for owner in references.iter().filter(|r| r.adopted) {
                for other in references.iter().filter(|r| r.business != owner.business) {
                    let message = if other.adopted {
                        format!(
                            "assistant `{id}` is also adopted by business `{}`; an adopted assistant belongs to one business",
                            owner.business
                        )
                    } else {
                        format!(
                            "assistant `{id}` is adopted by business `{}`, so business `{}` cannot route to it; an adopted assistant belongs to one business",
                            owner.business, other.business
                        )
                    };
                    self.problems.push(
                        Problem::key(&other.path, message).related("its `adopt`", &owner.path),
                    );
                    if !other.adopted {
                        let message = format!(
                            "business `{}` adopts assistant `{id}`, which business `{}` also routes to; an adopted assistant belongs to one business",
                            owner.business, other.business
                        );
                        self.problems.push(
                            Problem::key(&owner.path, message).related("the `id`", &other.path),
                        );
                    }
                }
            }
        }
    }
}

/// A business's reference to an existing assistant by id.
struct Reference<'f> {
    business: &'f str,
    /// `adopt` (it owns the assistant) rather than `id` (it only routes to it).
    adopted: bool,
    path: Path,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::shape;
    use serde_json::json;

    /// Every problem of a document (shape, then the whole-file rules), as `path: message`,
    /// sorted.
    fn messages(doc: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(file) = shape::deserialize(doc, &mut problems) {
            problems.extend(check(doc, &file));
        }
        let mut messages: Vec<String> = problems
            .into_iter()
            .map(|p| match p.related {
                Some(related) => format!(
                    "{}: {}; {} is at {}",
                    p.path, p.message, related.what, related.path
                ),
                None => format!("{}: {}", p.path, p.message),
            })
            .collect();
        messages.sort();
        messages
    }

    #[test]
    fn suggests_the_closest_field() {
        let fields = ["name", "numbers", "assistant"];
        assert_eq!(closest("nmae", &fields), Some("name"));
        assert_eq!(closest("Numbres", &fields), Some("numbers"));
        assert_eq!(closest("zzzzzz", &fields), None);
    }

    #[test]
    fn rejects_assistant_forms() {
        let doc = json!({
            "version": 1,
            "businesses": {
                "a": {"name": "A", "assistant": {}},
                "b": {"name": "B", "assistant": {"id": "x", "shared": "y"}},
                "c": {"name": "C", "assistant": {"spec": {}, "vars": {}}},
                "d": {"name": "D", "assistant": {"id": " "}},
                "e": {"name": "E", "assistant": {"spec": {}, "adopt": 3}},
                "f": {"name": "F", "assistant": {"tempalte": "t"}},
                "g": {"name": "G", "assistant": {"id": "x", "adopt": "x"}},
                "h": {"name": "H", "assistant": {"template": "t", "vars": {"v": [1]}}},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "businesses.a.assistant: `assistant` needs exactly one of `template`, `spec`, `id` or `shared`",
                "businesses.b.assistant: `assistant` has `id` and `shared`; use exactly one of `template`, `spec`, `id` or `shared`",
                "businesses.c.assistant: `vars` is only allowed with `template`",
                "businesses.d.assistant.id: this field must not be empty or blank",
                "businesses.e.assistant.adopt: invalid type: integer `3`, expected a string",
                "businesses.f.assistant.tempalte: unknown field `tempalte`, did you mean `template`?",
                "businesses.g.assistant: `adopt` is only allowed with `template` or `spec`",
                // Once the bad var is taken out, the rest of the business is checked too.
                "businesses.h.assistant.template: unknown template `t`: it is not declared under `templates`",
                "businesses.h.assistant.vars.v: a variable must be a string, a number or a boolean",
            ]
        );
    }

    #[test]
    fn reports_every_mistake_in_routes_and_phone_settings() {
        let doc = json!({
            "version": 1,
            "unassigned": {"say": "Closed", "phone": {"name": 3, "squadId": "s"}},
            "businesses": {
                "a": {
                    "name": "A",
                    "phone": {
                        "assistantId": "x", "twilioAuthToken": "t", "nmae": "n", "status": "active",
                        "fallbackDestination": {"type": "sip"},
                        "server": {"url": 1},
                        "hooks": [
                            {"on": "call.ringing", "do": [{"type": "say", "exact": "Closed"}]},
                            {"on": "call.ringing", "do": {"type": "say", "exact": "x"}},
                            {"on": "call.ending", "do": {"type": "dial"}},
                            {"on": "call.ringing", "filters": [{"type": "startsWith", "key": "number", "startsWith": ["1"]}], "do": [{"type": "say", "exact": "Hi"}]},
                        ],
                    },
                    "numbers": ["+14155550100", {"number": "+14155550101", "number2": 1}, {"name": "x"}, {"number": "+1415555010"}],
                    "squad": "s",
                },
                "b": {"name": "B", "squad": "s", "workflow": "w"},
                "c": {"name": "C", "phone": {"hooks": null}, "workflow": " "},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "businesses.a.numbers[1].number2: unknown field `number2`, did you mean `number`?",
                "businesses.a.numbers[2]: missing field `number`",
                "businesses.a.phone.assistantId: `assistantId` is routing, which a business's `assistant` or `squad` decides (and `unassigned` for the rest); it cannot be a phone setting",
                "businesses.a.phone.fallbackDestination: a destination of this type needs `sipUri`: `{type: number, number: \"+1...\"}` or `{type: sip, sipUri: \"sip:...\"}`",
                "businesses.a.phone.hooks[1]: a `call.ringing` hook needs `do`: a list of actions",
                "businesses.a.phone.hooks[2]: a hook action is `{type: say, exact: TEXT}` or `{type: transfer, destination: ...}`",
                "businesses.a.phone.nmae: unknown field `nmae`, did you mean `name`?",
                "businesses.a.phone.server: `server.url` must be text, like \"https://hooks.example.com/vapi\"",
                "businesses.a.phone.status: `status` is read-only: Vapi sets it, so it cannot be declared",
                "businesses.a.phone.twilioAuthToken: `twilioAuthToken` belongs to the number's provider account, which vapiform does not manage; phone settings are `name`, `fallbackDestination`, `server` and `hooks`",
                "businesses.b.workflow: workflows were retired by Vapi on 2026-08-18 and no longer answer calls: route the business to a squad (`squad: ID`) or an assistant instead",
                "businesses.c.phone.hooks: `hooks` cannot be `null`: write `hooks: []` to remove every hook",
                "businesses.c.workflow: workflows were retired by Vapi on 2026-08-18 and no longer answer calls: route the business to a squad (`squad: ID`) or an assistant instead",
                "unassigned.phone.name: `name` must be text (at most 40 characters), or `null` to clear it",
                "unassigned.phone.squadId: `squadId` is routing, which a business's `assistant` or `squad` decides (and `unassigned` for the rest); it cannot be a phone setting",
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
                "b": {"name": "B", "numbers": ["+1 (415) 555-0100", "415", "+1 415 555 0100"], "assistant": {"shared": "shared"}},
                "c": {"name": "C", "numbers": [14_155_550_101_u64], "assistant": {"shared": "shared"}},
                "shared": {"name": "S", "assistant": {"shared": "shared"}},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "businesses.a.numbers[1]: number +14155550199 is listed in business `a` and in `ignore`; remove one; the `ignore` entry is at ignore.numbers[0]",
                "businesses.b.numbers[0]: number +14155550100 is already listed in business `a`; a number belongs to at most one business; the first listing is at businesses.a.numbers[0]",
                "businesses.b.numbers[1]: phone number `415` must start with `+` and the country code, like +14155550101",
                "businesses.b.numbers[2]: number +14155550100 is already listed in business `a`; a number belongs to at most one business; the first listing is at businesses.a.numbers[0]",
                "businesses.c.numbers[0]: phone number 14155550101 must be a quoted string like \"+14155550101\"",
                "businesses.shared: key `shared` is used by both a business and a shared assistant; keys must be unique",
                "ignore.numbers[1]: number +14155550199 is listed twice in `ignore` (first at ignore.numbers[0])",
            ]
        );
    }

    #[test]
    fn checks_top_level() {
        let doc = json!({"version": 2, "prune": "yes", "unassigned": "drop", "import": {"credentialId": "x"}, "busineses": {}});
        assert_eq!(
            messages(&doc),
            [
                "busineses: unknown field `busineses`, did you mean `businesses`?",
                "import: missing field `provider`",
                "prune: invalid type: string \"yes\", expected a boolean",
                "unassigned: `unassigned` must be `leave`, `unlink`, `{assistant: <shared assistant key>}`, `{say: TEXT}` or `{unlink: true}`",
                "version: unsupported version 2; this vapiform reads version 1",
            ]
        );
        assert_eq!(
            messages(&json!({"unassigned": {"assistant": "nope"}})),
            [
                ": missing field `version`; add `version: 1` at the top of the file",
                "unassigned.assistant: unknown shared assistant `nope`: it is not declared under `assistants`",
            ]
        );
        assert_eq!(
            messages(&json!(["version"])),
            [": invalid type: sequence, expected a mapping that starts with `version: 1`"]
        );
    }

    #[test]
    fn refuses_what_vapi_sets_in_bodies() {
        let doc = json!({
            "version": 1,
            "import": {"provider": "telnyx", "status": "active"},
            "templates": {"t": {"name": "T", "createdAt": "2026-01-01"}, "u": {"metadata": {"vapiform": {"key": "x"}}}},
            "assistants": {"s": {"orgId": "o"}, "m": {"metadata": "pro"}},
            "businesses": {
                "a": {"name": "A", "assistant": {"template": "t", "overrides": {"updatedAt": "x"}}},
                "b": {"name": "B", "assistant": {"spec": {"id": "x"}}},
            }
        });
        assert_eq!(
            messages(&doc),
            [
                "assistants.m.metadata: invalid type: string \"pro\", expected `metadata` as a mapping",
                "assistants.s.orgId: `orgId` is read-only: Vapi sets it, so it cannot be declared",
                "businesses.a.assistant.overrides.updatedAt: `updatedAt` is read-only: Vapi sets it, so it cannot be declared",
                "businesses.b.assistant.spec.id: `id` is read-only: Vapi sets it, so it cannot be declared; to take over an existing assistant, write `adopt: <id>` beside the business's `template` or `spec`",
                "import.status: `status` is read-only: Vapi sets it, so it cannot be declared",
                "templates.t.createdAt: `createdAt` is read-only: Vapi sets it, so it cannot be declared",
                "templates.u.metadata.vapiform: `metadata.vapiform` is vapiform's label on the assistants it manages; it cannot be declared",
            ]
        );
    }

    #[test]
    fn an_adopted_assistant_has_one_owner() {
        let doc = json!({
            "version": 1,
            "businesses": {
                "one": {"name": "One", "assistant": {"id": "x"}},
                "two": {"name": "Two", "assistant": {"spec": {"name": "Two"}, "adopt": "x"}},
                "three": {"name": "Three", "assistant": {"spec": {}, "adopt": "y"}},
                "four": {"name": "Four", "assistant": {"spec": {}, "adopt": "y"}},
                "five": {"name": "Five", "assistant": {"id": "z"}},
                "six": {"name": "Six", "assistant": {"id": "z"}},
            }
        });
        let related = |doc: &Value| -> BTreeSet<String> {
            let mut problems = Vec::new();
            let file = shape::deserialize(doc, &mut problems).unwrap();
            check(doc, &file)
                .into_iter()
                .map(|p| format!("{} -> {}", p.path, p.related.unwrap().path))
                .collect()
        };
        assert_eq!(
            related(&doc),
            BTreeSet::from(
                [
                    "businesses.four.assistant.adopt -> businesses.three.assistant.adopt",
                    "businesses.one.assistant.id -> businesses.two.assistant.adopt",
                    "businesses.three.assistant.adopt -> businesses.four.assistant.adopt",
                    "businesses.two.assistant.adopt -> businesses.one.assistant.id",
                ]
                .map(str::to_owned)
            )
        );
        assert_eq!(
            messages(&doc)[1],
            "businesses.one.assistant.id: assistant `x` is adopted by business `two`, so business `one` cannot route to it; an adopted assistant belongs to one business; its `adopt` is at businesses.two.assistant.adopt"
        );
    }
}
