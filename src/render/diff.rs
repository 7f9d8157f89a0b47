//! A field change as diff lines, shared by the text and markdown views.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::plan::FieldChange;

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
        Self { mark, text: text.into() }
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

/// The lines of one field change: a unified line diff for multi-line strings (such as system
/// prompts), the values before and after otherwise.
pub(crate) fn field_lines(field: &FieldChange) -> Vec<Line> {
    let mut lines = vec![Line::new(Mark::Header, field.path.clone())];
    match (&field.before, &field.after) {
        (Some(Value::String(before)), Some(Value::String(after))) if before.contains('\n') || after.contains('\n') => {
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
        }
        (before, after) => {
            if let Some(before) = before {
                lines.extend(value_lines(before).into_iter().map(|text| Line::new(Mark::Remove, text)));
            }
            if let Some(after) = after {
                lines.extend(value_lines(after).into_iter().map(|text| Line::new(Mark::Add, text)));
            }
        }
    }
    lines
}

/// A value as lines: a string's own lines, short JSON on one line, longer JSON pretty-printed.
fn value_lines(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) if text.contains('\n') => text.lines().map(str::to_owned).collect(),
        Value::String(text) => vec![text.clone()],
        other => {
            let compact = other.to_string();
            if compact.len() <= 80 {
                vec![compact]
            } else {
                serde_json::to_string_pretty(other).unwrap_or(compact).lines().map(str::to_owned).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(before: Option<Value>, after: Option<Value>) -> FieldChange {
        FieldChange { path: "model.messages[0].content".into(), before, after }
    }

    #[test]
    fn multi_line_strings_show_a_line_diff() {
        let lines = field_lines(&field(Some(json!("You answer.\nHours: 9-5.\n")), Some(json!("You answer.\nHours: 8-6.\n"))));
        let text: Vec<String> = lines.iter().map(Line::unified).collect();
        assert_eq!(text, ["@@ model.messages[0].content @@", " You answer.", "-Hours: 9-5.", "+Hours: 8-6."]);
    }

    #[test]
    fn scalars_show_before_and_after() {
        let text: Vec<String> = field_lines(&field(Some(json!("a")), None)).iter().map(Line::unified).collect();
        assert_eq!(text, ["@@ model.messages[0].content @@", "-a"]);
        let text: Vec<String> = field_lines(&field(None, Some(json!({"k": 1})))).iter().map(Line::unified).collect();
        assert_eq!(text[1], "+{\"k\":1}");
    }
}
