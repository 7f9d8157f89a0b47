//! Settling assistants as the account's pages arrive: an assistant that carries the label of a
//! declared assistant and already holds what that declares keeps no body. An account's
//! assistants are most of what it weighs (a few kilobytes of JSON each), and in an account
//! that holds its file nearly all of them are settled, so a list page's text is let go as soon
//! as the page is compared, rather than held and compared after the whole account is read.
//! Pages are compared on a thread of their own, while the next page is on its way; those read
//! before the file has loaded wait for it, all but the first few compressed.
//!
//! The planner takes a settled assistant as unchanged ([`super::assistants`]). Only for a plan
//! of one desired state: a plan with a baseline compares the same assistants against another
//! declaration, and apply and export read every body.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::Secrets;
use super::assistants::holds;
use super::live::{Assistant, Live};
use crate::desired::Desired;
use crate::http::Text;
use crate::id::AssistantId;
use crate::vapi;

/// Where a read's assistants go: through as read, or to the thread that settles them.
#[derive(Debug)]
pub(crate) struct Settle {
    worker: Option<Worker>,
}

/// The thread that settles pages, and how to reach it.
#[derive(Debug)]
struct Worker {
    /// Pages and the desired state, in the order they come; dropped to say the read is over.
    to: Mutex<Option<mpsc::Sender<Message>>>,
    /// Every assistant, settled or as read, in the order read, once the read is over.
    done: Mutex<Option<oneshot::Receiver<Vec<Assistant>>>>,
}

/// What the settling thread is told.
enum Message {
    Page(Vec<vapi::Assistant>),
    Ready(Against),
}

/// What an assistant is compared with: the desired state, and the values of the `${env.*}`
/// variables it names.
#[derive(Debug)]
struct Against {
    desired: Arc<Desired>,
    secrets: Secrets,
}

impl Settle {
    /// Settles nothing: every assistant is kept as read.
    pub(crate) fn none() -> Self {
        Self { worker: None }
    }

    /// Settles each page on a thread of its own once [`Settle::ready`] gives the desired
    /// state; pages read before wait for it.
    pub(crate) fn new() -> Self {
        let (to, pages) = mpsc::channel();
        let (tell, done) = oneshot::channel();
        std::thread::spawn(move || {
            // Nobody listens when the read was dropped unfinished; a page lost is told by
            // dropping `tell`.
            if let Some(settled) = settle_all(&pages) {
                let _ = tell.send(settled);
            }
        });
        Self {
            worker: Some(Worker {
                to: Mutex::new(Some(to)),
                done: Mutex::new(Some(done)),
            }),
        }
    }

    /// Settles against `desired` from now on.
    pub(crate) fn ready(&self, desired: Arc<Desired>, secrets: Secrets) {
        self.send(Message::Ready(Against { desired, secrets }));
    }

    /// A page of assistants as read: kept as read when nothing is settled; otherwise handed to
    /// the settling thread, which gives them back from [`Settle::finish`].
    pub(crate) fn page(&self, page: Vec<vapi::Assistant>) -> Vec<Assistant> {
        if self.worker.is_none() {
            return page.into_iter().map(Assistant::from).collect();
        }
        self.send(Message::Page(page));
        Vec::new()
    }

    fn send(&self, message: Message) {
        if let Some(worker) = &self.worker
            && let Some(to) = &*worker.to.lock().unwrap_or_else(PoisonError::into_inner)
        {
            // The thread outlives every send: it ends when the sender is dropped.
            let _ = to.send(message);
        }
    }

    /// Ends the read: adds to `live` the assistants the settling thread holds, settled (or as
    /// read, when the file never loaded), in the order read. Returns the ids of settled
    /// assistants whose label another assistant carries too: the planner chooses which copy
    /// to keep and shows what a deleted copy loses, so their bodies are to be read again.
    /// An error when the thread stopped without giving them back (a bug): an account planned
    /// without its assistants would be planned wrong.
    pub(crate) async fn finish(&self, live: &mut Live) -> Result<Vec<AssistantId>, Lost> {
        let Some(worker) = &self.worker else {
            return Ok(Vec::new());
        };
        drop(
            worker
                .to
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let done = worker
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        live.assistants
            .extend(done.ok_or(Lost)?.await.map_err(|_| Lost)?);
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
        Ok(live
            .assistants
            .iter()
            .filter(|assistant| {
                assistant.holds_declared()
                    && assistant
                        .label
                        .as_deref()
                        .is_some_and(|label| shared.contains(label))
            })
            .map(|assistant| assistant.id.clone())
            .collect())
    }
}

/// The settling thread stopped without giving the assistants back.
#[derive(Debug, thiserror::Error)]
#[error("the assistants read were lost while they were compared with the file (a bug in vapiform)")]
pub(crate) struct Lost;

/// The settling thread: every page until the read is over, settled once the desired state
/// has come (pages before it wait), in the order read. `None` when a waiting page does not
/// read back (a bug).
fn settle_all(pages: &mpsc::Receiver<Message>) -> Option<Vec<Assistant>> {
    let mut settled = Vec::new();
    let mut waiting = Vec::new();
    let mut against = None;
    for message in pages {
        match message {
            Message::Ready(ready) => {
                for page in waiting.drain(..) {
                    settled.extend(Waiting::open(page)?.into_iter().map(|a| ready.settle(a)));
                }
                against = Some(ready);
            }
            Message::Page(page) => match &against {
                Some(against) => settled.extend(page.into_iter().map(|a| against.settle(a))),
                None => waiting.push(Waiting::new(page, waiting.len())),
            },
        }
    }
    for page in waiting {
        settled.extend(Waiting::open(page)?.into_iter().map(Assistant::from));
    }
    Some(settled)
}

/// How many pages wait for the file as read; those after them wait compressed.
const WAITING_AS_READ: usize = 4;

/// A page that waits for the file. A slow file would otherwise hold every page read
/// meanwhile (4.7 MB each at 1,000 assistants of a realistic fleet); a page of one
/// template's assistants compresses to a small part of that, and is read again when the file
/// has come.
enum Waiting {
    AsRead(Vec<vapi::Assistant>),
    /// The page's objects as one JSON list, LZ4-compressed.
    Compressed(Vec<u8>),
}

impl Waiting {
    /// The page, compressed when `before` pages already wait.
    fn new(page: Vec<vapi::Assistant>, before: usize) -> Self {
        if before < WAITING_AS_READ {
            return Self::AsRead(page);
        }
        let text = vapi::Assistant::list_text(&page);
        drop(page);
        let mut compressed = lz4_flex::compress_prepend_size(text.as_bytes());
        // The buffer was sized for text that does not compress.
        compressed.shrink_to_fit();
        Self::Compressed(compressed)
    }

    /// The page's assistants as read; `None` when a compressed page does not read back.
    fn open(self) -> Option<Vec<vapi::Assistant>> {
        match self {
            Self::AsRead(page) => Some(page),
            Self::Compressed(compressed) => {
                let text = lz4_flex::decompress_size_prepended(&compressed).ok()?;
                vapi::Assistant::read_list(&Text::new(Bytes::from(text))).ok()
            }
        }
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

    /// What `settle` gives back once the read is over, and the ids to read again.
    fn finished(settle: &Settle) -> (Vec<Assistant>, Vec<AssistantId>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut live = Live::default();
        let again = runtime.block_on(settle.finish(&mut live)).unwrap();
        (live.assistants, again)
    }

    #[test]
    fn only_an_assistant_holding_its_declaration_is_settled_and_early_ones_wait() {
        let settle = Settle::new();
        let (desired, secrets) = against();
        // Read before the file loaded: it waits for it.
        let early = labelled("a1", "acme", "Acme", "Hello from the shop");
        assert!(settle.page(vec![early]).is_empty());
        settle.ready(desired, secrets);
        let page = vec![
            labelled("b1", "bobs", "Bobs", "Hello"),
            labelled("x1", "gone", "Gone", "Hi"),
            labelled("b2", "bobs", "Bobs", "Hi"),
        ];
        assert!(settle.page(page).is_empty());
        let (read, again) = finished(&settle);
        let ids: Vec<&str> = read.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "b1", "x1", "b2"], "in the order read");
        let [early, differs, undeclared, holds] = &read[..] else {
            panic!("{read:?}");
        };
        assert!(early.holds_declared() && early.json().is_none());
        assert!(!differs.holds_declared() && differs.json().is_some());
        assert!(!undeclared.holds_declared() && undeclared.json().is_some());
        assert!(holds.holds_declared() && holds.json().is_none());
        // `bobs` is carried twice: the settled copy's body is to be read again.
        assert_eq!(again, ["b2"]);
    }

    #[test]
    fn pages_that_wait_compressed_come_back_whole_and_in_order() {
        let settle = Settle::new();
        let pages = WAITING_AS_READ + 3;
        let mut ids = Vec::new();
        for page in 0..pages {
            let mut assistants = Vec::new();
            for (n, (key, name, first)) in [
                ("acme", "Acme", "Hello from the shop"),
                ("bobs", "Bobs", "Hi \u{1f600} \"quoted\""),
            ]
            .into_iter()
            .enumerate()
            {
                let id = format!("p{page}-{n}");
                assistants.push(labelled(&id, key, name, first));
                ids.push(id);
            }
            assert!(settle.page(assistants).is_empty());
        }
        let (desired, secrets) = against();
        settle.ready(desired, secrets);
        let (read, _) = finished(&settle);
        let read_ids: Vec<&str> = read.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(read_ids, ids);
        for assistant in &read {
            let acme = assistant.id.ends_with("-0");
            assert_eq!(assistant.holds_declared(), acme, "{}", assistant.id);
            if !acme {
                let fields = assistant.fields().unwrap();
                assert_eq!(fields["firstMessage"], "Hi \u{1f600} \"quoted\"");
            }
        }
    }

    #[test]
    fn without_the_file_or_without_settling_every_assistant_is_kept_as_read() {
        let unready = Settle::new();
        assert!(
            unready
                .page(vec![labelled("b1", "bobs", "Bobs", "Hi")])
                .is_empty()
        );
        let (read, again) = finished(&unready);
        assert!(again.is_empty());
        assert!(!read[0].holds_declared() && read[0].json().is_some());

        let none = Settle::none();
        let (desired, secrets) = against();
        none.ready(desired, secrets);
        let read = none.page(vec![labelled("b1", "bobs", "Bobs", "Hi")]);
        assert!(!read[0].holds_declared() && read[0].json().is_some());
        assert_eq!(finished(&none), (Vec::new(), Vec::new()));
    }

    #[test]
    fn a_declaration_whose_variable_is_unset_settles_nothing() {
        let settle = Settle::new();
        let (desired, _) = against();
        settle.ready(desired, Secrets::new());
        settle.page(vec![labelled("a1", "acme", "Acme", "Hello from the shop")]);
        let (read, _) = finished(&settle);
        assert!(!read[0].holds_declared());
    }
}
