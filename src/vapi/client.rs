//! The client: endpoints for phone numbers and assistants over one resilient request path.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::base_url::{BaseUrl, UrlError};
use super::credentials::ApiKey;
use super::error::{Error, vapi_message};
use super::limiter::RateLimiter;
use super::retry::{self, Backoff};
use super::wire::{Assistant, PhoneNumber};

/// How to reach Vapi and how hard to push it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL, e.g. `https://api.vapi.ai`; a path prefix is kept. Plain `http://` only to
    /// a loopback address.
    pub base_url: String,
    /// The private API key.
    pub key: ApiKey,
    /// Requests per second across the whole client; 0 means unlimited.
    pub rps: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Retry policy for idempotent requests.
    pub backoff: Backoff,
}

impl Settings {
    /// The defaults of `vapiform apply`: 10 requests per second, 8 in flight, 30 s per attempt.
    pub fn new(base_url: impl Into<String>, key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            key,
            rps: 10.0,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
        }
    }
}

/// Why a client could not be built. No request was made.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The base URL is refused (see [`BaseUrl::parse`]).
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The key cannot be sent in a header.
    #[error("the API key contains characters that cannot be sent in a header")]
    Key,
    /// The HTTP stack could not start.
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
}

/// A Vapi API client. Cheap to share by reference across concurrent tasks.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: BaseUrl,
    auth: HeaderValue,
    limiter: RateLimiter,
    permits: Semaphore,
    backoff: Backoff,
}

impl Client {
    /// Builds a client. Refuses a base URL that would carry the key in clear text (plain
    /// `http://` to anything but a loopback address) and a key that cannot be a header.
    pub fn new(settings: &Settings) -> Result<Self, SetupError> {
        let base = BaseUrl::parse(&settings.base_url)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", settings.key.expose()))
            .map_err(|_| SetupError::Key)?;
        auth.set_sensitive(true);
        // A redirect could lead the key somewhere else, or to plain http; Vapi never
        // redirects, so a 3xx is reported as it is.
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vapiform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError::Http(describe(&e)))?;
        Ok(Self {
            http,
            base,
            auth,
            limiter: RateLimiter::new(settings.rps),
            permits: Semaphore::new(settings.concurrency.max(1)),
            backoff: settings.backoff,
        })
    }

    /// Where requests go, redacted when displayed.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    /// Every phone number in the account, read with list calls.
    pub async fn list_numbers(&self) -> Result<Vec<PhoneNumber>, Error> {
        self.list_all("/phone-number", &[]).await
    }

    /// Every assistant in the account, read with list calls.
    pub async fn list_assistants(&self) -> Result<Vec<Assistant>, Error> {
        self.list_all("/assistant", &[]).await
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
            .send(Method::GET, "/v2/phone-number", &query, None)
            .await?;
        Ok(page.results)
    }

    /// One phone number.
    pub async fn get_number(&self, id: &str) -> Result<PhoneNumber, Error> {
        self.send(Method::GET, &format!("/phone-number/{id}"), &[], None)
            .await
    }

    /// One assistant.
    pub async fn get_assistant(&self, id: &str) -> Result<Assistant, Error> {
        self.send(Method::GET, &format!("/assistant/{id}"), &[], None)
            .await
    }

    /// Creates an assistant. Never repeated after an ambiguous failure: see [`Error::is_ambiguous`].
    pub async fn create_assistant(&self, body: &Map<String, Value>) -> Result<Assistant, Error> {
        self.send(Method::POST, "/assistant", &[], Some(body)).await
    }

    /// Updates the top-level fields in `body`; each one replaces the stored value wholesale.
    pub async fn update_assistant(
        &self,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<Assistant, Error> {
        self.send(Method::PATCH, &format!("/assistant/{id}"), &[], Some(body))
            .await
    }

    /// Deletes an assistant.
    pub async fn delete_assistant(&self, id: &str) -> Result<Assistant, Error> {
        self.send(Method::DELETE, &format!("/assistant/{id}"), &[], None)
            .await
    }

    /// Imports or buys a number. Never repeated after an ambiguous failure.
    pub async fn create_number(&self, body: &Map<String, Value>) -> Result<PhoneNumber, Error> {
        self.send(Method::POST, "/phone-number", &[], Some(body))
            .await
    }

    /// Updates a number; an explicit `null` clears a field such as `assistantId`.
    pub async fn update_number(
        &self,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<PhoneNumber, Error> {
        self.send(
            Method::PATCH,
            &format!("/phone-number/{id}"),
            &[],
            Some(body),
        )
        .await
    }

    /// Sends one request through the rate limiter and concurrency bound, retrying what is
    /// safe to retry: GET, PATCH and DELETE on 408, 429, 5xx and transport errors; a POST
    /// only when it certainly did not act (429, or the connection was never made).
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Map<String, Value>>,
    ) -> Result<T, Error> {
        let idempotent = method != Method::POST;
        let mut attempt = 0;
        loop {
            let outcome = self.attempt(&method, path, query, body).await;
            match &outcome {
                Ok((StatusCode::TOO_MANY_REQUESTS, _, _)) => self.limiter.throttled().await,
                Ok((status, _, _)) if status.is_success() => self.limiter.succeeded().await,
                _ => {}
            }
            let retry_after = match &outcome {
                Ok((status, _, _)) if status.is_success() => None,
                Ok((status, headers, _))
                    if retry::retryable(*status)
                        && (idempotent || *status == StatusCode::TOO_MANY_REQUESTS) =>
                {
                    Some(retry::server_delay(headers, SystemTime::now()))
                }
                Err(Error::Transport { not_sent, .. }) if idempotent || *not_sent => Some(None),
                _ => None,
            };
            attempt += 1;
            match retry_after {
                Some(server) if attempt < self.backoff.attempts => {
                    let delay = server.unwrap_or_else(|| self.backoff.delay(attempt - 1));
                    tracing::debug!(%method, path, attempt, delay_ms = delay.as_millis(), "retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => return Self::finish(method, path, outcome),
            }
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Map<String, Value>>,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, String), Error> {
        let _permit = self.permits.acquire().await.map_err(|_| Error::Transport {
            method: method.clone(),
            path: path.to_owned(),
            detail: "client is shutting down".to_owned(),
            not_sent: true,
        })?;
        self.limiter.acquire().await;
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), self.base.join(path))
            .header(AUTHORIZATION, self.auth.clone())
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let transport = |e: reqwest::Error| Error::Transport {
            method: method.clone(),
            path: path.to_owned(),
            not_sent: e.is_connect(),
            detail: describe(&e),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(transport)?;
        tracing::debug!(%method, path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis(), "request");
        Ok((status, headers, text))
    }

    fn finish<T: DeserializeOwned>(
        method: Method,
        path: &str,
        outcome: Result<(StatusCode, reqwest::header::HeaderMap, String), Error>,
    ) -> Result<T, Error> {
        let (status, _, text) = outcome?;
        let path = path.to_owned();
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                method,
                path,
                message: vapi_message(&text),
            });
        }
        if !status.is_success() {
            return Err(Error::Api {
                method,
                path,
                status,
                message: vapi_message(&text),
            });
        }
        let mut body = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut body)
            .map_err(|error| {
                let at = super::error::field(error.path());
                let inner = error.into_inner();
                at.map_or_else(|| inner.to_string(), |at| format!("at `{at}`: {inner}"))
            })
            .and_then(|value| body.end().map(|()| value).map_err(|e| e.to_string()))
            .map_err(|detail| Error::Decode {
                method,
                path,
                detail,
            })
    }
}

/// A transport error's description and causes, without the URL.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
