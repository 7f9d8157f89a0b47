//! Problems found in a desired-state file, each with its location, and their rendering.

use std::fmt;

/// One problem in a desired-state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
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

/// Every problem found in a desired-state file, sorted by line, plus the source text so each
/// one can be shown with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The problems, sorted by line and column; never empty.
    pub diagnostics: Vec<Diagnostic>,
    /// The file's text (empty when it could not be read or decoded).
    pub source: String,
}

impl Report {
    /// Builds a report, sorting the diagnostics by position and dropping exact duplicates.
    pub fn new(mut diagnostics: Vec<Diagnostic>, source: String) -> Self {
        diagnostics.sort_by(|a, b| {
            (a.line, a.column, &a.path, &a.message).cmp(&(b.line, b.column, &b.path, &b.message))
        });
        diagnostics.dedup();
        Report {
            diagnostics,
            source,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .diagnostics
            .iter()
            .map(|d| d.line.to_string().len())
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(width);
        let arrow = " ".repeat(width + 1);
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", d.message)?;
            writeln!(f, "{arrow}--> {}:{}:{}", d.file, d.line, d.column)?;
            if !d.path.is_empty() {
                writeln!(f, "{arrow}at {}", d.path)?;
            }
            if let Some(text) = self.source.lines().nth(d.line.saturating_sub(1)) {
                let text = text.strip_suffix('\r').unwrap_or(text);
                // Keep tabs so the caret lines up under the same column in a terminal.
                let indent: String = text
                    .chars()
                    .take(d.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{pad} |")?;
                writeln!(f, "{:>width$} | {text}", d.line)?;
                writeln!(f, "{pad} | {indent}^")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

/// One step of a [`Path`]: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A location in the document as a list of keys and indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Path(pub(crate) Vec<Segment>);

impl Path {
    /// The document root.
    pub(crate) fn root() -> Self {
        Path(Vec::new())
    }

    /// This path extended by a key.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Path(segments)
    }

    /// This path extended by an index.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Path(segments)
    }

    /// The path one step up, or `None` at the root.
    pub(crate) fn parent(&self) -> Option<Self> {
        let (_, rest) = self.0.split_last()?;
        Some(Path(rest.to_vec()))
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => {
                    let quoted = serde_json::to_string(key).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

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
}

impl Problem {
    /// A problem with the value at `path`.
    pub(crate) fn value(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            path: path.clone(),
            at: At::Value,
            message: message.into(),
        }
    }

    /// A problem with the key at `path`.
    pub(crate) fn key(path: &Path, message: impl Into<String>) -> Self {
        Problem {
            path: path.clone(),
            at: At::Key,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_paths() {
        let path = Path::root()
            .key("businesses")
            .key("acme-plumbing")
            .key("numbers")
            .index(1);
        assert_eq!(path.to_string(), "businesses.acme-plumbing.numbers[1]");
        assert_eq!(
            Path::root().key("a").key("x.y z").to_string(),
            r#"a["x.y z"]"#
        );
        assert_eq!(
            path.parent().unwrap().to_string(),
            "businesses.acme-plumbing.numbers"
        );
    }

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
            source,
        );
        assert_eq!(
            report.to_string(),
            "error: unknown field `nmae`\n  \
             --> vapiform.yaml:4:5\n  \
             at businesses.acme.nmae\n  |\n\
             4 |     nmae: Acme\n  |     ^\n"
        );
    }
}
