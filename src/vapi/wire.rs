//! Wire types: Vapi objects as the API returns them. Unknown fields are kept, never dropped.
//!
//! Reading normalises what means "nothing": a routing id that is missing, `null` or empty
//! (`"assistantId": ""`) is read as no route, so such a number is shown and planned as
//! unrouted.

use serde::{Deserialize, Deserializer, Serialize};
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

impl Listed for RouteTarget {
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

/// The objects of a list response: the documented plain array, or the `{results: [...]}`
/// wrapper that some Vapi versions return; `None` for anything else.
pub(crate) fn page_items(page: Value) -> Option<Vec<Value>> {
    match page {
        Value::Array(items) => Some(items),
        Value::Object(mut wrapper) => match wrapper.remove("results") {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
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

    #[test]
    fn unknown_fields_are_kept() {
        let a: Assistant = serde_json::from_str(
            r#"{"id":"a","createdAt":"t","updatedAt":"t","name":"x","silenceTimeoutSeconds":30}"#,
        )
        .unwrap();
        assert_eq!(a.fields["silenceTimeoutSeconds"], 30);
        assert_eq!(
            page_items(serde_json::json!({"results": [1]})),
            Some(vec![serde_json::json!(1)])
        );
        assert_eq!(page_items(serde_json::json!({"data": []})), None);
    }
}
