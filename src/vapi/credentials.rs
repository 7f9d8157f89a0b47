//! Where Vapi is and where its key comes from.

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
