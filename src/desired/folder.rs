//! A desired state kept as a folder, so that each business can live in a file of its own:
//! `DIR/vapiform.yaml` holds everything but businesses (and may hold businesses too), and every
//! `DIR/businesses/**/*.yaml` is a mapping of business key to business, each in the schema of
//! a business in `vapiform.yaml` (`schemas/businesses.schema.json`). A signup system adds a
//! business by adding a file; CODEOWNERS can give each file its reviewers.
//!
//! The files are read into one document, every business under `businesses` as if it were
//! written in the root file, which is then checked and expanded as one file is: every rule
//! spans all the files, and each problem is shown in the file that holds it. A business key
//! declared in two files is refused, naming both places.
//!
//! Input is bounded as for one file: each file is read as one file is (at most 64 MiB, nesting,
//! aliases, a byte order mark), all of them together at most 64 MiB as well, and at most
//! [`MAX_FILES`] business files. A directory reached again inside itself through a symlink (a
//! loop) is refused. Names starting with `.` are skipped; a `*.yml` file is refused rather
//! than silently left out.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path as FsPath, PathBuf};

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::diagnostic::{Diagnostic, Path, Problem, Report};
use super::file::{BUSINESSES, BusinessSpec, KEY_PATTERN};
use super::load::{self, MAX_FILE_BYTES, Unreadable};
use super::{Desired, Source, Sources};

/// The root file of a folder.
pub(crate) const ROOT_FILE: &str = "vapiform.yaml";

/// The folder of business files, beside the root file.
pub(crate) const BUSINESSES_DIR: &str = "businesses";

/// The first line of every business file export writes (see [`super::SCHEMA_COMMENT`]): the
/// schema, beside the root file's, is one folder up.
pub(crate) const BUSINESSES_SCHEMA_COMMENT: &str =
    "# yaml-language-server: $schema=../businesses.schema.json\n";

/// The most business files a folder may hold: one per business for a fleet of tens of
/// thousands.
pub(crate) const MAX_FILES: usize = 50_000;

/// The folder to read when `path` names one: a directory, or a root file with `businesses/`
/// beside it (reading that file alone would leave every business in the folder out).
pub(crate) fn root_of(path: &FsPath) -> Option<PathBuf> {
    if path.is_dir() {
        return Some(path.to_owned());
    }
    let parent = path.parent()?;
    (path.file_name()? == ROOT_FILE && parent.join(BUSINESSES_DIR).is_dir())
        .then(|| parent.to_owned())
}

/// Loads, validates and expands the desired state in the folder `dir`.
pub(crate) fn load(dir: &FsPath) -> Result<Desired, Report> {
    let mut budget = MAX_FILE_BYTES;
    let mut located = Vec::new();
    let mut problems = Vec::new();
    let root = read(&dir.join(ROOT_FILE), dir, &mut budget, |name, text| {
        Source::new(name, text)
    });
    let mut root_doc = None;
    let mut sources = match root {
        Ok(source) => {
            match load::parse(&source) {
                Ok((doc, found)) => {
                    root_doc = Some(doc);
                    problems.extend(found);
                }
                Err(diagnostic) => located.push(diagnostic),
            }
            Sources::new(source)
        }
        Err((diagnostic, source)) => {
            located.push(diagnostic);
            Sources::new(source)
        }
    };

    let mut walk = Walk {
        tree: dir.to_owned(),
        ..Walk::default()
    };
    let businesses_dir = dir.join(BUSINESSES_DIR);
    if businesses_dir.is_dir() {
        walk.visit(&businesses_dir);
    } else if businesses_dir.exists() {
        let message = format!(
            "{} must be a folder of business files",
            businesses_dir.display()
        );
        walk.problem(&businesses_dir, message);
    }
    let mut businesses = Map::new();
    // The businesses of the root file come first: a file declaring one of them again is the
    // duplicate.
    if let Some(Value::Object(root)) = &mut root_doc
        && let Some(Value::Object(declared)) = root.get_mut(BUSINESSES)
    {
        businesses = std::mem::take(declared);
    }
    for (diagnostic, source) in walk.problems {
        located.push(diagnostic);
        sources.add(source);
    }
    let mut gathered = Gathered {
        budget,
        sources,
        businesses,
        problems,
        located,
    };
    for path in walk.files {
        gathered.business_file(&path, dir);
    }
    let Gathered {
        sources,
        businesses,
        problems,
        located,
        ..
    } = gathered;

    let Some(mut root_doc) = root_doc else {
        return Err(sources.report(problems, located));
    };
    if let Value::Object(root) = &mut root_doc {
        match root.get(BUSINESSES) {
            // A root whose `businesses` is not a mapping is reported as it stands.
            Some(value) if !value.is_object() => {}
            _ => {
                root.insert(BUSINESSES.to_owned(), Value::Object(businesses));
            }
        }
    }
    load::finish(root_doc, problems, located, sources)
}

/// What the folder's files declare, as they are read.
struct Gathered {
    /// What the files read so far leave of [`MAX_FILE_BYTES`].
    budget: u64,
    sources: Sources,
    /// Every business declared so far, by key.
    businesses: Map<String, Value>,
    problems: Vec<Problem>,
    located: Vec<Diagnostic>,
}

impl Gathered {
    /// Reads the business file at `path` in the folder `dir`: its businesses, or why it
    /// cannot be read; a business another file declared already is a problem.
    fn business_file(&mut self, path: &FsPath, dir: &FsPath) {
        let source = match read(path, dir, &mut self.budget, |name, text| {
            Source::businesses(name, text)
        }) {
            Ok(source) => source,
            Err((diagnostic, source)) => {
                self.located.push(diagnostic);
                self.sources.add(source);
                return;
            }
        };
        let index = self.sources.add(source.clone());
        let doc = match load::parse(&source) {
            Ok((doc, found)) => {
                self.problems.extend(found);
                doc
            }
            Err(diagnostic) => {
                self.located.push(diagnostic);
                return;
            }
        };
        let entries = match doc {
            Value::Object(entries) => entries,
            Value::Null => {
                self.located.push(whole(
                    &source,
                    "the file is empty; a business file is a mapping of business key to business",
                ));
                return;
            }
            _ => {
                self.located.push(whole(
                    &source,
                    "a business file must be a mapping of business key to business, like `acme-plumbing: {name: Acme Plumbing, ...}`",
                ));
                return;
            }
        };
        for (key, business) in entries {
            let path = Path::root().key(BUSINESSES).key(&key);
            if self.businesses.contains_key(&key) {
                let problem = Problem::key(
                    &path,
                    format!(
                        "business `{key}` is declared in two files; a business key is declared once"
                    ),
                )
                .related("the other declaration", &path);
                let first = self.sources.of(&path).clone();
                self.located.push(source.diagnostic(problem, &first));
                continue;
            }
            self.sources.claim(key.clone(), index);
            self.businesses.insert(key, business);
        }
    }
}

/// A problem with a business file as a whole.
fn whole(source: &Source, message: &str) -> Diagnostic {
    source.diagnostic(Problem::value(&source.base(), message), source)
}

/// The file at `path` as a source that `mount` makes, read within what is left of the
/// folder's byte budget.
fn read(
    path: &FsPath,
    tree: &FsPath,
    budget: &mut u64,
    mount: fn(&str, String) -> Source,
) -> Result<Source, Unreadable> {
    let name = path.display().to_string();
    let bytes = load::read(path, tree, &name, *budget)?;
    let size = bytes.len() as u64;
    if size > *budget {
        return Err(if *budget == MAX_FILE_BYTES {
            load::too_large(&name, "the file is", MAX_FILE_BYTES)
        } else {
            load::too_large(
                &name,
                "with this file, the folder's files are together",
                MAX_FILE_BYTES,
            )
        });
    }
    *budget -= size;
    load::decode(bytes, &name, mount)
}

/// The business files under a directory, and what could not be listed.
#[derive(Default)]
struct Walk {
    /// `*.yaml` files, depth first, each directory's entries in name order.
    files: Vec<PathBuf>,
    problems: Vec<Unreadable>,
    /// The directories being visited, as their canonical paths, to find a loop.
    ancestors: Vec<PathBuf>,
    /// Whether [`MAX_FILES`] was reached; nothing more is listed.
    full: bool,
    /// The folder every file and folder read must be inside, symlinks followed.
    tree: PathBuf,
}

impl Walk {
    fn problem(&mut self, path: &FsPath, message: String) {
        let name = path.display().to_string();
        let diagnostic = Diagnostic {
            file: name.clone(),
            line: 1,
            column: 1,
            path: String::new(),
            message,
        };
        self.problems
            .push((diagnostic, Source::businesses(name, "")));
    }

    fn visit(&mut self, dir: &FsPath) {
        let canonical = match fs::canonicalize(dir) {
            Ok(canonical) => canonical,
            Err(err) => return self.problem(dir, format!("cannot read {}: {err}", dir.display())),
        };
        if self.ancestors.contains(&canonical) {
            let message = format!(
                "{} leads back to a folder that contains it (a symlink loop); vapiform does not follow it",
                dir.display()
            );
            return self.problem(dir, message);
        }
        let mut entries: Vec<(std::ffi::OsString, PathBuf)> = match fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|entry| (entry.file_name(), entry.path()))
                .collect(),
            Err(err) => return self.problem(dir, format!("cannot read {}: {err}", dir.display())),
        };
        entries.sort();
        self.ancestors.push(canonical);
        for (name, path) in entries {
            if self.full {
                break;
            }
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            // Follows symlinks, but only within the folder (see `load::inside`).
            let metadata = match fs::metadata(&path) {
                Ok(metadata) => metadata,
                Err(err) => {
                    self.problem(&path, format!("cannot read {}: {err}", path.display()));
                    continue;
                }
            };
            if metadata.is_dir() {
                if let Err(message) = load::inside(&path, &self.tree) {
                    self.problem(&path, message);
                } else {
                    self.visit(&path);
                }
            } else if path.extension().is_some_and(|e| e == "yaml") {
                if self.files.len() == MAX_FILES {
                    self.full = true;
                    let message = format!(
                        "the folder holds more than {MAX_FILES} business files, the most vapiform reads"
                    );
                    self.problem(&path, message);
                } else {
                    self.files.push(path);
                }
            } else {
                // One rule for every other file: named, never silently left out.
                let message = format!(
                    "{} is not a business file: business files end in `.yaml` (lower case); rename it so that vapiform reads it, or move it out of {BUSINESSES_DIR}/",
                    path.display()
                );
                self.problem(&path, message);
            }
        }
        self.ancestors.pop();
    }
}

/// The text of `businesses/<key>.yaml` holding one business: the schema comment, then the
/// document as YAML.
pub(crate) fn to_business_file(
    key: &str,
    business: BusinessSpec,
) -> Result<String, serde_yaml::Error> {
    let document = BTreeMap::from([(key.to_owned(), business)]);
    Ok(format!(
        "{BUSINESSES_SCHEMA_COMMENT}{}",
        serde_yaml::to_string(&document)?
    ))
}

/// A business file of a folder: business keys to businesses, each as under `businesses` in
/// `vapiform.yaml`.
#[derive(JsonSchema)]
#[schemars(
    title = "vapiform businesses",
    extend("propertyNames" = {"pattern": KEY_PATTERN})
)]
#[allow(dead_code)] // Only its schema is used: the file is read into the root's document.
struct BusinessesFile(BTreeMap<String, BusinessSpec>);

/// The JSON Schema of a business file (`businesses/**/*.yaml` of a folder).
pub(crate) fn businesses_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator
        .into_root_schema_for::<BusinessesFile>()
        .to_value()
}

#[cfg(test)]
mod tests {
    use super::businesses_schema;

    #[test]
    fn businesses_schema_is_committed() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/businesses.schema.json");
        let generated = serde_json::to_string_pretty(&businesses_schema()).unwrap() + "\n";
        if std::env::var_os("VAPIFORM_UPDATE_SCHEMA").is_some_and(|v| v == "1") {
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/businesses.schema.json is out of date; run `VAPIFORM_UPDATE_SCHEMA=1 cargo test schema_is_committed`"
        );
    }
}
