//! The live account as the planner sees it: every number and assistant, read once from the
//! wire types, then indexed. Nothing after the read sees a wire type.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::http::Text;
use crate::id::{
    AssistantId, Label, NumberId, NumberKey, NumberName, SquadId, WorkflowId, normalize_number,
};
use crate::{telnyx, vapi};

/// The assistant field that carries vapiform's label.
pub(crate) const METADATA: &str = "metadata";
/// The metadata key of the label: `metadata.vapiform = {"key": "<key>"}`.
pub(crate) const LABEL: &str = "vapiform";

/// Everything the list calls returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// Every phone number.
    pub numbers: Vec<Number>,
    /// Every assistant.
    pub assistants: Vec<Assistant>,
    /// Every number the carrier lists for the account, when the file declares a carrier.
    pub carrier: Option<Vec<CarrierNumber>>,
    /// Squads by id, with their names: read (one list call) only when the file routes to a
    /// squad, a number does, or the plan may delete an assistant; empty otherwise.
    pub squads: RouteTargets,
    /// The assistants squads name as members, by id, each with the squad that names it (as a
    /// reviewer reads it): Vapi refuses to delete them, and a squad would break without them.
    pub members: BTreeMap<String, String>,
}

/// A number as the carrier lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierNumber {
    /// The carrier's id.
    pub id: String,
    /// The number, normalised to E.164 when it is one.
    pub number: String,
    /// Its status at the carrier, in the carrier's hyphenated spelling (`port-pending`).
    pub status: String,
    /// Whether it is in service (status `active`): only then do calls arrive.
    pub active: bool,
    /// Whether it carries the file's `carrier.tag` (always, when the file names none): only
    /// then is it in the pool vapiform hands out.
    pub tagged: bool,
}

impl CarrierNumber {
    /// A number as the carrier lists it, against the file's `carrier.tag`.
    pub fn read(number: telnyx::PhoneNumber, tag: Option<&str>) -> Self {
        Self {
            number: e164(&number.phone_number).unwrap_or_else(|| number.phone_number.clone()),
            active: number.status == telnyx::Status::Active,
            status: number.status.to_string(),
            tagged: tag.is_none_or(|tag| number.tags.iter().any(|t| t == tag)),
            id: number.id,
        }
    }
}

/// Squads by id, with their names (when they have one).
pub(crate) type RouteTargets = BTreeMap<String, Option<String>>;

impl Live {
    /// The account as the list calls returned it.
    pub fn read(
        numbers: Vec<vapi::PhoneNumber>,
        assistants: impl IntoIterator<Item = impl Into<Assistant>>,
    ) -> Self {
        Self {
            numbers: numbers.into_iter().map(Number::from).collect(),
            assistants: assistants.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Reads the squads as `GET /squad` returned them: their names, and the assistants their
    /// members name.
    pub fn read_squads(&mut self, squads: Vec<vapi::RouteTarget>) {
        for squad in squads {
            let shown = match &squad.name {
                Some(name) => format!("squad \"{name}\" ({})", squad.id),
                None => format!("squad {}", squad.id),
            };
            let members = squad.other.get("members").and_then(Value::as_array);
            for id in members
                .into_iter()
                .flatten()
                .filter_map(|member| member.get("assistantId")?.as_str())
            {
                self.members
                    .entry(id.to_owned())
                    .or_insert_with(|| shown.clone());
            }
            self.squads.insert(squad.id, squad.name);
        }
    }
}

/// A phone number.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// Vapi's id.
    pub id: NumberId,
    /// How vapiform addresses it: its E.164 form, else its SIP URI, else `tel:` and the
    /// number, else its id.
    pub key: NumberName,
    /// The provider it was imported from, sent back with every update.
    pub provider: String,
    /// The assistant calls go to.
    pub assistant_id: Option<AssistantId>,
    /// The squad calls go to.
    pub squad_id: Option<SquadId>,
    /// The workflow calls go to.
    pub workflow_id: Option<WorkflowId>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    /// The number as the API wrote it, when it did.
    written: Option<String>,
    /// Its free-text label.
    name: Option<String>,
    /// The SIP URI of a SIP number.
    sip_uri: Option<String>,
    /// Every other field, as the API sent it (`hooks`, `server`, `fallbackDestination`, ...).
    other: Map<String, Value>,
}

impl Number {
    /// Whether an assistant or squad is set on the number (a retired workflow runs no more).
    pub fn is_routed(&self) -> bool {
        self.assistant_id.is_some() || self.squad_id.is_some()
    }

    /// Whether calls to the number reach anything but nobody or a message alone (see
    /// [`super::route::answers`]): an assistant, squad, webhook, fallback or transfer.
    pub fn answers(&self) -> bool {
        self.is_routed() || super::route::answers(&self.other)
    }

    /// Every field as the API returned it (routing fields normalised), for the comparator;
    /// built now.
    pub fn fields(&self) -> Map<String, Value> {
        let text = |value: &String| Value::String(value.clone());
        let mut fields = Map::new();
        let mut put = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.insert(name.to_owned(), value);
            }
        };
        // In the order the API writes them; the assistant is `null` when there is none.
        put("id", Some(Value::from(self.id.as_str())));
        put("provider", Some(text(&self.provider)));
        put("number", self.written.as_ref().map(text));
        put("name", self.name.as_ref().map(text));
        put(
            "assistantId",
            Some(
                self.assistant_id
                    .as_deref()
                    .map_or(Value::Null, Value::from),
            ),
        );
        put("squadId", self.squad_id.as_deref().map(Value::from));
        put("workflowId", self.workflow_id.as_deref().map(Value::from));
        put("sipUri", self.sip_uri.as_ref().map(text));
        put("createdAt", Some(text(&self.created_at)));
        put("updatedAt", Some(text(&self.updated_at)));
        fields.extend(self.other.clone());
        fields
    }

    /// Its `hooks`, as the API returned them.
    pub fn hooks(&self) -> Option<&Value> {
        self.other.get("hooks")
    }
}

impl From<vapi::PhoneNumber> for Number {
    fn from(number: vapi::PhoneNumber) -> Self {
        Self {
            key: number_key(&number),
            id: number.id.into(),
            provider: number.provider,
            assistant_id: number.assistant_id.map(AssistantId::from),
            squad_id: number.squad_id.map(SquadId::from),
            workflow_id: number.workflow_id.map(WorkflowId::from),
            created_at: number.created_at,
            updated_at: number.updated_at,
            written: number.number,
            name: number.name,
            sip_uri: number.sip_uri,
            other: number.other,
        }
    }
}

/// An assistant. Its body is kept as the JSON text the API sent (a few kilobytes: prompt,
/// model, voice, ...) and parsed when a change needs it ([`Assistant::fields`]); the planner
/// compares an unchanged one against the text directly ([`super::compare::holds`]). A plan
/// keeps no text of an assistant found, as it was read, to hold what the file declares for its
/// label ([`super::assistants::Settle`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Assistant {
    /// Vapi's id.
    pub id: AssistantId,
    /// The key of vapiform's label, when it carries one.
    pub label: Option<Label>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    name: Option<String>,
    first_message: Option<String>,
    body: Body,
}

/// What is kept of an assistant's body.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    /// The JSON text the API sent.
    Text(Text),
    /// Nothing: compared as it was read, it holds what the file declares for its label.
    Holds,
}

impl Assistant {
    /// Its `name`, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Its `firstMessage`, if it is a string.
    pub fn first_message(&self) -> Option<&str> {
        self.first_message.as_deref()
    }

    /// Every field but `id`, `createdAt` and `updatedAt` (`name`, `model`, `metadata`, ...),
    /// parsed now; `None` when the body was not kept ([`Assistant::holds_declared`]).
    pub fn fields(&self) -> Option<Map<String, Value>> {
        self.json().map(vapi::fields_of)
    }

    /// The object as the API returned it, JSON text; `None` when the body was not kept.
    pub fn json(&self) -> Option<&str> {
        match &self.body {
            Body::Text(text) => Some(text.as_str()),
            Body::Holds => None,
        }
    }

    /// Whether it was found, as it was read, to hold what the file declares for its label,
    /// and its body not kept.
    pub fn holds_declared(&self) -> bool {
        self.body == Body::Holds
    }

    /// Keeps no body: it holds what the file declares for its label.
    pub(crate) fn settle(&mut self) {
        self.body = Body::Holds;
    }

    /// Keeps its body in a buffer of its own, not in its list page's.
    pub(crate) fn detach(&mut self) {
        if let Body::Text(text) = &self.body {
            self.body = Body::Text(Text::from(text.as_str()));
        }
    }
}

impl From<vapi::Assistant> for Assistant {
    fn from(assistant: vapi::Assistant) -> Self {
        Self {
            label: assistant.metadata().and_then(label_in).map(Label::of),
            name: assistant.name().map(str::to_owned),
            first_message: assistant.first_message().map(str::to_owned),
            id: assistant.id.clone().into(),
            created_at: assistant.created_at.clone(),
            updated_at: assistant.updated_at.clone(),
            body: Body::Text(assistant.into_json()),
        }
    }
}

/// The label key in an assistant's fields, if any.
pub(crate) fn label_of(fields: &Map<String, Value>) -> Option<&str> {
    label_in(fields.get(METADATA)?)
}

/// The label key in an assistant's `metadata`, if any.
pub(crate) fn label_in(metadata: &Value) -> Option<&str> {
    metadata.get(LABEL)?.get("key")?.as_str()
}

/// The label as a metadata value.
pub(crate) fn label_value(key: &str) -> Value {
    serde_json::json!({ "key": key })
}

/// The address key of a number as the API returns it: its E.164 form (a number stored without
/// its `+`, as some carriers' imports leave it, is read as E.164 digits), else its SIP URI (in
/// lower case, as a file names it), else `tel:` and the number Vapi keeps when it is not E.164
/// (a bring-your-own `4567`), else its id.
pub(crate) fn number_key(number: &vapi::PhoneNumber) -> NumberName {
    let written = number.number.as_deref().filter(|n| !n.trim().is_empty());
    written
        .and_then(|written| NumberKey::parse(&e164(written)?).ok())
        .or_else(|| {
            let uri = NumberKey::parse(number.sip_uri.as_deref()?).ok()?;
            uri.is_sip().then_some(uri)
        })
        .or_else(|| NumberKey::local_number(written?).ok())
        .map_or_else(
            || NumberName::Id(number.id.as_str().into()),
            NumberName::Key,
        )
}

/// A number as an API returns it, in E.164 when it is one, with or without its `+` (some
/// carriers and imports leave it out).
fn e164(number: &str) -> Option<String> {
    normalize_number(number)
        .or_else(|_| normalize_number(&format!("+{number}")))
        .ok()
}

/// Lookups over [`Live`].
pub(crate) struct Index<'a> {
    pub by_id: HashMap<&'a str, &'a Assistant>,
    pub by_label: BTreeMap<&'a str, Vec<&'a Assistant>>,
    pub numbers: BTreeMap<&'a str, Vec<&'a Number>>,
    pub number_by_id: HashMap<&'a str, &'a Number>,
    /// The carrier's numbers by number, when a carrier was read.
    pub carrier: Option<HashMap<&'a str, &'a CarrierNumber>>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(live: &'a Live) -> Self {
        let mut by_label: BTreeMap<&str, Vec<&Assistant>> = BTreeMap::new();
        for assistant in &live.assistants {
            if let Some(key) = assistant.label.as_deref() {
                by_label.entry(key).or_default().push(assistant);
            }
        }
        let mut numbers: BTreeMap<&str, Vec<&Number>> = BTreeMap::new();
        for number in &live.numbers {
            numbers.entry(number.key.as_str()).or_default().push(number);
        }
        Self {
            by_id: live.assistants.iter().map(|a| (a.id.as_str(), a)).collect(),
            by_label,
            numbers,
            number_by_id: live.numbers.iter().map(|n| (n.id.as_str(), n)).collect(),
            carrier: live
                .carrier
                .as_ref()
                .map(|numbers| numbers.iter().map(|n| (n.number.as_str(), n)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: Option<&str>, sip: Option<&str>) -> vapi::PhoneNumber {
        vapi::PhoneNumber {
            id: "id-1".into(),
            provider: "telnyx".into(),
            number: value.map(str::to_owned),
            name: None,
            assistant_id: None,
            squad_id: None,
            workflow_id: None,
            sip_uri: sip.map(str::to_owned),
            created_at: "t".into(),
            updated_at: "t".into(),
            other: serde_json::Map::new(),
        }
    }

    #[test]
    fn a_number_gives_back_every_field_it_was_read_with() {
        let mut wire = number(Some("+14155550100"), None);
        wire.assistant_id = Some("a-1".into());
        wire.squad_id = Some("s-1".into());
        wire.workflow_id = Some("w-1".into());
        wire.created_at = "2026-01-01T00:00:00.000Z".into();
        wire.updated_at = "2026-01-02T00:00:00.000Z".into();
        wire.other.insert("hooks".into(), serde_json::json!([]));
        let read = Number::from(wire.clone());
        assert_eq!(read.fields(), wire.to_object());
        assert_eq!(
            (read.id.as_str(), read.provider.as_str()),
            ("id-1", "telnyx")
        );
        assert_eq!(read.assistant_id.as_deref(), Some("a-1"));
    }

    #[test]
    fn numbers_are_keyed_by_e164_with_or_without_the_plus() {
        assert_eq!(
            number_key(&number(Some("+1 (415) 555-0100"), None)),
            "+14155550100"
        );
        assert_eq!(
            number_key(&number(Some("14155550100"), None)),
            "+14155550100"
        );
        assert_eq!(
            number_key(&number(None, Some("sip:Desk@example.sip.vapi.ai"))),
            "sip:desk@example.sip.vapi.ai"
        );
        assert_eq!(number_key(&number(Some("45-67"), None)), "tel:4567");
        assert_eq!(number_key(&number(Some("desk"), None)), "id-1");
        assert_eq!(number_key(&number(Some(" "), None)), "id-1");
    }
}
