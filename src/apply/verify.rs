//! Read-after-write verification in batches: written objects are read back with list calls
//! filtered on `updatedAtGe` (one call verifies a whole batch), by id only when a collection has
//! just one or two objects waiting, and compared with the planner's comparator until they hold
//! what was written or the verify timeout passes (Vapi may be eventually consistent).
//!
//! Reads are spent sparingly while apply has other work: the verifier gathers writes for a
//! window that starts short (so the first routes of an onboarding come early) and doubles each
//! round up to [`LONGEST_WINDOW`], never past the earliest deadline waiting. When apply can go
//! no further until something verifies (a phase boundary, a route waiting for its assistant,
//! the end), the scheduler says so and the verifier reads at once; after that its window
//! starts short again, so objects that lag are read again soon.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::id::{AssistantId, Label};
use crate::plan::compare::{self, Path};
use crate::plan::sensitive::{self, Side};
use crate::plan::{Operation, live};
use crate::vapi::PAGE;
use crate::vapi::{Client, Error};

/// What a written object is, for reading it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// An assistant that must hold the written fields.
    Assistant,
    /// A phone number that must hold the written fields.
    Number,
    /// An assistant that must be gone.
    Deleted,
}

impl Kind {
    /// What `op` leaves to read back.
    pub(crate) fn of(op: &Operation) -> Self {
        match op {
            Operation::CreateAssistant { .. } | Operation::UpdateAssistant { .. } => {
                Self::Assistant
            }
            Operation::DeleteAssistant { .. } => Self::Deleted,
            Operation::ImportNumber { .. } | Operation::UpdateNumber { .. } => Self::Number,
        }
    }
}

/// How many calls one round makes to read back `count` objects of a kind: one each by id for
/// deletes and for a few, otherwise a list filtered on `updatedAtGe`, [`PAGE`] objects a page
/// (a full page is followed by another).
pub(crate) fn calls(kind: Kind, count: usize) -> usize {
    if by_id(kind, count) {
        count
    } else {
        count / PAGE + 1
    }
}

/// Whether a round reads `count` waiting objects of a kind by id rather than listing them.
fn by_id(kind: Kind, count: usize) -> bool {
    kind == Kind::Deleted || count <= BY_ID
}

/// A write the server accepted, waiting to be read back.
pub(crate) struct Written {
    kind: Kind,
    /// The object's id.
    pub id: String,
    /// The object's `updatedAt` in the write's response: the server's clock, so a list filtered
    /// on it cannot miss the write whatever our own clock says.
    since: String,
    /// What was sent, secrets resolved: what the object must hold.
    expected: Map<String, Value>,
    /// What was sent, as the plan wrote it: for messages, so no secret is ever shown.
    as_planned: Map<String, Value>,
}

impl Written {
    pub(crate) fn new(
        kind: Kind,
        id: String,
        since: String,
        expected: Map<String, Value>,
        written: &Map<String, Value>,
    ) -> Self {
        Self {
            kind,
            id,
            since,
            expected,
            as_planned: written.clone(),
        }
    }
}

/// How a read-back ended, for the change at `index`.
pub(crate) struct Verdict {
    pub index: usize,
    pub id: String,
    /// `None` when verified; otherwise what still differs when time ran out.
    pub differs: Option<String>,
}

/// What the verifier tells the scheduler.
pub(crate) enum Event {
    /// A change was verified, or not in time.
    Verdict(Verdict),
    /// A list showed an assistant carrying `label` that this apply did not write: another
    /// apply created it.
    Seen { label: Label, id: AssistantId },
}

/// The first wait for more writes before reading back, and the longest.
const FIRST_WINDOW: Duration = Duration::from_millis(250);
const LONGEST_WINDOW: Duration = Duration::from_secs(8);

/// How long the verifier gathers writes before its next round: short at first, doubling each
/// round up to [`LONGEST_WINDOW`], and short again after a round read at once because apply
/// stalled, so objects that lag are read again soon. Apply's verifier and the statement of
/// its cost both keep one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window(Duration);

impl Window {
    pub(super) fn new() -> Self {
        Self(FIRST_WINDOW)
    }

    /// How long the next round gathers writes, at most.
    pub(super) fn length(self) -> Duration {
        self.0
    }

    /// A round was read: at once for a stall (`for_stall`), or when the window closed.
    pub(super) fn after_round(&mut self, for_stall: bool) {
        self.0 = if for_stall {
            FIRST_WINDOW
        } else {
            (self.0 * 2).min(LONGEST_WINDOW)
        };
    }
}

/// What the scheduler tells the verifier.
pub(crate) enum Input {
    /// The write of the change at this index was accepted.
    Written(usize, Box<Written>),
    /// Apply can go no further until something verifies: nothing can start and no write is
    /// in flight. Sent after the writes it waits for.
    Stalled,
}

/// At most this many objects of a collection waiting are read by id rather than listed.
const BY_ID: usize = 2;

struct Waiting {
    index: usize,
    written: Written,
    deadline: Instant,
    /// Why it does not verify yet.
    detail: String,
}

impl Waiting {
    /// Whether it is read back as `kind`.
    fn is(&self, kind: Kind) -> bool {
        self.written.kind == kind
    }
}

/// Reads back every write sent on `inputs` until verified or timed out, telling `events`.
/// Ends when `inputs` is closed and nothing is waiting.
pub(crate) async fn run(
    client: &Client,
    timeout: Duration,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut waiting: Vec<Waiting> = Vec::new();
    let mut open = true;
    let mut window = Window::new();
    loop {
        if waiting.is_empty() {
            match inputs.recv().await {
                Some(Input::Written(index, written)) => {
                    waiting.push(waiting_for(index, *written, timeout));
                }
                // Nothing is left to read for it: what it waits for is verified already.
                Some(Input::Stalled) => continue,
                None => return,
            }
        }
        // Gather what else is written within the window, so one read covers many writes, but
        // read at once when apply waits on it, and by the earliest deadline at the latest.
        let until = waiting
            .iter()
            .map(|w| w.deadline)
            .fold(Instant::now() + window.length(), Instant::min);
        let mut stalled = false;
        if !open {
            tokio::time::sleep_until(until).await;
        }
        while open {
            match tokio::time::timeout_at(until, inputs.recv()).await {
                Ok(Some(Input::Written(index, written))) => {
                    waiting.push(waiting_for(index, *written, timeout));
                }
                Ok(Some(Input::Stalled)) => {
                    stalled = true;
                    break;
                }
                Ok(None) => open = false,
                Err(_) => break,
            }
        }
        read_back(client, &mut waiting, &events).await;
        let now = Instant::now();
        waiting.retain_mut(|w| {
            if w.deadline > now {
                return true;
            }
            let _ = events.send(Event::Verdict(Verdict {
                index: w.index,
                id: w.written.id.clone(),
                differs: Some(std::mem::take(&mut w.detail)),
            }));
            false
        });
        window.after_round(stalled);
        if !open && waiting.is_empty() {
            return;
        }
    }
}

fn waiting_for(index: usize, written: Written, timeout: Duration) -> Waiting {
    Waiting {
        index,
        written,
        deadline: Instant::now() + timeout,
        detail: "not read back yet".to_owned(),
    }
}

/// One round: reads each collection that has objects waiting, and reports those that verify.
async fn read_back(
    client: &Client,
    waiting: &mut Vec<Waiting>,
    events: &mpsc::UnboundedSender<Event>,
) {
    for kind in [Kind::Assistant, Kind::Number, Kind::Deleted] {
        let count = waiting.iter().filter(|w| w.is(kind)).count();
        if count == 0 {
            continue;
        }
        let listed = if by_id(kind, count) {
            None
        } else {
            match list(client, kind, waiting).await {
                Ok(listed) => Some(listed),
                Err(error) => {
                    for w in waiting.iter_mut().filter(|w| w.is(kind)) {
                        w.detail = format!("could not read it back: {error}");
                    }
                    continue;
                }
            }
        };
        if let (Some(listed), Kind::Assistant) = (&listed, kind) {
            let ours: std::collections::HashSet<&str> =
                waiting.iter().map(|w| w.written.id.as_str()).collect();
            for (id, fields) in listed {
                if let Some(label) = live::label_of(fields)
                    && !ours.contains(id.as_str())
                {
                    let _ = events.send(Event::Seen {
                        label: Label::of(label),
                        id: id.as_str().into(),
                    });
                }
            }
        }
        let mut verified = Vec::new();
        for (position, w) in waiting.iter_mut().enumerate() {
            if !w.is(kind) {
                continue;
            }
            let read = match &listed {
                Some(listed) => Ok(listed.get(&w.written.id).cloned()),
                None => get(client, &w.written).await,
            };
            match read {
                Ok(found) => match check(&w.written, found.as_ref()) {
                    None => verified.push(position),
                    Some(detail) => w.detail = detail,
                },
                Err(error) => w.detail = format!("could not read it back: {error}"),
            }
        }
        for position in verified.into_iter().rev() {
            let w = waiting.swap_remove(position);
            let _ = events.send(Event::Verdict(Verdict {
                index: w.index,
                id: w.written.id,
                differs: None,
            }));
        }
    }
}

/// The objects of a collection written since the earliest waiting write, by id.
async fn list(
    client: &Client,
    kind: Kind,
    waiting: &[Waiting],
) -> Result<HashMap<String, Map<String, Value>>, Error> {
    let since = waiting
        .iter()
        .filter(|w| w.is(kind))
        .map(|w| w.written.since.as_str())
        .min()
        .unwrap_or_default();
    Ok(match kind {
        Kind::Number => client
            .list_numbers_updated_since(since)
            .await?
            .into_iter()
            .map(|n| (n.id.clone(), n.to_object()))
            .collect(),
        Kind::Assistant | Kind::Deleted => client
            .list_assistants_updated_since(since)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a.fields()))
            .collect(),
    })
}

/// One object by id; `None` when it does not exist.
async fn get(client: &Client, written: &Written) -> Result<Option<Map<String, Value>>, Error> {
    let read = match written.kind {
        Kind::Number => client.get_number(&written.id).await.map(|n| n.to_object()),
        Kind::Assistant | Kind::Deleted => {
            client.get_assistant(&written.id).await.map(|a| a.fields())
        }
    };
    match read {
        Ok(object) => Ok(Some(object)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// `None` when `found` is what the write should have left; otherwise what differs.
fn check(written: &Written, found: Option<&Map<String, Value>>) -> Option<String> {
    match (written.kind, found) {
        (Kind::Deleted, None) => None,
        (Kind::Deleted, Some(_)) => Some("still exists when read back".to_owned()),
        (_, None) => Some("not found when read back".to_owned()),
        (_, Some(live)) => compare::differences(&written.expected, live)
            .first()
            .map(|path| describe(path, &written.expected, &written.as_planned, live)),
    }
}

/// `path: expected X, read back Y`, sensitive values masked.
fn describe(
    path: &Path,
    expected: &Map<String, Value>,
    written: &Map<String, Value>,
    live: &Map<String, Value>,
) -> String {
    let expected = Value::Object(expected.clone());
    let written = Value::Object(written.clone());
    let live = Value::Object(live.clone());
    let want = path.value_in(&expected).unwrap_or(&Value::Null);
    let shown_want = path.value_in(&written).unwrap_or(want);
    let want = sensitive::show(&mut path.clone(), shown_want, Side::Desired, false);
    let have = path.value_in(&live).map_or_else(
        || "(missing)".to_owned(),
        |have| {
            sensitive::show(&mut path.clone(), have, Side::Live(Some(shown_want)), true).to_string()
        },
    );
    format!("{path}: expected {want}, read back {have}")
}

#[cfg(test)]
mod tests {
    //! The verifier against the simulator over HTTP, where the race or the timing it handles
    //! cannot be arranged through the binary.

    use super::*;
    use crate::http::{ApiKey, Settings};
    use crate::sim;
    use serde_json::json;

    async fn start() -> (sim::Running, Client) {
        serve(sim::Options::default()).await
    }

    /// A simulator with `options`, and a client of it that sends each request once.
    async fn serve(options: sim::Options) -> (sim::Running, Client) {
        let running = sim::start(options).await.unwrap();
        let mut settings = Settings::new(running.url(), ApiKey::new("k"));
        settings.rps = 0.0;
        settings.backoff.attempts = 1;
        (running, Client::new(&settings).unwrap())
    }

    /// Creates an assistant labelled `key` and says what apply would have written.
    async fn create(client: &Client, key: &str) -> Written {
        let body = crate::plan::compare::object(
            json!({"name": key, "metadata": {"vapiform": {"key": key}}}),
        );
        let created = client.create_assistant(&body).await.unwrap();
        Written::new(
            Kind::Assistant,
            created.id,
            created.updated_at,
            body.clone(),
            &body,
        )
    }

    fn waiting(written: Vec<Written>) -> Vec<Waiting> {
        written
            .into_iter()
            .enumerate()
            .map(|(index, written)| waiting_for(index, written, Duration::from_secs(30)))
            .collect()
    }

    #[tokio::test]
    async fn a_list_tells_of_what_another_apply_created_and_not_of_our_own() {
        let (running, client) = start().await;
        let mut ours = Vec::new();
        for key in ["a", "b", "c"] {
            ours.push(create(&client, key).await);
        }
        // Another apply creates `d` meanwhile; the round lists assistants (three are waiting).
        let theirs = create(&client, "d").await.id;
        let mut waiting = waiting(ours);
        let (events, mut received) = mpsc::unbounded_channel();
        read_back(&client, &mut waiting, &events).await;
        drop(events);
        let mut seen = Vec::new();
        let mut verified = 0;
        while let Some(event) = received.recv().await {
            match event {
                Event::Seen { label, id } => seen.push((label, id)),
                Event::Verdict(verdict) => {
                    assert_eq!(verdict.differs, None);
                    verified += 1;
                }
            }
        }
        assert_eq!(seen, [(Label::of("d"), AssistantId::from(theirs))]);
        assert_eq!(verified, 3);
        assert!(waiting.is_empty());
        running.shutdown().await;
    }

    #[tokio::test]
    async fn writes_within_the_window_are_read_in_one_round_at_once_when_apply_stalls() {
        let (running, client) = start().await;
        let (inputs, received) = mpsc::unbounded_channel();
        let (events, mut verdicts) = mpsc::unbounded_channel();
        let apply = async {
            // Rounds that nothing waits on double the window: 250 ms, 500 ms, 1 s, then 2 s.
            for (index, key) in ["a", "b", "c"].into_iter().enumerate() {
                let written = create(&client, key).await;
                inputs
                    .send(Input::Written(index, Box::new(written)))
                    .unwrap();
                assert!(matches!(verdicts.recv().await, Some(Event::Verdict(_))));
            }
            // Writes within the window are read in one round: d, then e and f 100 ms later,
            // and the stall: one list, at once.
            let mut late = Vec::new();
            for key in ["d", "e", "f"] {
                late.push(create(&client, key).await);
            }
            let before = running.stats().by_route;
            let mut late = late.into_iter().zip(3..);
            let (written, index) = late.next().unwrap();
            inputs
                .send(Input::Written(index, Box::new(written)))
                .unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            for (written, index) in late {
                inputs
                    .send(Input::Written(index, Box::new(written)))
                    .unwrap();
            }
            let sent = Instant::now();
            inputs.send(Input::Stalled).unwrap();
            let mut verdicts_left = 3;
            while verdicts_left > 0 {
                if let Some(Event::Verdict(_)) = verdicts.recv().await {
                    verdicts_left -= 1;
                }
            }
            let waited = sent.elapsed();
            assert!(
                waited < Duration::from_secs(1),
                "apply waits on it: read at once, not after the 2 s window ({waited:?})"
            );
            let after = running.stats().by_route;
            let read = |route: &str| {
                after.get(route).copied().unwrap_or(0) - before.get(route).copied().unwrap_or(0)
            };
            assert_eq!(
                (read("GET /assistant"), read("GET /assistant/{id}")),
                (1, 0),
                "one list for the round, no read by id"
            );
            drop(inputs);
        };
        tokio::join!(
            run(&client, Duration::from_secs(30), received, events),
            apply
        );
        running.shutdown().await;
    }

    #[tokio::test]
    async fn a_delete_whose_read_back_fails_is_not_taken_for_gone() {
        // Every request fails (500): reading the deleted assistant back says nothing about it.
        let failing = sim::Options {
            error_rate: 1.0,
            ..sim::Options::default()
        };
        let (running, client) = serve(failing).await;
        let deleted = Written::new(
            Kind::Deleted,
            "a1".to_owned(),
            String::new(),
            Map::new(),
            &Map::new(),
        );
        let mut waiting = waiting(vec![deleted]);
        let (events, mut received) = mpsc::unbounded_channel();
        read_back(&client, &mut waiting, &events).await;
        drop(events);
        assert!(received.recv().await.is_none(), "no verdict yet");
        assert_eq!(waiting.len(), 1);
        assert!(
            waiting[0].detail.starts_with("could not read it back: "),
            "{}",
            waiting[0].detail
        );
        running.shutdown().await;
    }

    #[tokio::test]
    async fn a_round_reads_each_kind_from_its_own_collection() {
        let (running, client) = start().await;
        let written = |kind, id: &str| {
            Written::new(kind, id.to_owned(), String::new(), Map::new(), &Map::new())
        };
        let mut waiting = waiting(vec![
            written(Kind::Assistant, "a1"),
            written(Kind::Number, "n1"),
        ]);
        let (events, _received) = mpsc::unbounded_channel();
        read_back(&client, &mut waiting, &events).await;
        // Neither exists; each was looked for once, where it lives.
        let stats = running.stats();
        assert_eq!(stats.by_route["GET /assistant/{id}"], 1, "{stats:?}");
        assert_eq!(stats.by_route["GET /phone-number/{id}"], 1, "{stats:?}");
        assert_eq!(stats.total, 2, "{stats:?}");
        assert!(
            waiting
                .iter()
                .all(|w| w.detail == "not found when read back")
        );
        running.shutdown().await;
    }
}
