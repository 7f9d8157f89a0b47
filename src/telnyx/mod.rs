//! The Telnyx REST client: the carrier's inventory of phone numbers.
//!
//! Only what an inventory needs: `GET /v2/phone_numbers`, read page by page until the list is
//! complete. It shares the request machinery of the Vapi client ([`crate::http`]); its key comes
//! from `TELNYX_API_KEY` only and, like Vapi's, is never printed, logged or written.

mod client;
mod dialect;
mod wire;

/// The shared request machinery's types, named here too because every Telnyx caller needs them.
pub use crate::http::{ApiKey, BaseUrl, Error, Settings, SetupError, UrlError};
pub use client::{Client, PAGE_SIZE};
pub use wire::{PhoneNumber, Status};

/// Telnyx's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.telnyx.com";

/// The environment variable read for the base URL when `--telnyx-url` is not given.
pub const BASE_URL_VARIABLE: &str = "TELNYX_BASE_URL";

/// The environment variable read for the Telnyx API key, the only place it comes from.
pub const KEY_VARIABLE: &str = "TELNYX_API_KEY";

/// Where Telnyx is: `flag` (`--telnyx-url`), else `TELNYX_BASE_URL`, else [`DEFAULT_BASE_URL`].
/// Telnyx's official SDKs take the base with its `/v2` (`https://api.telnyx.com/v2`); vapiform's
/// paths carry it, so a trailing `/v2` is dropped and both spellings reach the same place.
pub fn base_url(flag: Option<&str>, lookup: impl Fn(&str) -> Option<String>) -> String {
    let url = crate::http::configured_base_url(flag, BASE_URL_VARIABLE, DEFAULT_BASE_URL, lookup);
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url.as_str(), None),
    };
    let address = address
        .trim_end_matches('/')
        .strip_suffix("/v2")
        .unwrap_or(address);
    match query {
        Some(query) => format!("{address}?{query}"),
        None => address.to_owned(),
    }
}

/// The Telnyx API key, from `TELNYX_API_KEY` (set and not blank).
pub fn key(lookup: impl Fn(&str) -> Option<String>) -> Option<ApiKey> {
    ApiKey::from_env(&[KEY_VARIABLE], lookup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_variable_then_the_default() {
        let env =
            |name: &str| (name == BASE_URL_VARIABLE).then(|| "https://env.example".to_owned());
        assert_eq!(
            base_url(Some("https://flag.example"), env),
            "https://flag.example"
        );
        assert_eq!(base_url(None, env), "https://env.example");
        assert_eq!(base_url(None, |_| Some("  ".to_owned())), DEFAULT_BASE_URL);
        assert_eq!(base_url(None, |_| None), DEFAULT_BASE_URL);
    }

    #[test]
    fn the_base_is_taken_with_or_without_its_v2() {
        for (given, base) in [
            ("https://api.telnyx.com/v2", "https://api.telnyx.com"),
            ("https://api.telnyx.com/v2/", "https://api.telnyx.com"),
            ("https://api.telnyx.com", "https://api.telnyx.com"),
            (
                "https://proxy.example/telnyx/v2?tenant=a",
                "https://proxy.example/telnyx?tenant=a",
            ),
            ("http://127.0.0.1:9/v2", "http://127.0.0.1:9"),
            ("https://proxy.example/v20", "https://proxy.example/v20"),
        ] {
            assert_eq!(base_url(Some(given), |_| None), base, "{given}");
        }
    }

    #[test]
    fn the_key_comes_from_its_own_variable_only() {
        let key_of =
            |name: &'static str| key(move |asked: &str| (asked == name).then(|| "k".to_owned()));
        assert_eq!(key_of("TELNYX_API_KEY"), Some(ApiKey::new("k")));
        assert_eq!(key_of("VAPI_API_KEY"), None);
    }
}
