//! API keys: never printed, logged or debugged.

use std::fmt;

/// An API key. Its `Debug` never shows the value, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reads the key from the first of `variables` that is set and not blank.
    pub fn from_env(variables: &[&str], lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        variables
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
        let variables = ["A", "B", "C"];
        let key = ApiKey::from_env(&variables, |name| match name {
            "A" => Some(String::new()),
            "C" => Some(" tok ".into()),
            _ => None,
        });
        assert_eq!(key, Some(ApiKey::new("tok")));
        assert_eq!(ApiKey::from_env(&variables, |_| None), None);
    }
}
