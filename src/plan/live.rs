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
    assistant
        .fields
        .get(METADATA)?
        .get(LABEL)?
        .get("key")?
        .as_str()
}

/// The label as a metadata value.
pub fn label_value(key: &str) -> Value {
    serde_json::json!({ "key": key })
}

/// The address key of a number: its E.164 form, else its SIP URI, else its id.
pub fn number_key(number: &PhoneNumber) -> String {
    number
        .number
        .as_deref()
        .and_then(|n| normalize_number(n).ok())
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
        }
    }
}
