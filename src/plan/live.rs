//! The live account as the planner reads it: every number and assistant, indexed.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::desired::normalize_number;
use crate::vapi::{Assistant, PhoneNumber};

/// The assistant field that carries vapiform's label.
pub const METADATA: &str = "metadata";
/// The metadata key of the label: `metadata.vapiform = {"key": "<key>"}`.
pub const LABEL: &str = "vapiform";

/// Everything the list calls returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// Every phone number.
    pub numbers: Vec<PhoneNumber>,
    /// Every assistant.
    pub assistants: Vec<Assistant>,
}

/// The label key an assistant carries, if any.
pub fn label(assistant: &Assistant) -> Option<&str> {
    label_of(&assistant.fields)
}

/// The label key in an assistant's fields, if any.
pub fn label_of(fields: &serde_json::Map<String, Value>) -> Option<&str> {
    fields.get(METADATA)?.get(LABEL)?.get("key")?.as_str()
}

/// The label as a metadata value.
pub fn label_value(key: &str) -> Value {
    serde_json::json!({ "key": key })
}

/// The address key of a number: its E.164 form, else its SIP URI, else its id. A number
/// stored without its `+` (as some carriers' imports leave it) is read as E.164 digits.
pub fn number_key(number: &PhoneNumber) -> String {
    number
        .number
        .as_deref()
        .and_then(|n| {
            normalize_number(n)
                .or_else(|_| normalize_number(&format!("+{n}")))
                .ok()
        })
        .or_else(|| number.sip_uri.clone())
        .unwrap_or_else(|| number.id.clone())
}

/// Whether calls to the number go anywhere.
pub fn is_routed(number: &PhoneNumber) -> bool {
    number.assistant_id.is_some() || number.squad_id.is_some() || number.workflow_id.is_some()
}

/// Lookups over [`Live`].
pub(crate) struct Index<'a> {
    pub by_id: HashMap<&'a str, &'a Assistant>,
    pub by_label: BTreeMap<&'a str, Vec<&'a Assistant>>,
    pub numbers: BTreeMap<String, Vec<&'a PhoneNumber>>,
    pub number_by_id: HashMap<&'a str, &'a PhoneNumber>,
    /// How many numbers route to each assistant id.
    pub routes: HashMap<&'a str, usize>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(live: &'a Live) -> Self {
        let mut by_label: BTreeMap<&str, Vec<&Assistant>> = BTreeMap::new();
        for assistant in &live.assistants {
            if let Some(key) = label(assistant) {
                by_label.entry(key).or_default().push(assistant);
            }
        }
        let mut numbers: BTreeMap<String, Vec<&PhoneNumber>> = BTreeMap::new();
        for number in &live.numbers {
            numbers.entry(number_key(number)).or_default().push(number);
        }
        Self {
            by_id: live.assistants.iter().map(|a| (a.id.as_str(), a)).collect(),
            by_label,
            numbers,
            number_by_id: live.numbers.iter().map(|n| (n.id.as_str(), n)).collect(),
            routes: live.numbers.iter().fold(HashMap::new(), |mut routes, n| {
                if let Some(id) = n.assistant_id.as_deref() {
                    *routes.entry(id).or_default() += 1;
                }
                routes
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: Option<&str>, sip: Option<&str>) -> PhoneNumber {
        PhoneNumber {
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
            number_key(&number(None, Some("sip:desk@example.sip.vapi.ai"))),
            "sip:desk@example.sip.vapi.ai"
        );
        assert_eq!(number_key(&number(Some("desk"), None)), "id-1");
    }
}
