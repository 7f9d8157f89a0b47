//! How Telnyx words errors and rate limits: error bodies
//! `{"errors": [{"code", "title", "detail", "source": {"pointer" | "parameter"}}]}`, and an
//! `x-ratelimit-reset` that counts seconds from now.

use serde_json::Value;

use crate::http::{Dialect, Reset};

/// Telnyx, for the shared transport.
pub(super) static TELNYX: Dialect = Dialect {
    name: "Telnyx",
    message,
    reset: Reset::SecondsFromNow,
};

/// Every error of the body, each as `title: detail (code C, at pointer)`, joined with `; `.
fn message(body: &Value) -> Option<String> {
    let errors = body.get("errors")?.as_array()?;
    let lines: Vec<String> = errors.iter().filter_map(one).collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

fn one(error: &Value) -> Option<String> {
    let text = |value: Option<&Value>| match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    let title = text(error.get("title"));
    let detail = text(error.get("detail"));
    let mut line = match (title, detail) {
        (Some(title), Some(detail)) if title != detail => format!("{title}: {detail}"),
        (Some(text), _) | (None, Some(text)) => text,
        (None, None) => return None,
    };
    let mut notes = Vec::new();
    if let Some(code) = text(error.get("code")) {
        notes.push(format!("code {code}"));
    }
    let source = error.get("source");
    if let Some(pointer) = text(source.and_then(|s| s.get("pointer"))) {
        notes.push(format!("at {pointer}"));
    }
    if let Some(parameter) = text(source.and_then(|s| s.get("parameter"))) {
        notes.push(format!("parameter {parameter}"));
    }
    if !notes.is_empty() {
        line = format!("{line} ({})", notes.join(", "));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::message;
    use serde_json::json;

    #[test]
    fn each_error_with_its_code_and_source() {
        let body = json!({"errors": [
            {"code": "10015", "title": "Invalid parameter", "detail": "page[size] must be between 1 and 250",
             "source": {"parameter": "page[size]"}},
            {"code": 10009, "title": "Authentication failed", "detail": "Authentication failed"},
            {"title": "", "detail": "only a detail", "source": {"pointer": "/tags"}},
        ]});
        assert_eq!(
            message(&body).as_deref(),
            Some(
                "Invalid parameter: page[size] must be between 1 and 250 (code 10015, parameter page[size]); \
                 Authentication failed (code 10009); only a detail (at /tags)"
            )
        );
    }

    #[test]
    fn other_shapes_are_not_telnyx_errors() {
        assert_eq!(message(&json!({"errors": []})), None);
        assert_eq!(message(&json!({"errors": [{"code": "1"}]})), None);
        assert_eq!(message(&json!({"message": "Rate limit exceeded"})), None);
    }
}
