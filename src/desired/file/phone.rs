//! Phone numbers in the file: the `phone` settings of a business or of the unassigned policy,
//! the entries of a `numbers` list (a number, or a number with settings of its own), and the
//! numbers `ignore` names.
//!
//! Settings are the writable phone-number fields vapiform manages: `name`, `fallbackDestination`,
//! `server` and `hooks`. Routing is the business's `assistant`, `squad` or `workflow`, and what
//! belongs to the provider account (credentials, the number itself) is not vapiform's, so
//! both are refused where they are written. Each setting's shape is checked as deep as a
//! mistake can be told apart from a field Vapi may add; a say hook, which `unassigned: {say}`
//! owns, cannot be declared.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Body, Field, PHONE_NUMBER_READ_ONLY, body_schema, read_only};

/// The settings a file may declare for a number.
pub(crate) const SETTINGS: [&str; 4] = ["name", "fallbackDestination", "server", "hooks"];

/// The fields of an entry of `numbers` written as a mapping.
const ENTRY_FIELDS: [&str; 5] = ["number", "name", "fallbackDestination", "server", "hooks"];

/// The routing fields, which the business's `assistant` or `squad` decides.
const ROUTING: [&str; 3] = ["assistantId", "squadId", "workflowId"];

/// Fields of the provider account a number belongs to, which vapiform does not manage.
const PROVIDER: [&str; 11] = [
    "provider",
    "credentialId",
    "twilioAccountSid",
    "twilioAuthToken",
    "twilioApiKey",
    "twilioApiSecret",
    "smsEnabled",
    "numberE164CheckEnabled",
    "sipUri",
    "authentication",
    "numberDesiredAreaCode",
];

/// How a settings mapping reads `field`; `expected` is what an unknown field is told to be.
fn setting(field: &str, expected: &'static [&'static str]) -> Field {
    match field {
        "name" => Field::Checked(name),
        "fallbackDestination" => Field::Checked(destination),
        "server" => Field::Checked(server),
        "hooks" => Field::Hooks,
        "number" => Field::Refused(
            "`number` is not a setting: list the numbers under `numbers`, where an entry may be `{number: ..., name: ...}`"
                .to_owned(),
        ),
        _ if ROUTING.contains(&field) => Field::Refused(format!(
            "`{field}` is routing, which a business's `assistant` or `squad` decides (and `unassigned` for the rest); it cannot be a phone setting"
        )),
        _ if PROVIDER.contains(&field) => Field::Refused(format!(
            "`{field}` belongs to the number's provider account, which vapiform does not manage; phone settings are `name`, `fallbackDestination`, `server` and `hooks`"
        )),
        _ if PHONE_NUMBER_READ_ONLY.contains(&field) => read_only(field, ""),
        _ => Field::Unknown(expected),
    }
}

/// A business's or the unassigned policy's `phone`.
const PHONE: Body = Body {
    expecting: "`phone` as a mapping of phone-number settings (`name`, `fallbackDestination`, `server`, `hooks`)",
    field: |field| setting(field, &SETTINGS),
};

/// An entry of `numbers` written as a mapping: a `number` and settings of its own.
const ENTRY: Body = Body {
    expecting: "a phone number as a quoted string like \"+14155550100\", or a mapping with `number` and phone settings",
    field: |field| {
        if field == "number" {
            Field::Checked(number)
        } else {
            setting(field, &ENTRY_FIELDS)
        }
    },
};

/// `name`: text (its length is checked after expansion), or `null` to clear it.
fn name(value: &Value) -> Result<(), String> {
    match value {
        Value::String(_) | Value::Null => Ok(()),
        _ => Err("`name` must be text (at most 40 characters), or `null` to clear it".to_owned()),
    }
}

/// `server`: a mapping whose `url` is text, or `null` to clear it.
fn server(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Object(server) => match server.get("url") {
            None | Some(Value::String(_)) => Ok(()),
            Some(_) => {
                Err("`server.url` must be text, like \"https://hooks.example.com/vapi\"".to_owned())
            }
        },
        _ => Err(
            "`server` must be a mapping such as `{url: \"https://...\"}`, or `null` to clear it"
                .to_owned(),
        ),
    }
}

/// `fallbackDestination` (and a transfer's `destination`): `{type: number, number}` or
/// `{type: sip, sipUri}`, or `null` to clear it.
fn destination(value: &Value) -> Result<(), String> {
    const FORMS: &str = "`{type: number, number: \"+1...\"}` or `{type: sip, sipUri: \"sip:...\"}`";
    let Value::Object(destination) = value else {
        return if value.is_null() {
            Ok(())
        } else {
            Err(format!(
                "a destination must be {FORMS}, or `null` to clear it"
            ))
        };
    };
    let (field, prefix) = match destination.get("type").and_then(Value::as_str) {
        Some("number") => ("number", ""),
        Some("sip") => ("sipUri", "sip:"),
        _ => {
            return Err(format!(
                "a destination needs `type: number` or `type: sip`: {FORMS}"
            ));
        }
    };
    match destination.get(field).and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() && text.starts_with(prefix) => Ok(()),
        _ => Err(format!(
            "a destination of this type needs `{field}`: {FORMS}"
        )),
    }
}

/// An entry's `number`: a quoted string (normalised by `validate`).
fn number(value: &Value) -> Result<(), String> {
    match value {
        Value::String(_) => Ok(()),
        // YAML reads an unquoted +14155550100 as a number.
        Value::Number(n) => Err(format!(
            "phone number {n} must be a quoted string like \"+{n}\""
        )),
        _ => Err("a phone number must be a quoted string like \"+14155550100\"".to_owned()),
    }
}

/// Phone-number settings: `name`, `fallbackDestination`, `server`, `hooks`, as written
/// (placeholders unexpanded).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct PhoneSettings(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for PhoneSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PHONE.deserialize(deserializer).map(PhoneSettings)
    }
}

/// The schema of each setting.
fn settings_schema() -> Map<String, Value> {
    let nullable_object = |description: &str| serde_json::json!({"type": ["object", "null"], "description": description});
    let fields = Map::from_iter([
        (
            "name".to_owned(),
            serde_json::json!({"type": ["string", "null"], "description": "A label shown in the Vapi dashboard; at most 40 characters after expansion."}),
        ),
        (
            "fallbackDestination".to_owned(),
            nullable_object(
                "Where a call goes when the assistant side fails: `{type: number, number}` or `{type: sip, sipUri}`.",
            ),
        ),
        (
            "server".to_owned(),
            nullable_object("The webhook server for this number: `{url, headers, ...}`."),
        ),
        (
            "hooks".to_owned(),
            serde_json::json!({"type": "array", "items": {"type": "object", "required": ["on", "do"]}, "description": "Phone-number hooks (`call.ringing`, `call.ending`); the whole list is owned."}),
        ),
    ]);
    let refused: Vec<&str> = ROUTING
        .iter()
        .chain(&PROVIDER)
        .chain(&PHONE_NUMBER_READ_ONLY)
        .copied()
        .collect();
    let mut schema = body_schema(&refused, fields);
    schema.insert("additionalProperties".to_owned(), false.into());
    schema
}

impl JsonSchema for PhoneSettings {
    fn schema_name() -> Cow<'static, str> {
        "PhoneSettings".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut schema = settings_schema();
        schema.insert(
            "description".to_owned(),
            "Phone-number settings: `name`, `fallbackDestination`, `server`, `hooks`.".into(),
        );
        Schema::from(schema)
    }
}

/// One entry of a `numbers` list: a number as written (normalised by `validate`), with the
/// settings of its own when written as a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumberEntry {
    /// The number as written.
    pub(crate) number: String,
    /// Its own settings, deep-merged over the business's `phone`; empty for a plain number.
    pub(crate) phone: Map<String, Value>,
}

impl NumberEntry {
    /// Whether the entry is written as a mapping, so its number is at `number` inside it.
    pub(crate) fn is_mapping(&self) -> bool {
        !self.phone.is_empty()
    }
}

impl<'de> Deserialize<'de> for NumberEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = NumberEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(ENTRY.expecting)
            }
            fn visit_str<E: de::Error>(self, number: &str) -> Result<NumberEntry, E> {
                Ok(NumberEntry {
                    number: number.to_owned(),
                    phone: Map::new(),
                })
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<NumberEntry, E> {
                Err(E::custom(number(&Value::from(n)).unwrap_err()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<NumberEntry, E> {
                Err(E::custom(number(&Value::from(n)).unwrap_err()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<NumberEntry, E> {
                Err(E::custom(number(&Value::from(n)).unwrap_err()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NumberEntry, A::Error> {
                let mut fields = ENTRY.deserialize(MapAccessDeserializer::new(map))?;
                let Some(Value::String(number)) = fields.remove("number") else {
                    return Err(de::Error::missing_field("number"));
                };
                Ok(NumberEntry {
                    number,
                    phone: fields,
                })
            }
        }
        deserializer.deserialize_any(Entry)
    }
}

impl Serialize for NumberEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.phone.is_empty() {
            return serializer.serialize_str(&self.number);
        }
        let mut map = serializer.serialize_map(Some(self.phone.len() + 1))?;
        map.serialize_entry("number", &self.number)?;
        for (field, value) in &self.phone {
            map.serialize_entry(field, value)?;
        }
        map.end()
    }
}

impl JsonSchema for NumberEntry {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "NumberEntry".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut mapping = settings_schema();
        if let Some(Value::Object(properties)) = mapping.get_mut("properties") {
            properties.insert(
                "number".to_owned(),
                serde_json::json!({"type": "string", "minLength": 1}),
            );
        }
        mapping.insert("required".to_owned(), serde_json::json!(["number"]));
        json_schema!({
            "anyOf": [
                {"type": "string", "minLength": 1, "description": "A phone number (E.164) or a SIP URI."},
                Value::Object(mapping),
            ]
        })
    }
}

/// A number `ignore` names, as written (normalised by `validate`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(try_from = "Value")]
#[schemars(!try_from, inline)]
pub(crate) struct IgnoredNumber(pub(crate) String);

impl TryFrom<Value> for IgnoredNumber {
    type Error = String;
    fn try_from(value: Value) -> Result<Self, String> {
        number(&value)?;
        match value {
            Value::String(text) => Ok(IgnoredNumber(text)),
            _ => Err("a phone number must be a quoted string like \"+14155550100\"".to_owned()),
        }
    }
}

/// A number's `hooks`: a list (not `null`), each hook checked where it is.
pub(crate) struct Hooks(pub(crate) Vec<Value>);

impl<'de> Deserialize<'de> for Hooks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<Vec<Hook>>::deserialize(deserializer)? {
            Some(hooks) => Ok(Hooks(hooks.into_iter().map(|hook| hook.0).collect())),
            None => Err(de::Error::custom(
                "`hooks` cannot be `null`: write `hooks: []` to remove every hook",
            )),
        }
    }
}

/// One hook, as the spec describes it: `on: call.ringing` with a list of actions in `do`, or
/// `on: call.ending` with one action.
#[derive(Deserialize)]
#[serde(try_from = "Value")]
struct Hook(Value);

impl TryFrom<Value> for Hook {
    type Error = String;
    fn try_from(hook: Value) -> Result<Self, String> {
        let Value::Object(fields) = &hook else {
            return Err("a hook must be a mapping with `on` and `do`".to_owned());
        };
        match (fields.get("on").and_then(Value::as_str), fields.get("do")) {
            (Some("call.ringing"), Some(Value::Array(actions))) if !actions.is_empty() => {
                actions.iter().try_for_each(action)?;
            }
            (Some("call.ringing"), _) => {
                return Err("a `call.ringing` hook needs `do`: a list of actions".to_owned());
            }
            (Some("call.ending"), Some(one @ Value::Object(_))) => action(one)?,
            // Vapi's schema makes `do` optional on `call.ending`.
            (Some("call.ending"), None) => {}
            (Some("call.ending"), _) => {
                return Err("a `call.ending` hook's `do` is one action (a mapping)".to_owned());
            }
            _ => return Err("a hook's `on` must be `call.ringing` or `call.ending`".to_owned()),
        }
        Ok(Hook(hook))
    }
}

/// One hook action: `{type: say, exact: TEXT}` or `{type: transfer, destination?}`.
fn action(action: &Value) -> Result<(), String> {
    const FORMS: &str =
        "a hook action is `{type: say, exact: TEXT}` or `{type: transfer, destination: ...}`";
    match action.get("type").and_then(Value::as_str) {
        Some("say") => match action.get("exact") {
            Some(Value::String(text)) if !text.trim().is_empty() => Ok(()),
            _ => Err(format!(
                "a `say` action needs `exact`, the text to say: {FORMS}"
            )),
        },
        Some("transfer") => action.get("destination").map_or(Ok(()), destination),
        _ => Err(FORMS.to_owned()),
    }
}
