//! How Vapi words errors and rate limits: error bodies `{message, error, statusCode}` (as
//! `NestJS` writes them), and an `X-RateLimit-Reset` that is a Unix time (as the official SDK
//! reads it).

use serde_json::Value;

use crate::http::{Dialect, Reset};

/// Vapi, for the shared transport.
pub(super) static VAPI: Dialect = Dialect {
    name: "Vapi",
    message,
    reset: Reset::EpochSeconds,
};

/// Vapi's `message` (a string, or an array of validation messages joined with `; `), else
/// its `error` field.
fn message(body: &Value) -> Option<String> {
    match body.get("message") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => body.get("error").and_then(Value::as_str).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::message;
    use serde_json::json;

    #[test]
    fn message_string_array_and_error() {
        assert_eq!(
            message(&json!({"message": "Invalid Key", "statusCode": 401})).as_deref(),
            Some("Invalid Key")
        );
        assert_eq!(
            message(&json!({"message": [
                "property foo should not exist",
                "name must be shorter than or equal to 40 characters"
            ]}))
            .as_deref(),
            Some(
                "property foo should not exist; name must be shorter than or equal to 40 characters"
            )
        );
        assert_eq!(
            message(&json!({"error": "assistant_pinned"})).as_deref(),
            Some("assistant_pinned")
        );
        assert_eq!(message(&json!(["not", "nest"])), None);
    }
}
