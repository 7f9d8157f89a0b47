//! Telnyx objects as the API returns them. Unknown fields are kept, never dropped.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A phone number as `GET /v2/phone_numbers` returns it (`PhoneNumberDetailed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// Telnyx's id, a numeric-looking string.
    pub id: String,
    /// The number in +E.164.
    pub phone_number: String,
    /// Where the number is in its life at the carrier.
    pub status: Status,
    /// The account's own tags; missing and `null` read as none.
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
    /// The voice connection calls to the number go to.
    #[serde(default)]
    pub connection_id: Option<String>,
    /// That connection's name.
    #[serde(default)]
    pub connection_name: Option<String>,
    /// The account's own reference for the number.
    #[serde(default)]
    pub customer_reference: Option<String>,
    /// `local`, `toll_free`, `mobile`, ...
    #[serde(default)]
    pub phone_number_type: Option<String>,
    /// Every other field (`record_type`, `purchased_at`, ...), as returned.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn tags<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A number's status at Telnyx. Telnyx spells the same status `purchase-pending` in objects
/// and `purchase_pending` in filters, so statuses are read case- and separator-insensitively
/// and always written in the hyphenated lower-case spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// In service: calls arrive.
    Active,
    /// Bought, not yet in service.
    PurchasePending,
    /// The purchase failed.
    PurchaseFailed,
    /// Being ported in.
    PortPending,
    /// The port in failed.
    PortFailed,
    /// Released.
    Deleted,
    /// Only emergency calls.
    EmergencyOnly,
    /// Ported away to another carrier.
    PortedOut,
    /// Being ported away.
    PortOutPending,
    /// Waiting for regulatory information.
    RequirementInfoPending,
    /// Regulatory information under review.
    RequirementInfoUnderReview,
    /// Regulatory information refused.
    RequirementInfoException,
    /// Being provisioned.
    ProvisionPending,
    /// A status this version does not know, in the normal spelling.
    Other(String),
}

impl Status {
    /// Reads a status in any case, with `-`, `_` or spaces between its words.
    pub fn parse(text: &str) -> Self {
        let normal: String = text
            .trim()
            .chars()
            .map(|c| {
                if c == '_' || c.is_whitespace() {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        match normal.as_str() {
            "active" => Self::Active,
            "purchase-pending" => Self::PurchasePending,
            "purchase-failed" => Self::PurchaseFailed,
            "port-pending" => Self::PortPending,
            "port-failed" => Self::PortFailed,
            "deleted" => Self::Deleted,
            "emergency-only" => Self::EmergencyOnly,
            "ported-out" => Self::PortedOut,
            "port-out-pending" => Self::PortOutPending,
            "requirement-info-pending" => Self::RequirementInfoPending,
            "requirement-info-under-review" => Self::RequirementInfoUnderReview,
            "requirement-info-exception" => Self::RequirementInfoException,
            "provision-pending" => Self::ProvisionPending,
            _ => Self::Other(normal),
        }
    }

    /// The hyphenated lower-case spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::PurchasePending => "purchase-pending",
            Self::PurchaseFailed => "purchase-failed",
            Self::PortPending => "port-pending",
            Self::PortFailed => "port-failed",
            Self::Deleted => "deleted",
            Self::EmergencyOnly => "emergency-only",
            Self::PortedOut => "ported-out",
            Self::PortOutPending => "port-out-pending",
            Self::RequirementInfoPending => "requirement-info-pending",
            Self::RequirementInfoUnderReview => "requirement-info-under-review",
            Self::RequirementInfoException => "requirement-info-exception",
            Self::ProvisionPending => "provision-pending",
            Self::Other(text) => text,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_compare_across_case_and_separators() {
        assert_eq!(Status::parse("purchase_pending"), Status::PurchasePending);
        assert_eq!(Status::parse("Purchase-Pending"), Status::PurchasePending);
        assert_eq!(Status::parse(" ACTIVE "), Status::Active);
        assert_eq!(
            Status::parse("Requirement Info Under_Review"),
            Status::RequirementInfoUnderReview
        );
        assert_eq!(Status::parse("Brand_New"), Status::parse("brand-new"));
        assert_eq!(Status::parse("Brand_New").to_string(), "brand-new");
        assert_ne!(
            Status::parse("port-pending"),
            Status::parse("port-out-pending")
        );
    }

    #[test]
    fn a_number_keeps_unknown_fields_and_reads_null_tags_as_none() {
        let number: PhoneNumber = serde_json::from_str(
            r#"{"id":"1293384261075731499","record_type":"phone_number","phone_number":"+14155550120",
                "status":"port_pending","tags":null,"connection_id":null,"deletion_lock_enabled":false}"#,
        )
        .unwrap();
        assert_eq!(number.status, Status::PortPending);
        assert!(number.tags.is_empty());
        assert_eq!(number.other["record_type"], "phone_number");
        assert_eq!(number.other["deletion_lock_enabled"], false);
        let written = serde_json::to_value(&number).unwrap();
        assert_eq!(written["status"], "port-pending");
        assert_eq!(written["record_type"], "phone_number");
    }
}
