//! Masking of sensitive values in what a plan shows: `${env.*}` values, fields whose name says
//! secret, token, password, apikey, authorization or credential, and `server.headers`.
//! A masked value shows a short hash, so a reviewer still sees that it changed.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::compare::{Segment, canonical_string};
use crate::desired::placeholder;

const WORDS: [&str; 6] = [
    "secret",
    "token",
    "password",
    "apikey",
    "authorization",
    "credential",
];

/// Whether a field path is sensitive by name.
pub fn is_sensitive_path(path: &[Segment]) -> bool {
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

/// The masked form of a value: `(sensitive) #1a2b3c4d`.
pub fn mask(actual: &Value) -> Value {
    let digest = Sha256::digest(canonical_string(actual).as_bytes());
    Value::String(format!("(sensitive) #{}", &hex::encode(digest)[..8]))
}

/// What a plan shows for a value at `path`.
///
/// `shown` is the value as written (for the desired side, with `${env.NAME}` references);
/// `actual` the same value as sent or stored, used for the hash; `desired` the desired value
/// as written at the same path, whose `${env.*}` references make the matching live value
/// sensitive too.
pub fn show(
    path: &mut Vec<Segment>,
    shown: &Value,
    actual: &Value,
    desired: Option<&Value>,
) -> Value {
    let env_marked = matches!(desired, Some(Value::String(s)) if placeholder::has_env_reference(s));
    if env_marked || is_sensitive_path(path) {
        return mask(actual);
    }
    match shown {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    path.push(Segment::Key(key.clone()));
                    let inner = show(
                        path,
                        value,
                        actual.get(key).unwrap_or(value),
                        desired.and_then(|d| d.get(key)),
                    );
                    path.pop();
                    (key.clone(), inner)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, value)| {
                    path.push(Segment::Index(index));
                    let inner = show(
                        path,
                        value,
                        actual.get(index).unwrap_or(value),
                        desired.and_then(|d| d.get(index)),
                    );
                    path.pop();
                    inner
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
    fn env_references_mask_both_sides_with_a_hash_of_the_real_value() {
        let desired = json!("Bearer ${env.HOOK_TOKEN}");
        let shown = show(
            &mut vec![key("note")],
            &desired,
            &json!("Bearer s3cr3t"),
            Some(&desired),
        );
        let Value::String(text) = &shown else {
            panic!("masked value is a string")
        };
        assert!(text.starts_with("(sensitive) #"));
        assert!(!text.contains("s3cr3t"));
        let live = show(
            &mut vec![key("note")],
            &json!("Bearer old"),
            &json!("Bearer old"),
            Some(&desired),
        );
        assert_ne!(live, shown, "different secrets show different hashes");
    }

    #[test]
    fn objects_mask_only_sensitive_leaves() {
        let value = json!({"url": "https://x", "headers": {"x-token": "abc"}});
        let shown = show(&mut vec![key("server")], &value, &value, None);
        assert_eq!(shown["url"], "https://x");
        assert!(
            shown["headers"]
                .as_str()
                .unwrap()
                .starts_with("(sensitive)")
        );
    }
}
