//! Reading a desired-state file: its bytes, bounded, as UTF-8 text, then its document (see
//! `yaml`, the only module that reads YAML), checked and expanded.
//!
//! A file larger than `MAX_FILE_BYTES` (64 MiB) is refused after reading one byte more than the
//! limit (so `-f /dev/zero` ends). A leading UTF-8 byte order mark is skipped; other encodings
//! are refused with the offset of the first bad byte. A folder's files are each read here (see
//! `folder`).

use std::collections::{BTreeMap, HashSet};
use std::io::Read as _;
use std::path::Path as FsPath;

use serde::Deserialize as _;
use serde_json::Value;

use super::diagnostic::{Diagnostic, Path, Problem, Report};
use super::file::{BUSINESSES, BusinessSpec, Mapping};
use super::source::{Source, Sources};
use super::yaml::{self, Pos};
use super::{Desired, conform, expand, names, shape, validate};

/// The largest desired-state file read: 64 MiB, far above any real account's file.
pub(super) const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What editors on Windows write before UTF-8 text.
const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

/// A problem with a whole file, at `pos`.
fn whole_file(file_name: &str, pos: Pos, message: String) -> Diagnostic {
    Diagnostic {
        file: file_name.to_owned(),
        line: pos.line,
        column: pos.column,
        path: String::new(),
        message,
    }
}

/// Why a file cannot be read: the problem, and the text to show it in.
pub(super) type Unreadable = (Diagnostic, Source);

/// The problem of a file larger than a limit of `limit` bytes, which `what` names.
pub(super) fn too_large(file_name: &str, what: &str, limit: u64) -> Unreadable {
    let message = format!(
        "{what} larger than {} MiB, the most vapiform reads",
        limit / 1024 / 1024
    );
    (
        whole_file(file_name, Pos::START, message),
        Source::new(file_name, ""),
    )
}

/// The bytes of the file at `path`, read up to one byte more than `limit` (so that `-f
/// /dev/zero` ends and the caller can tell the file is larger).
pub(super) fn read(
    path: &FsPath,
    tree: &FsPath,
    file_name: &str,
    limit: u64,
) -> Result<Vec<u8>, Unreadable> {
    let regular = inside(path, tree).and_then(|metadata| {
        if metadata.is_file() {
            Ok(())
        } else {
            Err(format!(
                "{} is not a regular file; vapiform reads only regular files",
                path.display()
            ))
        }
    });
    if let Err(message) = regular {
        return Err((
            whole_file(file_name, Pos::START, message),
            Source::new(file_name, ""),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|err| {
            let message = format!("cannot read {file_name}: {err}");
            (
                whole_file(file_name, Pos::START, message),
                Source::new(file_name, ""),
            )
        })?;
    Ok(bytes)
}

/// What `path` is, refused unless, with every symlink followed, it is inside `tree`: a file in
/// a pull request may be a link to anything on the machine that runs vapiform (its
/// environment, a credentials file), whose text a diagnostic would quote. Nothing of the
/// target is read or named.
pub(super) fn inside(path: &FsPath, tree: &FsPath) -> Result<std::fs::Metadata, String> {
    let cannot = |err: std::io::Error| {
        if err.kind() == std::io::ErrorKind::NotFound {
            let here = std::env::current_dir()
                .map(|dir| format!(" (looked in {})", dir.display()))
                .unwrap_or_default();
            format!(
                "{} does not exist{here}; name the desired file or folder with -f",
                path.display()
            )
        } else {
            format!("cannot read {}: {err}", path.display())
        }
    };
    let real = std::fs::canonicalize(path).map_err(cannot)?;
    let root = std::fs::canonicalize(if tree.as_os_str().is_empty() {
        FsPath::new(".")
    } else {
        tree
    })
    .map_err(cannot)?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{} leads outside {} (a symlink); vapiform reads only what is inside it",
            path.display(),
            root.display()
        ));
    }
    std::fs::metadata(&real).map_err(cannot)
}

/// The text of a file's bytes, which must be UTF-8 (after an optional byte order mark), as a
/// source `mount` makes of its name and text. The bytes become the text without a copy.
pub(super) fn decode(
    mut file: Vec<u8>,
    file_name: &str,
    mount: fn(&str, String) -> Source,
) -> Result<Source, Unreadable> {
    let skipped = if file.starts_with(BYTE_ORDER_MARK) {
        file.drain(..BYTE_ORDER_MARK.len());
        BYTE_ORDER_MARK.len()
    } else {
        0
    };
    match String::from_utf8(file) {
        Ok(text) => Ok(mount(file_name, text)),
        Err(err) => {
            let bytes = err.as_bytes();
            let valid_up_to = err.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&bytes[..valid_up_to]);
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let message = if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
                "the file is UTF-16; save it as UTF-8".to_owned()
            } else {
                format!(
                    "the file is not valid UTF-8 (bad byte at offset {})",
                    skipped + valid_up_to
                )
            };
            let text = String::from_utf8_lossy(bytes).into_owned();
            Err((
                whole_file(file_name, Pos { line, column }, message),
                mount(file_name, text),
            ))
        }
    }
}

/// The document of a file as JSON, with a problem for every part JSON cannot hold, at their
/// paths in the desired state; the problem that stops reading it otherwise (bad YAML, nesting
/// too deep, an alias bomb). `Null` for a file without content.
pub(super) fn parse(source: &Source) -> Result<(Value, Vec<Problem>), Diagnostic> {
    let document = yaml::read(source.text(), &source.base())
        .map_err(|failure| whole_file(source.name(), failure.pos, failure.message))?;
    Ok((document.root, document.problems))
}

/// Checks and expands the desired state's document `root` (every file's part of it), given
/// the problems found so far: those with a path, and those already `located`.
pub(super) fn finish(
    root: Value,
    problems: Vec<Problem>,
    located: Vec<Diagnostic>,
    sources: Sources,
) -> Result<Desired, Report> {
    finish_read(root, BTreeMap::new(), problems, located, sources)
}

/// [`finish`], given the businesses already `read` from the document (each left as `null`
/// in it).
fn finish_read(
    mut root: Value,
    read: BTreeMap<String, BusinessSpec>,
    mut problems: Vec<Problem>,
    located: Vec<Diagnostic>,
    sources: Sources,
) -> Result<Desired, Report> {
    if !read.is_empty()
        && let Some(Value::Object(businesses)) = root.get_mut(BUSINESSES)
    {
        businesses.retain(|key, _| !read.contains_key(key));
    }
    let Some(mut file) = shape::deserialize(&root, &mut problems) else {
        return Err(sources.report(problems, located));
    };
    if file.businesses.is_empty() {
        file.businesses = read;
    } else {
        file.businesses.extend(read);
    }
    problems.extend(validate::check(&root, &file));
    // The document is not needed any more; free it before expanding, which is the peak.
    drop(root);
    let (desired, expand_problems) = expand::expand(&file, sources);
    problems.extend(expand_problems);
    // A field refused already (read-only, a name too long) is not refused twice.
    let refused: HashSet<Path> = problems.iter().map(|p| p.path.clone()).collect();
    problems.extend(
        conform::check(&file, &desired)
            .into_iter()
            .filter(|problem| !refused.contains(&problem.path)),
    );
    problems.extend(names::check(&file, &desired));
    if problems.is_empty() && located.is_empty() {
        Ok(desired)
    } else {
        Err(desired.sources.report(problems, located))
    }
}

/// Loads, validates and expands the desired state at `path`: a file, or a folder (see
/// `folder`) when `path` is a directory or a `vapiform.yaml` with `businesses/`
/// beside it.
pub(crate) fn load(path: &FsPath) -> Result<Desired, Report> {
    if let Some(folder) = super::folder::root_of(path) {
        return super::folder::load(&folder);
    }
    let file_name = path.display().to_string();
    let tree = path.parent().unwrap_or(FsPath::new("."));
    if let Some(folder) = tree
        .parent()
        .filter(|_| {
            tree.file_name()
                .is_some_and(|name| name == super::folder::BUSINESSES_DIR)
        })
        .filter(|folder| folder.join(super::folder::ROOT_FILE).is_file())
    {
        let message = format!(
            "{file_name} is a business file of the folder {}; validate or plan the folder as a whole (-f {})",
            folder.display(),
            folder.display()
        );
        return Err(Report::new(
            vec![whole_file(&file_name, Pos::START, message)],
            vec![Source::new(&file_name, "")],
        ));
    }
    if tree.join(super::folder::BUSINESSES_DIR).is_dir() {
        // Said, not refused: the folder may hold another fleet's files.
        tracing::warn!(
            "{file_name} has a {}/ folder beside it that is not read: a folder is read through its {} (or -f on the folder)",
            super::folder::BUSINESSES_DIR,
            super::folder::ROOT_FILE
        );
    }
    let unreadable = |(diagnostic, source): Unreadable| Report::new(vec![diagnostic], vec![source]);
    let bytes = read(path, tree, &file_name, MAX_FILE_BYTES).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unreadable(too_large(
            &file_name,
            "the file is",
            MAX_FILE_BYTES,
        )));
    }
    load_owned(bytes, &file_name)
}

/// Loads raw bytes, which must be UTF-8 (after an optional byte order mark).
#[cfg(test)]
pub(crate) fn load_bytes(file: &[u8], file_name: &str) -> Result<Desired, Report> {
    load_owned(file.to_vec(), file_name)
}

fn load_owned(file: Vec<u8>, file_name: &str) -> Result<Desired, Report> {
    let source = decode(file, file_name, |name, text| Source::new(name, text))
        .map_err(|(diagnostic, source)| Report::new(vec![diagnostic], vec![source]))?;
    load_source(source)
}

/// Loads, validates and expands a desired-state document held in memory; `file_name` is only
/// used in diagnostics.
#[cfg(test)]
pub(crate) fn load_str(source: &str, file_name: &str) -> Result<Desired, Report> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    load_source(Source::new(file_name, source))
}

/// Loads one file. Its businesses are each read into their own type as the YAML is read
/// (see [`yaml::Take`]); one that does not read stays in the document, to be reported there.
fn load_source(source: Source) -> Result<Desired, Report> {
    // Gathered in a list and made a map at once, which fills its nodes: inserted in order one
    // by one, each node would be left about half empty.
    let mut read = Vec::new();
    let mut entry = |key: &str, value: &Value| match Mapping::<BusinessSpec>::deserialize(value) {
        Ok(Mapping(business)) => {
            read.push((key.to_owned(), business));
            true
        }
        Err(_) => false,
    };
    let take = yaml::Take {
        section: BUSINESSES,
        entry: &mut entry,
    };
    match yaml::read_taking(source.text(), &source.base(), Some(take)) {
        Ok(document) => finish_read(
            document.root,
            BTreeMap::from_iter(read),
            document.problems,
            Vec::new(),
            Sources::new(source),
        ),
        Err(failure) => {
            let diagnostic = whole_file(source.name(), failure.pos, failure.message);
            Err(Report::new(vec![diagnostic], vec![source]))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write as _;
    use std::time::{Duration, Instant};

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::desired::{Business, Import, ManagedAssistant, Route, Unassigned};

    const DESIGN_EXAMPLE: &str = r#"version: 1

# Numbers in the account that no business lists and `ignore` does not name:
#   leave (default) | unlink | {assistant: <shared assistant key>}
unassigned: {assistant: not-in-service}

prune: false

import: {provider: telnyx, credentialId: 9a1e0c4e-5b7d-4f2a-8c3e-1d6f0b2a7e91}

templates:
  receptionist:
    name: "${business.name}"
    firstMessage: "Thanks for calling ${business.name}. How can I help?"
    model:
      provider: openai
      model: gpt-4o-mini
      messages:
        - role: system
          content: |
            You answer the phone for ${business.name}.
            Opening hours: ${vars.hours}.
    voice: {provider: vapi, voiceId: Elliot}
    server: {url: "https://hooks.example.com/vapi", headers: {x-token: "${env.HOOK_TOKEN}"}}

assistants:
  not-in-service:
    name: Not in service
    firstMessage: This number is not in service yet. Goodbye.

businesses:
  acme-plumbing:
    name: Acme Plumbing
    numbers: ["+14155550100", "+1 (415) 555-0101"]
    assistant:
      template: receptionist
      vars: {hours: "8am-6pm"}
      overrides: {firstMessage: "Acme Plumbing, what's leaking?"}
      adopt: 2bec58d1-3f4a-4c2e-9b1d-7e8f6a5c4d30
  bobs-bakery:
    name: Bob's Bakery
    numbers: ["+14155550102"]
    assistant: {id: 7f3c1e2a-8b9d-4e6f-a1c2-3d4e5f6a7b8c}
  carols-cafe:
    name: Carol's Cafe
    numbers: ["+14155550103"]
    assistant: {spec: {name: Carol's Cafe, firstMessage: Hi!}}
  dans-deli:
    name: Dan's Deli
    numbers: ["+14155550104"]
    assistant: {shared: not-in-service}

ignore:
  numbers: ["+14155550199"]
"#;

    fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("test bodies are objects"),
        }
    }

    fn errors(source: &str) -> Report {
        load_str(source, "vapiform.yaml").expect_err("the file should be refused")
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "the expected desired state of the design's example, written out whole"
    )]
    fn design_example_loads() {
        let desired = load_str(DESIGN_EXAMPLE, "vapiform.yaml").unwrap();
        let acme = ManagedAssistant::new(
            "acme-plumbing".into(),
            object(json!({
                "name": "Acme Plumbing",
                "firstMessage": "Acme Plumbing, what's leaking?",
                "model": {
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "messages": [{
                        "role": "system",
                        "content": "You answer the phone for Acme Plumbing.\nOpening hours: 8am-6pm.\n",
                    }],
                },
                "voice": {"provider": "vapi", "voiceId": "Elliot"},
                "server": {
                    "url": "https://hooks.example.com/vapi",
                    "headers": {"x-token": "${env.HOOK_TOKEN}"},
                },
            })),
            Some("2bec58d1-3f4a-4c2e-9b1d-7e8f6a5c4d30".into()),
        );
        let acme = ManagedAssistant {
            template: Some("receptionist".into()),
            ..acme
        };
        let carol = ManagedAssistant::new(
            "carols-cafe".into(),
            object(json!({"name": "Carol's Cafe", "firstMessage": "Hi!"})),
            None,
        );
        let not_in_service = ManagedAssistant::new(
            "not-in-service".into(),
            object(json!({
                "name": "Not in service",
                "firstMessage": "This number is not in service yet. Goodbye.",
            })),
            None,
        );
        let business = |key: &str, name: &str, numbers: &[&str], route: Route| Business {
            key: key.into(),
            name: name.into(),
            numbers: numbers.iter().map(|n| (*n).into()).collect(),
            route,
            settings: BTreeMap::new(),
            test_call: None,
        };
        let expected = Desired {
            unassigned: Unassigned::Assistant("not-in-service".into()),
            unassigned_phone: serde_json::Map::new(),
            prune: false,
            import: Some(Import {
                body: object(json!({
                    "provider": "telnyx",
                    "credentialId": "9a1e0c4e-5b7d-4f2a-8c3e-1d6f0b2a7e91",
                })),
            }),
            assistants: BTreeMap::from([
                ("acme-plumbing".into(), acme),
                ("carols-cafe".into(), carol),
                ("not-in-service".into(), not_in_service),
            ]),
            businesses: BTreeMap::from([
                (
                    "acme-plumbing".into(),
                    business(
                        "acme-plumbing",
                        "Acme Plumbing",
                        &["+14155550100", "+14155550101"],
                        Route::Managed("acme-plumbing".into()),
                    ),
                ),
                (
                    "bobs-bakery".into(),
                    business(
                        "bobs-bakery",
                        "Bob's Bakery",
                        &["+14155550102"],
                        Route::Existing("7f3c1e2a-8b9d-4e6f-a1c2-3d4e5f6a7b8c".into()),
                    ),
                ),
                (
                    "carols-cafe".into(),
                    business(
                        "carols-cafe",
                        "Carol's Cafe",
                        &["+14155550103"],
                        Route::Managed("carols-cafe".into()),
                    ),
                ),
                (
                    "dans-deli".into(),
                    business(
                        "dans-deli",
                        "Dan's Deli",
                        &["+14155550104"],
                        Route::Managed("not-in-service".into()),
                    ),
                ),
            ]),
            ignore: BTreeSet::from(["+14155550199".into()]),
            carrier: None,
            sources: Sources::new(Source::new("vapiform.yaml", DESIGN_EXAMPLE)),
        };
        assert_eq!(desired, expected);
    }

    #[test]
    fn every_body_the_planner_resolves_names_its_variables() {
        let source = r#"
version: 1
unassigned: {say: "Closed ${env.SAY}", phone: {server: {url: "${env.SPARE}"}}}
templates:
  t: {name: "${business.name}", firstMessage: "${env.TEMPLATE}"}
assistants:
  shared: {name: Shared, firstMessage: "${env.SHARED} $${env.ESCAPED}"}
businesses:
  a:
    name: A
    assistant: {template: t}
    numbers: [{number: "+14155550100", name: "${env.NUMBER}"}]
    phone: {server: {url: "${env.PHONE}"}}
  b:
    name: B
    assistant: {template: t}
    numbers: ["+14155550101"]
"#;
        let desired = load_str(source, "vapiform.yaml").unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            desired.env_references().into_iter().collect::<Vec<_>>(),
            ["NUMBER", "PHONE", "SAY", "SHARED", "SPARE", "TEMPLATE"]
        );
    }

    #[test]
    fn a_problem_found_after_loading_is_shown_at_its_line() {
        let desired = load_str(DESIGN_EXAMPLE, "vapiform.yaml").unwrap();
        assert!(
            !desired.sources.root().scanned(),
            "loading a valid file records no positions"
        );
        let at = |path: &str| {
            let d = desired.diagnostic(path, "problem");
            (d.line, d.column, d.path)
        };
        assert_eq!(
            at("businesses.bobs-bakery.numbers[0]"),
            (42, 15, "businesses.bobs-bakery.numbers[0]".to_owned())
        );
        assert_eq!(at("businesses.acme-plumbing.assistant").0, 35);
        assert_eq!(at("businesses.acme-plumbing.assistant.adopt").0, 39);
        assert_eq!(at("unassigned"), (5, 1, "unassigned".to_owned()));
        // A path the file does not have is shown at its nearest ancestor.
        assert_eq!(at("businesses.dans-deli.numbers[7]").0, 50);
        assert_eq!(at("businesses.nobody").0, 31);
        let report = desired.report(vec![
            desired.diagnostic("businesses.dans-deli", "assistant `x` does not exist"),
            desired.diagnostic("businesses.carols-cafe.numbers[0]", "not in the account"),
        ]);
        assert_eq!(
            report.to_string(),
            "error: not in the account\n  \
             --> vapiform.yaml:46:15\n   |\n\
             46 |     numbers: [\"+14155550103\"]\n   |               ^\n   |\n   \
             = at businesses.carols-cafe.numbers[0]\n\n\
             error: assistant `x` does not exist\n  \
             --> vapiform.yaml:48:3\n   |\n\
             48 |   dans-deli:\n   |   ^\n   |\n   \
             = at businesses.dans-deli\n"
        );
    }

    #[test]
    fn misspelled_field_is_named_with_its_line() {
        let source = DESIGN_EXAMPLE.replace("    name: Bob's Bakery", "    nmae: Bob's Bakery");
        let report = errors(&source);
        let messages: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (d.line, d.column, d.path.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [(
                41,
                5,
                "businesses.bobs-bakery.nmae",
                "unknown field `nmae`, did you mean `name`?"
            )]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let source = DESIGN_EXAMPLE
            .replace("\"+14155550102\"", "\"415 555 0102\"")
            .replace("template: receptionist", "template: receptionst")
            .replace("\"+14155550104\"", "\"+1 415 555 0100\"");
        let report = errors(&source);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}: {}", d.line, d.column, d.path, d.message))
            .collect();
        assert_eq!(
            found,
            [
                "36:17 businesses.acme-plumbing.assistant.template: unknown template `receptionst`: it is not declared under `templates`, did you mean `receptionist`?",
                "42:15 businesses.bobs-bakery.numbers[0]: phone number `415 555 0102` must start with `+` and the country code, like +14155550101",
                "50:15 businesses.dans-deli.numbers[0]: number +14155550100 is already listed in business `acme-plumbing`; a number belongs to at most one business; the first listing is at vapiform.yaml:34:15",
            ]
        );
    }

    /// Each diagnostic of a refused file, as `line:column path: message`.
    fn found(source: &str) -> Vec<String> {
        errors(source)
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}: {}", d.line, d.column, d.path, d.message))
            .collect()
    }

    #[test]
    fn businesses_read_as_the_yaml_is_read_are_checked_with_the_rest() {
        // A bad key, a business that does not read beside ones that do, a number listed by
        // two businesses one of which does not read: each reported where it is.
        let source = "version: 1
businesses:
  Bad_Key:
    name: Bad
    numbers: [\"+14155550100\"]
    assistant: {id: a1}
  broken:
    name: Broken
    numbers: [\"+14155550101\"]
    assistant: {id: a2}
    colour: blue
  dup:
    name: Dup
    numbers: [\"+14155550100\"]
    assistant: {id: a3}
";
        assert_eq!(
            found(source),
            [
                "3:3 businesses.Bad_Key: business key `Bad_Key` must match [a-z0-9][a-z0-9-]*",
                "11:5 businesses.broken.colour: unknown field `colour`, expected one of `name`, `phone`, `numbers`, `assistant`, `squad`, `workflow`, `check`",
                "14:15 businesses.dup.numbers[0]: number +14155550100 is already listed in business `Bad_Key`; a number belongs to at most one business; the first listing is at vapiform.yaml:5:15",
            ]
        );
        // A key written twice is still one.
        let twice = "version: 1\nbusinesses:\n  a: {name: A, assistant: {id: x}}\n  a: {name: B, assistant: {id: y}}\n";
        assert_eq!(found(twice), ["4:3 : invalid YAML: duplicate key `a`"]);
    }

    #[test]
    fn businesses_written_with_anchors_aliases_and_merges_load_as_written_out() {
        let plain = "version: 1
businesses:
  a: {name: A, numbers: [\"+14155550100\"], assistant: {id: x}}
  b: {name: B, numbers: [\"+14155550101\"], assistant: {id: x}}
  c: {name: C, numbers: [\"+14155550102\"], assistant: {id: x}}
";
        let written = "version: 1
businesses:
  a: {name: A, numbers: [\"+14155550100\"], assistant: &route {id: x}}
  b: {name: B, numbers: [\"+14155550101\"], assistant: *route}
  <<: {c: {name: C, numbers: [\"+14155550102\"], assistant: *route}, b: {name: Not B}}
";
        let expected = load_str(plain, "plain.yaml").unwrap();
        let loaded = load_str(written, "written.yaml").unwrap();
        assert_eq!(loaded.businesses, expected.businesses);
        // The whole section anchored: its aliases repeat it whole, so it is read in the
        // document as it stands.
        let anchored = format!(
            "{}assistants: *all\n",
            plain.replace("businesses:", "businesses: &all")
        );
        let repeated = found(&anchored);
        assert!(
            repeated
                .iter()
                .any(|p| p.contains("assistants.a") && p.contains("numbers")),
            "{repeated:?}"
        );
    }

    #[test]
    fn report_renders_location_path_line_and_caret() {
        let source = "version: 1\nbusinesses:\n  acme:\n    name: Acme\n    numbers: [\"+1 415\"]\n    assistant: {id: a1}\n";
        let rendered = errors(source).to_string();
        assert_eq!(
            rendered,
            "error: phone number `+1 415` has 4 digits; E.164 numbers have 8 to 15\n \
             --> vapiform.yaml:5:15\n  |\n\
             5 |     numbers: [\"+1 415\"]\n  |               ^\n  |\n  \
             = at businesses.acme.numbers[0]\n"
        );
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for level in b'b'..=b'j' {
            let previous = char::from(level - 1);
            let refs = vec![format!("*{previous}"); 9].join(",");
            let name = char::from(level);
            writeln!(bomb, "{name}: &{name} [{refs}]").unwrap();
        }
        // Quadratic: one big anchor referenced many times.
        let items = vec!["x"; 2000].join(",");
        let refs = vec!["*a"; 2000].join(",");
        let quadratic = format!("a: &a [{items}]\nb: [{refs}]\n");
        for source in [bomb, quadratic] {
            let started = Instant::now();
            let report = errors(&source);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "took {:?}",
                started.elapsed()
            );
            assert!(
                report.diagnostics[0].message.contains("alias bomb"),
                "{report}"
            );
        }
    }

    #[test]
    fn odd_inputs_are_reported_not_panicked() {
        let cases: &[&[u8]] = &[
            b"",
            b"# only a comment\n",
            b"just a string",
            b"- a\n- b\n",
            b"version: 1\n---\nversion: 1\n",
            b"\xff\xfe version: 1",
            b"version: 1\nbusinesses: {a: [}\n",
            b"version: !custom 1\n",
            b"version: 1\n? [a, b]\n: c\n",
            b"version: .nan\n",
            b"version: 1\nversion: 1\n",
        ];
        let duplicate = load_str("version: 1\nprune: true\nprune: false\n", "f.yaml").unwrap_err();
        assert_eq!(
            (
                duplicate.diagnostics[0].line,
                duplicate.diagnostics[0].message.as_str()
            ),
            (3, "invalid YAML: duplicate key `prune`")
        );
        let tagged = load_str("version: !custom 1\n", "f.yaml").unwrap_err();
        assert_eq!(tagged.diagnostics.len(), 1, "{tagged}");
        for case in cases {
            let report = load_bytes(case, "f.yaml").expect_err("should be refused");
            assert!(!report.diagnostics.is_empty());
            assert!(
                report
                    .diagnostics
                    .iter()
                    .all(|d| d.line >= 1 && d.column >= 1)
            );
            let _ = report.to_string();
        }
        let deep = "[".repeat(100_000);
        assert!(load_str(&deep, "f.yaml").is_err());
        let deep_map = "a:\n".repeat(5000);
        assert!(load_str(&deep_map, "f.yaml").is_err());
        let huge = format!(
            "version: 1\ntemplates: {{t: {{name: \"{}\"}}}}\n",
            "x".repeat(5_000_000)
        );
        assert!(load_str(&huge, "f.yaml").is_ok());
    }

    #[test]
    fn nesting_is_bounded_at_64_levels() {
        let message = |levels: usize| {
            let text = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            errors(&text).diagnostics[0].message.clone()
        };
        assert!(!message(64).contains("nest deeper"), "{}", message(64));
        assert!(message(65).contains("nest deeper than 64 levels"));
        assert!(message(100_000).contains("nest deeper than 64 levels"));
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_offsets_count_it() {
        assert!(load_bytes(b"\xef\xbb\xbfversion: 1\n", "f.yaml").is_ok());
        assert!(load_str("\u{feff}version: 1\n", "f.yaml").is_ok());
        let report = load_bytes(b"\xef\xbb\xbfversion: \xff\n", "f.yaml").unwrap_err();
        assert_eq!(
            (
                report.diagnostics[0].column,
                report.diagnostics[0].message.as_str()
            ),
            (10, "the file is not valid UTF-8 (bad byte at offset 12)")
        );
    }

    #[test]
    fn multi_tenant_example_loads() {
        let path =
            FsPath::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-tenant/vapiform.yaml");
        let desired = load(&path).unwrap_or_else(|report| panic!("{report}"));
        assert_eq!(desired.businesses.len(), 9);
        assert_eq!(desired.assistants.len(), 7);
        let acme = desired.assistants["acme-plumbing"].body();
        assert_eq!(
            acme["voice"],
            json!({"provider": "vapi", "voiceId": "Rohan"})
        );
        assert_eq!(
            acme["server"]["url"],
            "https://hooks.example.com/vapi/acme-plumbing"
        );
        assert_eq!(acme["server"]["headers"]["x-token"], "${env.HOOK_TOKEN}");
        let prompt = acme["model"]["messages"][0]["content"].as_str().unwrap();
        assert!(prompt.contains("Service area: San Francisco."));
        assert!(prompt.contains("look like $${ticket.id}"));
        assert_eq!(
            desired.businesses["eves-events"].numbers,
            Vec::<String>::new()
        );
    }

    #[test]
    fn missing_file_names_the_file() {
        let report = load(FsPath::new("/nonexistent/vapiform.yaml")).unwrap_err();
        assert!(
            report
                .to_string()
                .contains("/nonexistent/vapiform.yaml does not exist")
        );
    }

    fn mutate(source: &str, at: usize, insert: &str, delete: usize) -> String {
        let chars: Vec<char> = source.chars().collect();
        let at = at % (chars.len() + 1);
        let end = (at + delete).min(chars.len());
        let mut out: String = chars[..at].iter().collect();
        out.push_str(insert);
        out.extend(&chars[end..]);
        out
    }

    fn assert_located(result: Result<Desired, Report>) {
        if let Err(report) = result {
            assert!(!report.diagnostics.is_empty());
            for d in &report.diagnostics {
                assert!(d.line >= 1 && d.column >= 1, "{d:?}");
            }
            let _ = report.to_string();
        }
    }

    /// Loads within the time bound; an error must be located.
    fn load_quickly(load: impl FnOnce() -> Result<Desired, Report>) {
        let started = std::time::Instant::now();
        let result = load();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
        assert_located(result);
    }

    /// A hostile document: deep nesting, a huge string, and an alias fan-out.
    fn hostile(depth: usize, size: usize, fanout: usize, levels: usize) -> String {
        use std::fmt::Write as _;
        let mut text = format!(
            "version: 1\nnested: {}\nhuge: \"{}\"\n",
            "[".repeat(depth),
            "a".repeat(size)
        );
        text.push_str("l0: &l0 [x]\n");
        for level in 1..levels {
            let refs = vec![format!("*l{}", level - 1); fanout].join(",");
            let _ = writeln!(text, "l{level}: &l{level} [{refs}]");
        }
        text
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            load_quickly(|| load_bytes(&bytes, "f.yaml"));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[ -~\n\t:{}\\[\\],&*!|>#'\"-]{0,200}") {
            load_quickly(|| load_str(&text, "f.yaml"));
        }

        #[test]
        fn truncated_files_never_panic(cut in 0usize..DESIGN_EXAMPLE.len()) {
            load_quickly(|| load_bytes(&DESIGN_EXAMPLE.as_bytes()[..cut], "f.yaml"));
        }

        #[test]
        fn mutated_files_never_panic(
            at in 0usize..2000,
            insert in "[ -~\n\t]{0,12}",
            delete in 0usize..20,
        ) {
            load_quickly(|| load_str(&mutate(DESIGN_EXAMPLE, at, &insert, delete), "f.yaml"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn hostile_documents_are_refused_quickly(
            depth in 0usize..5000,
            size in 0usize..1_000_000,
            fanout in 1usize..12,
            levels in 1usize..12,
        ) {
            let text = hostile(depth, size, fanout, levels);
            let started = std::time::Instant::now();
            let result = load_str(&text, "f.yaml");
            let took = started.elapsed();
            prop_assert!(took < std::time::Duration::from_secs(2), "took {:?}", took);
            prop_assert!(result.is_err(), "unknown top-level fields are an error");
            assert_located(result);
        }
    }
}
