//! Where a desired state was read from: one file, or a folder's root file and its business
//! files. A problem is a path in the desired state (`businesses.acme.numbers[0]`); the file
//! that holds that path shows it at its line and column.
//!
//! Positions are found by scanning a file's text again, once, the first time a problem in it
//! is located: loading a valid desired state never records them, and a problem in one business
//! file scans that file alone.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use super::diagnostic::{At, Diagnostic, Path, Problem, Report, Segment};
use super::file::BUSINESSES;
use super::yaml::{self, Pos, Positions};

/// What a file's document is within the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mount {
    /// The whole desired state (`vapiform.yaml`).
    Root,
    /// Entries of `businesses`: a business file of a folder.
    Businesses,
}

/// One file's name and text, kept with what was loaded from it so that a problem found later
/// (while planning) is shown at its line like a validation problem.
#[derive(Clone)]
pub(crate) struct Source(Arc<SourceText>);

struct SourceText {
    name: String,
    text: Arc<str>,
    mount: Mount,
    positions: OnceLock<Positions>,
}

impl Source {
    /// The text of the desired-state file named `name` (as the user gave it).
    pub(crate) fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self::mounted(name, text, Mount::Root)
    }

    /// The text of a business file (a mapping of business key to business) named `name`.
    pub(crate) fn businesses(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self::mounted(name, text, Mount::Businesses)
    }

    fn mounted(name: impl Into<String>, text: impl Into<Arc<str>>, mount: Mount) -> Self {
        Source(Arc::new(SourceText {
            name: name.into(),
            text: text.into(),
            mount,
            positions: OnceLock::new(),
        }))
    }

    /// The file name as the user gave it.
    pub(crate) fn name(&self) -> &str {
        &self.0.name
    }

    /// The file's text.
    pub(crate) fn text(&self) -> &str {
        &self.0.text
    }

    /// The path in the desired state of this file's document: the root, or `businesses`.
    pub(crate) fn base(&self) -> Path {
        match self.0.mount {
            Mount::Root => Path::root(),
            Mount::Businesses => Path::root().key(BUSINESSES),
        }
    }

    /// Where `path` (of the desired state) is within this file's document.
    fn inner(&self, path: &Path) -> Path {
        match (self.0.mount, path.0.split_first()) {
            (Mount::Businesses, Some((Segment::Key(first), rest))) if first == BUSINESSES => {
                Path(rest.to_vec())
            }
            (Mount::Businesses, _) => Path::root(),
            (Mount::Root, _) => path.clone(),
        }
    }

    /// The line and column of `path` in this file.
    fn locate(&self, path: &Path, at: At) -> Pos {
        let positions = self
            .0
            .positions
            .get_or_init(|| yaml::positions(self.text()));
        positions.locate(&self.inner(path), at)
    }

    /// `FILE:LINE:COLUMN` of the key at `path`.
    fn place(&self, path: &Path) -> String {
        let pos = self.locate(path, At::Key);
        format!("{}:{}:{}", self.name(), pos.line, pos.column)
    }

    /// The problem at its line and column in this file; its related place, if any, is in
    /// `related_in`.
    pub(crate) fn diagnostic(&self, problem: Problem, related_in: &Source) -> Diagnostic {
        let pos = self.locate(&problem.path, problem.at);
        let mut message = problem.message;
        if let Some(related) = problem.related {
            let place = related_in.place(&related.path);
            message = format!("{message}; {} is at {place}", related.what);
        }
        Diagnostic {
            file: self.name().to_owned(),
            line: pos.line,
            column: pos.column,
            path: self.inner(&problem.path).to_string(),
            message,
        }
    }

    /// Whether the positions of this file were ever scanned.
    #[cfg(test)]
    pub(crate) fn scanned(&self) -> bool {
        self.0.positions.get().is_some()
    }
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.0.mount == other.0.mount && self.text() == other.text()
    }
}

impl Eq for Source {}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name())
            .field("mount", &self.0.mount)
            .field("bytes", &self.text().len())
            .finish_non_exhaustive()
    }
}

/// The files of a desired state: the root file first, then any business files in the order
/// they were read, and which file declares each business that the root file does not.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sources {
    files: Vec<Source>,
    /// Business key to its file's index in `files`, for businesses outside the root file.
    owners: HashMap<String, usize>,
}

impl Sources {
    /// A desired state read from `root` alone.
    pub(crate) fn new(root: Source) -> Self {
        Sources {
            files: vec![root],
            owners: HashMap::new(),
        }
    }

    /// Adds a business file; returns its index.
    pub(crate) fn add(&mut self, file: Source) -> usize {
        self.files.push(file);
        self.files.len() - 1
    }

    /// Records that the file at `index` declares business `key`.
    pub(crate) fn claim(&mut self, key: String, index: usize) {
        self.owners.insert(key, index);
    }

    /// Every file, the root first.
    pub(crate) fn files(&self) -> &[Source] {
        &self.files
    }

    /// The root file (`vapiform.yaml`).
    pub(crate) fn root(&self) -> &Source {
        &self.files[0]
    }

    /// The file that holds `path` of the desired state: a business's own file, else the root.
    pub(crate) fn of(&self, path: &Path) -> &Source {
        if let [Segment::Key(section), Segment::Key(key), ..] = path.0.as_slice()
            && section == BUSINESSES
            && let Some(index) = self.owners.get(key)
        {
            return &self.files[*index];
        }
        self.root()
    }

    /// The problem at its line and column, in the file that holds its path.
    pub(crate) fn diagnostic(&self, problem: Problem) -> Diagnostic {
        let related_in = problem
            .related
            .as_ref()
            .map_or_else(|| self.root(), |related| self.of(&related.path));
        self.of(&problem.path).diagnostic(problem, related_in)
    }

    /// A report of `problems`, each located in its file, and of problems already `located`.
    pub(crate) fn report(&self, problems: Vec<Problem>, mut located: Vec<Diagnostic>) -> Report {
        located.extend(problems.into_iter().map(|problem| self.diagnostic(problem)));
        Report::new(located, self.files.clone())
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sources")
            .field("files", &self.files)
            .field("businesses in their own files", &self.owners.len())
            .finish()
    }
}
