//! The Vapi REST client: the one network port of vapiform.
//!
//! Every request goes through [`Client`], whose base URL is always injected. The client owns
//! resilience (retries with backoff, one rate limiter, a concurrency bound), so callers see
//! either a result or an [`Error`] that names the method, path, status and Vapi's message.

mod base_url;
mod client;
mod credentials;
mod error;
mod limiter;
mod list;
mod retry;
mod wire;

pub use base_url::{BaseUrl, UrlError};
pub use client::{Client, Settings, SetupError};
pub use credentials::{
    API_KEY_VARIABLES, ApiKey, DEFAULT_BASE_URL, KEY_VARIABLES, TELNYX_KEY_VARIABLE,
};
pub use error::Error;
pub use wire::{Assistant, PhoneNumber};
