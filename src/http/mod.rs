//! The request machinery every API client shares: base-URL checks (the key travels over
//! https, or plain http to this machine only), bearer auth, one limiter (an adaptive rate, a
//! concurrency bound, and priority for requests that finish work already started), timeouts,
//! retries that honour the server's delay, and typed errors that carry the API's own message.
//! [`crate::vapi::Client`] and [`crate::telnyx::Client`] are thin layers of endpoints over it;
//! each says how its API words errors and rate limits.

mod base_url;
mod credentials;
mod error;
mod limiter;
mod retry;
mod text;
mod transport;

pub use base_url::{BaseUrl, UrlError, configured_base_url, is_secret_parameter, redact_text};
pub use credentials::ApiKey;
pub use error::Error;
pub(crate) use limiter::Priority;
pub use retry::Backoff;
pub(crate) use retry::Reset;
pub use text::Text;
pub(crate) use transport::{DecodeError, Dialect, Transport, decode_error, decode_objects, parse};
pub use transport::{Settings, SetupError};
