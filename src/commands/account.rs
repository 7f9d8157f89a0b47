//! Connecting to the account: Vapi over the network, or a sandbox simulator in-process,
//! through the same HTTP client either way.

use anyhow::{Context as _, bail};

use crate::cli::Global;
use crate::desired::{Desired, Route};
use crate::plan::Live;
use crate::sim;
use crate::vapi::{self, ApiKey, Client, Settings};

/// How hard the client may push the API.
pub(super) struct Pace {
    pub rps: f64,
    pub concurrency: usize,
}

impl Pace {
    /// Reading: the list calls run one page after another per collection, so no rate limit.
    pub(super) const READ: Self = Self {
        rps: 0.0,
        concurrency: 8,
    };
}

/// What `list` returns when `wanted`; otherwise it is never sent (a future does nothing until
/// awaited).
async fn read_if<T>(
    wanted: bool,
    list: impl Future<Output = Result<T, vapi::Error>>,
) -> Result<Option<T>, vapi::Error> {
    if wanted {
        list.await.map(Some)
    } else {
        Ok(None)
    }
}

/// Which kinds of route target beyond assistants something routes to.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RouteKinds {
    pub squads: bool,
    pub workflows: bool,
}

impl RouteKinds {
    /// What the file's businesses route to.
    pub(super) fn declared_in(desired: &Desired) -> Self {
        let routes = || desired.businesses.values().map(|b| &b.route);
        Self {
            squads: routes().any(|route| matches!(route, Route::Squad(_))),
            workflows: routes().any(|route| matches!(route, Route::Workflow(_))),
        }
    }

    /// What the account's numbers route to.
    fn routed_in(live: &Live) -> Self {
        Self {
            squads: live.numbers.iter().any(|n| n.squad_id.is_some()),
            workflows: live.numbers.iter().any(|n| n.workflow_id.is_some()),
        }
    }
}

/// A connected account.
pub(super) struct Account {
    pub client: Client,
    sandbox: Option<sim::Running>,
}

impl Account {
    /// Connects to `--sandbox FILE`, or to `--api-url` / `VAPI_BASE_URL` / api.vapi.ai with
    /// the key from the environment.
    pub(super) async fn connect(global: &Global, pace: &Pace) -> anyhow::Result<Self> {
        let key = vapi::key(|name| std::env::var(name).ok());
        let (base_url, key, sandbox) = if let Some(path) = &global.sandbox {
            let running = sim::start(sim::Options {
                state: Some(path.clone()),
                ..sim::Options::default()
            })
            .await
            .with_context(|| format!("cannot start the sandbox on {}", path.display()))?;
            (
                running.url(),
                key.unwrap_or_else(|| ApiKey::new("sandbox")),
                Some(running),
            )
        } else {
            let Some(key) = key else {
                bail!(
                    "no API key: set VAPI_API_KEY (or VAPI_PRIVATE_API_KEY, VAPI_TOKEN), or try --sandbox FILE"
                );
            };
            let base = vapi::base_url(global.api_url.as_deref(), |name| std::env::var(name).ok());
            (base, key, None)
        };
        let mut settings = Settings::new(base_url, key);
        settings.rps = pace.rps;
        settings.concurrency = pace.concurrency;
        let client = Client::new(&settings)?;
        tracing::info!(base_url = %client.base_url(), sandbox = sandbox.is_some(), "connecting");
        Ok(Self { client, sandbox })
    }

    /// Reads every number and assistant with list calls, and the squads and workflows that
    /// will be shown by name: none when `names` is `None`; otherwise those `names` asks for
    /// (what the file routes to) and those the account's numbers route to, one list call each.
    pub(super) async fn read(&self, names: Option<RouteKinds>) -> anyhow::Result<Live> {
        let (numbers, assistants) =
            tokio::try_join!(self.client.list_numbers(), self.client.list_assistants())
                .context("cannot read the account")?;
        tracing::info!(
            numbers = numbers.len(),
            assistants = assistants.len(),
            "read the account"
        );
        let mut live = Live::read(numbers, assistants);
        let Some(wanted) = names else {
            return Ok(live);
        };
        let routed = RouteKinds::routed_in(&live);
        let (squads, workflows) = tokio::try_join!(
            read_if(wanted.squads || routed.squads, self.client.list_squads()),
            read_if(
                wanted.workflows || routed.workflows,
                self.client.list_workflows()
            ),
        )
        .context("cannot read the account's squads and workflows")?;
        if let Some(squads) = squads {
            live.squads = Live::route_targets(squads);
        }
        if let Some(workflows) = workflows {
            live.workflows = Live::route_targets(workflows);
        }
        Ok(live)
    }

    /// Stops the sandbox, if any; its file already holds every write.
    pub(super) async fn close(self) {
        if let Some(running) = self.sandbox {
            running.shutdown().await;
        }
    }
}
