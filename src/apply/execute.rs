//! Sending one change's write. Creates are never repeated blindly: after an ambiguous failure
//! the object is looked up (by label or number), for as long as reads may lag, before it is
//! tried again.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::verify::{Kind, Written};
use crate::desired::placeholder;
use crate::plan::live::{self, number_key};
use crate::plan::{Operation, Secrets};
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

/// How long an update that failed ambiguously is read back for, looking for its effect.
const READ_BACK: Duration = Duration::from_secs(3);

/// What every write of one apply shares.
pub(crate) struct Sender<'a> {
    pub client: &'a Client,
    pub secrets: &'a Secrets,
    /// How long a created object may stay out of lists (read lag): the apply's verify
    /// timeout. After an ambiguous create, how long to look for it before sending it again.
    pub lag: Duration,
}

impl Sender<'_> {
    /// The `updatedAt` of an update that was answered `answer`. When it failed ambiguously (a
    /// server error, a dropped connection, a timeout, after the retries), the object is read
    /// back (`read`: its fields and `updatedAt`) for a few seconds, and if it holds every field
    /// sent the update took effect, and is verified like any other. Otherwise the update
    /// failed, saying so.
    async fn updated(
        &self,
        answer: Result<String, Error>,
        sent: &Map<String, Value>,
        read: impl AsyncFn() -> Result<(Map<String, Value>, String), Error>,
    ) -> Result<String, Failure> {
        let error = match answer {
            Ok(updated_at) => return Ok(updated_at),
            Err(error) => error,
        };
        if !error.is_ambiguous() {
            return Err(error.into());
        }
        let until = Instant::now() + READ_BACK.min(self.lag);
        loop {
            if let Ok((fields, updated_at)) = read().await
                && crate::plan::compare::differences(sent, &fields).is_empty()
            {
                tracing::info!(%error, "the update failed, but reading it back shows it took effect");
                return Ok(updated_at);
            }
            if Instant::now() >= until {
                let mut failure = Failure::from(error);
                failure
                    .detail
                    .push_str("; read back, the object does not hold the update");
                return Err(failure);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Sends the write of `op`. `route` is the id of the assistant a number write routes to, resolved by
    /// the scheduler; `adopt` the id of an assistant another apply created for this create's
    /// key since the plan was made, which is updated instead of creating a duplicate.
    pub(crate) async fn send(
        &self,
        op: &Operation,
        route: Option<&str>,
        adopt: Option<&str>,
    ) -> Result<Written, Failure> {
        match op {
            Operation::CreateAssistant { key, body } => {
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
            Operation::UpdateAssistant { expect, body, .. } => {
                let id = &expect.id;
                let sent = self.resolve(body)?;
                let answer = self
                    .client
                    .update_assistant(id, &sent)
                    .await
                    .map(|updated| updated.updated_at);
                let updated_at = self
                    .updated(answer, &sent, async || {
                        let read = self.client.get_assistant(id).await?;
                        Ok((read.fields(), read.updated_at))
                    })
                    .await?;
                Ok(Written::new(
                    Kind::Assistant,
                    id.to_string(),
                    updated_at,
                    sent,
                    body,
                ))
            }
            Operation::DeleteAssistant { expect, .. } => {
                let id = &expect.id;
                match self.client.delete_assistant(id).await {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
                Ok(Written::new(
                    Kind::Deleted,
                    id.to_string(),
                    String::new(),
                    Map::new(),
                    &Map::new(),
                ))
            }
            Operation::UpdateNumber { expect, body, .. } => {
                let id = &expect.id;
                let sent = routed(self.resolve(body)?, route);
                let answer = self
                    .client
                    .update_number(id, &sent)
                    .await
                    .map(|updated| updated.updated_at);
                let updated_at = self
                    .updated(answer, &sent, async || {
                        let read = self.client.get_number(id).await?;
                        Ok((read.to_object(), read.updated_at))
                    })
                    .await?;
                Ok(Written::new(
                    Kind::Number,
                    id.to_string(),
                    updated_at,
                    sent,
                    body,
                ))
            }
            Operation::ImportNumber { body, .. } => {
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

#[cfg(test)]
mod tests {
    //! Updates that fail ambiguously, against the simulator over HTTP, with a client that
    //! sends each request once.

    use super::*;
    use crate::http::{ApiKey, Settings};
    use crate::sim::{self, AfterWrite};
    use serde_json::json;

    const ID: &str = "00000000-0000-4000-8000-000000000001";

    async fn serve(options: sim::Options) -> (sim::Running, Client) {
        let account: sim::Account = serde_json::from_value(json!({"assistants": [
            {"id": ID, "orgId": "o", "name": "Old", "createdAt": "2026-01-01T00:00:00.000Z",
             "updatedAt": "2026-01-01T00:00:00.000Z"}]}))
        .unwrap();
        let running = sim::start(sim::Options {
            account: Some(account),
            ..options
        })
        .await
        .unwrap();
        let mut settings = Settings::new(running.url(), ApiKey::new("k"));
        settings.rps = 0.0;
        settings.backoff.attempts = 1;
        (running, Client::new(&settings).unwrap())
    }

    fn rename() -> Operation {
        Operation::UpdateAssistant {
            key: "acme".into(),
            adopt: false,
            expect: crate::plan::Unchanged::of(ID),
            body: crate::plan::compare::object(json!({"name": "New"})),
        }
    }

    #[tokio::test]
    async fn an_update_stored_then_answered_500_is_read_back_and_taken() {
        let (running, client) = serve(sim::Options {
            fail_after_write: 1.0,
            fail_after_write_as: vec![AfterWrite::Status500],
            ..sim::Options::default()
        })
        .await;
        let secrets = Secrets::new();
        let sender = Sender {
            client: &client,
            secrets: &secrets,
            lag: Duration::from_secs(1),
        };
        let written = sender.send(&rename(), None, None).await;
        assert!(written.is_ok(), "the read shows the update took effect");
        running.shutdown().await;
    }

    #[tokio::test]
    async fn an_update_that_did_not_act_fails_saying_it_was_read_back() {
        let (running, client) = serve(sim::Options {
            error_rate: 1.0,
            ..sim::Options::default()
        })
        .await;
        let secrets = Secrets::new();
        let sender = Sender {
            client: &client,
            secrets: &secrets,
            lag: Duration::from_millis(300),
        };
        let Err(failure) = sender.send(&rename(), None, None).await else {
            panic!("nothing was written");
        };
        assert!(
            failure.detail.contains("500")
                && failure
                    .detail
                    .ends_with("; read back, the object does not hold the update"),
            "{}",
            failure.detail
        );
        running.shutdown().await;
    }
}
