//! The Plan: what would change, why, and what apply sends. Serialised as-is to the JSON plan
//! file (`format_version` 1), which `show` and `apply --plan` read back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::change::Change;
use crate::id::{AssistantId, Label, NumberName, SquadId, WorkflowId};

/// The version of the JSON plan format this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Everything `plan` concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// sha256 over everything else in the plan (see [`Plan::content_digest`]): what apply
    /// will do and what `show` displays, never when it was made.
    pub digest: String,
    /// How many changes of each action.
    pub summary: Summary,
    /// The changes in apply order: assistants, routing, unlinks, deletes.
    pub changes: Vec<Change>,
    /// Assistant changes that are one change once each business's own name and key are read
    /// back as placeholders, shown once (see [`Group`]); each member names its group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// With `--baseline`: what kept the baseline from being planned in full. The changes it
    /// could not plan are labelled intent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_problems: Vec<String>,
    /// What vapiform saw and deliberately leaves alone.
    pub untouched: Untouched,
    /// The mass-change rule, evaluated on these changes.
    pub safety: Safety,
    /// The `--target` addresses the plan was limited to; empty means everything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
}

impl Plan {
    /// Whether applying would change nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The digest of the plan's content (see [`Content`]): sha256 of its canonical JSON.
    /// Planning the same situation twice gives the same digest.
    pub(crate) fn content_digest(&self) -> String {
        super::compare::sha256(&serde_json::to_value(Content(self)).unwrap_or(Value::Null))
    }

    /// Whether the stored digest matches the content (false for a plan edited by hand).
    pub(crate) fn digest_matches(&self) -> bool {
        self.digest == self.content_digest()
    }
}

/// What a plan does and shows: every field but its digest and what only `--baseline` adds
/// (the changes' origins and their count, the baseline's problems), so a plan made with and
/// without a baseline has the same digest and `apply --expect-digest` takes either.
struct Content<'a>(&'a Plan);

impl Serialize for Content<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let plan = self.0;
        let mut content = serializer.serialize_struct("Plan", 7)?;
        content.serialize_field("format_version", &plan.format_version)?;
        let summary = Summary {
            origin: None,
            ..plan.summary.clone()
        };
        content.serialize_field("summary", &summary)?;
        let changes: Vec<_> = plan.changes.iter().map(Change::content).collect();
        content.serialize_field("changes", &changes)?;
        if !plan.groups.is_empty() {
            content.serialize_field("groups", &plan.groups)?;
        }
        content.serialize_field("untouched", &plan.untouched)?;
        content.serialize_field("safety", &plan.safety)?;
        if !plan.targets.is_empty() {
            content.serialize_field("targets", &plan.targets)?;
        }
        content.end()
    }
}

/// What applying a plan costs: requests, and time at a request rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cost {
    /// Writes: one per change.
    pub writes: usize,
    /// The calls that read the writes back, as apply batches them, when the API's reads do not
    /// lag behind its writes; lag adds more.
    pub reads: usize,
    /// The requests per second apply sends at most (`--rps`).
    pub rps: f64,
    /// The expected wall time in seconds, to the tenth above: the requests at `rps`, and the
    /// waits for read-backs that later writes need (a number waits for its new assistant).
    pub seconds: f64,
}

/// The object a change is about: `assistant/<key>` or `number/<E.164>`; one of several
/// assistants that carry the same label (two applies at once made both) is
/// `assistant/<key>@<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Address {
    /// A managed assistant by the key of its label.
    Assistant(Label),
    /// One copy of an assistant whose label several carry, by id.
    Duplicate {
        /// The label key.
        key: Label,
        /// The copy's id.
        id: AssistantId,
    },
    /// A phone number by E.164 (or, for a number without one, its SIP URI or id).
    Number(NumberName),
}

impl Address {
    /// The assistant key, or the number, the address names.
    pub(crate) fn key(&self) -> &str {
        self.parts().1
    }

    /// The kind first (assistants before numbers), then the key or number.
    fn parts(&self) -> (u8, &str, &str) {
        match self {
            Self::Assistant(key) => (0, key, ""),
            Self::Duplicate { key, id } => (0, key, id),
            Self::Number(number) => (1, number, ""),
        }
    }
}

/// Natural order: `assistant/b2` before `assistant/b10`.
impl Ord for Address {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.parts(), other.parts());
        a.0.cmp(&b.0)
            .then_with(|| super::natural::cmp(a.1, b.1))
            .then_with(|| super::natural::cmp(a.2, b.2))
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Assistant(key) => write!(f, "assistant/{key}"),
            Self::Duplicate { key, id } => write!(f, "assistant/{key}@{id}"),
            Self::Number(number) => write!(f, "number/{number}"),
        }
    }
}

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some(("assistant", rest)) => match rest.split_once('@') {
                Some((key, id)) if !key.is_empty() && !id.is_empty() => Ok(Self::Duplicate {
                    key: Label::of(key),
                    id: id.into(),
                }),
                None if !rest.is_empty() => Ok(Self::Assistant(Label::of(rest))),
                _ => Err(format!(
                    "{s:?} is not an address: expected assistant/<key> or number/<E.164>"
                )),
            },
            Some(("number", number)) if !number.is_empty() => {
                Ok(Self::Number(NumberName::of(number)))
            }
            _ => Err(format!(
                "{s:?} is not an address: expected assistant/<key> or number/<E.164>"
            )),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    /// Create a managed assistant.
    Create,
    /// Label an existing assistant as managed, plus any field updates.
    Adopt,
    /// Import a listed number Vapi does not have yet.
    Import,
    /// Update owned fields of an assistant or a number (its phone settings, its say hook, a
    /// stray squad or workflow beside its route).
    Update,
    /// Route an unrouted number.
    Assign,
    /// Route a number away from another assistant, squad or workflow.
    Reassign,
    /// Clear a number's routing (and, under `unassigned: {say}`, give it the say hook).
    Unlink,
    /// Delete a labelled assistant that is no longer declared.
    Delete,
}

impl Action {
    /// Every action, in the order the summary line counts them.
    pub(crate) const ALL: [Self; 8] = [
        Self::Create,
        Self::Adopt,
        Self::Import,
        Self::Update,
        Self::Assign,
        Self::Reassign,
        Self::Unlink,
        Self::Delete,
    ];

    /// The word for the action, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Adopt => "adopt",
            Self::Import => "import",
            Self::Update => "update",
            Self::Assign => "assign",
            Self::Reassign => "reassign",
            Self::Unlink => "unlink",
            Self::Delete => "delete",
        }
    }

    /// Whether the action routes a number (assign, reassign, unlink).
    pub(crate) fn is_routing(self) -> bool {
        matches!(self, Self::Assign | Self::Reassign | Self::Unlink)
    }
}

/// The number of changes per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// Assistants to create.
    pub create: usize,
    /// Assistants to adopt.
    pub adopt: usize,
    /// Numbers to import.
    pub import: usize,
    /// Assistants or numbers to update.
    pub update: usize,
    /// Numbers to assign.
    pub assign: usize,
    /// Numbers to reassign.
    pub reassign: usize,
    /// Numbers to unlink.
    pub unlink: usize,
    /// Assistants to delete.
    pub delete: usize,
    /// With `--baseline`: how many changes are intent, drift and mixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origins>,
}

/// How many changes have each [`Origin`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Origins {
    /// Only the file plans them.
    pub intent: usize,
    /// The baseline plans them too.
    pub drift: usize,
    /// Some fields intent, some drift.
    pub mixed: usize,
}

impl Origins {
    /// The count for one origin.
    pub(crate) fn count(&self, origin: Origin) -> usize {
        match origin {
            Origin::Intent => self.intent,
            Origin::Drift => self.drift,
            Origin::Mixed => self.mixed,
        }
    }
}

impl Summary {
    /// Counts the changes, and their origins when they have them.
    pub(crate) fn of(changes: &[Change]) -> Self {
        let mut summary = Self::default();
        for change in changes {
            *summary.count_mut(change.action()) += 1;
            if let Some(origin) = change.origin {
                let origins = summary.origin.get_or_insert_with(Origins::default);
                *match origin {
                    Origin::Intent => &mut origins.intent,
                    Origin::Drift => &mut origins.drift,
                    Origin::Mixed => &mut origins.mixed,
                } += 1;
            }
        }
        summary
    }

    /// The count for one action.
    pub(crate) fn count(&self, action: Action) -> usize {
        match action {
            Action::Create => self.create,
            Action::Adopt => self.adopt,
            Action::Import => self.import,
            Action::Update => self.update,
            Action::Assign => self.assign,
            Action::Reassign => self.reassign,
            Action::Unlink => self.unlink,
            Action::Delete => self.delete,
        }
    }

    fn count_mut(&mut self, action: Action) -> &mut usize {
        match action {
            Action::Create => &mut self.create,
            Action::Adopt => &mut self.adopt,
            Action::Import => &mut self.import,
            Action::Update => &mut self.update,
            Action::Assign => &mut self.assign,
            Action::Reassign => &mut self.reassign,
            Action::Unlink => &mut self.unlink,
            Action::Delete => &mut self.delete,
        }
    }
}

/// When a change runs: apply works through the phases in this order, and every change of a
/// phase after the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Create, adopt and update assistants, so routes have somewhere to go.
    Assistants,
    /// Import, assign, reassign and update numbers: a reassign is one write, so a number is
    /// never briefly unrouted.
    Routing,
    /// Unlink numbers no business claims.
    Unlinks,
    /// Delete pruned assistants, once nothing routes to them.
    Deletes,
}

impl Phase {
    /// Every phase, in apply order.
    pub(crate) const ALL: [Self; 4] = [
        Self::Assistants,
        Self::Routing,
        Self::Unlinks,
        Self::Deletes,
    ];

    /// The word for the phase, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Assistants => "assistants",
            Self::Routing => "routing",
            Self::Unlinks => "unlinks",
            Self::Deletes => "deletes",
        }
    }
}

/// One field that differs. `before`/`after` are absent when the field is missing on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FieldChange {
    /// The field path, e.g. `model.messages[0].content`.
    pub path: String,
    /// The live value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub before: Option<Value>,
    /// The desired value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub after: Option<Value>,
    /// With `--baseline`: `intent`, or `drift` when the baseline plans this same field change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// Whether a change is what the file under review asks for, or what planning the baseline
/// (such as the target branch's file) against the same account would do as well: the account
/// moved outside vapiform, or the baseline was never applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Origin {
    /// Only the file plans it.
    Intent,
    /// The baseline plans it too.
    Drift,
    /// A change whose fields are some intent, some drift.
    Mixed,
}

impl Origin {
    /// Every origin, in the order the summary counts them.
    pub(crate) const ALL: [Self; 3] = [Self::Intent, Self::Drift, Self::Mixed];

    /// The word for the origin, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Drift => "drift",
            Self::Mixed => "mixed",
        }
    }
}

/// Assistant changes with the same action and the same field diffs once each business's own
/// name and key are read back as `${business.name}` and `${business.key}`: one change to a
/// template, made to many businesses. Every member is still a change of its own, naming the
/// group by id; a group has at least two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Group {
    /// Its id, which its members' `group` name.
    pub id: String,
    /// What every member does.
    pub action: Action,
    /// The template every member is built from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Every member's reason, read back likewise.
    pub reason: String,
    /// Every member's field changes, with its business's name and key read back; text that
    /// reads as a placeholder is escaped as `$${`.
    pub fields: Vec<FieldChange>,
}

/// Keeps an explicit JSON `null` as `Some(Null)`; only a missing key is `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Where calls to a number go, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Routing {
    /// Now.
    pub from: Endpoint,
    /// After apply.
    pub to: Endpoint,
}

/// A routing destination, with the names a reviewer recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Endpoint {
    /// Not routed: no assistant, squad or workflow.
    Nothing,
    /// An assistant.
    Assistant {
        /// Its id, unless it is still to be created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<AssistantId>,
        /// Its address, when vapiform manages it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<Address>,
        /// Its name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The name of the business it belongs to, when one does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        business: Option<String>,
        /// What a caller hears first: the assistant's `firstMessage`, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        greeting: Option<String>,
    },
    /// A squad.
    Squad {
        /// Its id.
        id: SquadId,
        /// Its name, when the account gives it one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The name of the business it belongs to, when one does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        business: Option<String>,
    },
    /// A workflow, which Vapi retired (2026-08-18): a number can still hold its id.
    Workflow {
        /// Its id.
        id: WorkflowId,
    },
    /// A `call.ringing` say hook speaks first (`unassigned: {say: TEXT}` writes one on a
    /// number routed nowhere else).
    Say {
        /// What the caller hears (`${env.NAME}` references and `$${` escapes shown as
        /// written).
        text: String,
        /// Where the call goes after the text, when it goes anywhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Box<Endpoint>>,
    },
    /// A `call.ringing` transfer hook takes every call to another destination before any
    /// assistant answers.
    Transfer {
        /// The number or SIP URI, when the hook names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<String>,
    },
    /// Nothing routed: Vapi asks the number's server URL for an assistant
    /// (`assistant-request`).
    Webhook {
        /// The server URL, secret-looking query values redacted.
        url: String,
    },
    /// Nothing routed and no server URL: calls are transferred to the fallback destination.
    Fallback {
        /// The number or SIP URI.
        destination: String,
    },
    /// A `call.ringing` hook with filters acts for the callers whose number starts with one of
    /// its prefixes; the others go on.
    Screened {
        /// The caller prefixes, without `+`.
        prefixes: Vec<String>,
        /// What the hook does for those callers.
        action: Box<Endpoint>,
        /// Where every other caller goes.
        otherwise: Box<Endpoint>,
    },
}

impl Endpoint {
    /// The phone-number field that routes to it: `assistantId`, `squadId` or `workflowId`;
    /// `None` when unrouted.
    pub(crate) fn field(&self) -> Option<&'static str> {
        match self {
            Self::Assistant { .. } => Some("assistantId"),
            Self::Squad { .. } => Some("squadId"),
            Self::Workflow { .. } => Some("workflowId"),
            Self::Nothing
            | Self::Say { .. }
            | Self::Transfer { .. }
            | Self::Webhook { .. }
            | Self::Fallback { .. }
            | Self::Screened { .. } => None,
        }
    }

    /// Whether callers reach anything but nobody or a message alone: what the mass-change
    /// rule counts as moving them, and what makes a number not free.
    pub(crate) fn answers(&self) -> bool {
        match self {
            // A retired workflow runs no more.
            Self::Nothing | Self::Workflow { .. } => false,
            Self::Say { then, .. } => then.as_deref().is_some_and(Self::answers),
            _ => true,
        }
    }

    /// Whether two endpoints route calls the same way, whatever names they are shown with:
    /// the same assistant (by id, or by address while it is to be created), squad, workflow,
    /// text, destination or URL.
    pub(crate) fn same_route(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Assistant { id: Some(mine), .. },
                Self::Assistant {
                    id: Some(theirs), ..
                },
            ) => mine == theirs,
            (Self::Squad { id: mine, .. }, Self::Squad { id: theirs, .. }) => mine == theirs,
            (Self::Workflow { id: mine, .. }, Self::Workflow { id: theirs, .. }) => mine == theirs,
            (
                Self::Assistant {
                    id: None,
                    address: mine,
                    ..
                },
                Self::Assistant {
                    id: None,
                    address: theirs,
                    ..
                },
            ) => mine == theirs,
            (
                Self::Say {
                    text: mine,
                    then: after_mine,
                },
                Self::Say {
                    text: theirs,
                    then: after_theirs,
                },
            ) => {
                mine == theirs
                    && match (after_mine, after_theirs) {
                        (Some(mine), Some(theirs)) => mine.same_route(theirs),
                        (None, None) => true,
                        _ => false,
                    }
            }
            (
                Self::Screened {
                    prefixes: mine,
                    action: acting,
                    otherwise: rest,
                },
                Self::Screened {
                    prefixes: theirs,
                    action: other_acting,
                    otherwise: other_rest,
                },
            ) => mine == theirs && acting.same_route(other_acting) && rest.same_route(other_rest),
            _ => self == other,
        }
    }
}

/// Objects vapiform saw and leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Untouched {
    /// Assistants without vapiform's label (including ones businesses route to by `id`).
    pub unmanaged_assistants: Vec<AssistantRef>,
    /// Labelled assistants no longer declared, kept because prune is off or a number still routes to them.
    pub kept_assistants: Vec<KeptAssistant>,
    /// Numbers no business lists, left as they are by `unassigned: leave`.
    pub left_alone: Vec<NumberRef>,
    /// Numbers the plan manages that keep `call.ringing` hooks someone else set (they act
    /// before the route), with where their calls go once the plan is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_hooks: Vec<NumberRef>,
    /// Numbers named in `ignore`, never read into the plan.
    pub ignored: Vec<NumberName>,
    /// What the carrier's inventory says, when the file declares a carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<CarrierReport>,
}

/// The carrier's side of the account, as the plan reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CarrierReport {
    /// Numbers free at the carrier: owned and active there, in Vapi under no provider, listed
    /// by no business, not ignored.
    pub free: Vec<String>,
    /// Numbers in Vapi that the carrier no longer owns: calls to them cannot arrive.
    pub orphans: Vec<NumberRef>,
    /// The carrier's numbers in any status but active.
    pub inactive: Vec<CarrierStatus>,
}

/// A carrier number and its status there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CarrierStatus {
    /// The number.
    pub number: String,
    /// Its status at the carrier (`port-pending`, ...).
    pub status: String,
}

/// An assistant by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AssistantRef {
    /// Its id.
    pub id: AssistantId,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A labelled assistant that stays although no longer declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeptAssistant {
    /// Its label key.
    pub key: Label,
    /// Its id.
    pub id: AssistantId,
    /// Why it stays.
    pub reason: String,
}

/// A number and where it routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NumberRef {
    /// The number.
    pub number: NumberName,
    /// Where its calls go.
    pub routed_to: Endpoint,
}

/// The mass-change rule: more changes to where today's calls go than `max(10, 25% of routed
/// numbers)` is refused unless `--allow-mass-change`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Safety {
    /// Changes that move today's callers of a number (see [`Change::moves_callers`]).
    pub routing_changes: usize,
    /// Numbers whose calls reach an assistant, squad, workflow, webhook, fallback or
    /// transfer today.
    pub routed_numbers: usize,
    /// The most routing changes allowed without `--allow-mass-change`.
    pub limit: usize,
    /// Whether `--allow-mass-change` lifts the rule.
    #[serde(default)]
    pub allowed: bool,
}

impl Safety {
    /// Evaluates the rule for a number of routing changes against the routed numbers.
    pub(crate) fn evaluate(routing_changes: usize, routed_numbers: usize, allowed: bool) -> Self {
        Self {
            routing_changes,
            routed_numbers,
            limit: (routed_numbers / 4).max(10),
            allowed,
        }
    }

    /// Whether the plan has more routing changes than the limit.
    pub(crate) fn is_mass_change(&self) -> bool {
        self.routing_changes > self.limit
    }

    /// Whether the rule refuses the plan: a mass change not allowed by the user.
    pub(crate) fn refuses(&self) -> bool {
        self.is_mass_change() && !self.allowed
    }
}

#[cfg(test)]
impl Plan {
    /// A plan of `changes` and nothing else, its digest set: for the tests of what reads plans.
    pub(crate) fn of(changes: Vec<Change>) -> Self {
        let mut plan = Self {
            format_version: FORMAT_VERSION,
            digest: String::new(),
            summary: Summary::of(&changes),
            changes,
            groups: Vec::new(),
            baseline_problems: Vec::new(),
            untouched: Untouched::default(),
            safety: Safety::evaluate(0, 0, false),
            targets: Vec::new(),
        };
        plan.digest = plan.content_digest();
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    use serde_json::{Map, json};

    use crate::plan::{NumberEdit, Operation, Unchanged};

    fn address(text: &str) -> Address {
        text.parse().unwrap()
    }

    fn change(at: &str, action: Action, origin: Option<Origin>) -> Change {
        let body = Map::new();
        let expect = Unchanged::of("a1");
        let op = match (address(at), action) {
            (Address::Assistant(key), Action::Create) => Operation::CreateAssistant {
                key: key.as_str().into(),
                body,
            },
            (Address::Assistant(key), Action::Update) => Operation::UpdateAssistant {
                key: key.as_str().into(),
                adopt: false,
                expect,
                body,
            },
            (Address::Assistant(key), Action::Delete) => Operation::DeleteAssistant {
                key,
                copy: false,
                expect,
                routed_numbers: BTreeSet::new(),
            },
            (Address::Number(number), action) => Operation::UpdateNumber {
                number,
                edit: NumberEdit::of(action).expect("a number's action"),
                expect: Unchanged::of("n1"),
                body,
                route: None,
            },
            other => panic!("no change {other:?}"),
        };
        let field = FieldChange {
            path: "name".to_owned(),
            before: None,
            after: Some(json!("A")),
            origin,
        };
        let mut change = Change::new(op, "why".to_owned(), vec![field], None);
        change.origin = origin;
        change
    }

    #[test]
    fn addresses_read_back_as_written_and_sort_naturally() {
        for text in ["assistant/acme", "assistant/acme@a1", "number/+14155550100"] {
            assert_eq!(address(text).to_string(), text);
            let json = serde_json::to_string(&address(text)).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(
                serde_json::from_str::<Address>(&json).unwrap(),
                address(text)
            );
        }
        assert_eq!(address("assistant/acme"), Address::Assistant("acme".into()));
        assert_eq!(
            address("assistant/acme@a1"),
            Address::Duplicate {
                key: "acme".into(),
                id: "a1".into()
            }
        );
        assert_eq!(address("number/+1"), Address::Number("+1".into()));
        for bad in [
            "assistant/",
            "assistant/@a1",
            "assistant/acme@",
            "number/",
            "squad/acme",
            "acme",
        ] {
            assert!(bad.parse::<Address>().is_err(), "{bad} is not an address");
        }
        let mut sorted = [
            "number/+10",
            "assistant/b10@x",
            "number/+2",
            "assistant/b10",
            "assistant/b10@w",
            "assistant/b2",
        ]
        .map(address);
        sorted.sort();
        assert_eq!(
            sorted.map(|a| a.to_string()),
            [
                "assistant/b2",
                "assistant/b10",
                "assistant/b10@w",
                "assistant/b10@x",
                "number/+2",
                "number/+10"
            ]
        );
        assert!(address("assistant/b2") < address("assistant/b10"));
        assert!(address("number/+1") > address("assistant/z"));
    }

    #[test]
    fn actions_and_origins_are_named_as_in_the_json() {
        for action in Action::ALL {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                json!(action.as_str())
            );
        }
        for origin in Origin::ALL {
            assert_eq!(
                serde_json::to_value(origin).unwrap(),
                json!(origin.as_str())
            );
        }
        let routing: Vec<Action> = Action::ALL.into_iter().filter(|a| a.is_routing()).collect();
        assert_eq!(routing, [Action::Assign, Action::Reassign, Action::Unlink]);
    }

    #[test]
    fn the_summary_counts_each_action_and_origin() {
        let changes = [
            change("assistant/a", Action::Create, Some(Origin::Intent)),
            change("assistant/b", Action::Create, Some(Origin::Drift)),
            change("number/+1", Action::Reassign, Some(Origin::Intent)),
            change("number/+2", Action::Unlink, Some(Origin::Mixed)),
            change("assistant/c", Action::Delete, Some(Origin::Intent)),
        ];
        let summary = Summary::of(&changes);
        let counts = Action::ALL.map(|a| (a.as_str(), summary.count(a)));
        assert_eq!(
            counts,
            [
                ("create", 2),
                ("adopt", 0),
                ("import", 0),
                ("update", 0),
                ("assign", 0),
                ("reassign", 1),
                ("unlink", 1),
                ("delete", 1)
            ]
        );
        let origins = summary.origin.expect("origins counted");
        assert_eq!(
            Origin::ALL.map(|o| (o.as_str(), origins.count(o))),
            [("intent", 3), ("drift", 1), ("mixed", 1)]
        );
        let unlabelled = Summary::of(&[change("assistant/a", Action::Update, None)]);
        assert_eq!((unlabelled.update, unlabelled.origin), (1, None));
    }

    #[test]
    fn the_digest_covers_what_apply_does_not_the_baseline() {
        let planned = Plan::of(vec![change("assistant/a", Action::Create, None)]);
        assert!(planned.digest_matches());
        assert!(!planned.is_empty());
        assert!(Plan::of(Vec::new()).is_empty());
        // What only --baseline adds leaves the digest as it is.
        let mut labelled = planned.clone();
        labelled.changes[0].origin = Some(Origin::Drift);
        labelled.changes[0].fields[0].origin = Some(Origin::Drift);
        labelled.summary = Summary::of(&labelled.changes);
        labelled
            .baseline_problems
            .push("the baseline names no file".to_owned());
        assert!(labelled.digest_matches());
        // What apply would do or show differently changes it.
        let mut edited = planned.clone();
        edited.changes[0].reason = "edited".to_owned();
        assert!(!edited.digest_matches());
        assert_ne!(edited.content_digest(), planned.digest);
    }

    #[test]
    fn the_mass_change_limit_is_a_quarter_of_routed_numbers_and_at_least_ten() {
        let refused = |changes, routed| Safety::evaluate(changes, routed, false);
        assert_eq!(refused(0, 0).limit, 10);
        assert_eq!(refused(0, 100).limit, 25);
        assert_eq!(refused(0, 103).limit, 25);
        assert!(!refused(25, 100).is_mass_change());
        assert!(refused(26, 100).is_mass_change());
        assert!(!refused(10, 0).is_mass_change());
        assert!(refused(11, 0).is_mass_change());
        assert!(refused(26, 100).refuses());
        assert!(!refused(25, 100).refuses());
        let allowed = Safety::evaluate(26, 100, true);
        assert!(allowed.is_mass_change() && !allowed.refuses());
        assert!(!Safety::evaluate(25, 100, true).refuses());
    }

    #[test]
    fn a_missing_side_of_a_field_change_differs_from_null() {
        let field: FieldChange =
            serde_json::from_value(json!({"path": "a", "before": null, "after": "x"})).unwrap();
        assert_eq!(
            (field.before, field.after),
            (Some(Value::Null), Some(json!("x")))
        );
        let created: FieldChange =
            serde_json::from_value(json!({"path": "a", "after": 1})).unwrap();
        assert_eq!(created.before, None);
    }

    #[test]
    fn endpoints_route_the_same_way_by_their_ids_texts_and_parts_not_their_names() {
        let assistant = |id: Option<&str>, address: &str, name: &str| Endpoint::Assistant {
            id: id.map(Into::into),
            address: Some(Address::Assistant(address.into())),
            name: Some(name.to_owned()),
            business: None,
            greeting: None,
        };
        let squad = |id: &str, name: &str| Endpoint::Squad {
            id: id.into(),
            name: Some(name.to_owned()),
            business: None,
        };
        let say = |text: &str, then: Option<Endpoint>| Endpoint::Say {
            text: text.to_owned(),
            then: then.map(Box::new),
        };
        let screened = |prefix: &str, action: Endpoint, otherwise: Endpoint| Endpoint::Screened {
            prefixes: vec![prefix.to_owned()],
            action: Box::new(action),
            otherwise: Box::new(otherwise),
        };
        let transfer = |to: &str| Endpoint::Transfer {
            destination: Some(to.to_owned()),
        };
        let same = [
            (
                assistant(Some("a"), "k", "Old"),
                assistant(Some("a"), "k", "New"),
            ),
            (assistant(None, "k", "Old"), assistant(None, "k", "New")),
            (squad("s", "Old"), squad("s", "New")),
            (
                Endpoint::Workflow { id: "w".into() },
                Endpoint::Workflow { id: "w".into() },
            ),
            (say("Hi", None), say("Hi", None)),
            (
                say("Hi", Some(squad("s", "Old"))),
                say("Hi", Some(squad("s", "New"))),
            ),
            (
                screened("91", transfer("+1900"), squad("s", "Old")),
                screened("91", transfer("+1900"), squad("s", "New")),
            ),
            (Endpoint::Nothing, Endpoint::Nothing),
        ];
        for (one, other) in &same {
            assert!(one.same_route(other), "{one:?} and {other:?}");
        }
        let different = [
            (
                assistant(Some("a"), "k", "X"),
                assistant(Some("b"), "k", "X"),
            ),
            (assistant(Some("a"), "k", "X"), assistant(None, "k", "X")),
            (assistant(None, "k", "X"), assistant(None, "j", "X")),
            (squad("s", "X"), squad("t", "X")),
            (
                Endpoint::Workflow { id: "w".into() },
                Endpoint::Workflow { id: "v".into() },
            ),
            (say("Hi", None), say("Bye", None)),
            (say("Hi", None), say("Hi", Some(squad("s", "X")))),
            (
                say("Hi", Some(squad("s", "X"))),
                say("Hi", Some(squad("t", "X"))),
            ),
            (
                screened("91", transfer("+1900"), squad("s", "X")),
                screened("86", transfer("+1900"), squad("s", "X")),
            ),
            (
                screened("91", transfer("+1900"), squad("s", "X")),
                screened("91", transfer("+1901"), squad("s", "X")),
            ),
            (
                screened("91", transfer("+1900"), squad("s", "X")),
                screened("91", transfer("+1900"), squad("t", "X")),
            ),
            (Endpoint::Nothing, squad("s", "X")),
        ];
        for (one, other) in &different {
            assert!(!one.same_route(other), "{one:?} and {other:?}");
        }
    }

    #[test]
    fn each_endpoint_is_routed_by_its_own_field() {
        let fields = [
            Endpoint::Nothing,
            Endpoint::Assistant {
                id: None,
                address: None,
                name: None,
                business: None,
                greeting: None,
            },
            Endpoint::Squad {
                id: "s".into(),
                name: None,
                business: None,
            },
            Endpoint::Workflow { id: "w".into() },
            Endpoint::Say {
                text: "closed".to_owned(),
                then: None,
            },
        ]
        .map(|e| e.field());
        assert_eq!(
            fields,
            [
                None,
                Some("assistantId"),
                Some("squadId"),
                Some("workflowId"),
                None
            ]
        );
    }
}
