//! Where Vapi is and where its key comes from.

use crate::http::{ApiKey, configured_base_url};

/// Vapi's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.vapi.ai";

/// Environment variables read for the private API key, in order of preference.
pub const KEY_VARIABLES: [&str; 3] = ["VAPI_API_KEY", "VAPI_PRIVATE_API_KEY", "VAPI_TOKEN"];

/// Every environment variable that holds an API key vapiform itself uses. None of them can be
/// a `${env.NAME}` placeholder, so a file cannot copy a key into the account.
pub const API_KEY_VARIABLES: [&str; 4] = {
    let [vapi, private, token] = KEY_VARIABLES;
    [vapi, private, token, crate::telnyx::KEY_VARIABLE]
};

/// The environment variable read for the base URL when `--api-url` is not given.
pub const BASE_URL_VARIABLE: &str = "VAPI_BASE_URL";

/// Where Vapi is: `flag` (`--api-url`), else `VAPI_BASE_URL`, else [`DEFAULT_BASE_URL`].
pub fn base_url(flag: Option<&str>, lookup: impl Fn(&str) -> Option<String>) -> String {
    configured_base_url(flag, BASE_URL_VARIABLE, DEFAULT_BASE_URL, lookup)
}

/// The private API key, from the first of [`KEY_VARIABLES`] that is set and not blank.
pub fn key(lookup: impl Fn(&str) -> Option<String>) -> Option<ApiKey> {
    ApiKey::from_env(&KEY_VARIABLES, lookup)
}
