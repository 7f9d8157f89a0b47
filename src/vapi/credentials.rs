//! The API key and where it comes from; the key is never printed, logged or debugged.

use std::fmt;

/// Vapi's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.vapi.ai";

/// Environment variables read for the private API key, in order of preference.
pub const KEY_VARIABLES: [&str; 3] = ["VAPI_API_KEY", "VAPI_PRIVATE_API_KEY", "VAPI_TOKEN"];

/// The environment variable read for the Telnyx API key (only with `carrier`).
pub const TELNYX_KEY_VARIABLE: &str = "TELNYX_API_KEY";

/// Every environment variable that holds an API key vapiform itself uses. None of them can be
/// a `${env.NAME}` placeholder, so a file cannot copy a key into the account.
pub const API_KEY_VARIABLES: [&str; 4] = {
    let [vapi, private, token] = KEY_VARIABLES;
    [vapi, private, token, TELNYX_KEY_VARIABLE]
};

/// A Vapi private API key. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reads the key from the first non-empty variable of [`KEY_VARIABLES`].
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        KEY_VARIABLES
            .iter()
            .filter_map(|name| lookup(name))
            .find(|value| !value.trim().is_empty())
            .map(|value| Self(value.trim().to_owned()))
    }

    /// The value, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::new("sk-live-very-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    }

    #[test]
    fn first_non_empty_variable_wins() {
        let key = ApiKey::from_env(|name| match name {
            "VAPI_API_KEY" => Some(String::new()),
            "VAPI_TOKEN" => Some("tok".into()),
            _ => None,
        });
        assert_eq!(key, Some(ApiKey::new("tok")));
        assert_eq!(ApiKey::from_env(|_| None), None);
    }
}
