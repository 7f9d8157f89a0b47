//! The desired-state file as written: these serde types are the format.
//!
//! Deserialising them is the shape check: an unknown field, a wrong type, a read-only field in
//! a body or an assistant with two forms is a deserialisation error, which `shape` locates by
//! its path. The JSON Schema is derived from them and export serialises them, so the format is
//! described once. What needs the whole file (references, duplicates, ownership) is checked in
//! `validate`; nothing outside `desired/` sees these types.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

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
    /// name: `leave` them (the default), `unlink` them, or route them to a shared assistant with
    /// `{assistant: <key>}`.
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

fn mappings<'de, D: Deserializer<'de>, T: Deserialize<'de> + Fields>(
    deserializer: D,
) -> Result<BTreeMap<String, T>, D::Error> {
    let entries = BTreeMap::<String, Mapping<T>>::deserialize(deserializer)?;
    Ok(entries
        .into_iter()
        .map(|(key, entry)| (key, entry.0))
        .collect())
}

/// The pattern of business and shared assistant keys (checked in `validate`, which names the
/// section in its message).
pub(crate) const KEY_PATTERN: &str = "^[a-z0-9][a-z0-9-]*$";

/// The top-level sections that are maps of independent entries; a broken entry leaves out only
/// itself, so `shape` checks each entry on its own.
pub(crate) const KEYED_SECTIONS: [&str; 3] = ["templates", "assistants", "businesses"];

/// The file format version, which can only be 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct One;
        impl Visitor<'_> for One {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the number 1")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
                if v == 1 {
                    Ok(Version)
                } else {
                    Err(E::custom(format!(
                        "unsupported version {v}; this vapiform reads version 1"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Version, E> {
                Err(E::custom(format!(
                    "unsupported version {v}; this vapiform reads version 1"
                )))
            }
        }
        deserializer.deserialize_u64(One)
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(1)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim().is_empty() {
            return Err(de::Error::invalid_value(
                Unexpected::Str(&text),
                &"a non-empty string",
            ));
        }
        Ok(Text(text))
    }
}

impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "minLength": 1})
    }
}

/// The policy for numbers that no business lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum UnassignedSpec {
    /// `leave` or `unlink`.
    Mode(UnassignedMode),
    /// Route them to a shared assistant.
    Assistant(UnassignedAssistant),
}

impl Default for UnassignedSpec {
    fn default() -> Self {
        UnassignedSpec::Mode(UnassignedMode::Leave)
    }
}

impl<'de> Deserialize<'de> for UnassignedSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Policy;
        impl<'de> Visitor<'de> for Policy {
            type Value = UnassignedSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`leave`, `unlink` or `{assistant: <key>}`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UnassignedSpec, E> {
                UnassignedMode::deserialize(StrDeserializer::<E>::new(v))
                    .map(UnassignedSpec::Mode)
                    .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<UnassignedSpec, A::Error> {
                UnassignedAssistant::deserialize(MapAccessDeserializer::new(map))
                    .map(UnassignedSpec::Assistant)
            }
        }
        deserializer.deserialize_any(Policy)
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

/// Route unassigned numbers to a shared assistant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnassignedAssistant {
    /// The key of a shared assistant declared under `assistants`.
    pub(crate) assistant: String,
}

/// Which kind of Vapi object a body describes, for the fields Vapi sets itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Assistant,
    PhoneNumber,
}

impl BodyKind {
    /// Fields Vapi sets and never accepts in a request.
    fn read_only(self) -> &'static [&'static str] {
        match self {
            BodyKind::Assistant => &ASSISTANT_READ_ONLY,
            BodyKind::PhoneNumber => &["id", "orgId", "createdAt", "updatedAt", "status"],
        }
    }

    /// The JSON Schema of a body of this kind: any fields but the read-only ones, `metadata` a
    /// mapping without vapiform's label.
    fn schema(self, required: &[(&str, Value)]) -> Schema {
        let mut properties: Map<String, Value> = self
            .read_only()
            .iter()
            .map(|field| ((*field).to_owned(), Value::Bool(false)))
            .collect();
        if self == BodyKind::Assistant {
            properties.insert(
                "metadata".to_owned(),
                serde_json::json!({"type": "object", "properties": {LABEL: false}}),
            );
        }
        for (field, schema) in required {
            properties.insert((*field).to_owned(), schema.clone());
        }
        let required: Vec<&str> = required.iter().map(|(field, _)| *field).collect();
        let mut schema = json_schema!({
            "type": "object",
            "properties": properties,
            "additionalProperties": true,
        });
        if !required.is_empty() {
            schema.insert("required".to_owned(), serde_json::json!(required));
        }
        schema
    }

    /// Reads the value of `field`, refusing what Vapi sets and a malformed `metadata`.
    fn field<'de, A: MapAccess<'de>>(self, map: &mut A, field: &str) -> Result<Value, A::Error> {
        if self.read_only().contains(&field) {
            let hint = if self == BodyKind::Assistant && field == "id" {
                "; to take over an existing assistant, write `adopt: <id>` beside the business's `template` or `spec`"
            } else {
                ""
            };
            return map.next_value_seed(Refuse(format!(
                "`{field}` is read-only: Vapi sets it, so it cannot be declared{hint}"
            )));
        }
        if self == BodyKind::Assistant && field == "metadata" {
            return map.next_value::<Metadata>().map(|m| Value::Object(m.0));
        }
        map.next_value()
    }
}

/// The fields of an assistant that Vapi sets and a file cannot declare.
pub(crate) const ASSISTANT_READ_ONLY: [&str; 4] = ["id", "orgId", "createdAt", "updatedAt"];

/// The metadata key of vapiform's label on the assistants it manages.
const LABEL: &str = "vapiform";

/// A seed that fails with its message, so the error is located at the value being read.
struct Refuse(String);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Value, D::Error> {
        Err(de::Error::custom(self.0))
    }
}

/// An assistant's `metadata`: a mapping, without vapiform's own label.
struct Metadata(Map<String, Value>);

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`metadata` as a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
                let mut fields = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if key == LABEL {
                        map.next_value_seed(Refuse(format!(
                            "`metadata.{LABEL}` is vapiform's label on the assistants it manages; it cannot be declared"
                        )))?
                    } else {
                        map.next_value()?
                    };
                    fields.insert(key, value);
                }
                Ok(Metadata(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// An assistant body: any Vapi assistant fields except those Vapi sets (`id`, `orgId`,
/// `createdAt`, `updatedAt`); `metadata` must be a mapping and must not hold vapiform's label.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct AssistantBody(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for AssistantBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = AssistantBody;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an assistant body: a mapping of Vapi assistant fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AssistantBody, A::Error> {
                let mut body = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = BodyKind::Assistant.field(&mut map, &key)?;
                    body.insert(key, value);
                }
                Ok(AssistantBody(body))
            }
        }
        deserializer.deserialize_map(Fields)
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
        BodyKind::Assistant.schema(&[])
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
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = ImportSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "`import` as a mapping of `POST /phone-number` fields with a `provider`",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImportSpec, A::Error> {
                let mut body = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if key == "provider" {
                        Value::String(map.next_value::<Text>()?.0)
                    } else {
                        BodyKind::PhoneNumber.field(&mut map, &key)?
                    };
                    body.insert(key, value);
                }
                if !body.contains_key("provider") {
                    return Err(de::Error::missing_field("provider"));
                }
                Ok(ImportSpec(body))
            }
        }
        deserializer.deserialize_map(Fields)
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
        let mut schema = BodyKind::PhoneNumber.schema(&[("provider", provider.to_value())]);
        schema.insert(
            "description".to_owned(),
            "Body fields for importing a number: any `POST /phone-number` fields.".into(),
        );
        schema
    }
}

/// A business that owns phone numbers.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BusinessSpec {
    /// Display name, available to templates as `${business.name}`.
    pub(crate) name: Text,
    /// Phone numbers in E.164 (`+14155550100`); spaces, dashes, dots and parentheses are
    /// ignored. Quote them: an unquoted `+1...` is read as a number.
    #[serde(default)]
    pub(crate) numbers: Vec<NumberEntry>,
    /// Where the business's numbers route: exactly one of `template`, `spec`, `id` or `shared`.
    pub(crate) assistant: AssistantSpec,
}

impl Fields for BusinessSpec {
    const EXPECTING: &str = "a business: a mapping with `name`, `numbers` and `assistant`";
}

/// One entry of a `numbers` list: a phone number as written, normalised by `validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub(crate) struct NumberEntry(pub(crate) String);

impl<'de> Deserialize<'de> for NumberEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl Visitor<'_> for Entry {
            type Value = NumberEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quoted phone number like \"+14155550100\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumberEntry, E> {
                Ok(NumberEntry(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberEntry, E> {
                Err(E::custom(format!(
                    "phone number {v} must be a quoted string like \"+{v}\""
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumberEntry, E> {
                self.visit_u64(v.unsigned_abs())
            }
        }
        deserializer.deserialize_any(Entry)
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

    fn try_from(Mapping(fields): Mapping<AssistantFields>) -> Result<Self, String> {
        let AssistantFields {
            template,
            spec,
            id,
            shared,
            vars,
            overrides,
            adopt,
        } = fields;
        let forms: Vec<&str> = [
            ("template", template.is_some()),
            ("spec", spec.is_some()),
            ("id", id.is_some()),
            ("shared", shared.is_some()),
        ]
        .into_iter()
        .filter_map(|(form, present)| present.then_some(form))
        .collect();
        const ONE_OF: &str = "exactly one of `template`, `spec`, `id` or `shared`";
        if forms.is_empty() {
            return Err(format!("`assistant` needs {ONE_OF}"));
        }
        if forms.len() > 1 {
            let named: Vec<String> = forms.iter().map(|form| format!("`{form}`")).collect();
            return Err(format!(
                "`assistant` has {}; use {ONE_OF}",
                named.join(" and ")
            ));
        }
        let misplaced = |field: &str, with: &str| format!("`{field}` is only allowed with {with}");
        if let Some(template) = template {
            return Ok(AssistantSpec::Template(TemplateAssistant {
                template,
                vars: vars.unwrap_or_default(),
                overrides: overrides.unwrap_or_default(),
                adopt,
            }));
        }
        if vars.is_some() {
            return Err(misplaced("vars", "`template`"));
        }
        if overrides.is_some() {
            return Err(misplaced("overrides", "`template`"));
        }
        if let Some(spec) = spec {
            return Ok(AssistantSpec::Spec(SpecAssistant { spec, adopt }));
        }
        if adopt.is_some() {
            return Err(misplaced("adopt", "`template` or `spec`"));
        }
        Ok(match (id, shared) {
            (Some(id), _) => AssistantSpec::Existing(ExistingAssistant { id }),
            (None, Some(shared)) => AssistantSpec::Shared(SharedAssistant { shared }),
            (None, None) => unreachable!("one form is present"),
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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) vars: BTreeMap<String, VarValue>,
    /// Fields deep-merged over the template: objects merge key by key, anything else (lists,
    /// strings, numbers, `null`) replaces.
    #[serde(default, skip_serializing_if = "is_empty_body")]
    pub(crate) overrides: AssistantBody,
    /// An existing assistant id to take over (label) instead of creating a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) adopt: Option<Text>,
}

fn is_empty_body(body: &AssistantBody) -> bool {
    body.0.is_empty()
}

/// A value for `${vars.NAME}`: text, a number (substituted as written) or a boolean.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
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

impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl Visitor<'_> for Scalar {
            type Value = VarValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VarValue, E> {
                Ok(VarValue::Text(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<VarValue, E> {
                Ok(VarValue::Bool(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<VarValue, E> {
                Ok(VarValue::Number(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<VarValue, E> {
                Ok(VarValue::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<VarValue, E> {
                serde_json::Number::from_f64(v)
                    .map(VarValue::Number)
                    .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(Scalar)
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
    /// Phone numbers in E.164; never read into the plan, never touched.
    #[serde(default)]
    pub(crate) numbers: Vec<NumberEntry>,
}

impl Fields for IgnoreSpec {
    const EXPECTING: &str = "`ignore` as a mapping with `numbers`";
}

impl IgnoreSpec {
    fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

/// The JSON Schema of the desired-state file, for editors (`yaml-language-server`) and the
/// `schema` command.
pub fn schema() -> Value {
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
