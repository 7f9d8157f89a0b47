//! The Vapi REST client: endpoints for phone numbers and assistants.
//!
//! Every Vapi request goes through [`Client`], whose base URL is always injected. Resilience
//! (retries with backoff, one rate limiter, a concurrency bound) is the shared
//! [`crate::http`] machinery, so callers see either a result or an [`Error`] that names the
//! method, path, status and Vapi's message.

mod chat;
mod client;
mod credentials;
mod dialect;
mod list;
pub mod schema;
mod wire;

/// The shared request machinery's types, named here too because every Vapi caller needs them.
pub use crate::http::{ApiKey, BaseUrl, Error, Settings, SetupError, UrlError};
pub use chat::{Answerer, Reply};
pub use client::Client;
pub use credentials::{
    API_KEY_VARIABLES, BASE_URL_VARIABLE, DEFAULT_BASE_URL, KEY_VARIABLES, base_url, key,
};
pub(crate) use list::PAGE;
pub(crate) use wire::fields_of;
pub use wire::{Assistant, PhoneNumber, RouteTarget};
