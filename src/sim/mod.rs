//! A local stand-in for the Vapi REST API (phone numbers, assistants, and the squads numbers
//! route to) and for the carrier's inventory (Telnyx's `GET
//! /v2/phone_numbers`) on the same server, with the wire formats, validation and quirks
//! described in `vapi-api.md`, plus injectable faults (latency, 500s, 429s, read lag) so
//! clients can be tested against the failures they will meet.
//!
//! The simulator keeps the whole account in memory behind one lock and, when given a state
//! file, rewrites that file atomically (temporary file, then rename) after every successful
//! write, while still holding the lock, so the file always matches one point in time.
//!
//! Choices where the real API is undocumented:
//! - A request is checked in this order: bearer token (401), rate limit (429 with
//!   `Retry-After`), injected error (500), then the route itself, then (for a write that
//!   succeeded) the after-write failure; latency is added to every answer, errors included.
//!   The `/__sim/*` routes skip all of it and are not counted.
//! - The Telnyx route answers its failures in Telnyx's shape (`{"errors": [{code, title,
//!   detail, source}]}`): 401 code 10009, 429 code 10011 with `x-ratelimit-limit`,
//!   `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds from now) and no `Retry-After`,
//!   500 code 10007, 400 code 10015 naming the parameter. It has its own rate-limit bucket
//!   and, optionally, its own token. Telnyx numbers are read-only and served in the state
//!   file's order unless `sort` names a field (`-field` descending); `filter[country_iso_alpha2]`
//!   matches a number's own `country_iso_alpha2`; unknown query parameters are refused.
//! - Squads are read-only: `GET /squad` lists them like the other v1 lists, and
//!   `GET /squad/{id}` reads one. There is no `/workflow`: Vapi removed it when it retired
//!   workflows, and a write naming a `workflowId` is refused.
//! - 400 bodies always carry `message` as an array of strings; unknown query parameters are
//!   refused like unknown body fields (`property X should not exist`).
//! - Unknown ids (uuid or not) give 404 `{"message":"Not Found","error":"Not Found",...}`.
//! - A phone number's `assistantId` and `squadId` must name an existing assistant and squad,
//!   and a `number` (compared by its digits) may exist only once; an assistant is "pinned"
//!   (409 `assistant_pinned` on delete) while a squad member pins one of its versions
//!   (`assistantVersion`), as the schema describes.
//! - Every POST and PATCH body of `/assistant` and `/phone-number` is checked against Vapi's
//!   own DTO ([`crate::vapi::schema`]; a PATCH by the stored number's provider), answering 400
//!   with one `NestJS` line per offending property.
//! - Creates fill the documented defaults: `status: "active"`, `numberE164CheckEnabled: true`
//!   (byo), `smsEnabled: true` (twilio), and a generated US `number` for a `vapi` number
//!   created without a `sipUri`.
//! - Lag applies to reads only (GET by id, both lists); writes and their validation always
//!   see the latest version, as a real primary database would.
//! - A write chosen to fail after acting (`fail_after_write`) is stored (and persisted) first;
//!   only a write that succeeded is turned into a failure. A hung write is released, with a
//!   500, when the simulator shuts down.

mod chat;
mod faults;
mod meter;
mod query;
mod routes;
mod store;
mod telnyx;
mod timestamp;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::AfterWrite;

/// How to run a simulator.
#[derive(Clone)]
pub struct Options {
    /// State file; created empty if missing; `None` keeps the account in memory only.
    pub state: Option<PathBuf>,
    /// A pre-built account used instead of reading the state file (which is still written on
    /// every write when `state` is set).
    pub account: Option<Account>,
    /// Address to listen on, e.g. `127.0.0.1:0` for an ephemeral port.
    pub listen: SocketAddr,
    /// If set, only this bearer token is accepted on the Vapi routes; otherwise any non-empty
    /// token is.
    pub token: Option<String>,
    /// If set, only this bearer token is accepted on the Telnyx route; otherwise any non-empty
    /// token is.
    pub telnyx_token: Option<String>,
    /// Delay added to every API response.
    pub latency: Duration,
    /// Share (0..=1) of API requests answered 500, decided before acting (nothing changes).
    pub error_rate: f64,
    /// Requests per second above which requests get 429 with `Retry-After`.
    pub rate_limit: Option<f64>,
    /// For this long after a write, reads of the object return its previous version (or 404,
    /// and absence from lists, if the write created it).
    pub lag: Duration,
    /// Share (0..=1) of writes (POST, PATCH, DELETE) that are stored and then fail: answered
    /// 500, the connection dropped, or no answer at all (see `fail_after_write_as`).
    pub fail_after_write: f64,
    /// The ways a write fails after acting; each time, the seeded coin picks one of these.
    /// Empty means all of them.
    pub fail_after_write_as: Vec<AfterWrite>,
    /// Seed for all randomness: error injection, generated ids and generated numbers.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            state: None,
            account: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            telnyx_token: None,
            latency: Duration::ZERO,
            error_rate: 0.0,
            rate_limit: None,
            lag: Duration::ZERO,
            fail_after_write: 0.0,
            fail_after_write_as: AfterWrite::ALL.to_vec(),
            seed: 0,
        }
    }
}

impl std::fmt::Debug for Options {
    /// Never shows the tokens, and summarises a seeded account instead of dumping it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("state", &self.state)
            .field(
                "account",
                &self.account.as_ref().map(|account| {
                    format!(
                        "{} phone numbers, {} assistants, {} squads, {} telnyx numbers",
                        account.phone_numbers.len(),
                        account.assistants.len(),
                        account.squads.len(),
                        account.telnyx_numbers.len()
                    )
                }),
            )
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field(
                "telnyx_token",
                &self.telnyx_token.as_ref().map(|_| "(redacted)"),
            )
            .field("latency", &self.latency)
            .field("error_rate", &self.error_rate)
            .field("rate_limit", &self.rate_limit)
            .field("lag", &self.lag)
            .field("fail_after_write", &self.fail_after_write)
            .field("fail_after_write_as", &self.fail_after_write_as)
            .field("seed", &self.seed)
            .finish()
    }
}

/// The whole simulated account, in the state-file format: every element is an object exactly
/// as its API returns it, so real list responses can seed it. Every collection may be left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Account {
    /// Vapi phone-number objects.
    #[serde(default)]
    pub phone_numbers: Vec<Map<String, Value>>,
    /// Vapi assistant objects.
    #[serde(default)]
    pub assistants: Vec<Map<String, Value>>,
    /// Vapi squad objects (`id`, `name`, `createdAt`, `updatedAt`, ...), read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub squads: Vec<Map<String, Value>>,
    /// The carrier's numbers, Telnyx objects as `GET /v2/phone_numbers` returns them (`id`,
    /// `phone_number`, `status`, `tags`, ...), read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telnyx_numbers: Vec<Map<String, Value>>,
}

/// Request counts since start (or since the last `POST /__sim/reset-stats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    /// Every API request received (Vapi and Telnyx), including those answered 401, 429 or 500.
    pub total: u64,
    /// Counts per route, keyed like `GET /phone-number`, `PATCH /assistant/{id}` or
    /// `GET /v2/phone_numbers`.
    pub by_route: BTreeMap<String, u64>,
    /// The most API requests being handled at once, from arrival until answered (latency
    /// included): what a client's concurrency looks like from here.
    #[serde(default)]
    pub peak_in_flight: u64,
    /// The most API requests that arrived within any one second: a client's rate as seen here.
    #[serde(default)]
    pub peak_per_second: u64,
    /// The faults injected so far.
    #[serde(default)]
    pub injected: InjectedFaults,
    /// When a write first routed a phone number to an assistant (a `POST` or `PATCH
    /// /phone-number` with an `assistantId` that succeeded), in milliseconds since the Unix
    /// epoch: how soon an onboarding answers its first call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_routed: Option<u64>,
}

/// Counts of injected faults, by kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct InjectedFaults {
    /// Requests answered 500 before acting (`error_rate`).
    pub errors: u64,
    /// Requests answered 429 (`rate_limit`).
    pub rate_limited: u64,
    /// Writes stored and then answered 500.
    pub after_write_500: u64,
    /// Writes stored and then left without an answer, the connection closed.
    pub after_write_dropped: u64,
    /// Writes stored and then left unanswered until the client gave up.
    pub after_write_hung: u64,
}

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("could not listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// The state file exists but could not be read.
    #[error("could not read state file {}", path.display())]
    ReadState {
        /// The state file.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// The state file is not valid JSON in the state-file format.
    #[error("state file {} is invalid at line {line}, column {column}: {message}", path.display())]
    ParseState {
        /// The state file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// The account parses but an object in it is unusable (no id, duplicate id, bad timestamp).
    #[error("{origin}: {message}")]
    InvalidAccount {
        /// Where the account came from, e.g. `state file /tmp/s.json`.
        origin: String,
        /// What is wrong, naming the object.
        message: String,
    },
    /// The state file could not be written.
    #[error("could not write state file {}", path.display())]
    WriteState {
        /// The state file.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
}

/// A simulator serving in the background.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    meter: Arc<Mutex<meter::Meter>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:41234`, without a trailing slash: of the Vapi
    /// routes and of the Telnyx route alike, so both clients can be pointed at it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Request counts so far.
    pub fn stats(&self) -> Stats {
        meter::lock(&self.meter).stats().clone()
    }

    /// Stops accepting connections, releases hung writes and waits for in-flight requests;
    /// state is already persisted.
    pub async fn shutdown(self) {
        // The server task may already have ended; then there is nobody to tell.
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Serves until ctrl-c, then shuts down gracefully.
    pub async fn wait(self) {
        // If the signal handler cannot be installed, serving forever would be unstoppable.
        let _ = tokio::signal::ctrl_c().await;
        self.shutdown().await;
    }
}

/// Binds, loads the account, spawns the server task and returns at once.
pub async fn start(mut options: Options) -> Result<Running, Error> {
    let store = store::Store::open(
        options.state.clone(),
        options.account.take(),
        options.seed,
        options.lag,
    )?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: options.listen,
        source,
    })?;
    let meter = Arc::new(Mutex::new(meter::Meter::default()));
    let (stop, stopping) = watch::channel(false);
    let app = routes::router(routes::App::new(
        &options,
        store,
        Arc::clone(&meter),
        stopping.clone(),
    ));
    let task = tokio::spawn(async move {
        let mut stopping = stopping;
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // A dropped sender also means stop.
                let _ = stopping.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "simulator server stopped");
        }
    });
    tracing::info!(%addr, "vapi simulator listening");
    Ok(Running {
        addr,
        meter,
        stop,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_debug_hides_the_token() {
        let options = Options {
            token: Some("sk-live-secret".into()),
            account: Some(Account::default()),
            ..Options::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("sk-live-secret"), "{shown}");
        assert!(shown.contains("(redacted)"));
        assert!(shown.contains("0 phone numbers, 0 assistants"));
        let options = Options {
            telnyx_token: Some("KEY0123-telnyx".into()),
            ..Options::default()
        };
        assert!(!format!("{options:?}").contains("KEY0123-telnyx"));
    }
}
