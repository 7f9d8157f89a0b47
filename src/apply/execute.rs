//! Sending one change's write. Creates are never repeated blindly: after an ambiguous failure
//! the object is looked up (by label or number) before it is tried again.

use serde_json::{Map, Value};

use super::verify::{Kind, Written};
use crate::desired::placeholder;
use crate::plan::live::{self, number_key};
use crate::plan::{Secrets, Write};
use crate::vapi::{Client, Error};

/// How many times a create is sent when each failure was ambiguous and the lookup found nothing.
const CREATE_ATTEMPTS: u32 = 6;

/// How far the server's clock may be behind ours: the lookup after an ambiguous create lists
/// what was created since this long before the POST was sent.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Why a write failed, and whether apply should stop (the key was rejected).
pub(crate) struct Failure {
    pub detail: String,
    pub fatal: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            fatal: matches!(error, Error::Unauthorized { .. }),
            detail: error.to_string(),
        }
    }
}

/// What every write of one apply shares.
pub(crate) struct Sender<'a> {
    pub client: &'a Client,
    pub secrets: &'a Secrets,
}

impl Sender<'_> {
    /// Sends `write`. `route` is the id of the assistant a number write routes to, resolved by
    /// the scheduler; `adopt` the id of an assistant another apply created for this create's
    /// key since the plan was made, which is updated instead of creating a duplicate.
    pub(crate) async fn send(
        &self,
        write: &Write,
        route: Option<&str>,
        adopt: Option<&str>,
    ) -> Result<Written, Failure> {
        match write {
            Write::CreateAssistant { key, body } => {
                let sent = self.resolve(body)?;
                let created = match adopt {
                    Some(id) => self.client.update_assistant(id, &sent).await?,
                    None => self.create_assistant(&sent, key).await?,
                };
                Ok(Written::new(
                    Kind::Assistant,
                    created.id,
                    created.updated_at,
                    sent,
                    body,
                ))
            }
            Write::UpdateAssistant { id, body } => {
                let sent = self.resolve(body)?;
                let updated = self.client.update_assistant(id, &sent).await?;
                Ok(Written::new(
                    Kind::Assistant,
                    updated.id,
                    updated.updated_at,
                    sent,
                    body,
                ))
            }
            Write::DeleteAssistant { id } => {
                match self.client.delete_assistant(id).await {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
                Ok(Written::new(
                    Kind::Deleted,
                    id.clone(),
                    String::new(),
                    Map::new(),
                    &Map::new(),
                ))
            }
            Write::UpdateNumber { id, body, .. } => {
                let sent = routed(self.resolve(body)?, route);
                let updated = self.client.update_number(id, &sent).await?;
                Ok(Written::new(
                    Kind::Number,
                    updated.id,
                    updated.updated_at,
                    sent,
                    body,
                ))
            }
            Write::CreateNumber { body, .. } => {
                let sent = routed(self.resolve(body)?, route);
                let created = self.create_number(&sent).await?;
                Ok(Written::new(
                    Kind::Number,
                    created.id,
                    created.updated_at,
                    sent,
                    body,
                ))
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

    /// POSTs an assistant. After an ambiguous failure it looks for the label before trying
    /// again, so a create that did land is never repeated.
    async fn create_assistant(
        &self,
        body: &Map<String, Value>,
        key: &str,
    ) -> Result<crate::vapi::Assistant, Failure> {
        let mut last = Failure {
            detail: String::new(),
            fatal: false,
        };
        for attempt in 0..CREATE_ATTEMPTS {
            let sent = time::OffsetDateTime::now_utc();
            match self.client.create_assistant(body).await {
                Ok(assistant) => return Ok(assistant),
                Err(error) if error.is_ambiguous() => {
                    tracing::info!(%error, key, "create failed ambiguously; looking for the label before retrying");
                    let found = self
                        .client
                        .list_assistants_created_since(sent - CLOCK_SKEW)
                        .await?;
                    if let Some(existing) = found
                        .into_iter()
                        .find(|a| a.metadata().and_then(live::label_in) == Some(key))
                    {
                        return Ok(existing);
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
    async fn create_number(
        &self,
        body: &Map<String, Value>,
    ) -> Result<crate::vapi::PhoneNumber, Failure> {
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
                Ok(created) => return Ok(created),
                Err(error) if error.is_ambiguous() => {
                    tracing::info!(%error, number, "import failed ambiguously; looking the number up before retrying");
                    let found = self
                        .client
                        .search_numbers(number.trim_start_matches('+'))
                        .await?;
                    if let Some(existing) = found.into_iter().find(|n| number_key(n) == number) {
                        return Ok(existing);
                    }
                    last = error.into();
                    backoff(attempt).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(last)
    }
}

/// A number body with `assistantId` set to the assistant it routes to.
fn routed(mut body: Map<String, Value>, route: Option<&str>) -> Map<String, Value> {
    if let Some(id) = route {
        body.insert("assistantId".to_owned(), Value::String(id.to_owned()));
    }
    body
}

/// A pause before sending a create again: 100 ms doubling, at most 3.2 s.
async fn backoff(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
}
