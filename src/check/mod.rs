//! The test call (`vapiform check`): for each number, what answers it now (the same model of
//! where calls go that `plan` uses), asked as a caller would ask, and the answer judged against
//! the business the file says owns the number. It catches what reading a write back cannot: a
//! template whose prompt names another business, a greeting left saying "Thanks for calling .",
//! a squad whose first member greets as someone else.
//!
//! [`subjects`] says what to ask of each number and what to expect; [`run`] holds the
//! conversations through Vapi's Chat API within a budget; [`judge`] decides each answer.

mod judge;
mod run;

use serde::Serialize;

pub(crate) use judge::{Status, normalized};
pub(crate) use run::{Budget, Report, run};

use crate::desired::{Business, Desired, Unassigned};
use crate::plan::Endpoint;
use crate::plan::live::Live;
use crate::vapi::Answerer;

/// What a caller says first, unless a business's `check.ask` says otherwise.
pub(crate) const DEFAULT_ASK: &str = "Hello, who am I speaking with?";

/// One number to check: what answers it now, and what the file expects of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Subject {
    /// The number.
    pub number: String,
    /// The key of the business that lists it.
    pub business: Option<String>,
    /// What answers it now.
    pub test: Test,
    /// What the answer must be.
    pub expect: Expectation,
}

/// How a number is tested, from where its calls go now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// A conversation with an assistant or squad, after the text a say hook speaks first.
    Chat {
        /// What answers.
        answerer: Answerer,
        /// What a `call.ringing` say hook speaks before it.
        said: Option<String>,
    },
    /// A say hook alone speaks to callers: its text is the answer.
    Said(String),
    /// Nothing answers: the call is hung up.
    Unrouted,
    /// What answers cannot be held to a text conversation, and why.
    Uncheckable(String),
}

/// What an answer must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Expectation {
    /// What the caller asks.
    pub ask: String,
    /// Phrases the answer must say, every one.
    pub expect: Vec<String>,
    /// Phrases the answer must not say.
    pub reject: Vec<String>,
    /// Whether the number must ring nobody (`unassigned: unlink`).
    pub unrouted: bool,
}

/// The subjects of `numbers` (keys as the live account has them), in that order: numbers the
/// account does not have are skipped, and so are ignored ones.
pub(crate) fn subjects(desired: &Desired, live: &Live, numbers: &[String]) -> Vec<Subject> {
    let owners = desired.owners();
    let by_key: std::collections::HashMap<&str, &crate::plan::live::Number> =
        live.numbers.iter().map(|n| (n.key.as_str(), n)).collect();
    numbers
        .iter()
        .filter(|number| !desired.ignore.contains(number.as_str()))
        .filter_map(|number| {
            let live = by_key.get(number.as_str())?;
            let owner = owners.get(number.as_str()).copied();
            let (test, expect) = match owner {
                Some(business) => (test(live), expectation(business, desired)),
                None => unowned(live, desired),
            };
            Some(Subject {
                number: number.clone(),
                business: owner.map(|b| b.key.to_string()),
                test,
                expect,
            })
        })
        .collect()
}

/// What a business's numbers must answer: its `check`, else its name and no other business's.
fn expectation(business: &Business, desired: &Desired) -> Expectation {
    let check = business.check();
    let others = || {
        desired
            .businesses
            .values()
            .filter(|other| other.key != business.key)
            .map(|other| other.name.clone())
            .filter(|name| {
                !check
                    .mentions
                    .iter()
                    .any(|m| normalized(m) == normalized(name))
            })
            .collect()
    };
    Expectation {
        ask: check.ask.clone().unwrap_or_else(|| DEFAULT_ASK.to_owned()),
        expect: check
            .expect
            .clone()
            .unwrap_or_else(|| vec![business.name.clone()]),
        reject: check.reject.clone().unwrap_or_else(others),
        unrouted: false,
    }
}

/// A number no business lists, under the file's `unassigned` policy: a shared assistant or a
/// spoken text must name no business; `unlink` must leave it ringing nobody; `leave` is not
/// the file's to judge.
fn unowned(live: &crate::plan::live::Number, desired: &Desired) -> (Test, Expectation) {
    let names: Vec<String> = desired
        .businesses
        .values()
        .map(|b| b.name.clone())
        .collect();
    let expect = |expect: Vec<String>, unrouted: bool| Expectation {
        ask: DEFAULT_ASK.to_owned(),
        expect,
        reject: names.clone(),
        unrouted,
    };
    match &desired.unassigned {
        Unassigned::Leave => (
            Test::Uncheckable(
                "no business lists it, and `unassigned: leave` leaves it as it is".to_owned(),
            ),
            expect(Vec::new(), false),
        ),
        Unassigned::Unlink => (test(live), expect(Vec::new(), true)),
        Unassigned::Say(text) => (test(live), expect(vec![text.clone()], false)),
        Unassigned::Assistant(_) => (test(live), expect(Vec::new(), false)),
    }
}

/// How to test a number, from where its calls go now.
fn test(live: &crate::plan::live::Number) -> Test {
    from_endpoint(&crate::plan::route::unnamed(&live.fields()))
}

fn from_endpoint(endpoint: &Endpoint) -> Test {
    match endpoint {
        Endpoint::Assistant { id: Some(id), .. } => Test::Chat {
            answerer: Answerer::Assistant(id.to_string()),
            said: None,
        },
        Endpoint::Squad { id, .. } => Test::Chat {
            answerer: Answerer::Squad(id.to_string()),
            said: None,
        },
        Endpoint::Say { text, then: None } => Test::Said(text.clone()),
        Endpoint::Say {
            text,
            then: Some(then),
        } => match from_endpoint(then) {
            Test::Chat { answerer, .. } => Test::Chat {
                answerer,
                said: Some(text.clone()),
            },
            other => other,
        },
        Endpoint::Nothing => Test::Unrouted,
        Endpoint::Webhook { url } => Test::Uncheckable(format!(
            "answered by the assistant-request webhook at {url}: your server picks the assistant for each call"
        )),
        Endpoint::Fallback { .. } => Test::Uncheckable(
            "no assistant answers: calls go to its fallback destination".to_owned(),
        ),
        Endpoint::Transfer { .. } => Test::Uncheckable(
            "a call.ringing hook transfers every call before an assistant answers".to_owned(),
        ),
        Endpoint::Screened { .. } => Test::Uncheckable(
            "a call.ringing hook treats callers differently by their number".to_owned(),
        ),
        Endpoint::Workflow { id } => Test::Uncheckable(format!(
            "it holds the retired workflow {id}, which answers no calls"
        )),
        Endpoint::Assistant { id: None, .. } => {
            Test::Uncheckable("its assistant does not exist yet".to_owned())
        }
    }
}
