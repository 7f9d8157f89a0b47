//! The client: endpoints for phone numbers and assistants over the shared request path.

use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::dialect::VAPI;
use super::wire::{Assistant, PhoneNumber, RouteTarget};
use crate::http::{BaseUrl, Error, Settings, SetupError, Transport, decode_error};

/// A Vapi API client. Cheap to share by reference across concurrent tasks.
#[derive(Debug)]
pub struct Client {
    pub(super) transport: Transport,
}

impl Client {
    /// Builds a client. Refuses a base URL that would carry the key in clear text (plain
    /// `http://` to anything but a loopback address) and a key that cannot be a header.
    pub fn new(settings: &Settings) -> Result<Self, SetupError> {
        Ok(Self {
            transport: Transport::new(settings, &VAPI)?,
        })
    }

    /// Where requests go, redacted when displayed.
    pub fn base_url(&self) -> &BaseUrl {
        self.transport.base_url()
    }

    /// Every phone number in the account, read with list calls.
    pub async fn list_numbers(&self) -> Result<Vec<PhoneNumber>, Error> {
        self.list_all("/phone-number", &[]).await
    }

    /// Every assistant in the account, read with list calls.
    pub async fn list_assistants(&self) -> Result<Vec<Assistant>, Error> {
        self.list_all("/assistant", &[]).await
    }

    /// Every assistant in the account, each page's new assistants made into what `keep`
    /// makes of them as the page arrives, so that a page's text is not held past what `keep`
    /// keeps of it.
    pub async fn list_assistants_into<U>(
        &self,
        keep: impl FnMut(Vec<Assistant>) -> Vec<U>,
    ) -> Result<Vec<U>, Error> {
        self.list_all_into("/assistant", &[], keep).await
    }

    /// Every squad in the account (numbers route to them; vapiform never edits them).
    pub async fn list_squads(&self) -> Result<Vec<RouteTarget>, Error> {
        self.list_all("/squad", &[]).await
    }

    /// Assistants created at or after `since`: a cheap lookup after an ambiguous create.
    pub async fn list_assistants_created_since(
        &self,
        since: time::OffsetDateTime,
    ) -> Result<Vec<Assistant>, Error> {
        let filter = [("createdAtGe", super::list::format(since))];
        self.list_all("/assistant", &filter).await
    }

    /// Assistants written (created or updated) at or after `since`, an ISO 8601 time as the
    /// server writes them: how apply reads back many writes with a few list calls.
    pub async fn list_assistants_updated_since(
        &self,
        since: &str,
    ) -> Result<Vec<Assistant>, Error> {
        self.list_all("/assistant", &[("updatedAtGe", since.to_owned())])
            .await
    }

    /// Phone numbers written at or after `since` (see [`Self::list_assistants_updated_since`]).
    pub async fn list_numbers_updated_since(&self, since: &str) -> Result<Vec<PhoneNumber>, Error> {
        self.list_all("/phone-number", &[("updatedAtGe", since.to_owned())])
            .await
    }

    /// Phone numbers whose name, number or SIP URI contains `text` (`/v2/phone-number` search).
    pub async fn search_numbers(&self, text: &str) -> Result<Vec<PhoneNumber>, Error> {
        #[derive(serde::Deserialize)]
        struct Paginated {
            results: Vec<PhoneNumber>,
        }
        let query = [("search", text.to_owned()), ("limit", "1000".to_owned())];
        let page: Paginated = self
            .transport
            .send(Method::GET, "/v2/phone-number", &query, None)
            .await?;
        Ok(page.results)
    }

    /// One phone number.
    pub async fn get_number(&self, id: &str) -> Result<PhoneNumber, Error> {
        self.transport
            .send(Method::GET, &format!("/phone-number/{id}"), &[], None)
            .await
    }

    /// One assistant.
    pub async fn get_assistant(&self, id: &str) -> Result<Assistant, Error> {
        self.assistant(Method::GET, &format!("/assistant/{id}"), None)
            .await
    }

    /// Creates an assistant. Never repeated after an ambiguous failure: see [`Error::is_ambiguous`].
    pub async fn create_assistant(&self, body: &Map<String, Value>) -> Result<Assistant, Error> {
        self.assistant(Method::POST, "/assistant", Some(body)).await
    }

    /// Updates the top-level fields in `body`; each one replaces the stored value wholesale.
    pub async fn update_assistant(
        &self,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Assistant, Error> {
        self.assistant(Method::PATCH, &format!("/assistant/{id}"), Some(body))
            .await
    }

    /// Deletes an assistant.
    pub async fn delete_assistant(&self, id: &str) -> Result<Assistant, Error> {
        self.assistant(Method::DELETE, &format!("/assistant/{id}"), None)
            .await
    }

    /// A request answered with one assistant.
    async fn assistant(
        &self,
        method: Method,
        path: &str,
        body: Option<&Map<String, Value>>,
    ) -> Result<Assistant, Error> {
        let raw: Box<RawValue> = self.transport.send(method.clone(), path, &[], body).await?;
        Assistant::read(&raw).map_err(|error| decode_error(&method, path, error))
    }

    /// Imports or buys a number. Never repeated after an ambiguous failure.
    pub async fn create_number(&self, body: &Map<String, Value>) -> Result<PhoneNumber, Error> {
        self.transport
            .send(Method::POST, "/phone-number", &[], Some(body))
            .await
    }

    /// Updates a number; an explicit `null` clears a field such as `assistantId`.
    pub async fn update_number(
        &self,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<PhoneNumber, Error> {
        self.transport
            .send(
                Method::PATCH,
                &format!("/phone-number/{id}"),
                &[],
                Some(body),
            )
            .await
    }
}
