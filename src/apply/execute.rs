//! Sending one change's write. Creates are never repeated blindly: after an ambiguous failure
//! the object is looked up (by label or number), for as long as reads may lag, before it is
//! tried again.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

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
    /// How long a created object may stay out of lists (read lag): the apply's verify
    /// timeout. After an ambiguous create, how long to look for it before sending it again.
    pub lag: Duration,
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

    /// POSTs an assistant, looking for its label after an ambiguous failure.
    async fn create_assistant(
        &self,
        body: &Map<String, Value>,
        key: &str,
    ) -> Result<crate::vapi::Assistant, Failure> {
        self.create_once(
            key,
            async || self.client.create_assistant(body).await,
            async |sent| {
                let found = self
                    .client
                    .list_assistants_created_since(sent - CLOCK_SKEW)
                    .await?;
                Ok(found
                    .into_iter()
                    .find(|a| a.metadata().and_then(live::label_in) == Some(key)))
            },
        )
        .await
    }

    /// POSTs a number, searching for it by number after an ambiguous failure.
    async fn create_number(
        &self,
        body: &Map<String, Value>,
    ) -> Result<crate::vapi::PhoneNumber, Failure> {
        let number = body
            .get("number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.create_once(
            number,
            async || self.client.create_number(body).await,
            async |_| {
                let found = self
                    .client
                    .search_numbers(number.trim_start_matches('+'))
                    .await?;
                Ok(found.into_iter().find(|n| number_key(n) == number))
            },
        )
        .await
    }

    /// Sends a create with `post` so that it lands once. After an ambiguous failure the
    /// object is looked for with `find` (given when the create was sent) until it shows or
    /// both the pause before the next attempt and `lag` have passed: a create that did land
    /// may stay out of lists and searches for as long as reads lag. Only then is it sent again.
    async fn create_once<T>(
        &self,
        what: &str,
        post: impl AsyncFn() -> Result<T, Error>,
        find: impl AsyncFn(time::OffsetDateTime) -> Result<Option<T>, Error>,
    ) -> Result<T, Failure> {
        let mut last = Failure {
            detail: String::new(),
            fatal: false,
        };
        for attempt in 0..CREATE_ATTEMPTS {
            let sent = time::OffsetDateTime::now_utc();
            match post().await {
                Ok(created) => return Ok(created),
                Err(error) if error.is_ambiguous() => {
                    tracing::info!(%error, what, "create failed ambiguously; looking for it before sending it again");
                    let until = Instant::now() + self.lag.max(pause(attempt));
                    for look in 0.. {
                        if let Some(found) = find(sent).await? {
                            return Ok(found);
                        }
                        let now = Instant::now();
                        if now >= until {
                            break;
                        }
                        tokio::time::sleep_until(until.min(now + pause(look))).await;
                    }
                    last = error.into();
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

/// The pause before the `n`th look or attempt: 100 ms doubling, at most 3.2 s.
fn pause(n: u32) -> Duration {
    Duration::from_millis(100 << n.min(5))
}
