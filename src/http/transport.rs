//! One resilient request path: one limiter for rate, concurrency and priority, timeouts,
//! retries, and the mapping of every answer to a value or a typed [`Error`]. Each API client holds one
//! [`Transport`] and says, through its [`Dialect`], how its API words errors and rate limits.

use std::borrow::Borrow;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::base_url::{BaseUrl, UrlError};
use super::credentials::ApiKey;
use super::error::{self, Error};
use super::limiter::{Limiter, Priority};
use super::retry::{self, Backoff, Reset};
use super::text::Text;

/// A wait for a throttled request this long or longer is said on stderr, not only logged.
const VISIBLE_WAIT: Duration = Duration::from_secs(5);

/// How to reach an API and how hard to push it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL, e.g. `https://api.vapi.ai`; a path prefix is kept. Plain `http://` only to
    /// a loopback address.
    pub base_url: String,
    /// The API key, sent as a bearer token.
    pub key: ApiKey,
    /// Requests per second across the whole client; 0 means unlimited.
    pub rps: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Time for every attempt of one request and the waits between them: no retry starts, and
    /// no attempt runs, past it.
    pub deadline: Duration,
    /// Retry policy for idempotent requests.
    pub backoff: Backoff,
}

impl Settings {
    /// The defaults of `vapiform apply`: 10 requests per second, 8 in flight, 30 s per attempt,
    /// 3 minutes per request.
    pub fn new(base_url: impl Into<String>, key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            key,
            rps: 10.0,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(180),
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
    #[error("the {service} API key contains characters that cannot be sent in a header")]
    Key {
        /// The API the key is for.
        service: &'static str,
    },
    /// The HTTP stack could not start.
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
}

/// What differs between the APIs vapiform talks to.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The API's name in messages, e.g. `Vapi`.
    pub(crate) name: &'static str,
    /// One line from a non-2xx body in the API's error shape; `None` when the body has
    /// another shape (then the body itself, cut short, is the message).
    pub(crate) message: fn(&Value) -> Option<String>,
    /// What the API's `X-RateLimit-Reset` header counts.
    pub(crate) reset: Reset,
}

/// A status, the headers and the body of one answer.
type Answer = (StatusCode, HeaderMap, Text);

/// The request path of one API client. Cheap to share by reference across concurrent tasks.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base: BaseUrl,
    auth: HeaderValue,
    limiter: Limiter,
    backoff: Backoff,
    timeout: Duration,
    deadline: Duration,
    dialect: &'static Dialect,
    /// Whether the user was told what the retries are and how to stop them.
    told: std::sync::atomic::AtomicBool,
}

impl Transport {
    /// Builds a transport. Refuses a base URL that would carry the key in clear text (plain
    /// `http://` to anything but a loopback address) and a key that cannot be a header.
    pub(crate) fn new(settings: &Settings, dialect: &'static Dialect) -> Result<Self, SetupError> {
        let base = BaseUrl::parse(&settings.base_url)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", settings.key.expose()))
            .map_err(|_| SetupError::Key {
                service: dialect.name,
            })?;
        auth.set_sensitive(true);
        // A redirect could lead the key somewhere else, or to plain http; neither API
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
            limiter: Limiter::new(settings.rps, settings.concurrency),
            backoff: settings.backoff,
            timeout: settings.timeout,
            deadline: settings.deadline,
            dialect,
            told: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Says once, at the first retry the user sees, what the retries are and how to stop.
    fn tell_once(&self) {
        if !self.told.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(
                "{} at {} does not answer as it should; each request is tried up to {} times over at most {} s, and every retry is listed below. Ctrl-C stops vapiform (an apply finishes the writes in flight first)",
                self.dialect.name,
                self.base,
                self.backoff.attempts,
                self.deadline.as_secs()
            );
        }
    }

    /// Where requests go, redacted when displayed.
    pub(crate) fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    /// Sends one request (see [`Transport::send_text`]) and decodes the answer as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Map<String, Value>>,
    ) -> Result<T, Error> {
        let text = self.send_text(method.clone(), path, query, body).await?;
        let mut deserializer = serde_json::Deserializer::from_str(text.as_str());
        serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| decode_error(&method, path, error))
            .and_then(|value| {
                deserializer
                    .end()
                    .map(|()| value)
                    .map_err(|e| Error::Decode {
                        method,
                        path: path.to_owned(),
                        detail: e.to_string(),
                    })
            })
    }

    /// Sends one request through the limiter, retrying what is
    /// safe to retry: GET, PATCH and DELETE on 408, 429, 5xx and transport errors; a POST
    /// only when it certainly did not act (429, or the connection was never made). Returns the
    /// body of a 2xx answer.
    pub(crate) async fn send_text(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Map<String, Value>>,
    ) -> Result<Text, Error> {
        let idempotent = method != Method::POST;
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let left = self.deadline.saturating_sub(started.elapsed());
            let outcome = self
                .attempt(&method, path, query, body, (attempt + 1, left))
                .await;
            match &outcome {
                Ok((StatusCode::TOO_MANY_REQUESTS, _, _)) => self.limiter.throttled(),
                Ok((status, _, _)) if status.is_success() => self.limiter.succeeded(),
                _ => {}
            }
            let retry_after = match &outcome {
                Ok((status, _, _)) if status.is_success() => None,
                Ok((status, headers, _))
                    if retry::retryable(*status)
                        && (idempotent || *status == StatusCode::TOO_MANY_REQUESTS) =>
                {
                    Some(retry::server_delay(
                        headers,
                        self.dialect.reset,
                        SystemTime::now(),
                    ))
                }
                Err(Error::Transport { not_sent, .. }) if idempotent || *not_sent => Some(None),
                _ => None,
            };
            attempt += 1;
            let delay =
                retry_after.map(|server| server.unwrap_or_else(|| self.backoff.delay(attempt - 1)));
            match delay {
                Some(delay) if started.elapsed() + delay >= self.deadline => {
                    return self
                        .finish(method, path, outcome)
                        .map_err(|error| past_deadline(error, attempt, self.deadline));
                }
                Some(delay) if attempt < self.backoff.attempts => {
                    // A 429 is the API's pace and is expected at scale; a failure, or a long
                    // wait, is said on stderr while the retries go on.
                    let reason = match &outcome {
                        Ok((status, _, _)) => status.as_str().to_owned(),
                        Err(_) => "no answer (connection failed or timed out)".to_owned(),
                    };
                    let throttled = matches!(&outcome, Ok((StatusCode::TOO_MANY_REQUESTS, _, _)));
                    if !throttled || delay >= VISIBLE_WAIT {
                        self.tell_once();
                        tracing::warn!(api = self.dialect.name, %method, path, attempt, of = self.backoff.attempts, wait_ms = delay.as_millis(), %reason, "retrying");
                    } else {
                        tracing::debug!(api = self.dialect.name, %method, path, attempt, delay_ms = delay.as_millis(), "retrying");
                    }
                    tokio::time::sleep(delay).await;
                }
                _ => return self.finish(method, path, outcome),
            }
        }
    }

    /// Sends one request once. A create starts new work, so it waits behind every request
    /// that finishes work already started (reads, updates, deletes), even ones that come
    /// later: apply's read-backs and routing do not queue behind its creates.
    ///
    /// The attempt (`number`, from 1) runs for at most the request timeout and what is `left`
    /// of the request's deadline. An attempt with no answer after [`VISIBLE_WAIT`] is said on
    /// stderr (an API that accepts connections and never answers), while it goes on.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Map<String, Value>>,
        (number, left): (u32, Duration),
    ) -> Result<Answer, Error> {
        let priority = if *method == Method::POST {
            Priority::Later
        } else {
            Priority::First
        };
        let _permit = self.limiter.acquire(priority).await;
        let started = Instant::now();
        let timeout = self.timeout.min(left);
        let mut request = self
            .http
            .request(method.clone(), self.base.join(path))
            .header(AUTHORIZATION, self.auth.clone())
            .timeout(timeout)
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
        let answered = async {
            let response = request.send().await.map_err(transport)?;
            let status = response.status();
            let headers = response.headers().clone();
            let text = Text::new(response.bytes().await.map_err(transport)?);
            Ok::<_, Error>((status, headers, text))
        };
        tokio::pin!(answered);
        let (status, headers, text) = tokio::select! {
            answer = &mut answered => answer?,
            () = tokio::time::sleep(VISIBLE_WAIT) => {
                self.tell_once();
                tracing::warn!(
                    api = self.dialect.name, %method, path, attempt = number, of = self.backoff.attempts,
                    waited_s = VISIBLE_WAIT.as_secs(), gives_up_after_s = timeout.as_secs(),
                    "no answer yet; still waiting"
                );
                answered.await?
            }
        };
        tracing::debug!(api = self.dialect.name, %method, path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis(), "request");
        Ok((status, headers, text))
    }

    /// The body of a 2xx answer, or the error the answer means.
    fn finish(
        &self,
        method: Method,
        path: &str,
        outcome: Result<Answer, Error>,
    ) -> Result<Text, Error> {
        let (status, _, text) = outcome?;
        let path = path.to_owned();
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                service: self.dialect.name,
                method,
                path,
                message: self.message(text.as_str()),
            });
        }
        if !status.is_success() {
            return Err(Error::Api {
                method,
                path,
                status,
                message: self.message(text.as_str()),
            });
        }
        Ok(text)
    }

    /// A non-2xx body as one line: the API's own message, else the body cut short.
    fn message(&self, body: &str) -> String {
        serde_json::from_str(body)
            .ok()
            .and_then(|parsed| (self.dialect.message)(&parsed))
            .unwrap_or_else(|| {
                if body.trim().is_empty() {
                    "(empty body)".to_owned()
                } else {
                    body.chars().take(200).collect()
                }
            })
    }
}

/// The error of a request that ran out of its deadline, saying so.
fn past_deadline(error: Error, attempts: u32, deadline: Duration) -> Error {
    let note = format!(
        " (gave up after {attempts} attempt{}: every request has {} s)",
        if attempts == 1 { "" } else { "s" },
        deadline.as_secs()
    );
    match error {
        Error::Transport {
            method,
            path,
            mut detail,
            not_sent,
        } => {
            detail.push_str(&note);
            Error::Transport {
                method,
                path,
                detail,
                not_sent,
            }
        }
        Error::Api {
            method,
            path,
            status,
            mut message,
        } => {
            message.push_str(&note);
            Error::Api {
                method,
                path,
                status,
                message,
            }
        }
        other => other,
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

/// Why a JSON text is not the type it should be, with the path to the field that is wrong.
pub(crate) type DecodeError = serde_path_to_error::Error<serde_json::Error>;

/// A 2xx body that is not what the API documents, naming the field that is wrong.
pub(crate) fn decode_error(method: &Method, path: &str, error: DecodeError) -> Error {
    let at = error::field(error.path());
    let inner = error.into_inner();
    Error::Decode {
        method: method.clone(),
        path: path.to_owned(),
        detail: at.map_or_else(|| inner.to_string(), |at| format!("at `{at}`: {inner}")),
    }
}

/// One object of a page as `T`, naming the field that is wrong.
pub(crate) fn parse<T: DeserializeOwned>(item: &RawValue) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(item.get()))
}

/// The objects of one page, each decoded on its own by `read` so that a malformed one is
/// named: its place in the page, its `id` if it has a string one, and the field.
pub(crate) fn decode_objects<T>(
    path: &str,
    items: &[impl Borrow<RawValue>],
    read: impl Fn(&RawValue) -> Result<T, DecodeError>,
) -> Result<Vec<T>, Error> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let item = item.borrow();
            read(item).map_err(|error| Error::Malformed {
                path: path.to_owned(),
                index,
                id: id_of(item),
                field: error::field(error.path()),
                detail: error.into_inner().to_string(),
            })
        })
        .collect()
}

/// The string `id` of an object, if it has one.
fn id_of(item: &RawValue) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<Value>,
    }
    let id: Id = serde_json::from_str(item.get()).ok()?;
    id.id.and_then(|id| id.as_str().map(str::to_owned))
}
