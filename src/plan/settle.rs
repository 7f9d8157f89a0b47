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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::Secrets;
use super::assistants::holds;
use super::live::{Assistant, Live};
use crate::desired::Desired;
use crate::vapi;

/// The desired state assistants are settled against, once it has loaded.
#[derive(Debug, Default)]
pub struct Settle {
    ready: OnceLock<Against>,
    /// How many assistants were read before the file loaded: the first of the account's.
    early: AtomicUsize,
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

    /// The assistant as read: settled when it holds what the file declares for its label,
    /// else with its body in a buffer of its own, so that its page's text can go. Kept as read
    /// until the file has loaded ([`Settle::finish`] settles those).
    pub fn read(&self, assistant: vapi::Assistant) -> Assistant {
        let mut assistant = Assistant::from(assistant);
        match self.ready.get() {
            Some(against) => against.settle(&mut assistant),
            None => {
                self.early.fetch_add(1, Ordering::Relaxed);
            }
        }
        assistant
    }

    /// Settles what was read before the file loaded. Returns the ids of settled assistants
    /// whose label another assistant carries too: the planner chooses which copy to keep and
    /// shows what a deleted copy loses, so their bodies are to be read again.
    pub fn finish(&self, live: &mut Live) -> Vec<String> {
        let Some(against) = self.ready.get() else {
            return Vec::new();
        };
        let early = self.early.load(Ordering::Relaxed);
        for assistant in live.assistants.iter_mut().take(early) {
            against.settle(assistant);
        }
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
        let mut again = Vec::new();
        for assistant in &live.assistants {
            let shared = assistant
                .label
                .as_ref()
                .is_some_and(|label| shared.contains(label));
            if shared && assistant.holds_declared() {
                again.push(assistant.id.clone());
            }
        }
        again
    }
}

impl Against {
    /// Settles `assistant` when it holds what its label's declaration declares; otherwise
    /// keeps its body apart from its page.
    fn settle(&self, assistant: &mut Assistant) {
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
    fn only_an_assistant_holding_its_declaration_is_settled_and_early_ones_at_the_end() {
        let settle = Settle::new();
        let (desired, secrets) = against();
        // Read before the file loaded: kept whole until `finish`.
        let early = settle.read(labelled("a1", "acme", "Acme", "Hello from the shop"));
        assert!(early.json().is_some());
        settle.ready(desired, secrets);
        let read = [
            labelled("b1", "bobs", "Bobs", "Hello"),
            labelled("x1", "gone", "Gone", "Hi"),
            labelled("b2", "bobs", "Bobs", "Hi"),
        ]
        .map(|assistant| settle.read(assistant));
        let [differs, undeclared, holds] = &read;
        assert!(!differs.holds_declared() && differs.json().is_some());
        assert!(!undeclared.holds_declared() && undeclared.json().is_some());
        assert!(holds.holds_declared() && holds.json().is_none());
        let mut live = Live::read(Vec::new(), std::iter::once(early).chain(read));
        // `bobs` is carried twice: the settled copy's body is to be read again.
        assert_eq!(settle.finish(&mut live), ["b2"]);
        assert!(live.assistants[0].holds_declared(), "read early, settled at the end");
    }

    #[test]
    fn a_declaration_with_a_variable_unset_or_different_settles_nothing() {
        let settle = Settle::new();
        let (desired, _) = against();
        settle.ready(desired, Secrets::new());
        let read = settle.read(labelled("a1", "acme", "Acme", "Hello from the shop"));
        assert!(!read.holds_declared());
        let unready = Settle::new();
        let mut live = Live::read(
            Vec::new(),
            [unready.read(labelled("b1", "bobs", "Bobs", "Hi"))],
        );
        assert!(unready.finish(&mut live).is_empty());
        assert!(!live.assistants[0].holds_declared(), "never ready, nothing settled");
    }
}
