//! Settling assistants as the account's pages arrive: an assistant that carries the label of a
//! declared assistant and already holds what that declares keeps no body. An account's
//! assistants are most of what it weighs (a few kilobytes of JSON each), and in an account
//! that holds its file nearly all of them are settled, so a list page's text is let go as soon
//! as the page is read and compared, while the next page is on its way, rather than held and
//! compared after the whole account is read.
//!
//! The planner takes a settled assistant as unchanged ([`super::assistants`]). Only for a plan
//! of one desired state: a plan with a baseline compares the same assistants against another
//! declaration, and apply and export read every body.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::Secrets;
use super::assistants::holds;
use super::live::{Assistant, Live};
use crate::desired::Desired;
use crate::vapi;

/// The desired state assistants are settled against, once it has loaded.
#[derive(Debug, Default)]
pub struct Settle {
    ready: OnceLock<Against>,
    /// The assistants read before the file loaded, in the order read: settled with the first
    /// page after it has, or at the end.
    early: Mutex<Vec<vapi::Assistant>>,
}

/// What an assistant is compared with: the desired state, and the values of the `${env.*}`
/// variables it names.
#[derive(Debug)]
struct Against {
    desired: Arc<Desired>,
    secrets: Secrets,
}

impl Settle {
    /// Settles nothing until [`Settle::ready`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Settles against `desired` from now on.
    pub fn ready(&self, desired: Arc<Desired>, secrets: Secrets) {
        // Set once: the desired state of a run does not change.
        let _ = self.ready.set(Against { desired, secrets });
    }

    /// A page of assistants as read: each settled when it holds what the file declares for
    /// its label, else with its body in a buffer of its own, so that the page's text can go.
    /// Until the file has loaded, pages are held back, and come out, settled, in front of the
    /// first page after it has (or from [`Settle::finish`]).
    pub fn page(&self, page: Vec<vapi::Assistant>) -> Vec<Assistant> {
        let mut early = self.early.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(against) = self.ready.get() else {
            early.extend(page);
            return Vec::new();
        };
        early
            .drain(..)
            .chain(page)
            .map(|assistant| against.settle(assistant))
            .collect()
    }

    /// What is held back, settled (or as read, when the file never loaded). Returns the ids
    /// of settled assistants whose label another assistant carries too: the planner chooses
    /// which copy to keep and shows what a deleted copy loses, so their bodies are to be read
    /// again.
    pub fn finish(&self, live: &mut Live) -> Vec<String> {
        let early = std::mem::take(&mut *self.early.lock().unwrap_or_else(PoisonError::into_inner));
        let Some(against) = self.ready.get() else {
            live.assistants
                .extend(early.into_iter().map(Assistant::from));
            return Vec::new();
        };
        live.assistants
            .extend(early.into_iter().map(|assistant| against.settle(assistant)));
        let mut carriers: HashMap<&str, usize> = HashMap::new();
        for assistant in &live.assistants {
            if let Some(label) = assistant.label.as_deref() {
                *carriers.entry(label).or_default() += 1;
            }
        }
        let shared: HashSet<String> = carriers
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(label, _)| label.to_owned())
            .collect();
        live.assistants
            .iter()
            .filter(|assistant| {
                assistant.holds_declared()
                    && assistant
                        .label
                        .as_ref()
                        .is_some_and(|label| shared.contains(label))
            })
            .map(|assistant| assistant.id.clone())
            .collect()
    }
}

impl Against {
    /// The assistant, settled when it holds what its label's declaration declares; otherwise
    /// with its body apart from its page.
    fn settle(&self, assistant: vapi::Assistant) -> Assistant {
        let mut assistant = Assistant::from(assistant);
        let declared = assistant
            .label
            .as_deref()
            .and_then(|key| self.desired.assistants.get(key));
        let holds = match (declared, assistant.json()) {
            (Some(managed), Some(json)) => holds(managed, json, &self.secrets),
            _ => false,
        };
        if holds {
            assistant.settle();
        } else {
            assistant.detach();
        }
        assistant
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;

    const FILE: &str = "version: 1
businesses:
  acme:
    name: Acme
    numbers: [\"+14155550100\"]
    assistant: {spec: {name: Acme, firstMessage: \"Hello from ${env.GREETING}\"}}
  bobs:
    name: Bobs
    numbers: [\"+14155550101\"]
    assistant: {spec: {name: Bobs, firstMessage: Hi}}
";

    /// An assistant carrying `key`'s label, with `first` as its first message.
    fn labelled(id: &str, key: &str, name: &str, first: &str) -> vapi::Assistant {
        let fields: Map<String, Value> = serde_json::from_value(json!({
            "name": name,
            "firstMessage": first,
            "metadata": {"vapiform": {"key": key}},
        }))
        .unwrap();
        let at = "2026-01-01T00:00:00.000Z";
        vapi::Assistant::new(id, at, at, &fields)
    }

    fn against() -> (Arc<Desired>, Secrets) {
        let desired = crate::desired::load_str(FILE, "vapiform.yaml").unwrap();
        let secrets = Secrets::from([("GREETING".to_owned(), "the shop".to_owned())]);
        (Arc::new(desired), secrets)
    }

    #[test]
    fn only_an_assistant_holding_its_declaration_is_settled_and_early_ones_with_the_next_page() {
        let settle = Settle::new();
        let (desired, secrets) = against();
        // Read before the file loaded: held back.
        let early = settle.page(vec![labelled("a1", "acme", "Acme", "Hello from the shop")]);
        assert!(early.is_empty());
        settle.ready(desired, secrets);
        let read = settle.page(vec![
            labelled("b1", "bobs", "Bobs", "Hello"),
            labelled("x1", "gone", "Gone", "Hi"),
            labelled("b2", "bobs", "Bobs", "Hi"),
        ]);
        let ids: Vec<&str> = read.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "b1", "x1", "b2"], "in the order read");
        let [early, differs, undeclared, holds] = &read[..] else {
            panic!("{read:?}");
        };
        assert!(early.holds_declared() && early.json().is_none());
        assert!(!differs.holds_declared() && differs.json().is_some());
        assert!(!undeclared.holds_declared() && undeclared.json().is_some());
        assert!(holds.holds_declared() && holds.json().is_none());
        let mut live = Live::read(Vec::new(), read);
        // `bobs` is carried twice: the settled copy's body is to be read again.
        assert_eq!(settle.finish(&mut live), ["b2"]);
    }

    #[test]
    fn what_is_held_back_comes_out_at_the_end_settled_or_as_read() {
        let settle = Settle::new();
        let (desired, secrets) = against();
        assert!(
            settle
                .page(vec![labelled("b1", "bobs", "Bobs", "Hi")])
                .is_empty()
        );
        settle.ready(desired, secrets);
        let mut live = Live::default();
        assert!(settle.finish(&mut live).is_empty());
        assert!(live.assistants[0].holds_declared(), "settled at the end");

        let unready = Settle::new();
        assert!(
            unready
                .page(vec![labelled("b1", "bobs", "Bobs", "Hi")])
                .is_empty()
        );
        let mut live = Live::default();
        assert!(unready.finish(&mut live).is_empty());
        assert!(
            !live.assistants[0].holds_declared(),
            "never ready, nothing settled"
        );
        assert!(live.assistants[0].json().is_some());
    }

    #[test]
    fn a_declaration_whose_variable_is_unset_settles_nothing() {
        let settle = Settle::new();
        let (desired, _) = against();
        settle.ready(desired, Secrets::new());
        let read = settle.page(vec![labelled("a1", "acme", "Acme", "Hello from the shop")]);
        assert!(!read[0].holds_declared());
    }
}
