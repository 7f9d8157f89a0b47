//! Wire types: Vapi objects as the API returns them. Unknown fields are kept, never dropped.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    /// The assistant inbound calls go to; missing and `null` mean the same.
    #[serde(default)]
    pub assistant_id: Option<String>,
    /// The squad inbound calls go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub squad_id: Option<String>,
    /// The workflow inbound calls go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

impl PhoneNumber {
    /// The object as JSON, with every field the API returned.
    pub fn to_object(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// An assistant as `GET /assistant` returns it: an open object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assistant {
    /// Vapi's id.
    pub id: String,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last write.
    pub updated_at: String,
    /// Every other field (`name`, `model`, `metadata`, ...), as returned.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Assistant {
    /// The `name`, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.fields.get("name").and_then(Value::as_str)
    }
}

/// What the list pager needs of an object.
pub(crate) trait Listed {
    fn id(&self) -> &str;
    fn created_at(&self) -> &str;
}

impl Listed for PhoneNumber {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
}

impl Listed for Assistant {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
}

/// A list response: the documented plain array, or the `{results: [...]}` wrapper that some
/// Vapi versions return.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Page<T> {
    Plain(Vec<T>),
    Wrapped { results: Vec<T> },
}

impl<T> Page<T> {
    pub(crate) fn into_items(self) -> Vec<T> {
        match self {
            Self::Plain(items) | Self::Wrapped { results: items } => items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_null_assistant_id_mean_the_same() {
        let base = r#""id":"n1","provider":"telnyx","createdAt":"t","updatedAt":"t""#;
        let missing: PhoneNumber = serde_json::from_str(&format!("{{{base}}}")).unwrap();
        let null: PhoneNumber =
            serde_json::from_str(&format!("{{{base},\"assistantId\":null}}")).unwrap();
        assert_eq!(missing.assistant_id, None);
        assert_eq!(null.assistant_id, None);
    }

    #[test]
    fn unknown_fields_are_kept() {
        let a: Assistant = serde_json::from_str(
            r#"{"id":"a","createdAt":"t","updatedAt":"t","name":"x","silenceTimeoutSeconds":30}"#,
        )
        .unwrap();
        assert_eq!(a.fields["silenceTimeoutSeconds"], 30);
        let page: Page<Assistant> = serde_json::from_str(r#"{"results":[]}"#).unwrap();
        assert!(page.into_items().is_empty());
    }
}
