//! The desired-state file as written: these serde types are the format.
//!
//! Deserialising them is the shape check: an unknown field, a wrong type, a read-only field in
//! a body or an assistant with two forms is a deserialisation error, which `shape` locates by
//! its path. The JSON Schema is derived from them and export serialises them, so the format is
//! described once. What needs the whole file (references, duplicates, ownership) is checked in
//! `validate`. Outside `desired/`, only export uses these types, to write a file.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod phone;

pub(crate) use phone::{Hooks, IgnoredNumber, NumberEntry, PhoneSettings, SETTINGS};

/// vapiform desired state: the phone numbers, businesses and assistants a Vapi account should
/// have. Placeholders `${business.key}`, `${business.name}`, `${vars.NAME}` and `${env.NAME}` may
/// appear in assistant bodies; `$${` is a literal `${`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vapiform desired state")]
pub(crate) struct File {
    /// The file format version; always 1.
    pub(crate) version: Version,
    /// What happens to numbers in the account that no business lists and `ignore` does not
    /// name: `leave` them (the default), `unlink` them, route them to a shared assistant with
    /// `{assistant: <key>}`, or have them say a text with `{say: TEXT}` (no assistant runs).
    /// The mapping forms may add `phone:` settings for those numbers.
    #[serde(default)]
    pub(crate) unassigned: UnassignedSpec,
    /// Delete assistants that carry vapiform's label but are no longer declared.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) prune: bool,
    /// Body fields for `POST /phone-number`, used only to import a listed number that Vapi does
    /// not have yet, e.g. `{provider: telnyx, credentialId: ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) import: Option<ImportSpec>,
    /// Assistant bodies (any Vapi assistant fields) that businesses instantiate with
    /// `assistant: {template: NAME}`. Strings may use `${business.key}`, `${business.name}`,
    /// `${vars.NAME}` and `${env.NAME}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) templates: BTreeMap<String, AssistantBody>,
    /// Shared managed assistants, not tied to one business, by key. Strings may use only
    /// `${env.NAME}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("propertyNames" = {"pattern": KEY_PATTERN}))]
    pub(crate) assistants: BTreeMap<String, AssistantBody>,
    /// Businesses by stable key (`[a-z0-9][a-z0-9-]*`, unique across businesses and
    /// assistants).
    #[serde(default, deserialize_with = "mappings")]
    #[schemars(extend("propertyNames" = {"pattern": KEY_PATTERN}))]
    pub(crate) businesses: BTreeMap<String, BusinessSpec>,
    /// Numbers vapiform never reads into the plan and never touches.
    #[serde(
        default,
        deserialize_with = "mapping",
        skip_serializing_if = "IgnoreSpec::is_empty"
    )]
    pub(crate) ignore: IgnoreSpec,
    /// Where the numbers are bought, whose inventory vapiform reads too: a listed number Vapi
    /// lacks is imported only if the carrier owns it and it is active, and the plan reports
    /// the numbers free at the carrier and those Vapi routes but the carrier no longer owns.
    /// The key comes from `TELNYX_API_KEY` only.
    #[serde(
        default,
        deserialize_with = "optional_mapping",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) carrier: Option<CarrierSpec>,
}

impl Fields for File {
    const EXPECTING: &str = "a mapping that starts with `version: 1`";
}

/// A struct of the format, read through [`Mapping`].
pub(crate) trait Fields {
    /// What it is, for "expected ..." in a message.
    const EXPECTING: &str;
}

/// A struct read from a mapping only: serde's derived structs also accept a list of their
/// fields in order, which is not part of the format. Every derived struct is read through it.
pub(crate) struct Mapping<T>(pub(crate) T);

impl<'de, T: Deserialize<'de> + Fields> Deserialize<'de> for Mapping<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Fields> Visitor<'de> for Entries<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Entries(PhantomData))
            .map(Mapping)
    }
}

fn mapping<'de, D: Deserializer<'de>, T: Deserialize<'de> + Fields>(
    deserializer: D,
) -> Result<T, D::Error> {
    Mapping::deserialize(deserializer).map(|mapping| mapping.0)
}

fn optional_mapping<'de, D: Deserializer<'de>, T: Deserialize<'de> + Fields>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Option::<Mapping<T>>::deserialize(deserializer).map(|mapping| mapping.map(|m| m.0))
}

/// A map of entries each read through [`Mapping`], inserted as read: a fleet's businesses
/// are not held twice, as they would be read into one map and moved to another.
fn mappings<'de, D: Deserializer<'de>, T: Deserialize<'de> + Fields>(
    deserializer: D,
) -> Result<BTreeMap<String, T>, D::Error> {
    struct Entries<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Fields> Visitor<'de> for Entries<T> {
        type Value = BTreeMap<String, T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = BTreeMap::new();
            while let Some((key, Mapping(entry))) = map.next_entry::<String, Mapping<T>>()? {
                entries.insert(key, entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries(PhantomData))
}

/// The pattern of business and shared assistant keys (checked in `validate`, which names the
/// section in its message).
pub(crate) const KEY_PATTERN: &str = "^[a-z0-9][a-z0-9-]*$";

/// The section of the businesses.
pub(crate) const BUSINESSES: &str = "businesses";

/// The top-level sections that are maps of independent entries; a broken entry leaves out only
/// itself, so `shape` checks each entry on its own.
pub(crate) const KEYED_SECTIONS: [&str; 3] = ["templates", "assistants", BUSINESSES];

/// The file format version, which can only be 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "u8")]
pub(crate) struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)?.as_i64() {
            Some(1) => Ok(Version),
            Some(other) => Err(de::Error::custom(format!(
                "unsupported version {other}; this vapiform reads version 1"
            ))),
            None => Err(de::Error::custom("`version` must be the number 1")),
        }
    }
}

impl From<Version> for u8 {
    fn from(_: Version) -> u8 {
        1
    }
}

impl JsonSchema for Version {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "const": 1})
    }
}

/// Text that must not be empty or blank: names, ids, providers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(try_from = "String")]
#[schemars(!try_from, inline)]
pub(crate) struct Text(#[schemars(length(min = 1))] pub(crate) String);

impl TryFrom<String> for Text {
    type Error = &'static str;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        if text.trim().is_empty() {
            Err("this field must not be empty or blank")
        } else {
            Ok(Text(text))
        }
    }
}

/// The policy for numbers that no business lists: `leave`, `unlink`, or a mapping with one of
/// `assistant`, `say` or `unlink: true`, and the `phone` settings each such number gets.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum UnassignedSpec {
    /// `leave` or `unlink`.
    Mode(UnassignedMode),
    /// A policy with settings of its own.
    Policy(UnassignedPolicy),
}

/// What `unassigned` can be, for messages.
const UNASSIGNED_FORMS: &str = "`unassigned` must be `leave`, `unlink`, `{assistant: <shared assistant key>}`, `{say: TEXT}` or `{unlink: true}`";

impl<'de> Deserialize<'de> for UnassignedSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Policy;
        impl<'de> Visitor<'de> for Policy {
            type Value = UnassignedSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(UNASSIGNED_FORMS)
            }
            fn visit_str<E: de::Error>(self, mode: &str) -> Result<UnassignedSpec, E> {
                match mode {
                    "leave" => Ok(UnassignedSpec::Mode(UnassignedMode::Leave)),
                    "unlink" => Ok(UnassignedSpec::Mode(UnassignedMode::Unlink)),
                    _ => Err(E::custom(UNASSIGNED_FORMS)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<UnassignedSpec, A::Error> {
                let fields =
                    Mapping::<UnassignedFields>::deserialize(MapAccessDeserializer::new(map))?;
                UnassignedPolicy::try_from(fields.0)
                    .map(UnassignedSpec::Policy)
                    .map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(Policy)
    }
}

impl Default for UnassignedSpec {
    fn default() -> Self {
        UnassignedSpec::Mode(UnassignedMode::Leave)
    }
}

/// `leave` or `unlink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UnassignedMode {
    /// Leave unassigned numbers as they are.
    Leave,
    /// Clear their `assistantId` (and squad and workflow).
    Unlink,
}

/// A policy for unassigned numbers written as a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("unevaluatedProperties" = false))]
pub(crate) struct UnassignedPolicy {
    /// What happens to the numbers.
    #[serde(flatten)]
    pub(crate) action: UnassignedAction,
    /// Phone-number settings for each unassigned number (`name: spare`, ...). Strings may use
    /// only `${env.NAME}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<PhoneSettings>,
}

/// What happens to unassigned numbers, in a policy written as a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) enum UnassignedAction {
    /// Route them to the shared assistant with this key, declared under `assistants`.
    #[serde(rename = "assistant")]
    Assistant(String),
    /// Unroute them (assistant, squad and workflow cleared) and give them the hook
    /// `{on: call.ringing, do: [{type: say, exact: TEXT}]}`: a caller hears TEXT and no
    /// assistant runs. vapiform removes that hook when a business lists the number.
    #[serde(rename = "say")]
    Say(Text),
    /// `true`: unroute them (assistant, squad and workflow cleared).
    #[serde(rename = "unlink")]
    Unlink(bool),
}

/// Every field an `unassigned` mapping may have, as read; [`UnassignedPolicy`]'s conversion
/// checks which go together.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnassignedFields {
    assistant: Option<String>,
    say: Option<Text>,
    unlink: Option<bool>,
    phone: Option<PhoneSettings>,
}

impl Fields for UnassignedFields {
    const EXPECTING: &str = "`unassigned` as a mapping";
}

impl TryFrom<UnassignedFields> for UnassignedPolicy {
    type Error = String;

    fn try_from(f: UnassignedFields) -> Result<Self, String> {
        const ONE_OF: &str = "exactly one of `assistant`, `say` or `unlink: true`";
        let action = match (f.assistant, f.say, f.unlink) {
            (Some(key), None, None) => UnassignedAction::Assistant(key),
            (None, Some(text), None) => UnassignedAction::Say(text),
            (None, None, Some(true)) => UnassignedAction::Unlink(true),
            (None, None, Some(false)) => {
                return Err(
                    "`unlink: false` unlinks nothing; to leave unassigned numbers as they are, write `unassigned: leave`"
                        .to_owned(),
                );
            }
            (None, None, None) => return Err(format!("`unassigned` needs {ONE_OF}")),
            (assistant, say, unlink) => {
                let forms: Vec<&str> = [
                    ("`assistant`", assistant.is_some()),
                    ("`say`", say.is_some()),
                    ("`unlink`", unlink.is_some()),
                ]
                .into_iter()
                .filter_map(|(form, present)| present.then_some(form))
                .collect();
                return Err(format!(
                    "`unassigned` has {}; use {ONE_OF}",
                    forms.join(" and ")
                ));
            }
        };
        Ok(UnassignedPolicy {
            action,
            phone: f.phone,
        })
    }
}

/// The fields of an assistant that Vapi sets and a file cannot declare.
pub(crate) const ASSISTANT_READ_ONLY: [&str; 4] = ["id", "orgId", "createdAt", "updatedAt"];

/// The fields of a phone number that Vapi sets and a file cannot declare.
pub(crate) const PHONE_NUMBER_READ_ONLY: [&str; 5] =
    ["id", "orgId", "createdAt", "updatedAt", "status"];

/// The metadata key of vapiform's label on the assistants it manages.
const LABEL: &str = "vapiform";

/// A mapping of Vapi fields, each read as `field` says: most as any value, some refused, some
/// with a shape of their own. Assistant and phone-number bodies are read by it.
#[derive(Clone, Copy)]
struct Body {
    /// What the mapping is, for "expected ..." in a message.
    expecting: &'static str,
    /// How to read the field with this name.
    field: fn(&str) -> Field,
}

/// How a [`Body`] reads one field.
enum Field {
    /// Any value.
    Any,
    /// Any value that the function accepts; its message otherwise, located at the value.
    Checked(fn(&Value) -> Result<(), String>),
    /// A phone number's `hooks`, each checked where it is in the list.
    Hooks,
    /// Not a field of the body, which has only these.
    Unknown(&'static [&'static str]),
    /// Not allowed, for this reason; located at the field's value.
    Refused(String),
    /// Text that must not be empty.
    Text,
    /// A mapping read by its own rules.
    Body(Body),
}

fn read_only(field: &str, hint: &str) -> Field {
    Field::Refused(format!(
        "`{field}` is read-only: Vapi sets it, so it cannot be declared{hint}"
    ))
}

/// An assistant body: `metadata` must be a mapping, and what Vapi sets is refused.
const ASSISTANT: Body = Body {
    expecting: "an assistant body: a mapping of Vapi assistant fields",
    field: |field| match field {
        "metadata" => Field::Body(METADATA),
        "id" => read_only(
            field,
            "; to take over an existing assistant, write `adopt: <id>` beside the business's `template` or `spec`",
        ),
        _ if ASSISTANT_READ_ONLY.contains(&field) => read_only(field, ""),
        _ => Field::Any,
    },
};

/// An assistant's `metadata`: vapiform's label is vapiform's to write.
const METADATA: Body = Body {
    expecting: "`metadata` as a mapping",
    field: |field| {
        if field == LABEL {
            Field::Refused(format!(
                "`metadata.{LABEL}` is vapiform's label on the assistants it manages; it cannot be declared"
            ))
        } else {
            Field::Any
        }
    },
};

/// The body of a phone number to import: a `provider`, and nothing Vapi sets.
const PHONE_NUMBER: Body = Body {
    expecting: "`import` as a mapping of `POST /phone-number` fields with a `provider`",
    field: |field| match field {
        "provider" => Field::Text,
        _ if PHONE_NUMBER_READ_ONLY.contains(&field) => read_only(field, ""),
        _ => Field::Any,
    },
};

impl<'de> DeserializeSeed<'de> for Body {
    type Value = Map<String, Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Body {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut body = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = match (self.field)(&key) {
                Field::Any => map.next_value()?,
                Field::Checked(check) => map.next_value_seed(Checked(check))?,
                Field::Hooks => Value::Array(map.next_value::<Hooks>()?.0),
                Field::Unknown(expected) => map.next_value_seed(Unknown(&key, expected))?,
                Field::Refused(message) => map.next_value_seed(Refuse(message))?,
                Field::Text => Value::String(map.next_value::<Text>()?.0),
                Field::Body(nested) => Value::Object(map.next_value_seed(nested)?),
            };
            body.insert(key, value);
        }
        Ok(body)
    }
}

/// A seed that fails with its message, so the error is located at the value being read.
struct Refuse(String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Value, D::Error> {
        Err(de::Error::custom(self.0))
    }
}

/// A seed that reads any value and fails with the check's message, located at the value.
struct Checked(fn(&Value) -> Result<(), String>);

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let value = Value::deserialize(deserializer)?;
        (self.0)(&value).map_err(de::Error::custom)?;
        Ok(value)
    }
}

/// A seed that fails as serde does for a field a struct does not have, so the message names
/// the expected fields (and `shape` can suggest the closest).
struct Unknown<'a>(&'a str, &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Unknown<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Value, D::Error> {
        Err(de::Error::unknown_field(self.0, self.1))
    }
}

/// The JSON Schema of a body: any fields but the `refused` ones, and `fields` as given.
fn body_schema(refused: &[&str], fields: Map<String, Value>) -> Map<String, Value> {
    let mut properties: Map<String, Value> = refused
        .iter()
        .map(|field| ((*field).to_owned(), Value::Bool(false)))
        .collect();
    properties.extend(fields);
    Map::from_iter([
        ("type".to_owned(), "object".into()),
        ("properties".to_owned(), Value::Object(properties)),
        ("additionalProperties".to_owned(), true.into()),
    ])
}

/// An assistant body: any Vapi assistant fields except those Vapi sets (`id`, `orgId`,
/// `createdAt`, `updatedAt`); `metadata` must be a mapping and must not hold vapiform's label.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct AssistantBody(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for AssistantBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ASSISTANT.deserialize(deserializer).map(AssistantBody)
    }
}

impl JsonSchema for AssistantBody {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "AssistantBody".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let metadata = serde_json::json!({"type": "object", "properties": {LABEL: false}});
        let fields = Map::from_iter([("metadata".to_owned(), metadata)]);
        Schema::from(body_schema(&ASSISTANT_READ_ONLY, fields))
    }
}

/// Body fields for importing a number: any `POST /phone-number` fields, with a `provider`
/// (e.g. `telnyx`, `twilio`, `vonage`) and without those Vapi sets (`id`, `orgId`, `status`,
/// `createdAt`, `updatedAt`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct ImportSpec(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for ImportSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = PHONE_NUMBER.deserialize(deserializer)?;
        if !body.contains_key("provider") {
            return Err(de::Error::missing_field("provider"));
        }
        Ok(ImportSpec(body))
    }
}

impl JsonSchema for ImportSpec {
    fn schema_name() -> Cow<'static, str> {
        "ImportSpec".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut provider = generator.subschema_for::<Text>();
        provider.insert(
            "description".to_owned(),
            "The telephony provider, e.g. `telnyx`, `twilio`, `vonage`.".into(),
        );
        let fields = Map::from_iter([("provider".to_owned(), provider.to_value())]);
        let mut schema = body_schema(&PHONE_NUMBER_READ_ONLY, fields);
        schema.insert("required".to_owned(), serde_json::json!(["provider"]));
        schema.insert(
            "description".to_owned(),
            "Body fields for importing a number: any `POST /phone-number` fields.".into(),
        );
        Schema::from(schema)
    }
}

/// A business that owns phone numbers.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(try_from = "Mapping<BusinessFields>")]
#[schemars(!try_from, extend("unevaluatedProperties" = false))]
pub(crate) struct BusinessSpec {
    /// Display name, available to templates and `phone` as `${business.name}`.
    pub(crate) name: Text,
    /// Phone-number settings for each of its numbers: `name` (at most 40 characters after
    /// expansion), `fallbackDestination`, `server`, `hooks`. Strings may use
    /// `${business.key}`, `${business.name}` and `${env.NAME}`. Only declared fields are
    /// compared and sent; `null` on one the number holds is refused, since Vapi documents no
    /// way to clear it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<PhoneSettings>,
    /// Phone numbers in E.164 (`+14155550100`); spaces, dashes, dots and parentheses are
    /// ignored. Quote them: an unquoted `+1...` is read as a number. A SIP-only number (one
    /// with no E.164 form) is named by its SIP URI (`sip:desk@example.sip.vapi.ai`), and a
    /// bring-your-own number that is not E.164 by `tel:` and its digits (`tel:4567`). An entry
    /// may be a mapping, `{number: "+1...", name: ...}`, whose settings deep-merge over `phone`.
    #[serde(default)]
    pub(crate) numbers: Vec<NumberEntry>,
    /// Where the business's numbers route: exactly one of `assistant` or `squad`.
    #[serde(flatten)]
    pub(crate) route: RouteSpec,
    /// What `vapiform check` expects of what answers its numbers, when not the default (the
    /// reply names the business's `name`, and no other business's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) check: Option<CheckSpec>,
}

/// What the test call (`vapiform check`) asks a business's numbers, and what the answer must
/// and must not say. Phrases are compared case- and punctuation-insensitively, as whole words.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckSpec {
    /// The caller's opening line (default: `Hello, who am I speaking with?`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ask: Option<Text>,
    /// Phrases the answer must say, every one (default: the business's `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expect: Option<Vec<Text>>,
    /// Phrases the answer must not say (default: the `name` of every other business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reject: Option<Vec<Text>>,
    /// Names of other businesses this business's own text says on purpose ("formerly Bob's
    /// Bakery"): the offline check of its greeting and prompt only warns about them, and they
    /// are not rejected in its answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) mentions: Vec<Text>,
}

impl Fields for BusinessSpec {
    const EXPECTING: &str =
        "a business: a mapping with `name`, `numbers` and `assistant` (or `squad`)";
}

/// Where a business's numbers route. Routing to one clears the other on each number.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) enum RouteSpec {
    /// An assistant: exactly one of `template`, `spec`, `id` or `shared`.
    #[serde(rename = "assistant")]
    Assistant(AssistantSpec),
    /// The id of an existing squad, which vapiform routes to but never edits.
    #[serde(rename = "squad")]
    Squad(Text),
}

/// `workflow:`, which Vapi retired: read only to be refused where it stands.
struct Retired;

impl<'de> Deserialize<'de> for Retired {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Err(serde::de::Error::custom(
            "workflows were retired by Vapi on 2026-08-18 and no longer answer calls: route the business to a squad (`squad: ID`) or an assistant instead",
        ))
    }
}

/// Every field a business may have, as read; [`BusinessSpec`]'s conversion checks that it
/// routes to exactly one place.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BusinessFields {
    name: Text,
    phone: Option<PhoneSettings>,
    #[serde(default)]
    numbers: Vec<NumberEntry>,
    assistant: Option<AssistantSpec>,
    squad: Option<Text>,
    #[allow(dead_code, reason = "read only to be refused")]
    workflow: Option<Retired>,
    check: Option<CheckSpec>,
}

impl Fields for BusinessFields {
    const EXPECTING: &str = BusinessSpec::EXPECTING;
}

impl TryFrom<Mapping<BusinessFields>> for BusinessSpec {
    type Error = String;

    fn try_from(Mapping(f): Mapping<BusinessFields>) -> Result<Self, String> {
        const ONE_OF: &str = "exactly one of `assistant` or `squad`";
        let route = match (f.assistant, f.squad) {
            (Some(assistant), None) => RouteSpec::Assistant(assistant),
            (None, Some(squad)) => RouteSpec::Squad(squad),
            (None, None) => {
                return Err(format!(
                    "a business needs {ONE_OF}: where its numbers route"
                ));
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "the business has `assistant` and `squad`; its numbers route to {ONE_OF}"
                ));
            }
        };
        Ok(BusinessSpec {
            name: f.name,
            phone: f.phone,
            numbers: f.numbers,
            route,
            check: f.check,
        })
    }
}

/// The assistant a business's numbers route to: exactly one of four forms, told apart by
/// which of `template`, `spec`, `id` and `shared` is present.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, try_from = "Mapping<AssistantFields>")]
#[schemars(!try_from)]
pub(crate) enum AssistantSpec {
    /// A managed assistant built from a template.
    Template(TemplateAssistant),
    /// A managed assistant whose body is written inline.
    Spec(SpecAssistant),
    /// An existing assistant that vapiform routes to but never edits.
    Existing(ExistingAssistant),
    /// A shared managed assistant declared under `assistants`.
    Shared(SharedAssistant),
}

/// Every field a business's `assistant` may have, as read; [`AssistantSpec`]'s conversion
/// checks which go together, so each field's own problems are located at the field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssistantFields {
    template: Option<String>,
    spec: Option<AssistantBody>,
    id: Option<Text>,
    shared: Option<String>,
    vars: Option<BTreeMap<String, VarValue>>,
    overrides: Option<AssistantBody>,
    adopt: Option<Text>,
}

impl Fields for AssistantFields {
    const EXPECTING: &str = "`assistant` as a mapping";
}

impl TryFrom<Mapping<AssistantFields>> for AssistantSpec {
    type Error = String;

    fn try_from(Mapping(f): Mapping<AssistantFields>) -> Result<Self, String> {
        const ONE_OF: &str = "exactly one of `template`, `spec`, `id` or `shared`";
        let forms: Vec<&str> = [
            ("`template`", f.template.is_some()),
            ("`spec`", f.spec.is_some()),
            ("`id`", f.id.is_some()),
            ("`shared`", f.shared.is_some()),
        ]
        .into_iter()
        .filter_map(|(form, present)| present.then_some(form))
        .collect();
        if forms.len() > 1 {
            return Err(format!(
                "`assistant` has {}; use {ONE_OF}",
                forms.join(" and ")
            ));
        }
        let managed = f.template.is_some() || f.spec.is_some();
        for (field, present, allowed, with) in [
            ("vars", f.vars.is_some(), f.template.is_some(), "`template`"),
            (
                "overrides",
                f.overrides.is_some(),
                f.template.is_some(),
                "`template`",
            ),
            ("adopt", f.adopt.is_some(), managed, "`template` or `spec`"),
        ] {
            if present && !allowed && !forms.is_empty() {
                return Err(format!("`{field}` is only allowed with {with}"));
            }
        }
        Ok(match (f.template, f.spec, f.id, f.shared) {
            (Some(template), ..) => AssistantSpec::Template(TemplateAssistant {
                template,
                vars: f.vars.unwrap_or_default().into_iter().collect(),
                overrides: f.overrides.unwrap_or_default(),
                adopt: f.adopt,
            }),
            (_, Some(spec), ..) => AssistantSpec::Spec(SpecAssistant {
                spec,
                adopt: f.adopt,
            }),
            (.., Some(id), _) => AssistantSpec::Existing(ExistingAssistant { id }),
            (.., Some(shared)) => AssistantSpec::Shared(SharedAssistant { shared }),
            (None, None, None, None) => return Err(format!("`assistant` needs {ONE_OF}")),
        })
    }
}

/// A managed assistant built from a template.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateAssistant {
    /// The template name, a key of `templates`.
    pub(crate) template: String,
    /// Values for `${vars.NAME}` in the template.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "as_mapping"
    )]
    #[schemars(with = "BTreeMap<String, VarValue>")]
    pub(crate) vars: Vec<(String, VarValue)>,
    /// Fields deep-merged over the template: objects merge key by key, anything else (lists,
    /// strings, numbers, `null`) replaces, and so does an object whose `type` differs.
    #[serde(default, skip_serializing_if = "is_empty_body")]
    pub(crate) overrides: AssistantBody,
    /// An existing assistant id to take over (label) instead of creating a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) adopt: Option<Text>,
}

/// `vars`, held as a list sorted by name (at fleet size a map's node for each business's
/// handful would be several times their size), written as the mapping it was read from.
fn as_mapping<S: serde::Serializer>(
    vars: &[(String, VarValue)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(vars.iter().map(|(name, value)| (name, value)))
}

fn is_empty_body(body: &AssistantBody) -> bool {
    body.0.is_empty()
}

/// A value for `${vars.NAME}`: text, a number (substituted as written) or a boolean.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a variable must be a string, a number or a boolean"
)]
pub(crate) enum VarValue {
    /// Text.
    Text(String),
    /// A number, substituted as written.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
}

impl VarValue {
    /// The text substituted for the placeholder.
    pub(crate) fn to_text(&self) -> String {
        match self {
            VarValue::Text(text) => text.clone(),
            VarValue::Number(number) => number.to_string(),
            VarValue::Bool(flag) => flag.to_string(),
        }
    }
}

/// A managed assistant whose body is written inline.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecAssistant {
    /// The assistant body: any Vapi assistant fields. Placeholders work as in templates.
    pub(crate) spec: AssistantBody,
    /// An existing assistant id to take over (label) instead of creating a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) adopt: Option<Text>,
}

/// An existing assistant that vapiform routes to but never edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExistingAssistant {
    /// The assistant id.
    pub(crate) id: Text,
}

/// A shared managed assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SharedAssistant {
    /// The key of a shared assistant declared under `assistants`.
    pub(crate) shared: String,
}

/// Numbers vapiform leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IgnoreSpec {
    /// Phone numbers in E.164, SIP URIs of SIP-only numbers, or `tel:` and the digits of a
    /// number that is not E.164; never read into the plan, never touched.
    #[serde(default)]
    pub(crate) numbers: Vec<IgnoredNumber>,
}

impl Fields for IgnoreSpec {
    const EXPECTING: &str = "`ignore` as a mapping with `numbers`";
}

impl IgnoreSpec {
    fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

/// The carrier that sells the account's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CarrierSpec {
    /// The carrier; only `telnyx` today.
    pub(crate) provider: CarrierProvider,
    /// When given, only the carrier's numbers carrying this tag belong to this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub(crate) tag: Option<String>,
}

impl Fields for CarrierSpec {
    const EXPECTING: &str = "`carrier` as a mapping like `{provider: telnyx, tag: vapi-pool}`";
}

/// The carriers vapiform reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CarrierProvider {
    /// Telnyx (`GET /v2/phone_numbers`).
    Telnyx,
}

/// The JSON Schema of the desired-state file, for editors (`yaml-language-server`) and the
/// `schema` command.
pub(crate) fn schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<File>();
    schema.to_value()
}

#[cfg(test)]
mod tests {
    use super::schema;

    #[test]
    fn schema_is_committed() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/vapiform.schema.json");
        let generated = serde_json::to_string_pretty(&schema()).unwrap() + "\n";
        if std::env::var_os("VAPIFORM_UPDATE_SCHEMA").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/vapiform.schema.json is out of date; run `VAPIFORM_UPDATE_SCHEMA=1 cargo test schema_is_committed`"
        );
    }
}
