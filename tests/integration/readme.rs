//! The README as a newcomer follows it: the set-up's commands run as written (from the
//! repository's root, the binary for `cargo run --`) and print what the README shows, and the
//! migration guide's steps give the plans it promises.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{Workspace, example};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The text of the README's section `heading` (a `## ` line), up to the next one.
fn section(readme: &str, heading: &str) -> String {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("the README has no section {heading}"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |end| end + 4);
    rest[..end].to_owned()
}

/// The code blocks of `text` in `language`, in order.
fn blocks(text: &str, language: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start() == format!("```{language}") {
            let indent = line.len() - line.trim_start().len();
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| l.trim_start() != "```")
                .map(|l| l.get(indent..).unwrap_or(""))
                .collect();
            found.push(block.join("\n") + "\n");
        }
    }
    found
}

/// Runs one line of a README `sh` block as a newcomer would, from the repository's root:
/// `cargo run --` is the binary under test, `/tmp/account.json` a file in `scratch`. Returns
/// the output and the comment after `#`, if any (what the README says it prints).
fn run_line(line: &str, scratch: &Workspace) -> (std::process::Output, Option<String>) {
    let (command, comment) = match line.split_once(" # ") {
        Some((command, comment)) => (command, Some(comment.trim().to_owned())),
        None => (line, None),
    };
    let command = command
        .replace("cargo run --", env!("CARGO_BIN_EXE_vapiform"))
        .replace(
            "/tmp/account.json",
            scratch.path("account.json").to_str().unwrap(),
        );
    let mut shell = Command::new("sh");
    shell
        .args(["-c", &command])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    for name in [
        "VAPI_API_KEY",
        "VAPI_PRIVATE_API_KEY",
        "VAPI_TOKEN",
        "VAPI_BASE_URL",
    ] {
        shell.env_remove(name);
    }
    (shell.output().unwrap(), comment)
}

#[test]
fn the_set_up_runs_as_written_and_prints_what_the_readme_shows() {
    let setup = section(&readme(), "## Set-up");
    let commands = blocks(&setup, "sh");
    let shown = blocks(&setup, "text");
    assert_eq!((commands.len(), shown.len()), (2, 1), "{setup}");
    let scratch = Workspace::new();
    let bundled = std::fs::read_to_string(example("quickstart/account.json")).unwrap();

    // The main job: its plan is exactly the one the README prints.
    let first = commands[0].lines().next().unwrap();
    assert!(first.starts_with("cargo run --"), "{first}");
    let (output, _) = run_line(first, &scratch);
    assert_eq!(output.status.code(), Some(0), "{first}");
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        printed, shown[0],
        "the README's sample plan is not what `{first}` prints"
    );
    // The second line runs the tests: this is one of them.
    assert_eq!(commands[0].lines().nth(1), Some("cargo test"));

    // The whole story: apply to a copy, plan again.
    for line in commands[1].lines() {
        let (output, comment) = run_line(line, &scratch);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{line}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(comment) = comment {
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(stdout.starts_with(&comment), "{line} prints:\n{stdout}");
        }
    }
    // The README's own copy of the account is untouched.
    assert_eq!(
        std::fs::read_to_string(example("quickstart/account.json")).unwrap(),
        bundled
    );
}

#[test]
fn the_migration_guide_gives_the_plans_it_promises() {
    let guide = section(&readme(), "## Migrating an existing account");
    // An account never managed by vapiform: the quickstart's, without its one label.
    let mut account: Value =
        serde_json::from_str(&std::fs::read_to_string(example("quickstart/account.json")).unwrap())
            .unwrap();
    for assistant in account["assistants"].as_array_mut().unwrap() {
        if let Some(metadata) = assistant["metadata"].as_object_mut() {
            metadata.remove("vapiform");
        }
    }
    let workspace = Workspace::new();
    workspace.write("account.json", &account.to_string());
    let plan = |workspace: &Workspace| workspace.sandbox().args(["plan"]).run().code(0).stdout;

    // 1. Export; the plan shows no changes.
    assert!(
        guide.contains("`vapiform export -o vapiform.yaml`"),
        "{guide}"
    );
    workspace
        .sandbox()
        .args(["export", "-o", "vapiform.yaml"])
        .run()
        .code(0);
    assert!(
        guide.contains("`vapiform plan` on it shows **No changes.**"),
        "{guide}"
    );
    assert!(plan(&workspace).starts_with("No changes."));

    // 2. Rename the key and the name of a business routed by `id:`: still no changes.
    assert!(
        guide.contains("Rename the keys and names of businesses routed by `id:` or `squad:`"),
        "{guide}"
    );
    let exported = workspace.read("vapiform.yaml");
    assert!(exported.contains("  bright-smile-dental:\n"), "{exported}");
    let renamed = exported
        .replace("  bright-smile-dental:\n", "  dental:\n")
        .replace("name: Bright Smile Dental", "name: Bright Smile");
    assert_ne!(renamed, exported);
    workspace.write("vapiform.yaml", &renamed);
    assert!(plan(&workspace).starts_with("No changes."));

    // A business whose assistant carries the label keeps its key: a new one plans a new
    // assistant and moves the numbers to it.
    let labelled = Workspace::new();
    labelled.write(
        "account.json",
        &std::fs::read_to_string(example("quickstart/account.json")).unwrap(),
    );
    labelled
        .sandbox()
        .args(["export", "-o", "vapiform.yaml"])
        .run()
        .code(0);
    let spec = labelled.read("vapiform.yaml");
    assert!(spec.contains("  acme-plumbing:\n"), "{spec}");
    labelled.write(
        "vapiform.yaml",
        &spec.replace("  acme-plumbing:\n", "  acme:\n"),
    );
    let moved = plan(&labelled);
    assert!(
        moved.contains("+ assistant/acme create") && moved.contains("number/+14155550100 reassign"),
        "{moved}"
    );

    // 3. Move a business to a template, keeping its assistant with `adopt:`: the README's
    // own snippet, with the quickstart's template.
    let snippet = blocks(&guide, "yaml")
        .into_iter()
        .next()
        .expect("the guide's adopt example");
    assert!(snippet.contains("adopt: a1c2e3f4"), "{snippet}");
    let adopted: serde_yaml::Mapping = serde_yaml::from_str(&snippet).unwrap();
    let quickstart: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(example("quickstart/vapiform.yaml")).unwrap(),
    )
    .unwrap();
    let mut file: serde_yaml::Value = serde_yaml::from_str(&renamed).unwrap();
    let businesses = file["businesses"].as_mapping_mut().unwrap();
    assert!(businesses.contains_key("acme-plumbing"), "{renamed}");
    businesses.extend(adopted);
    file.as_mapping_mut()
        .unwrap()
        .insert("templates".into(), quickstart["templates"].clone());
    let file = serde_yaml::to_string(&file).unwrap();
    workspace.write("vapiform.yaml", &file);
    let adopting = plan(&workspace);
    assert!(
        guide.contains("The plan shows `~ assistant/acme-plumbing adopt`"),
        "{guide}"
    );
    assert!(
        adopting.contains("~ assistant/acme-plumbing adopt"),
        "{file}\n{adopting}"
    );
    assert!(
        !adopting.contains("number/+14155550100"),
        "its number stays where it is:\n{adopting}"
    );
}
