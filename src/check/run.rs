//! Holding the conversations: at most `concurrency` at once, at the client's pace, never past
//! the budget, and none started once an interrupt is asked for (those in flight finish).

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use serde::Serialize;

use super::judge::{self, Status};
use super::{Subject, Test};
use crate::apply::Interrupt;
use crate::vapi::{Answerer, Client};

/// What a check may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Budget {
    /// No conversation starts that could take the spending past this, in dollars.
    pub max_cost: f64,
    /// What one conversation costs at most, in dollars, as vapiform bounds it (see the README).
    pub per_chat: f64,
}

/// How one number's check ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Outcome {
    /// The number.
    pub number: String,
    /// The key of the business that lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    /// How it ended.
    pub status: Status,
    /// Why, in one line.
    pub reason: String,
    /// What was heard, as the account answered it (untrusted text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// What the conversation cost, in dollars, as Vapi says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

/// Every number's outcome, in the order of the subjects, and what the conversations cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Report {
    /// The outcomes.
    pub outcomes: Vec<Outcome>,
    /// The sum of the conversations' costs, in dollars.
    pub cost: f64,
}

impl Report {
    /// How many outcomes have `status`.
    pub(crate) fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }
}

/// Checks every subject: the route decides some; a say hook's text is judged as it stands;
/// the rest are asked through the Chat API.
pub(crate) async fn run(
    client: &Client,
    subjects: Vec<Subject>,
    concurrency: usize,
    budget: Budget,
    interrupt: &Interrupt,
) -> Report {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; subjects.len()];
    let mut chats = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let outcome = |status, reason, reply| Outcome {
            number: subject.number.clone(),
            business: subject.business.clone(),
            status,
            reason,
            reply,
            cost: None,
        };
        if let Some((status, reason)) = judge::by_route(&subject.test, &subject.expect) {
            outcomes[i] = Some(outcome(status, reason, None));
        } else {
            match &subject.test {
                Test::Said(text) => {
                    let (status, reason) = verdict(text, subject);
                    outcomes[i] = Some(outcome(status, reason, Some(text.clone())));
                }
                Test::Chat { answerer, said } => chats.push((i, answerer, said.as_deref())),
                // Decided by the route above.
                Test::Unrouted | Test::Uncheckable(_) => {}
            }
        }
    }
    // What the conversations cost as Vapi said (`spent` counts one that said nothing, an error,
    // at its most), and what those in flight may cost at most.
    let mut spent = 0.0;
    let mut said_cost = 0.0;
    let mut reserved = 0.0;
    let mut next = 0;
    let mut in_flight = FuturesUnordered::new();
    loop {
        while next < chats.len()
            && in_flight.len() < concurrency.max(1)
            && !interrupt.requested()
            && spent + reserved + budget.per_chat <= budget.max_cost
        {
            reserved += budget.per_chat;
            let (i, answerer, said) = chats[next];
            next += 1;
            let subject = &subjects[i];
            in_flight.push(async move { (i, ask(client, answerer, said, subject).await) });
        }
        let Some((i, (status, reason, reply, cost))) = in_flight.next().await else {
            break;
        };
        reserved -= budget.per_chat;
        spent += cost.unwrap_or(budget.per_chat);
        said_cost += cost.unwrap_or(0.0);
        let subject = &subjects[i];
        outcomes[i] = Some(Outcome {
            number: subject.number.clone(),
            business: subject.business.clone(),
            status,
            reason,
            reply,
            cost,
        });
    }
    let why = if interrupt.requested() {
        "interrupted before it started".to_owned()
    } else {
        format!(
            "--max-cost {:.2} reached: not started, so as not to spend past it",
            budget.max_cost
        )
    };
    let outcomes = outcomes
        .into_iter()
        .zip(&subjects)
        .map(|(outcome, subject)| {
            outcome.unwrap_or_else(|| Outcome {
                number: subject.number.clone(),
                business: subject.business.clone(),
                status: Status::NotAttempted,
                reason: why.clone(),
                reply: None,
                cost: None,
            })
        })
        .collect();
    Report {
        outcomes,
        cost: said_cost,
    }
}

/// One conversation and its verdict: status, reason, what was heard and what it cost.
async fn ask(
    client: &Client,
    answerer: &Answerer,
    said: Option<&str>,
    subject: &Subject,
) -> (Status, String, Option<String>, Option<f64>) {
    match client.chat(answerer, &subject.expect.ask).await {
        Ok(reply) => {
            let heard = match said {
                Some(said) => format!("{said} {}", reply.text),
                None => reply.text,
            };
            let (status, reason) = verdict(&heard, subject);
            (status, reason, Some(heard), reply.cost)
        }
        Err(error) => (Status::Error, error.to_string(), None, None),
    }
}

fn verdict(heard: &str, subject: &Subject) -> (Status, String) {
    match judge::answer(heard, &subject.expect) {
        Ok(why) => (Status::Pass, why),
        Err(why) => (Status::Fail, why),
    }
}
