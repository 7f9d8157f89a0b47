//! Executing a Plan through the Vapi client, verifying every write by reading it back.
//!
//! Apply makes no planning decisions: it sends each change's write in the plan's phase order
//! (assistants, routing, unlinks, deletes), resolves the ids of assistants it creates for the
//! numbers that route to them, and reports how each change ended. Whether the plan may run at
//! all (stale, refused) is decided before, by [`crate::plan::recheck`].
//!
//! Within that order it does not wait for a whole phase: a number is routed as soon as the
//! assistant it routes to is verified, so an onboarding of many businesses answers its first
//! calls within seconds. Writes run `concurrency` at a time, creates apart from the rest, and
//! wait for the rate behind the requests that finish work already started (reads, routing,
//! updates), so creates queued for the rate do not hold back a route. Read-backs are batched
//! (see `verify`), and read at once when nothing else can go on. On an interrupt no new change
//! starts, and what was written is still read back before the report.

mod cost;
mod execute;
mod report;
mod schedule;
mod verify;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, mpsc};

pub(crate) use cost::cost;
pub(crate) use report::{Outcome, Report, Status, Totals};

use schedule::{Schedule, State};

use crate::plan::{Plan, Secrets};
use crate::vapi::Client;

/// How apply behaves.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// How long to keep reading an object back before calling it unverified, and to look for
    /// a create that failed ambiguously before sending it again: how long reads may lag.
    pub verify_timeout: Duration,
    /// Writes started at once: this many creates, and this many other writes.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            verify_timeout: Duration::from_secs(30),
            concurrency: 8,
        }
    }
}

/// Told about each change as it starts and ends, so the command can show progress and say,
/// if it must stop at once, which changes were never sent.
pub(crate) trait Progress: Sync {
    /// Change `index` of the plan is about to be sent.
    fn start(&self, index: usize);
    /// One change ended.
    fn finish(&self, outcome: &Outcome);
}

/// A request to stop: no new change starts; writes in flight finish and are read back.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    requested: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    /// Asks the apply to stop starting changes.
    pub(crate) fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether a stop was asked for.
    pub(crate) fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        let notified = self.notify.notified();
        if !self.requested() {
            notified.await;
        }
    }
}

/// Applies `plan`. `applied` holds the changes a recheck found already in effect (by index,
/// with their object's id): they are reported and not sent. `secrets` holds the values of the
/// `${env.*}` references the writes contain.
pub(crate) async fn apply(
    plan: &Plan,
    applied: &BTreeMap<usize, String>,
    client: &Client,
    secrets: &Secrets,
    options: &Options,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Report {
    let (to_verifier, inputs) = mpsc::unbounded_channel();
    let (events, mut verdicts) = mpsc::unbounded_channel();
    let verifier = verify::run(client, options.verify_timeout, inputs, events);
    let scheduler = async move {
        let mut run = Schedule::new(plan, progress, options.concurrency);
        for (&i, id) in applied {
            run.finish(i, Status::AlreadyApplied, Some(id.clone()), None);
        }
        let sender = execute::Sender {
            client,
            secrets,
            lag: options.verify_timeout,
        };
        let mut writing = FuturesUnordered::new();
        let mut stopped: Option<&str> = None;
        loop {
            if stopped.is_none() && interrupt.requested() {
                stopped = Some("interrupted before it started");
            }
            while stopped.is_none() {
                let Some(i) = run.next_ready() else {
                    break;
                };
                let (route, adopt) = run.resolve(i);
                let sender = &sender;
                run.start(i);
                writing.push(async move {
                    (
                        i,
                        sender
                            .send(plan.changes[i].op(), route.as_deref(), adopt.as_deref())
                            .await,
                    )
                });
            }
            // Nothing is written or read back: whatever still waits cannot start (stopped, or
            // what it waits for ended otherwise) and is reported below.
            if writing.is_empty() && !run.verifying() {
                break;
            }
            if run.newly_stalled() {
                let _ = to_verifier.send(verify::Input::Stalled);
            }
            tokio::select! {
                Some((i, sent)) = writing.next(), if !writing.is_empty() => match sent {
                    Ok(written) => {
                        run.written(i);
                        let _ = to_verifier.send(verify::Input::Written(i, Box::new(written)));
                    }
                    Err(failure) => {
                        if failure.fatal {
                            stopped = Some("apply stopped: the API key was rejected");
                        }
                        run.finish(i, Status::Failed, None, Some(failure.detail));
                    }
                },
                Some(event) = verdicts.recv(), if run.verifying() => match event {
                    verify::Event::Verdict(verdict) => match verdict.differs {
                        None => run.finish(verdict.index, Status::Applied, Some(verdict.id), None),
                        Some(detail) => run.finish(verdict.index, Status::Unverified, Some(verdict.id), Some(detail)),
                    },
                    verify::Event::Seen { label, id } => run.seen(label, id),
                },
                () = interrupt.wait(), if stopped.is_none() => {}
            }
        }
        drop(to_verifier);
        let reason = stopped.unwrap_or("not started");
        for i in 0..plan.changes.len() {
            if run.states[i] == State::Waiting {
                run.finish(i, Status::NotAttempted, None, Some(reason.to_owned()));
            }
        }
        Report::new(run.outcomes.into_values().collect())
    };
    let ((), report) = tokio::join!(verifier, scheduler);
    report
}
