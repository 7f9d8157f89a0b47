//! Connecting to the account: Vapi over the network, or a sandbox simulator in-process,
//! through the same HTTP client either way.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, bail};
use futures::{StreamExt as _, TryStreamExt as _};

use crate::cli::Global;
use crate::desired::{Carrier, Desired, Route};
use crate::id::AssistantId;
use crate::plan::live::CarrierNumber;
use crate::plan::{Live, Settle};
use crate::vapi::{self, ApiKey, Client, Settings};
use crate::{sim, telnyx};

/// How hard the client may push the API, and whether the command writes to it.
#[derive(Debug, Clone)]
pub(super) struct Pace {
    pub rps: f64,
    pub concurrency: usize,
    /// Whether the command may write: only then is a `--sandbox` file that does not exist
    /// created (a read-only command given a mistyped path says so instead).
    pub writes: bool,
}

impl Pace {
    /// Reading: the list calls run one page after another per collection, so no rate limit.
    pub(super) const READ: Self = Self {
        rps: 0.0,
        concurrency: 8,
        writes: false,
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
}

impl RouteKinds {
    /// What the file's businesses route to.
    pub(super) fn declared_in(desired: &Desired) -> Self {
        let routes = || desired.businesses.values().map(|b| &b.route);
        Self {
            squads: routes().any(|route| matches!(route, Route::Squad(_))),
        }
    }

    /// What planning `desired` against `live` needs: what the file routes to, and the squads
    /// whenever the plan may delete an assistant (a labelled one the file no longer declares,
    /// or a second copy of a label), since Vapi refuses to delete a squad's member.
    pub(super) fn needed(desired: &Desired, live: &Live) -> Self {
        let mut labels = std::collections::HashSet::new();
        let deletable = live.assistants.iter().any(|assistant| {
            assistant
                .label
                .as_deref()
                .is_some_and(|key| !labels.insert(key) || !desired.assistants.contains_key(key))
        });
        let declared = Self::declared_in(desired);
        Self {
            squads: declared.squads || deletable,
        }
    }

    /// What a saved plan's writes route to, and the squads whenever it deletes an assistant
    /// (Vapi refuses to delete a squad's member): with the numbers' own routes, every squad a
    /// routing line of the plan can name.
    pub(super) fn written_by(plan: &crate::plan::Plan) -> Self {
        use crate::plan::Operation;
        Self {
            squads: plan.changes.iter().any(|change| match change.op() {
                Operation::ImportNumber { body, .. } | Operation::UpdateNumber { body, .. } => body
                    .get("squadId")
                    .is_some_and(serde_json::Value::is_string),
                Operation::DeleteAssistant { .. } => true,
                _ => false,
            }),
        }
    }

    /// What the account's numbers route to.
    fn routed_in(live: &Live) -> Self {
        Self {
            squads: live.numbers.iter().any(|n| n.squad_id.is_some()),
        }
    }
}

/// The carrier's client and the tag its numbers carry.
pub(super) struct CarrierClient {
    client: telnyx::Client,
    tag: Option<String>,
}

/// A connected account.
pub(super) struct Account {
    pub client: Client,
    /// The carrier's client, when the file declares a carrier.
    carrier: Option<CarrierClient>,
    /// `--telnyx-url`, and the pace, for connecting the carrier once the file names one.
    telnyx_url: Option<String>,
    pace: Pace,
    /// The simulator of a `--sandbox` account. It stops when the account is let go (a dropped
    /// [`sim::Running`] stops its server): a session ends in that one place, whichever way the
    /// command that opened it ends. Its file already holds every write, and the account has no
    /// request in flight once it can be let go.
    sandbox: Option<sim::Running>,
}

impl Account {
    /// Connects to `--sandbox FILE`, or to `--api-url` / `VAPI_BASE_URL` / api.vapi.ai with
    /// the key from the environment. The carrier is connected apart ([`Account::connect_carrier`]):
    /// only the file says whether there is one, and the account is read while the file loads.
    pub(super) async fn connect(global: &Global, pace: &Pace) -> anyhow::Result<Self> {
        let key = vapi::key(|name| std::env::var(name).ok());
        let (base_url, key, sandbox) = if let Some(path) = &global.sandbox {
            if !pace.writes && !path.exists() {
                bail!(
                    "the sandbox account {} does not exist; check the path (apply creates a new sandbox account, plan, export and numbers only read one)",
                    path.display()
                );
            }
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
        Ok(Self {
            client,
            carrier: None,
            telnyx_url: global.telnyx_url.clone(),
            pace: pace.clone(),
            sandbox,
        })
    }

    /// A client for the carrier when the file declares one: Telnyx (`--telnyx-url` /
    /// `TELNYX_BASE_URL` / api.telnyx.com, key `TELNYX_API_KEY`), or the sandbox's Telnyx. Not
    /// attached yet (see [`Account::attach`]), so it can be checked while the account is read.
    pub(super) fn connect_carrier(
        &self,
        carrier: Option<&Carrier>,
    ) -> anyhow::Result<Option<CarrierClient>> {
        let Some(carrier) = carrier else {
            return Ok(None);
        };
        let env = |name: &str| std::env::var(name).ok();
        let (base_url, key) = if let Some(running) = &self.sandbox {
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
            (telnyx::base_url(self.telnyx_url.as_deref(), env), key)
        };
        let mut settings = telnyx::Settings::new(base_url, key);
        settings.rps = self.pace.rps;
        settings.concurrency = self.pace.concurrency;
        let client = telnyx::Client::new(&settings)?;
        tracing::info!(base_url = %client.base_url(), "reading the carrier");
        Ok(Some(CarrierClient {
            client,
            tag: carrier.tag.clone(),
        }))
    }

    /// Reads the carrier through `carrier` from now on.
    pub(super) fn attach(&mut self, carrier: Option<CarrierClient>) {
        self.carrier = carrier;
    }

    /// Reads the whole account: [`Account::read_lists`], then [`Account::read_rest`].
    pub(super) async fn read(&self, names: Option<RouteKinds>) -> anyhow::Result<Live> {
        let settle = Settle::none();
        let mut live = self.read_lists(&settle).await?;
        self.finish_settling(&settle, &mut live).await?;
        self.read_rest(&mut live, names).await?;
        Ok(live)
    }

    /// Reads every number and assistant with list calls: what does not depend on the file.
    /// Assistants `settle` settles (see [`Settle`]) come with [`Account::finish_settling`].
    pub(super) async fn read_lists(&self, settle: &Settle) -> anyhow::Result<Live> {
        let (numbers, assistants) = tokio::try_join!(
            self.client.list_numbers(),
            self.client.list_assistants_into(|page| settle.page(page))
        )
        .context("cannot read the account")?;
        Ok(Live::read(numbers, assistants))
    }

    /// Takes what `settle` held back (see [`Settle::finish`]), and reads again the settled
    /// assistants whose bodies the planner needs after all: one by one, several at once, or
    /// with one more read of the whole list when that takes fewer requests (two applies at once
    /// can leave every label of a fleet carried twice).
    pub(super) async fn finish_settling(
        &self,
        settle: &Settle,
        live: &mut Live,
    ) -> anyhow::Result<()> {
        let again = settle
            .finish(live)
            .await
            .context("cannot read the account")?;
        if !again.is_empty() {
            let pages = live.assistants.len().div_ceil(vapi::PAGE);
            let read: Vec<vapi::Assistant> = if again.len() > pages {
                let wanted: HashSet<&str> = again.iter().map(AssistantId::as_str).collect();
                let mut all = self.client.list_assistants().await;
                if let Ok(all) = &mut all {
                    all.retain(|assistant| wanted.contains(assistant.id.as_str()));
                }
                all
            } else {
                futures::stream::iter(&again)
                    .map(|id| self.client.get_assistant(id))
                    .buffer_unordered(self.pace.concurrency.max(1))
                    .try_collect()
                    .await
            }
            .context("cannot read the account")?;
            let mut read: HashMap<String, vapi::Assistant> = read
                .into_iter()
                .map(|assistant| (assistant.id.clone(), assistant))
                .collect();
            if let Some(gone) = again.iter().find(|id| !read.contains_key(id.as_str())) {
                bail!(
                    "cannot read the account: assistant {gone} was deleted while it was read; plan again"
                );
            }
            for kept in &mut live.assistants {
                if let Some(read) = read.remove(kept.id.as_str()) {
                    *kept = read.into();
                }
            }
        }
        tracing::info!(
            numbers = live.numbers.len(),
            assistants = live.assistants.len(),
            settled = live
                .assistants
                .iter()
                .filter(|a| a.holds_declared())
                .count(),
            "read the account"
        );
        Ok(())
    }

    /// Reads what `live` lacks: the carrier's numbers when a carrier is connected, and the
    /// squads and workflows that will be shown by name: none when `names` is `None`; otherwise
    /// those `names` asks for (what the file routes to) and those the account's numbers route
    /// to, one list call each.
    pub(super) async fn read_rest(
        &self,
        live: &mut Live,
        names: Option<RouteKinds>,
    ) -> anyhow::Result<()> {
        let carrier = async {
            match &self.carrier {
                None => Ok(None),
                Some(CarrierClient { client, tag }) => client
                    .list_numbers_into(
                        |number| CarrierNumber::read(number, tag.as_deref()),
                        |number| (number.id.as_str(), number.number.as_str()),
                    )
                    .await
                    .map(Some)
                    .context("cannot read the carrier's numbers"),
            }
        };
        let wanted = names.map(|wanted| (wanted, RouteKinds::routed_in(live)));
        let wants = |pick: fn(&RouteKinds) -> bool| {
            wanted.is_some_and(|(wanted, routed)| pick(&wanted) || pick(&routed))
        };
        // Workflows are not read: Vapi removed `/workflow` when it retired them, and a number
        // still holding one is shown by its id.
        let targets = async {
            read_if(wants(|k| k.squads), self.client.list_squads())
                .await
                .context("cannot read the account's squads")
        };
        let (carrier, squads) = tokio::try_join!(carrier, targets)?;
        if let Some(numbers) = carrier {
            tracing::info!(numbers = numbers.len(), "read the carrier");
            live.carrier = Some(numbers);
        }
        if let Some(squads) = squads {
            live.read_squads(squads);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorChoice;

    #[tokio::test]
    async fn a_sandbox_account_stops_its_simulator_when_it_is_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let global = Global {
            api_url: None,
            telnyx_url: None,
            sandbox: Some(dir.path().join("account.json")),
            verbose: 0,
            quiet: true,
            color: ColorChoice::Never,
        };
        let writes = Pace {
            writes: true,
            ..Pace::READ
        };
        let account = Account::connect(&global, &writes).await.unwrap();
        let url = account.client.base_url().to_string();
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        assert!(tokio::net::TcpStream::connect(&address).await.is_ok());
        drop(account);
        // The server stops accepting as soon as its task sees the signal.
        let mut refused = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&address).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(
            refused,
            "the sandbox at {url} still accepts after its account was let go"
        );
    }
}
