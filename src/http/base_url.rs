//! The base URL every request goes to, checked before any request is made: the API key
//! travels only over `https://`, or over plain `http://` to a loopback address (a local
//! simulator). Shown redacted wherever it is logged or named in an error.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// Words that make a query parameter's value secret (matched case-insensitively, anywhere in
/// the name: `access_token`, `X-Amz-Signature`, `apiKey`, `code` ...).
const SECRET_PARAMETERS: [&str; 10] = [
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "signature",
    "sig",
    "auth",
    "credential",
    "code",
];

/// Whether a query parameter's value is secret by its name: it holds `token`, `key`, `secret`,
/// `password`, `sig`, `auth`, `code` or the like, in any case (`access_token`, `X-Amz-Signature`).
pub fn is_secret_parameter(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMETERS.iter().any(|word| lower.contains(word))
}

/// Why a base URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// The text is not a URL; it is not repeated, as it may hold a secret.
    #[error("the API URL is not a valid absolute URL: {0}")]
    Invalid(String),
    /// Plain http to a host that is not this machine.
    #[error(
        "refusing to send the API key over plain http to {url}: use an https:// URL, or a loopback address (127.0.0.1, [::1] or localhost) for a local simulator"
    )]
    Insecure {
        /// The URL, redacted.
        url: String,
    },
    /// Neither https nor http.
    #[error("the API URL {url} is not an https:// URL")]
    Scheme {
        /// The URL, redacted.
        url: String,
    },
}

/// A base URL that may carry the API key. Its `Display` is redacted.
#[derive(Debug, Clone)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Parses and checks a base URL such as `https://api.vapi.ai` (a path prefix is kept).
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let url = Url::parse(text.trim()).map_err(|e| UrlError::Invalid(e.to_string()))?;
        match url.scheme() {
            "https" => Ok(Self(url)),
            "http" if is_loopback(&url) => Ok(Self(url)),
            "http" => Err(UrlError::Insecure { url: redact(&url) }),
            _ => Err(UrlError::Scheme { url: redact(&url) }),
        }
    }

    /// The URL of `path` (which starts with `/`) under the base, keeping the base's query.
    pub(crate) fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        let prefix = self.0.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url
    }
}

/// The base URL to use: the command-line `flag`, else the environment `variable` when set and
/// not blank, else `default`.
pub fn configured_base_url(
    flag: Option<&str>,
    variable: &str,
    default: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> String {
    flag.map(str::to_owned)
        .or_else(|| lookup(variable).filter(|value| !value.trim().is_empty()))
        .unwrap_or_else(|| default.to_owned())
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// Whether the host is this machine: 127.0.0.0/8, `::1` (also as `::ffff:127.x.y.z`), or
/// `localhost`.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(IpAddr::V4(address)) => address.is_loopback(),
        Ok(IpAddr::V6(address)) => {
            address.is_loopback() || address.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost."),
    }
}

/// The URL without user name, password and fragment, and with the values of secret-looking
/// query parameters replaced by `REDACTED`: what may be logged or shown.
fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    // Only URLs that cannot have a user (such as `data:`) refuse these; they have none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_parameter(&name) {
                    "REDACTED".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// A URL as text with the values of secret-looking query parameters replaced by `REDACTED`,
/// and any user information dropped: what may be shown of a server URL read from an account
/// or a file. `${env.NAME}` references are kept (they name the secret, not its value), and
/// the text is not re-encoded.
pub fn redact_text(url: &str) -> String {
    let rest = url.split_once('#').map_or(url, |(rest, _)| rest);
    let (address, query) = match rest.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (rest, None),
    };
    let address = match address.split_once("://") {
        Some((scheme, tail)) => {
            let (authority, path) = tail.split_at(tail.find('/').unwrap_or(tail.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => address.to_owned(),
    };
    let Some(query) = query else {
        return address;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.starts_with("${env.") && is_secret_parameter(name) => {
                format!("{name}=REDACTED")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{address}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        for ok in [
            "https://api.vapi.ai",
            "https://proxy.example/vapi/",
            "http://127.0.0.1:8787",
            "http://127.3.4.5",
            "http://[::1]:80",
            "http://[::ffff:127.0.0.1]",
            "http://localhost:9",
            "http://LOCALHOST",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://api.vapi.ai",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(
                matches!(BaseUrl::parse(insecure), Err(UrlError::Insecure { .. })),
                "{insecure}"
            );
        }
        assert!(matches!(
            BaseUrl::parse("ftp://api.vapi.ai"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(
            BaseUrl::parse("api.vapi.ai"),
            Err(UrlError::Invalid(_))
        ));
    }

    #[test]
    fn redaction_drops_userinfo_and_secret_query_values() {
        let url = Url::parse(
            "https://user:hunter2@proxy.example/v?access_token=t0k&region=eu&X-Amz-Signature=s1g#frag",
        )
        .unwrap();
        assert_eq!(
            redact(&url),
            "https://proxy.example/v?access_token=REDACTED&region=eu&X-Amz-Signature=REDACTED"
        );
    }

    #[test]
    fn shown_urls_lose_secret_query_values_and_userinfo_but_keep_references() {
        assert_eq!(
            redact_text("https://u:pw@hooks.example/v?sig=abc&region=eu&token=${env.HOOK}#x"),
            "https://hooks.example/v?sig=REDACTED&region=eu&token=${env.HOOK}"
        );
        assert_eq!(
            redact_text("https://hooks.example/v"),
            "https://hooks.example/v"
        );
        assert_eq!(redact_text("not a url?key=k"), "not a url?key=REDACTED");
    }

    #[test]
    fn paths_join_under_the_prefix_and_keep_the_query() {
        let base = BaseUrl::parse("https://proxy.example/vapi/?tenant=a").unwrap();
        assert_eq!(
            base.join("/assistant/x").as_str(),
            "https://proxy.example/vapi/assistant/x?tenant=a"
        );
        let base = BaseUrl::parse("http://127.0.0.1:9").unwrap();
        assert_eq!(
            base.join("/phone-number").as_str(),
            "http://127.0.0.1:9/phone-number"
        );
    }
}
