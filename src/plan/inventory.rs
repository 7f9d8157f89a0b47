//! The number inventory across the carrier and Vapi: every number either side has, or a
//! business lists, with where it stands. It answers the signup question "which number can a
//! new business take?", and gives the plan its carrier report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::live::{Index, Live};
use super::model::Endpoint;
use super::natural;
use super::numbers::Names;
use crate::desired::Desired;

/// The version of the JSON inventory `vapiform numbers --format json` prints.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The Vapi provider whose numbers the carrier vapiform reads must own: a natively imported
/// Telnyx number. A `byo-phone-number` may come over any SIP trunk, so its absence from the
/// carrier's list says nothing.
const CARRIER_PROVIDER: &str = "telnyx";

/// Where a number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// A business lists it.
    Assigned,
    /// In Vapi, no business lists it, and nothing answers it (at most the say hook of
    /// `unassigned: {say}` speaks).
    Unassigned,
    /// In Vapi, no business lists it, and its calls still reach something: an assistant, a
    /// squad, a workflow, a webhook, a fallback destination or a transfer hook. Never free.
    Answered,
    /// At the carrier only: not in Vapi under any provider, and no business lists it.
    Pool,
    /// In Vapi as a Telnyx number, but the carrier no longer owns it: calls cannot arrive.
    Orphan,
    /// In Vapi, no business lists it, and the carrier owns it without the file's tag: not in
    /// the pool vapiform hands out.
    Untagged,
    /// Named in `ignore`: never planned.
    Ignored,
}

impl State {
    /// The word for the state, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::Answered => "answered",
            Self::Pool => "pool",
            Self::Orphan => "orphan",
            Self::Untagged => "untagged",
            Self::Ignored => "ignored",
        }
    }
}

/// One number of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Row {
    /// The number (E.164, or a SIP URI for a number that has none).
    pub number: String,
    /// Where it stands.
    pub state: State,
    /// The carrier's side, when the file declares a carrier and it lists the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<CarrierSide>,
    /// Vapi's side, when Vapi has the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vapi: Option<VapiSide>,
    /// Where calls to it go now.
    pub routed_to: Endpoint,
    /// The business that lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
}

impl Row {
    /// Whether a new business can take the number: in Vapi and answered by nothing, or in
    /// the carrier's pool, and active at the carrier when one is declared.
    pub(crate) fn is_free(&self, carrier_declared: bool) -> bool {
        matches!(self.state, State::Unassigned | State::Pool)
            && (!carrier_declared || self.carrier.as_ref().is_some_and(|c| c.active))
    }
}

/// A number at the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CarrierSide {
    /// The carrier's id.
    pub id: String,
    /// Its status there (`active`, `port-pending`, ...).
    pub status: String,
    /// Whether it is in service.
    pub active: bool,
    /// Whether it carries the file's `carrier.tag` (always, when the file names none).
    pub tagged: bool,
}

/// A number in Vapi.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VapiSide {
    /// Vapi's id.
    pub id: String,
    /// The provider it was imported from.
    pub provider: String,
}

/// Every number across the carrier (when the file declares one), Vapi and the file, sorted
/// naturally by number.
pub(crate) fn inventory(desired: &Desired, live: &Live) -> Vec<Row> {
    let index = Index::new(live);
    let ids = BTreeMap::new();
    let names = Names::new(desired, &index, live, &ids);
    let listed = desired.owners();
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for number in &live.numbers {
        let carrier = index
            .carrier
            .as_ref()
            .and_then(|carrier| carrier.get(number.key.as_str()));
        rows.insert(
            &number.key,
            Row {
                number: number.key.to_string(),
                state: State::Unassigned,
                carrier: carrier.map(|c| CarrierSide {
                    id: c.id.clone(),
                    status: c.status.clone(),
                    active: c.active,
                    tagged: c.tagged,
                }),
                vapi: Some(VapiSide {
                    id: number.id.to_string(),
                    provider: number.provider.clone(),
                }),
                routed_to: names.current(number),
                business: None,
            },
        );
    }
    for at_carrier in live.carrier.iter().flatten().filter(|n| n.tagged) {
        rows.entry(&at_carrier.number).or_insert_with(|| Row {
            number: at_carrier.number.clone(),
            state: State::Pool,
            carrier: Some(CarrierSide {
                id: at_carrier.id.clone(),
                status: at_carrier.status.clone(),
                active: at_carrier.active,
                tagged: true,
            }),
            vapi: None,
            routed_to: Endpoint::Nothing,
            business: None,
        });
    }
    for (number, business) in &listed {
        rows.entry(number).or_insert_with(|| Row {
            number: (*number).to_owned(),
            state: State::Assigned,
            carrier: None,
            vapi: None,
            routed_to: Endpoint::Nothing,
            business: None,
        });
        if let Some(row) = rows.get_mut(number) {
            row.business = Some(business.key.to_string());
        }
    }
    let carrier_declared = live.carrier.is_some();
    let mut rows: Vec<Row> = rows
        .into_values()
        .map(|mut row| {
            row.state = if desired.ignore.contains(row.number.as_str()) {
                State::Ignored
            } else if carrier_declared
                && row.carrier.is_none()
                && row
                    .vapi
                    .as_ref()
                    .is_some_and(|v| v.provider == CARRIER_PROVIDER)
            {
                State::Orphan
            } else if row.business.is_some() {
                State::Assigned
            } else if row.vapi.is_none() {
                State::Pool
            } else if row.carrier.as_ref().is_some_and(|c| !c.tagged) {
                State::Untagged
            } else if row.routed_to.answers() {
                State::Answered
            } else {
                State::Unassigned
            };
            row
        })
        .collect();
    rows.sort_by(|a, b| natural::cmp(&a.number, &b.number));
    rows
}
