//! Connecting to the account: Vapi over the network, or a sandbox simulator in-process,
//! through the same HTTP client either way.

use anyhow::{Context as _, bail};

use crate::cli::Global;
use crate::desired::{Carrier, Desired, Route};
use crate::plan::Live;
use crate::plan::live::CarrierNumber;
use crate::vapi::{self, ApiKey, Client, Settings};
use crate::{sim, telnyx};

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
    /// The carrier's client and the tag its numbers carry, when the file declares a carrier.
    carrier: Option<(telnyx::Client, Option<String>)>,
    sandbox: Option<sim::Running>,
}

impl Account {
    /// Connects to `--sandbox FILE`, or to `--api-url` / `VAPI_BASE_URL` / api.vapi.ai with
    /// the key from the environment; and, when the file declares a `carrier`, to Telnyx
    /// (`--telnyx-url` / `TELNYX_BASE_URL` / api.telnyx.com, key `TELNYX_API_KEY`), or the
    /// sandbox's Telnyx.
    pub(super) async fn connect(
        global: &Global,
        pace: &Pace,
        carrier: Option<&Carrier>,
    ) -> anyhow::Result<Self> {
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
        let carrier = if let Some(carrier) = carrier {
            let env = |name: &str| std::env::var(name).ok();
            let (base_url, key) = if let Some(running) = &sandbox {
                (
                    running.url(),
                    telnyx::key(env).unwrap_or_else(|| ApiKey::new("sandbox")),
                )
            } else {
                let Some(key) = telnyx::key(env) else {
                    bail!(
                        "the file declares a carrier, so vapiform reads its numbers: set TELNYX_API_KEY"
                    );
                };
                (telnyx::base_url(global.telnyx_url.as_deref(), env), key)
            };
            let mut settings = telnyx::Settings::new(base_url, key);
            settings.rps = pace.rps;
            settings.concurrency = pace.concurrency;
            let telnyx = telnyx::Client::new(&settings)?;
            tracing::info!(base_url = %telnyx.base_url(), "reading the carrier");
            Some((telnyx, carrier.tag.clone()))
        } else {
            None
        };
        Ok(Self {
            client,
            carrier,
            sandbox,
        })
    }

    /// Reads every number and assistant with list calls, the carrier's numbers beside them
    /// when a carrier is declared, and the squads and workflows that will be shown by name:
    /// none when `names` is `None`; otherwise those `names` asks for (what the file routes
    /// to) and those the account's numbers route to, one list call each.
    pub(super) async fn read(&self, names: Option<RouteKinds>) -> anyhow::Result<Live> {
        let carrier = async {
            match &self.carrier {
                None => Ok(None),
                Some((client, tag)) => client
                    .list_numbers(tag.as_deref())
                    .await
                    .map(Some)
                    .context("cannot read the carrier's numbers"),
            }
        };
        let vapi = async {
            tokio::try_join!(self.client.list_numbers(), self.client.list_assistants())
                .context("cannot read the account")
        };
        let ((numbers, assistants), carrier) = tokio::try_join!(vapi, carrier)?;
        tracing::info!(
            numbers = numbers.len(),
            assistants = assistants.len(),
            carrier = carrier.as_ref().map(Vec::len),
            "read the account"
        );
        let mut live = Live::read(numbers, assistants);
        live.carrier =
            carrier.map(|numbers| numbers.into_iter().map(CarrierNumber::from).collect());
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
