//! Why `apply` writes nothing: each gate before the first write, with what it says and the exit
//! code it ends in, in one place.

use std::io::{self, Write};

use crate::exit::Exit;
use crate::plan::Stale;
use crate::render::escape;

/// A gate `apply` did not pass.
pub(super) enum Refusal {
    /// `--expect-digest` names another plan than this one.
    NotReviewed {
        expected: String,
        digest: String,
        /// Whether the plan is a saved one (else planned afresh).
        saved: bool,
    },
    /// `${env.*}` variables the plan's requests need are not set.
    MissingEnv(Vec<String>),
    /// Objects the plan touches changed since it was made.
    Stale(Vec<Stale>),
    /// The plan's requests do not do what it shows (see `plan::faithful`).
    Unfaithful(Vec<Stale>),
    /// The mass-change rule.
    MassChange { changes: usize, limit: usize },
    /// Nobody confirmed (the question said why).
    NotConfirmed,
}

impl Refusal {
    /// The exit code the refusal ends in.
    pub(super) fn exit(&self) -> Exit {
        match self {
            Self::NotReviewed { .. } | Self::Stale(_) => Exit::StalePlan,
            Self::MassChange { .. } => Exit::Refused,
            Self::MissingEnv(_) | Self::Unfaithful(_) | Self::NotConfirmed => Exit::Error,
        }
    }

    /// Says on `err` what stopped apply and what to do.
    pub(super) fn explain(&self, err: &mut dyn Write) -> io::Result<()> {
        match self {
            Self::NotReviewed {
                expected,
                digest,
                saved,
            } => {
                let why = if *saved {
                    "this saved plan is not the one that was reviewed (it is shown above)"
                } else {
                    "the file or the account changed since that plan was made (the plan above is the current one)"
                };
                writeln!(
                    err,
                    "error: the plan is {digest}, not the expected {expected}: {why}; nothing was written"
                )
            }
            Self::MissingEnv(names) => writeln!(
                err,
                "error: the plan needs environment variables that are not set: {}; nothing was written",
                names.join(", ")
            ),
            Self::Stale(changes) => listed(
                err,
                "the saved plan is stale; nothing was written. Changed since it was made:",
                changes,
                "Run `vapiform plan` again and review the new plan.",
            ),
            Self::Unfaithful(changes) => listed(
                err,
                "the plan does not write what it shows, so it was not made by vapiform as it stands; nothing was written:",
                changes,
                "Make a new plan with `vapiform plan --out` and review it.",
            ),
            Self::MassChange { changes, limit } => writeln!(
                err,
                "error: refused by the mass-change rule ({changes} changes move callers, the limit is {limit}); nothing was written"
            ),
            Self::NotConfirmed => Ok(()),
        }
    }
}

/// A refusal naming each change it is about: what, the changes, what to do.
fn listed(err: &mut dyn Write, what: &str, changes: &[Stale], then: &str) -> io::Result<()> {
    writeln!(err, "error: {what}")?;
    for s in changes {
        let line = format!("{}: {}", s.address, s.detail);
        writeln!(err, "  {}", escape::line(&line))?;
    }
    writeln!(err, "{then}")
}
