//! Wire types: Vapi objects as the API returns them. Unknown fields are kept, never dropped.
//!
//! Reading normalises what means "nothing": a routing id that is missing, `null` or empty
//! (`"assistantId": ""`) is read as no route, so such a number is shown and planned as
//! unrouted.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::http::{DecodeError, Text};

/// A phone number as `GET /phone-number` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    /// Vapi's id.
    pub id: String,
    /// `telnyx`, `twilio`, `vonage`, `vapi` or `byo-phone-number`.
    pub provider: String,
    /// The number, normally E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// A free-text label of at most 40 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The assistant inbound calls go to; missing, `null` and `""` mean the same.
    #[serde(default, deserialize_with = "route")]
    pub assistant_id: Option<String>,
    /// The squad inbound calls go to; missing, `null` and `""` mean the same.
    #[serde(
        default,
        deserialize_with = "route",
        skip_serializing_if = "Option::is_none"
    )]
    pub squad_id: Option<String>,
    /// The workflow inbound calls go to; missing, `null` and `""` mean the same.
    #[serde(
        default,
        deserialize_with = "route",
        skip_serializing_if = "Option::is_none"
    )]
    pub workflow_id: Option<String>,
    /// The SIP URI of a `vapi` SIP number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_uri: Option<String>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A routing id: an empty (or blank) string routes nowhere, like `null`.
fn route<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let id = Option::<String>::deserialize(deserializer)?;
    Ok(id.filter(|id| !id.trim().is_empty()))
}

impl PhoneNumber {
    /// The object as JSON, with every field the API returned.
    pub fn to_object(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// An assistant as `GET /assistant` returns it: an open object of a few kilobytes (a system
/// prompt, model, voice, transcriber, server, ...).
///
/// It is kept as the JSON text the API sent, with the fields read on every assistant taken out
/// once (id, times, name, first message, metadata); the rest is parsed only when asked for
/// ([`Assistant::fields`]). So an account of 50,000 assistants costs about its text in memory,
/// not a tree of maps several times that size.
#[derive(Debug, Clone, PartialEq)]
pub struct Assistant {
    /// Vapi's id.
    pub id: String,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    name: Option<String>,
    first_message: Option<String>,
    metadata: Option<Value>,
    json: Text,
}

/// The fields of an assistant read out of every one; anything else is skipped over.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    id: String,
    created_at: String,
    updated_at: String,
    // Any JSON is accepted here: a name that is not a string is shown as no name.
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    first_message: Option<Value>,
    #[serde(default)]
    metadata: Option<Value>,
}

/// The fields that [`Assistant::fields`] leaves out: they have their own.
const OWN_FIELDS: [&str; 3] = ["id", "createdAt", "updatedAt"];

impl Assistant {
    /// An assistant with `fields` (every field but the three given), as the API would return it.
    pub fn new(id: &str, created_at: &str, updated_at: &str, fields: &Map<String, Value>) -> Self {
        let mut object = Map::new();
        object.insert("id".to_owned(), Value::from(id));
        object.insert("createdAt".to_owned(), Value::from(created_at));
        object.insert("updatedAt".to_owned(), Value::from(updated_at));
        for (key, value) in fields {
            if !OWN_FIELDS.contains(&key.as_str()) {
                object.insert(key.clone(), value.clone());
            }
        }
        let json = Value::Object(object).to_string();
        let raw = RawValue::from_string(json).expect("a serialised object is JSON");
        Self::read(&raw).expect("an object with string id and times reads as an assistant")
    }

    /// Reads an assistant from the JSON of one object; the error names the field that is
    /// wrong.
    pub(crate) fn read(raw: &RawValue) -> Result<Self, DecodeError> {
        Self::read_in(raw, &Text::from(raw.get()))
    }

    /// [`Assistant::read`] for one object of `page`, keeping its text in the page's buffer.
    fn read_in(raw: &RawValue, page: &Text) -> Result<Self, DecodeError> {
        if !raw.get().starts_with('{') {
            // A list would deserialise into `Head` element by element.
            let error = <serde_json::Error as serde::de::Error>::invalid_type(
                serde::de::Unexpected::Other("a value that is not an object"),
                &"an assistant object",
            );
            return Err(DecodeError::new(
                serde_path_to_error::Track::new().path(),
                error,
            ));
        }
        let head: Head = crate::http::parse(raw)?;
        let text = |value: Option<Value>| match value {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        Ok(Self {
            id: head.id,
            created_at: head.created_at,
            updated_at: head.updated_at,
            name: text(head.name),
            first_message: text(head.first_message),
            metadata: head.metadata,
            json: page.part(raw.get()),
        })
    }

    /// The `name`, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The `firstMessage`, if it is a string.
    pub fn first_message(&self) -> Option<&str> {
        self.first_message.as_deref()
    }

    /// The `metadata`, as returned.
    pub fn metadata(&self) -> Option<&Value> {
        self.metadata.as_ref()
    }

    /// The object as the API returned it, JSON text.
    pub fn json(&self) -> &str {
        self.json.as_str()
    }

    /// Every field but `id`, `createdAt` and `updatedAt` (`name`, `model`, `metadata`, ...),
    /// parsed now.
    pub fn fields(&self) -> Map<String, Value> {
        fields_of(self.json())
    }

    /// The JSON text, for a holder that keeps it.
    pub(crate) fn into_json(self) -> Text {
        self.json
    }

    /// Assistants as one JSON text, the list of their objects as the API returned them,
    /// which [`Assistant::read_list`] reads back.
    pub(crate) fn list_text(assistants: &[Assistant]) -> String {
        let length = assistants.iter().map(|a| a.json().len() + 1).sum::<usize>() + 2;
        let mut text = String::with_capacity(length);
        text.push('[');
        for (index, assistant) in assistants.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            text.push_str(assistant.json());
        }
        text.push(']');
        text
    }

    /// The assistants of a JSON list of their objects, each text kept in `list`'s buffer.
    pub(crate) fn read_list(list: &Text) -> Result<Vec<Assistant>, String> {
        page_items(list.as_str())?
            .into_iter()
            .map(|item| Assistant::read_in(item, list).map_err(|e| e.to_string()))
            .collect()
    }
}

/// Every field of an assistant's JSON text but `id`, `createdAt` and `updatedAt`.
pub(crate) fn fields_of(json: &str) -> Map<String, Value> {
    // The text was read as an object, so it parses as one.
    let mut fields: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
    for own in OWN_FIELDS {
        fields.remove(own);
    }
    fields
}

/// A squad or a workflow as `GET /squad` or `GET /workflow` returns it: something a number
/// routes to (`squadId`, `workflowId`) that vapiform shows by name but never edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTarget {
    /// Vapi's id.
    pub id: String,
    /// Its name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    /// Every other field (`members`, `nodes`, ...), as returned.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// What the list pager needs of an object.
pub(crate) trait Listed: Sized {
    fn id(&self) -> &str;
    fn created_at(&self) -> &str;
    /// Reads one object of `page`; the error names the field that is wrong.
    fn read(raw: &RawValue, page: &Text) -> Result<Self, DecodeError>;
}

impl Listed for PhoneNumber {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
    fn read(raw: &RawValue, _: &Text) -> Result<Self, DecodeError> {
        crate::http::parse(raw)
    }
}

impl Listed for RouteTarget {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
    fn read(raw: &RawValue, _: &Text) -> Result<Self, DecodeError> {
        crate::http::parse(raw)
    }
}

impl Listed for Assistant {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
    fn read(raw: &RawValue, page: &Text) -> Result<Self, DecodeError> {
        Assistant::read_in(raw, page)
    }
}

/// The objects of a list response, each as its JSON text: the documented plain array, or the
/// `{results: [...]}` wrapper that some Vapi versions return. The error says what is wrong.
pub(crate) fn page_items(page: &str) -> Result<Vec<&RawValue>, String> {
    #[derive(Deserialize)]
    struct Wrapper<'a> {
        #[serde(borrow)]
        results: Option<Vec<&'a RawValue>>,
    }
    let expected = || "expected a list of objects".to_owned();
    match page.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str(page).map_err(|e| e.to_string()),
        Some(b'{') => serde_json::from_str::<Wrapper>(page)
            .map_err(|e| e.to_string())?
            .results
            .ok_or_else(expected),
        _ => Err(expected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_null_and_empty_routes_mean_the_same() {
        let base = r#""id":"n1","provider":"telnyx","createdAt":"t","updatedAt":"t""#;
        for routes in [
            "",
            r#","assistantId":null"#,
            r#","assistantId":"","squadId":" ","workflowId":"""#,
        ] {
            let number: PhoneNumber = serde_json::from_str(&format!("{{{base}{routes}}}")).unwrap();
            assert_eq!(
                (number.assistant_id, number.squad_id, number.workflow_id),
                (None, None, None),
                "{routes}"
            );
        }
    }

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn unknown_fields_are_kept() {
        let a = Assistant::read(&raw(
            r#"{"id":"a","createdAt":"t","updatedAt":"t","name":"x","silenceTimeoutSeconds":30,"metadata":{"k":1}}"#,
        ))
        .unwrap();
        let fields = a.fields();
        assert_eq!(fields["silenceTimeoutSeconds"], 30);
        assert!(!fields.contains_key("id") && !fields.contains_key("createdAt"));
        assert_eq!((a.name(), a.first_message()), (Some("x"), None));
        assert_eq!(a.metadata(), Some(&serde_json::json!({"k": 1})));
        assert_eq!(
            Assistant::new("a", "t", "t", &fields).fields(),
            fields,
            "built from its fields, an assistant has them"
        );
    }

    #[test]
    fn an_assistant_is_an_object_with_string_id_and_times_and_any_name() {
        let error = Assistant::read(&raw(r#"["a","t","t"]"#)).unwrap_err();
        assert!(
            error.to_string().contains("expected an assistant object"),
            "{error}"
        );
        let error =
            Assistant::read(&raw(r#"{"id":5,"createdAt":"t","updatedAt":"t"}"#)).unwrap_err();
        assert_eq!(error.path().to_string(), "id");
        let odd = Assistant::read(&raw(
            r#"{"id":"a","createdAt":"t","updatedAt":"t","name":{"x":1},"firstMessage":7}"#,
        ))
        .unwrap();
        assert_eq!((odd.name(), odd.first_message()), (None, None));
    }

    #[test]
    fn pages_are_lists_or_wrapped_lists() {
        let texts = |page: &str| {
            page_items(page)
                .map(|items| items.iter().map(|i| i.get().to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(
            texts(r#"[1, {"a": 2}]"#),
            Ok(vec!["1".to_owned(), r#"{"a": 2}"#.to_owned()])
        );
        assert_eq!(
            texts(r#"{"results": [1], "metadata": {}}"#),
            Ok(vec!["1".to_owned()])
        );
        assert_eq!(
            texts(r#"{"data": []}"#),
            Err("expected a list of objects".to_owned())
        );
        assert_eq!(texts("7"), Err("expected a list of objects".to_owned()));
        assert!(texts("[1,").is_err());
    }
}
