//! What a plan shows of values that may be secret. No secret value is ever shown, hashed
//! or otherwise.
//!
//! - A field holding `${env.NAME}` is shown on the desired side as its template text
//!   (`https://hooks.example.com/x?t=${env.HOOK}`), so a reviewer sees the host and the
//!   variable; its live side holds the resolved secret and is masked.
//! - A field whose name contains secret, token, password, apikey, authorization or
//!   credential (case-insensitive), and everything under `server.headers`, is masked on both
//!   sides.
//!
//! A masked value reads `(sensitive, changed)` where the change has a value on the other side
//! too, and `(sensitive)` where there is no change to express (a value only added, or one
//! side of a verification message).

use serde_json::Value;

use super::compare::{Path, Segment};
use crate::desired::placeholder;

const WORDS: [&str; 6] = [
    "secret",
    "token",
    "password",
    "apikey",
    "authorization",
    "credential",
];

/// A masked value whose change is expressed: the other side has a value too.
pub(crate) const CHANGED: &str = "(sensitive, changed)";
/// A masked value with no change to express.
pub(crate) const HIDDEN: &str = "(sensitive)";

/// Which side of a change a value is on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side<'a> {
    /// The value as written in the file: `${env.NAME}` references unresolved.
    Desired,
    /// The value in the account, with the desired value at the same path (if any), whose
    /// `${env.*}` references make the live value secret too.
    Live(Option<&'a Value>),
}

/// Whether a field path is sensitive by name.
pub(crate) fn is_sensitive_path(path: &[Segment]) -> bool {
    let keys: Vec<String> = path
        .iter()
        .filter_map(|segment| match segment {
            Segment::Key(key) => Some(key.to_ascii_lowercase()),
            Segment::Index(_) => None,
        })
        .collect();
    keys.iter()
        .any(|key| WORDS.iter().any(|word| key.contains(word)))
        || keys
            .windows(2)
            .any(|pair| pair[0] == "server" && pair[1] == "headers")
}

/// What a plan shows for `value` at `path` on `side`; `changed` says whether the other side
/// of the change has a value, which a masked value reports.
pub(crate) fn show(path: &mut Path, value: &Value, side: Side<'_>, changed: bool) -> Value {
    let masked = || Value::String((if changed { CHANGED } else { HIDDEN }).to_owned());
    if is_sensitive_path(path) {
        return masked();
    }
    if let Side::Live(Some(Value::String(desired))) = side
        && placeholder::has_env_reference(desired)
    {
        return masked();
    }
    let inner = |key: Option<&str>, index: Option<usize>| match side {
        Side::Desired => Side::Desired,
        Side::Live(desired) => Side::Live(desired.and_then(|d| match (key, index) {
            (Some(key), _) => d.get(key),
            (None, Some(index)) => d.get(index),
            (None, None) => None,
        })),
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    path.push(Segment::Key(key.clone()));
                    let shown = show(path, item, inner(Some(key), None), changed);
                    path.pop();
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    path.push(Segment::Index(index));
                    let shown = show(path, item, inner(None, Some(index)), changed);
                    path.pop();
                    shown
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_owned())
    }

    #[test]
    fn sensitive_names_and_server_headers() {
        assert!(is_sensitive_path(&[
            key("server"),
            key("headers"),
            key("x-anything")
        ]));
        assert!(is_sensitive_path(&[key("twilioAuthToken")]));
        assert!(is_sensitive_path(&[
            key("credentialIds"),
            Segment::Index(0)
        ]));
        assert!(!is_sensitive_path(&[key("server"), key("url")]));
        assert!(!is_sensitive_path(&[key("firstMessage")]));
    }

    #[test]
    fn env_fields_show_their_template_and_mask_the_live_side() {
        let desired = json!("https://evil.example/x?t=${env.HOOK}");
        let path = || Path::from(vec![key("server"), key("url")]);
        assert_eq!(show(&mut path(), &desired, Side::Desired, true), desired);
        assert_eq!(
            show(
                &mut path(),
                &json!("https://hooks.example.com/x?t=s3cr3t"),
                Side::Live(Some(&desired)),
                true
            ),
            json!(CHANGED)
        );
        // A live value whose desired side is plain text is not secret.
        assert_eq!(
            show(
                &mut path(),
                &json!("https://hooks.example.com"),
                Side::Live(Some(&json!("https://other.example"))),
                true
            ),
            json!("https://hooks.example.com")
        );
    }

    #[test]
    fn sensitive_names_are_masked_on_both_sides_without_a_hash() {
        let path = || Path::from(vec![key("server"), key("headers"), key("x-token")]);
        for side in [Side::Desired, Side::Live(None)] {
            assert_eq!(show(&mut path(), &json!("abc"), side, true), json!(CHANGED));
            assert_eq!(show(&mut path(), &json!("abc"), side, false), json!(HIDDEN));
        }
    }

    #[test]
    fn objects_mask_only_sensitive_leaves() {
        let value = json!({"url": "https://x", "headers": {"x-token": "abc"}});
        let shown = show(
            &mut Path::root().key("server"),
            &value,
            Side::Desired,
            false,
        );
        assert_eq!(shown, json!({"url": "https://x", "headers": HIDDEN}));
        let desired = json!({"url": "https://x?t=${env.T}"});
        let live = json!({"url": "https://x?t=abc", "timeoutSeconds": 20});
        let shown = show(
            &mut Path::root().key("server"),
            &live,
            Side::Live(Some(&desired)),
            true,
        );
        assert_eq!(shown, json!({"url": CHANGED, "timeoutSeconds": 20}));
    }
}
