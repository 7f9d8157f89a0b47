//! Connecting to the account: Vapi over the network, or a sandbox simulator in-process,
//! through the same HTTP client either way.

use anyhow::{Context as _, bail};

use crate::cli::Global;
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

    /// Reads every number and assistant with list calls.
    pub(super) async fn read(&self) -> anyhow::Result<Live> {
        let (numbers, assistants) =
            tokio::try_join!(self.client.list_numbers(), self.client.list_assistants())
                .context("cannot read the account")?;
        tracing::info!(
            numbers = numbers.len(),
            assistants = assistants.len(),
            "read the account"
        );
        Ok(Live::read(numbers, assistants))
    }

    /// Stops the sandbox, if any; its file already holds every write.
    pub(super) async fn close(self) {
        if let Some(running) = self.sandbox {
            running.shutdown().await;
        }
    }
}
