//! The desired-state file: loading, validation and template expansion.
//!
//! The text is read as YAML (`load`), deserialised into the raw file types (`file`, the format
//! itself) part by part so every broken part is reported (`shape`), checked for what needs the
//! whole file (`validate`), expanded (`expand`) into the domain types below, which are all the
//! rest of vapiform sees (export builds the raw types to write a file), and every body it makes
//! is judged by Vapi's own schema (`conform`). A desired state may
//! also be a folder of files (`folder`). Every problem is located (`diagnostic`) in the file
//! that holds it (`source`).

mod conform;
mod diagnostic;
mod expand;
pub(crate) mod file;
pub(crate) mod folder;
mod load;
mod names;
pub(crate) mod placeholder;
pub(crate) mod say;
mod shape;
mod source;
mod validate;
mod yaml;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::id::{Key, NumberKey};

pub(crate) use diagnostic::{Diagnostic, Report};
pub(crate) use expand::merge;
pub(crate) use file::schema;
pub(crate) use folder::businesses_schema;
pub(crate) use load::load;
#[cfg(test)]
pub(crate) use load::load_str;
pub(crate) use source::{Source, Sources};

/// A validated, expanded desired state: what the account should look like.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Desired {
    /// What happens to numbers that no business lists and `ignore` does not name.
    pub unassigned: Unassigned,
    /// Phone settings (`name`, `fallbackDestination`, `server`, `hooks`) the unassigned policy
    /// writes on those numbers, expanded like a business's; empty under `leave`.
    pub unassigned_phone: Map<String, Value>,
    /// Delete labelled assistants that are no longer declared.
    pub prune: bool,
    /// Settings used to import a listed number that Vapi does not have yet.
    pub import: Option<Import>,
    /// Every managed assistant by key: shared ones (`assistants:`) and one per business whose
    /// assistant is a `template` or a `spec` (keyed by the business key).
    pub assistants: BTreeMap<Key, ManagedAssistant>,
    /// Businesses by key.
    pub businesses: BTreeMap<Key, Business>,
    /// Numbers never read into the plan and never touched.
    pub ignore: BTreeSet<NumberKey>,
    /// The carrier whose inventory is read beside Vapi's, when the file declares one.
    pub carrier: Option<Carrier>,
    /// The files this was loaded from, to show a problem found later at its line
    /// ([`Desired::diagnostic`]): one file, or a folder's root file and business files.
    pub sources: Sources,
}

impl Desired {
    /// The `${env.NAME}` variables referenced by every body the planner compares with the
    /// account, and so must resolve: managed assistants, phone settings (each business's and
    /// the unassigned policy's) and the text unassigned numbers say.
    pub(crate) fn env_references(&self) -> BTreeSet<String> {
        let settings = self.businesses.values().flat_map(|b| b.settings.values());
        let said = match &self.unassigned {
            Unassigned::Say(text) => Some(Value::String(text.clone())),
            _ => None,
        };
        let mut names = placeholder::env_references_in(
            settings
                .chain([&self.unassigned_phone])
                .flat_map(Map::values)
                .chain(&said),
        );
        let mut templates = std::collections::HashSet::new();
        for assistant in self.assistants.values() {
            // Thousands of businesses share a handful of templates: each is read once.
            if let Body::Template { template, .. } = &assistant.body
                && !templates.insert(Arc::as_ptr(template))
            {
                continue;
            }
            names.extend(assistant.env_references());
        }
        names
    }

    /// The business that lists each number, by the number as its key reads.
    pub(crate) fn owners(&self) -> HashMap<&str, &Business> {
        self.businesses
            .values()
            .flat_map(|b| b.numbers.iter().map(move |n| (n.as_str(), b)))
            .collect()
    }

    /// A problem at `path` in the file, located like a validation problem: `path` is written as
    /// validation paths are (`businesses.acme`, `businesses.acme.assistant`,
    /// `businesses.acme.numbers[0]`, `unassigned`). The caret goes under the key of a mapping
    /// entry (the entry's line) and under the item of a list; a path the file does not have is
    /// located at its nearest ancestor.
    ///
    /// A business's `numbers` keep every entry of the file's list in file order, so the number
    /// at index `i` of [`Business::numbers`] is `businesses.KEY.numbers[i]`.
    ///
    /// The problem is located in the file that holds `path`: a business's own file in a
    /// folder, else the root file. That file is scanned for positions the first time a problem
    /// in it is located, never while loading.
    pub(crate) fn diagnostic(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let path = diagnostic::Path::parse(path);
        self.sources
            .diagnostic(diagnostic::Problem::key(&path, message))
    }

    /// As [`Desired::diagnostic`], for a problem that involves a second place, `also`, which
    /// the message names by file, line and column.
    pub(crate) fn diagnostic_also(
        &self,
        path: &str,
        also: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let path = diagnostic::Path::parse(path);
        let also = diagnostic::Path::parse(also);
        let problem = diagnostic::Problem::key(&path, message).related(format!("`{also}`"), &also);
        self.sources.diagnostic(problem)
    }

    /// A report of `diagnostics` (made by [`Desired::diagnostic`]) that shows each one with its
    /// line and a caret, like validation problems.
    pub(crate) fn report(&self, diagnostics: Vec<Diagnostic>) -> Report {
        Report::new(diagnostics, self.sources.files().to_vec())
    }
}

/// The carrier that sells the account's numbers (only Telnyx today).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Carrier {
    /// When set, only the carrier's numbers with this tag belong to the account.
    pub tag: Option<String>,
}

/// The policy for numbers that no business claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unassigned {
    /// Leave them as they are.
    Leave,
    /// Clear their `assistantId` (and squad and workflow).
    Unlink,
    /// Route them to the shared managed assistant with this key.
    Assistant(Key),
    /// Unroute them and give them the hook that says this text when they ring (see
    /// [`say`]); `${env.NAME}` references and `$${` escapes are kept as in bodies.
    Say(String),
}

/// The body fields sent with `POST /phone-number` to import a number, e.g. `provider` and
/// `credentialId`. Always has a string `provider`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Import {
    /// The fields as written in the file.
    pub body: Map<String, Value>,
}

/// An assistant vapiform creates, updates and labels.
///
/// A business's assistant from a `template` is kept as the shared template and the business's
/// name and `vars`, and expanded when asked for ([`ManagedAssistant::body`]): 10,000 businesses
/// of one 5 KB template cost one template, not 10,000 expanded bodies.
#[derive(Debug, Clone)]
pub(crate) struct ManagedAssistant {
    /// The stable key, stored in the assistant's `metadata.vapiform.key` label.
    pub key: Key,
    /// An existing assistant id to take over when no assistant carries the label yet.
    pub adopt: Option<String>,
    /// The template the body was built from, for a business's `template` assistant.
    pub template: Option<String>,
    body: Body,
}

/// A template body as written, and the `vars` one business fills it with.
pub(crate) type TemplateParts<'a> = (&'a Map<String, Value>, &'a placeholder::Vars);

/// How a managed assistant's body is held.
#[derive(Debug, Clone)]
enum Body {
    /// Expanded when the file was loaded: a shared assistant, a `spec`, a template with
    /// `overrides`.
    Expanded(Map<String, Value>),
    /// A business's `template` without overrides, filled for the business when asked for.
    Template {
        template: Arc<expand::Template>,
        /// The business's display name, for `${business.name}` (its key is the assistant's).
        name: String,
        /// The business's `vars`.
        vars: placeholder::Vars,
    },
}

/// A body as declared, and what fills its placeholders: how the planner compares it with an
/// assistant without expanding it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Declared<'a> {
    /// The body as written (a template, or an already expanded body).
    pub body: &'a Map<String, Value>,
    /// The business that fills `${business.*}` and `${vars.*}` in its strings; `None` when
    /// the body is expanded already.
    pub context: Option<placeholder::Context<'a>>,
}

impl ManagedAssistant {
    /// A managed assistant with an expanded `body`, built from no template.
    pub(crate) fn new(key: Key, body: Map<String, Value>, adopt: Option<String>) -> Self {
        Self {
            key,
            adopt,
            template: None,
            body: Body::Expanded(body),
        }
    }

    /// The fully expanded body: template deep-merged with overrides, `${business.*}` and
    /// `${vars.*}` substituted. Strings keep `${env.NAME}` references and `$${` escapes
    /// (see [`placeholder::resolve_env`]). The label is not in here; the planner adds it.
    pub(crate) fn body(&self) -> Cow<'_, Map<String, Value>> {
        match &self.body {
            Body::Expanded(body) => Cow::Borrowed(body),
            Body::Template { template, .. } => {
                Cow::Owned(expand::fill(&template.body, &self.context()))
            }
        }
    }

    /// One top-level field of [`ManagedAssistant::body`], expanded.
    pub(crate) fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        match &self.body {
            Body::Expanded(body) => body.get(name).map(Cow::Borrowed),
            Body::Template { template, .. } => template
                .body
                .get(name)
                .map(|value| Cow::Owned(expand::fill_value(value, &self.context()))),
        }
    }

    /// The body as declared and what fills it.
    pub(crate) fn declared(&self) -> Declared<'_> {
        match &self.body {
            Body::Expanded(body) => Declared {
                body,
                context: None,
            },
            Body::Template { template, .. } => Declared {
                body: &template.body,
                context: Some(self.context()),
            },
        }
    }

    /// The `${env.NAME}` variables the body references.
    pub(crate) fn env_references(&self) -> BTreeSet<String> {
        match &self.body {
            Body::Expanded(body) => placeholder::env_references_in(body.values()),
            // A business's name or vars are literal text: they add no reference.
            Body::Template { template, .. } => template.env.clone(),
        }
    }

    /// The template body as written and the business's `vars`, when the body is a template
    /// filled on demand (no `overrides`): what is the same for every business of the template
    /// and what is its own, for checks that would not expand thousands of bodies.
    pub(crate) fn template_parts(&self) -> Option<TemplateParts<'_>> {
        match &self.body {
            Body::Template { template, vars, .. } => Some((&template.body, vars)),
            Body::Expanded(_) => None,
        }
    }

    fn context(&self) -> placeholder::Context<'_> {
        match &self.body {
            Body::Template { name, vars, .. } => {
                placeholder::Context::business(&self.key, name, vars)
            }
            Body::Expanded(_) => placeholder::Context::shared(),
        }
    }
}

impl PartialEq for ManagedAssistant {
    /// Equal when they declare the same assistant, however each body is held.
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
            && self.adopt == other.adopt
            && self.template == other.template
            && self.body() == other.body()
    }
}

/// A business that owns phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Business {
    /// The stable key.
    pub key: Key,
    /// The display name.
    pub name: String,
    /// The numbers it owns, normalised (E.164, or a SIP-only number's SIP URI): one per entry
    /// of the file's list, in file order.
    pub numbers: Vec<NumberKey>,
    /// Where its numbers route.
    pub route: Route,
    /// The phone settings of each of its numbers that has some: the business's `phone` with
    /// the number's own settings deep-merged over it, expanded (`${env.NAME}` references and
    /// `$${` escapes kept as in bodies).
    pub settings: BTreeMap<NumberKey, Map<String, Value>>,
    /// What `vapiform check` expects of what answers its numbers, when the file says (see
    /// [`Business::check`]); boxed, as few businesses say and thousands are held.
    pub test_call: Option<Box<Check>>,
}

impl Business {
    /// What `vapiform check` expects of what answers its numbers.
    pub(crate) fn check(&self) -> &Check {
        self.test_call.as_deref().unwrap_or(&NO_TEST_CALL)
    }
}

/// A business's test call, as the file declares it; `None` where it takes the default, which
/// depends on the other businesses (see `check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// The caller's opening line.
    pub ask: Option<String>,
    /// Phrases the answer must say.
    pub expect: Option<Vec<String>>,
    /// Phrases the answer must not say.
    pub reject: Option<Vec<String>>,
    /// Other businesses' names its own text says on purpose.
    pub mentions: Vec<String>,
}

/// The test call a business gets when its file says nothing.
static NO_TEST_CALL: Check = Check {
    ask: None,
    expect: None,
    reject: None,
    mentions: Vec::new(),
};

/// Where a business's numbers route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// A managed assistant by key: the business's own (`template`/`spec`) or a `shared` one.
    Managed(Key),
    /// An existing assistant that vapiform routes to but never edits.
    Existing(String),
    /// An existing squad, by id, that vapiform routes to but never edits.
    Squad(String),
}

/// The first line of every file vapiform writes, so editors validate and complete it
/// (`vapiform schema > vapiform.schema.json` puts the schema beside the file).
pub(crate) const SCHEMA_COMMENT: &str = "# yaml-language-server: $schema=vapiform.schema.json\n";

/// A desired-state file's text: the schema comment, then the document as YAML.
pub(crate) fn to_file(file: &file::File) -> Result<String, serde_yaml::Error> {
    Ok(format!("{SCHEMA_COMMENT}{}", serde_yaml::to_string(file)?))
}
