//! Problems found in a desired-state file, each with its location, and their rendering.

use std::collections::{HashMap, HashSet};
use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::Source;
pub(crate) use crate::path::{Path, Segment};
use crate::render::escape;

/// One problem in a desired-state file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Diagnostic {
    /// The file name as given by the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Where in the document, e.g. `businesses.acme-plumbing.numbers[1]`; empty for the whole
    /// document.
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

/// Every problem found in a desired state, sorted by file and position, plus the files' text
/// so each one can be shown at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// The problems, sorted by file (in reading order), line and column; never empty.
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics are in.
    sources: Vec<Source>,
}

impl Report {
    /// Builds a report of problems in `sources`, sorting the diagnostics by file and position
    /// and dropping exact duplicates.
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>, sources: Vec<Source>) -> Self {
        let order = |d: &Diagnostic| {
            sources
                .iter()
                .position(|source| source.name() == d.file)
                .unwrap_or(sources.len())
        };
        diagnostics.sort_by_cached_key(|d| {
            (
                order(d),
                d.line,
                d.column,
                d.path.clone(),
                d.message.clone(),
            )
        });
        diagnostics.dedup();
        Report {
            diagnostics,
            sources,
        }
    }

    /// Every diagnostic, each as its message, its location, the line with a caret under the
    /// column (when its file has that line) and its path; `styled` colours them for a
    /// terminal. The message, the line and the path are untrusted text, escaped here (see
    /// [`crate::render::escape`]) before the renderer adds its own styling.
    pub(crate) fn render(&self, styled: bool) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let named: HashSet<&str> = self.diagnostics.iter().map(|d| d.file.as_str()).collect();
        let lines: HashMap<&str, Vec<&str>> = self
            .sources
            .iter()
            .filter(|source| named.contains(source.name()))
            .map(|source| (source.name(), source.text().lines().collect()))
            .collect();
        let shown: Vec<Shown> = self
            .diagnostics
            .iter()
            .map(|d| Shown::of(d, &lines))
            .collect();
        let mut out = String::new();
        for (i, (d, shown)) in self.diagnostics.iter().zip(&shown).enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&renderer.render(&[shown.group(d)]));
            out.push('\n');
        }
        out
    }
}

/// A diagnostic's untrusted parts, escaped for a terminal.
struct Shown {
    file: String,
    message: String,
    /// The line it points at, and the caret's span in it.
    line: Option<(String, std::ops::Range<usize>)>,
    path: String,
}

impl Shown {
    fn of(d: &Diagnostic, lines: &HashMap<&str, Vec<&str>>) -> Self {
        let line = lines
            .get(d.file.as_str())
            .and_then(|lines| lines.get(d.line.wrapping_sub(1)).copied())
            .map(|text| {
                let text = text.strip_suffix('\r').unwrap_or(text);
                let start = text
                    .char_indices()
                    .nth(d.column.saturating_sub(1))
                    .map_or(text.len(), |(at, _)| at);
                let end = text[start..]
                    .chars()
                    .next()
                    .map_or(start, |c| start + c.len_utf8());
                // The caret moves with the escapes before it and spans the escaped character.
                let before = escape::line(&text[..start]).len();
                let under = escape::line(&text[start..end]).len();
                (escape::line(text).into_owned(), before..before + under)
            });
        Self {
            file: escape::line(&d.file).into_owned(),
            message: escape::lines(&d.message).into_owned(),
            line,
            path: escape::line(&d.path).into_owned(),
        }
    }

    fn group<'a>(&'a self, d: &'a Diagnostic) -> Group<'a> {
        let title = Level::ERROR.primary_title(self.message.as_str());
        let group = match &self.line {
            Some((text, span)) => title.element(
                Snippet::source(text.as_str())
                    .line_start(d.line)
                    .path(self.file.as_str())
                    .annotation(AnnotationKind::Primary.span(span.clone())),
            ),
            // A file that could not be read, named by the message: a location would add
            // nothing but a line 1 it does not have.
            None if d.path.is_empty() && d.message.contains(d.file.as_str()) => {
                return Group::with_title(title);
            }
            None => title.element(
                Origin::path(self.file.as_str())
                    .line(d.line)
                    .char_column(d.column),
            ),
        };
        if self.path.is_empty() {
            group
        } else {
            group.element(Level::NOTE.no_name().message(format!("at {}", self.path)))
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Report {}

/// Which part of a mapping entry a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// The key (unknown fields, bad keys).
    Key,
    /// The value (wrong types, bad values).
    Value,
}

/// A problem before it has a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where.
    pub(crate) path: Path,
    /// Key or value.
    pub(crate) at: At,
    /// What is wrong.
    pub(crate) message: String,
    /// Another place the problem involves, named in the message by its location once known.
    pub(crate) related: Option<Related>,
}

/// The other place of a problem that involves two, e.g. an assistant adopted in one business
/// and routed to by another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Related {
    /// What is there, completing "{what} is at `FILE:LINE:COLUMN`", e.g. "the `adopt`".
    pub(crate) what: String,
    /// Where.
    pub(crate) path: Path,
}

impl Problem {
    /// A problem with the value at `path`.
    pub(crate) fn value(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            path: path.clone(),
            at: At::Value,
            message: message.into(),
            related: None,
        }
    }

    /// A problem with the key at `path`.
    pub(crate) fn key(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            at: At::Key,
            ..Problem::value(path, message)
        }
    }

    /// This problem, also naming `what` is at `path`.
    pub(crate) fn related(self, what: impl Into<String>, path: &Path) -> Self {
        Problem {
            related: Some(Related {
                what: what.into(),
                path: path.clone(),
            }),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_path_line_and_caret() {
        let source = "version: 1\nbusinesses:\n  acme:\n    nmae: Acme\n".to_owned();
        let report = Report::new(
            vec![Diagnostic {
                file: "vapiform.yaml".into(),
                line: 4,
                column: 5,
                path: "businesses.acme.nmae".into(),
                message: "unknown field `nmae`".into(),
            }],
            vec![Source::new("vapiform.yaml", source)],
        );
        assert_eq!(
            report.to_string(),
            "error: unknown field `nmae`\n \
             --> vapiform.yaml:4:5\n  |\n\
             4 |     nmae: Acme\n  |     ^\n  |\n  \
             = at businesses.acme.nmae\n"
        );
    }
}
