//! Client errors: each names the request and, for API errors, the API's own message.

use reqwest::{Method, StatusCode};

/// A failed request to an API (Vapi's or the carrier's).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key was missing, wrong, or (for Vapi) a public key.
    #[error("{method} {path}: {service} rejected the API key (401 Unauthorized): {message}")]
    Unauthorized {
        /// The API, e.g. `Vapi`.
        service: &'static str,
        /// HTTP method.
        method: Method,
        /// Request path.
        path: String,
        /// The API's message.
        message: String,
    },
    /// The API answered with a non-2xx status.
    #[error("{method} {path}: {status}: {message}")]
    Api {
        /// HTTP method.
        method: Method,
        /// Request path.
        path: String,
        /// The status the API answered with.
        status: StatusCode,
        /// The API's message (several messages are joined with `; `).
        message: String,
    },
    /// The request could not be completed: connection refused, reset or timed out.
    #[error("{method} {path}: {detail}")]
    Transport {
        /// HTTP method.
        method: Method,
        /// Request path.
        path: String,
        /// What went wrong, without the URL.
        detail: String,
        /// Whether the request is known not to have reached the server.
        not_sent: bool,
    },
    /// A 2xx response whose body was not what the API documents.
    #[error("{method} {path}: unexpected response body: {detail}")]
    Decode {
        /// HTTP method.
        method: Method,
        /// Request path.
        path: String,
        /// The parse error.
        detail: String,
    },
    /// An object in a list is not what the API documents (a field of the wrong type, no id).
    /// Nothing may be concluded from the list; the object is named so it can be fixed.
    #[error(
        "GET {path}: object {index} of a page ({}) is malformed{}: {detail}",
        id.as_deref().map_or_else(|| "no id".to_owned(), |id| format!("id {id}")),
        field.as_deref().map_or_else(String::new, |field| format!(" at `{field}`"))
    )]
    Malformed {
        /// The collection path.
        path: String,
        /// The object's place in the page, from 0.
        index: usize,
        /// Its `id`, when it has a string one.
        id: Option<String>,
        /// The field that is wrong, when it is not the object as a whole.
        field: Option<String>,
        /// What is wrong with it.
        detail: String,
    },
    /// A list could not be read completely, so nothing may be concluded from it.
    #[error("GET {path}: cannot list completely: {detail}")]
    Incomplete {
        /// The collection path.
        path: String,
        /// Why.
        detail: String,
    },
}

impl Error {
    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a write may or may not have taken effect: a timeout, a dropped connection
    /// after sending, or a server error. A create that fails this way must be looked up
    /// before it is tried again.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Api { status, .. } => {
                status.is_server_error() || *status == StatusCode::REQUEST_TIMEOUT
            }
            Self::Transport { not_sent, .. } => !not_sent,
            Self::Decode { .. } => true,
            Self::Unauthorized { .. } | Self::Incomplete { .. } | Self::Malformed { .. } => false,
        }
    }

    /// Whether the object was not found (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }
}

/// The field a decoding error is at, as `model.messages[0]`; `None` for the object itself.
pub(crate) fn field(path: &serde_path_to_error::Path) -> Option<String> {
    let text = path.to_string();
    (text != ".").then_some(text)
}
