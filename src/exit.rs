//! The exit-code table shared by every command: the only place codes live.

use std::process::ExitCode;

/// What a command run amounted to, as the process exit status reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Valid; no changes; or everything applied and verified.
    Success,
    /// Bad input, missing key, authentication, network, or an API error before any write.
    Error,
    /// `plan --detailed-exitcode`: changes are pending.
    ChangesPending,
    /// `apply` ran but did not converge: a change failed or could not be verified.
    NotConverged,
    /// The saved plan is stale: something it touches changed since it was made.
    StalePlan,
    /// A safety rule refused the plan; nothing was written.
    Refused,
    /// `check`: a number does not answer as its business.
    NotAnswering,
    /// Interrupted (SIGINT, SIGTERM): changes in flight finished and were read back, the rest
    /// were not started; the report says which.
    Interrupted,
}

impl Exit {
    /// The numeric status for this outcome.
    pub const fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Error => 1,
            Self::ChangesPending => 2,
            Self::NotConverged => 3,
            Self::StalePlan => 4,
            Self::Refused => 5,
            Self::NotAnswering => 6,
            Self::Interrupted => 130,
        }
    }
}

impl Exit {
    /// What the status means, in the words the README's table uses.
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => {
                "error: bad input, missing key, authentication, network or API error; nothing was written"
            }
            Self::ChangesPending => "changes are pending",
            Self::NotConverged => {
                "apply did not converge: a change failed or could not be verified"
            }
            Self::StalePlan => {
                "the saved plan is stale: something it touches changed since it was made; nothing was written"
            }
            Self::Refused => "a safety rule refused the plan; nothing was written",
            Self::NotAnswering => "a number does not answer as its business",
            Self::Interrupted => "interrupted: run plan again",
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
