//! What apply did: one outcome per change, plus totals. Renderers present it.

use serde::{Deserialize, Serialize};

use crate::plan::{Action, Address, Change};

/// The version of the JSON apply report.
pub(super) const FORMAT_VERSION: u32 = 1;

/// The result of applying a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Report {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// One per change, in plan order.
    pub outcomes: Vec<Outcome>,
    /// Counts per status.
    pub totals: Totals,
}

impl Report {
    /// Builds the report and its totals.
    pub(crate) fn new(outcomes: Vec<Outcome>) -> Self {
        let mut totals = Totals::default();
        for outcome in &outcomes {
            match outcome.status {
                Status::Applied => totals.applied += 1,
                Status::AlreadyApplied => totals.already_applied += 1,
                Status::Failed => totals.failed += 1,
                Status::Unverified => totals.unverified += 1,
                Status::Skipped => totals.skipped += 1,
                Status::NotAttempted => totals.not_attempted += 1,
            }
        }
        Self {
            format_version: FORMAT_VERSION,
            outcomes,
            totals,
        }
    }

    /// Whether every change was applied and verified, or already in effect.
    pub(crate) fn converged(&self) -> bool {
        self.outcomes.iter().all(|o| o.status.converged())
    }
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outcome {
    /// The object.
    pub address: Address,
    /// What was done.
    pub action: Action,
    /// How it ended.
    pub status: Status,
    /// The id of the object written, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why it failed, what differs, or why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Outcome {
    /// How `change` ended.
    pub(crate) fn of(
        change: &Change,
        status: Status,
        id: Option<String>,
        detail: Option<String>,
    ) -> Self {
        Self {
            address: change.address().clone(),
            action: change.action(),
            status,
            id,
            detail,
        }
    }
}

/// The end state of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Written and read back equal.
    Applied,
    /// Not sent: the object already held the change's end state (a re-run of a saved plan).
    AlreadyApplied,
    /// The write failed.
    Failed,
    /// Written, but reading it back did not show the desired value in time.
    Unverified,
    /// Not sent because a change it depends on did not apply.
    Skipped,
    /// Not sent because apply stopped first.
    NotAttempted,
}

impl Status {
    /// The word for the status, as in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::AlreadyApplied => "already_applied",
            Self::Failed => "failed",
            Self::Unverified => "unverified",
            Self::Skipped => "skipped",
            Self::NotAttempted => "not_attempted",
        }
    }
}

impl Status {
    /// Whether the change is in effect: applied and verified, or already applied.
    pub(crate) fn converged(self) -> bool {
        matches!(self, Self::Applied | Self::AlreadyApplied)
    }
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Totals {
    /// Applied and verified.
    pub applied: usize,
    /// Already in effect, not sent.
    pub already_applied: usize,
    /// Failed.
    pub failed: usize,
    /// Unverified.
    pub unverified: usize,
    /// Skipped.
    pub skipped: usize,
    /// Not attempted.
    pub not_attempted: usize,
}
