//! A field change as diff lines, shared by the text and markdown views.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::plan::FieldChange;
use crate::plan::sensitive;

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The field's path.
    Header,
    /// Added text.
    Add,
    /// Removed text.
    Remove,
    /// Unchanged context.
    Same,
}

/// One line of a field's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub mark: Mark,
    pub text: String,
}

impl Line {
    fn new(mark: Mark, text: impl Into<String>) -> Self {
        Self {
            mark,
            text: text.into(),
        }
    }

    /// The line with its diff marker, as in a unified diff.
    pub(crate) fn unified(&self) -> String {
        match self.mark {
            Mark::Header => format!("@@ {} @@", self.text),
            Mark::Add => format!("+{}", self.text),
            Mark::Remove => format!("-{}", self.text),
            Mark::Same => format!(" {}", self.text),
        }
    }
}

/// The lines of one field change: a unified line diff under the path for multi-line strings
/// (such as system prompts); `-path: before` and `+path: after` otherwise.
pub(crate) fn field_lines(field: &FieldChange) -> Vec<Line> {
    let multi_line = |v: &Option<Value>| matches!(v, Some(Value::String(s)) if s.contains('\n'));
    if !multi_line(&field.before) && !multi_line(&field.after) {
        let mut lines = Vec::new();
        if let Some(before) = &field.before {
            lines.push(Line::new(
                Mark::Remove,
                format!("{}: {}", field.path, inline(before)),
            ));
        }
        if let Some(after) = &field.after {
            lines.push(Line::new(
                Mark::Add,
                format!("{}: {}", field.path, inline(after)),
            ));
        }
        return lines;
    }
    let mut lines = vec![Line::new(Mark::Header, field.path.clone())];
    let text = |v: &Option<Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => format!("{other}\n"),
        None => String::new(),
    };
    let (before, after) = (text(&field.before), text(&field.after));
    let diff = TextDiff::from_lines(before.as_str(), after.as_str());
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            lines.push(Line::new(Mark::Same, "..."));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let mark = match change.tag() {
                    ChangeTag::Delete => Mark::Remove,
                    ChangeTag::Insert => Mark::Add,
                    ChangeTag::Equal => Mark::Same,
                };
                lines.push(Line::new(mark, change.value().trim_end_matches('\n')));
            }
        }
    }
    lines
}

/// A single-line value: JSON, so strings are quoted and `null` is visible; a masked secret
/// is shown bare, `(sensitive)`, so it cannot be mistaken for a value.
fn inline(value: &Value) -> String {
    match value {
        Value::String(text) if text == sensitive::CHANGED || text == sensitive::HIDDEN => {
            text.clone()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(before: Option<Value>, after: Option<Value>) -> FieldChange {
        FieldChange {
            path: "model.messages[0].content".into(),
            before,
            after,
            origin: None,
        }
    }

    #[test]
    fn multi_line_strings_show_a_line_diff() {
        let lines = field_lines(&field(
            Some(json!("You answer.\nHours: 9-5.\n")),
            Some(json!("You answer.\nHours: 8-6.\n")),
        ));
        let text: Vec<String> = lines.iter().map(Line::unified).collect();
        assert_eq!(
            text,
            [
                "@@ model.messages[0].content @@",
                " You answer.",
                "-Hours: 9-5.",
                "+Hours: 8-6."
            ]
        );
    }

    #[test]
    fn scalars_show_before_and_after() {
        let text: Vec<String> = field_lines(&field(Some(json!("a")), Some(json!(null))))
            .iter()
            .map(Line::unified)
            .collect();
        assert_eq!(
            text,
            [
                "-model.messages[0].content: \"a\"",
                "+model.messages[0].content: null"
            ]
        );
        let text: Vec<String> = field_lines(&field(None, Some(json!("Hi\nthere"))))
            .iter()
            .map(Line::unified)
            .collect();
        assert_eq!(text, ["@@ model.messages[0].content @@", "+Hi", "+there"]);
    }
}
