//! Sending one change's write, with lookup-before-retry for creates, then verifying it.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::Options;
use super::report::{Outcome, Status};
use super::verify::{self, Verdict};
use crate::desired::placeholder;
use crate::plan::live::{self, number_key};
use crate::plan::{Address, Change, Secrets, Target, Write};
use crate::vapi::{Client, Error};

/// How many times a create is sent when each failure was ambiguous and the lookup found nothing.
const CREATE_ATTEMPTS: u32 = 6;

/// How far the server's clock may be behind ours: the lookup after an ambiguous create lists
/// what was created since this long before the POST was sent.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// What every change of one apply shares.
pub(crate) struct Run<'a> {
    pub client: &'a Client,
    pub secrets: &'a Secrets,
    pub options: &'a Options,
}

impl Run<'_> {
    /// Sends the change and reads it back. The flag says the API key was rejected, so apply
    /// should stop.
    pub(crate) async fn change(
        &self,
        change: &Change,
        created: &HashMap<Address, String>,
    ) -> (Outcome, bool) {
        let outcome = |status, id, detail| Outcome::of(change, status, id, detail);
        match self.send(change, created).await {
            Ok((id, Verdict::Verified)) => (outcome(Status::Applied, Some(id), None), false),
            Ok((id, Verdict::Differs(detail))) => {
                (outcome(Status::Unverified, Some(id), Some(detail)), false)
            }
            Err(failure) => (
                outcome(Status::Failed, None, Some(failure.detail)),
                failure.fatal,
            ),
        }
    }

    async fn send(
        &self,
        change: &Change,
        created: &HashMap<Address, String>,
    ) -> Result<(String, Verdict), Failure> {
        let timeout = self.options.verify_timeout;
        match &change.write {
            Write::CreateAssistant { key, body } => {
                let sent = self.resolve(body)?;
                let id = self.create_assistant(&sent, key).await?;
                let verdict =
                    verify::until_equal(&sent, body, timeout, || self.read_assistant(&id)).await;
                Ok((id, verdict))
            }
            Write::UpdateAssistant { id, body } => {
                let sent = self.resolve(body)?;
                self.client
                    .update_assistant(id, &sent)
                    .await
                    .map_err(Failure::from)?;
                let verdict =
                    verify::until_equal(&sent, body, timeout, || self.read_assistant(id)).await;
                Ok((id.clone(), verdict))
            }
            Write::DeleteAssistant { id } => {
                match self.client.delete_assistant(id).await {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
                let verdict = verify::until_gone(timeout, || self.client.get_assistant(id)).await;
                Ok((id.clone(), verdict))
            }
            Write::UpdateNumber { id, body, route } => {
                let sent = Self::routed(self.resolve(body)?, route.as_ref(), created)?;
                self.client
                    .update_number(id, &sent)
                    .await
                    .map_err(Failure::from)?;
                let verdict =
                    verify::until_equal(&sent, body, timeout, || self.read_number(id)).await;
                Ok((id.clone(), verdict))
            }
            Write::CreateNumber { body, route } => {
                let sent = Self::routed(self.resolve(body)?, route.as_ref(), created)?;
                let id = self.create_number(&sent).await?;
                let verdict =
                    verify::until_equal(&sent, body, timeout, || self.read_number(&id)).await;
                Ok((id, verdict))
            }
        }
    }

    /// The body with `${env.*}` values filled in, just before it is sent.
    fn resolve(&self, body: &Map<String, Value>) -> Result<Map<String, Value>, Failure> {
        match placeholder::resolve_env(&Value::Object(body.clone()), &|name| {
            self.secrets.get(name).cloned()
        }) {
            Ok(Value::Object(resolved)) => Ok(resolved),
            Ok(_) => Ok(body.clone()),
            Err(missing) => Err(Failure {
                detail: missing.to_string(),
                fatal: false,
            }),
        }
    }

    /// Sets `assistantId` from the route, resolving an assistant created earlier in this apply.
    fn routed(
        mut body: Map<String, Value>,
        route: Option<&Target>,
        created: &HashMap<Address, String>,
    ) -> Result<Map<String, Value>, Failure> {
        let id = match route {
            None => return Ok(body),
            Some(Target::Id(id)) => id.clone(),
            Some(Target::Address(address)) => {
                created.get(address).cloned().ok_or_else(|| Failure {
                    detail: format!("{address} was not created"),
                    fatal: false,
                })?
            }
        };
        body.insert("assistantId".to_owned(), Value::String(id));
        Ok(body)
    }

    /// POSTs an assistant. After an ambiguous failure it looks for the label before trying
    /// again, so a create that did land is never repeated.
    async fn create_assistant(
        &self,
        body: &Map<String, Value>,
        key: &str,
    ) -> Result<String, Failure> {
        let mut last = Failure {
            detail: String::new(),
            fatal: false,
        };
        for attempt in 0..CREATE_ATTEMPTS {
            let sent = time::OffsetDateTime::now_utc();
            match self.client.create_assistant(body).await {
                Ok(assistant) => return Ok(assistant.id),
                Err(error) if error.is_ambiguous() => {
                    tracing::info!(%error, key, "create failed ambiguously; looking for the label before retrying");
                    let found = self
                        .client
                        .list_assistants_created_since(sent - CLOCK_SKEW)
                        .await
                        .map_err(Failure::from)?;
                    if let Some(existing) = found.iter().find(|a| live::label(a) == Some(key)) {
                        return Ok(existing.id.clone());
                    }
                    last = error.into();
                    backoff(attempt).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(last)
    }

    /// POSTs a number, looking it up by number after an ambiguous failure before trying again.
    async fn create_number(&self, body: &Map<String, Value>) -> Result<String, Failure> {
        let number = body
            .get("number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut last = Failure {
            detail: String::new(),
            fatal: false,
        };
        for attempt in 0..CREATE_ATTEMPTS {
            match self.client.create_number(body).await {
                Ok(created) => return Ok(created.id),
                Err(error) if error.is_ambiguous() => {
                    tracing::info!(%error, number, "import failed ambiguously; looking the number up before retrying");
                    let found = self
                        .client
                        .search_numbers(number.trim_start_matches('+'))
                        .await
                        .map_err(Failure::from)?;
                    if let Some(existing) = found.iter().find(|n| number_key(n) == number) {
                        return Ok(existing.id.clone());
                    }
                    last = error.into();
                    backoff(attempt).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(last)
    }

    async fn read_assistant(&self, id: &str) -> Result<Map<String, Value>, Error> {
        Ok(self.client.get_assistant(id).await?.fields)
    }

    async fn read_number(&self, id: &str) -> Result<Map<String, Value>, Error> {
        Ok(self.client.get_number(id).await?.to_object())
    }
}

/// Why a write failed, and whether apply should stop (the key was rejected).
struct Failure {
    detail: String,
    fatal: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            fatal: matches!(error, Error::Unauthorized { .. }),
            detail: error.to_string(),
        }
    }
}

/// A pause before sending a create again: 100 ms doubling, at most 3.2 s.
async fn backoff(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
}
