//! Problems found while planning: the file and the account disagree in a way no change can
//! fix. Each is data with a location, so the command can point at the line to edit, and none
//! is ever dropped: planning returns all of them or a plan.

use serde::Serialize;

use super::model::Address;

/// One planning problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Problem {
    /// Where in the desired-state file to fix it, as a validation path
    /// (`businesses.acme.assistant`); absent when only the account is involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A second place in the file involved, when two claims conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also: Option<String>,
    /// The business it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    /// The object in the account (or to be created) it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// What is wrong, lowercase.
    pub message: String,
}

impl Problem {
    /// A problem about the account alone.
    pub(crate) fn account(address: Address, message: impl Into<String>) -> Self {
        Self {
            path: None,
            also: None,
            business: None,
            address: Some(address),
            message: message.into(),
        }
    }

    /// A problem to fix at `path` in the file.
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: Some(path.into()),
            also: None,
            business: None,
            address: None,
            message: message.into(),
        }
    }

    /// The same problem, about this business.
    pub(crate) fn business(mut self, key: &str) -> Self {
        self.business = Some(key.to_owned());
        self
    }

    /// The same problem, about this object.
    pub(crate) fn address(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }

    /// The problem in one line: the object it concerns (else its place in the file), then
    /// what is wrong.
    pub(crate) fn describe(&self) -> String {
        match (&self.address, &self.path) {
            (Some(address), _) => format!("{address}: {}", self.message),
            (None, Some(path)) => format!("{path}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }

    /// The same problem, also involving `path`.
    pub(crate) fn also(mut self, path: impl Into<String>) -> Self {
        self.also = Some(path.into());
        self
    }
}

/// Every problem that stopped planning; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot plan: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
pub(crate) struct Problems(pub Vec<Problem>);
