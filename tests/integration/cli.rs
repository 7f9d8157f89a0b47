//! The command line itself: validate, schema, completions, help, and input errors.

use crate::support::{Workspace, example};
use std::fmt::Write as _;

#[test]
fn validate_accepts_every_example() {
    let workspace = Workspace::new();
    for file in [
        "quickstart/vapiform.yaml",
        "multi-tenant/vapiform.yaml",
        "carrier/vapiform.yaml",
        "folder",
    ] {
        let run = workspace
            .vapiform()
            .args(["validate", "-f"])
            .arg_path(&example(file))
            .run()
            .code(0);
        assert!(run.stdout.contains("is valid"), "{}", run.stdout);
    }
}

#[test]
fn validate_names_a_misspelled_field_and_its_line() {
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\nbusinesses:\n  acme:\n    nmae: Acme\n    numbers: [\"+14155550100\"]\n    assistant: {id: a1}\n");
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(run.stderr.contains("nmae"), "{}", run.stderr);
    assert!(run.stderr.contains("vapiform.yaml:4:5"), "{}", run.stderr);
}

#[test]
fn validate_reports_every_problem_in_one_run() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        r#"version: 1
businesses:
  acme:
    name: Acme
    numbers: ["+1415555", "+14155550100"]
    assistant: {template: nope}
  bob:
    name: Bob
    numbers: ["+1 415 555 0100"]
    assistant: {id: a1}
"#,
    );
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "vapiform.yaml"])
        .run()
        .code(1);
    for expected in ["businesses.acme.numbers[0]", "nope", "+14155550100"] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.matches("error:").count() >= 3, "{}", run.stderr);
}

#[test]
fn validate_refuses_fields_vapi_sets_and_a_malformed_metadata() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        r#"version: 1
import: {provider: telnyx, credentialId: c, status: active}
templates:
  receptionist:
    name: "${business.name}"
    orgId: 8c1e2f3a-org
assistants:
  closed:
    name: Closed
    metadata: pro
businesses:
  acme:
    name: Acme
    numbers: ["+14155550100"]
    assistant:
      spec:
        name: Acme
        createdAt: "2026-01-01T00:00:00Z"
  bob:
    name: Bob
    numbers: ["+14155550101"]
    assistant:
      template: receptionist
      overrides: {metadata: {vapiform: {key: carol}}}
  carol:
    name: Carol
    numbers: ["+14155550102"]
    assistant: {spec: {name: Carol, id: 7f3c1e2a, updatedAt: x}}
"#,
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    for expected in [
        "vapiform.yaml:2:53",
        "at import.status",
        "`status` is read-only",
        "vapiform.yaml:6:12",
        "at templates.receptionist.orgId",
        "vapiform.yaml:10:15",
        "at assistants.closed.metadata",
        "expected `metadata` as a mapping",
        "vapiform.yaml:18:20",
        "at businesses.acme.assistant.spec.createdAt",
        "at businesses.bob.assistant.overrides.metadata.vapiform",
        "`metadata.vapiform` is vapiform's label",
        "at businesses.carol.assistant.spec.id",
        "write `adopt: <id>`",
        // Every mistake of an entry is reported, not only its first.
        "at businesses.carol.assistant.spec.updatedAt",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.matches("error:").count(), 7, "{}", run.stderr);
}

#[test]
fn validate_refuses_an_adopted_assistant_referenced_by_another_business() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        r#"version: 1
businesses:
  one:
    name: One
    numbers: ["+14155550100"]
    assistant: {id: asst-1}
  two:
    name: Two
    numbers: ["+14155550101"]
    assistant: {spec: {name: Two}, adopt: asst-1}
  three:
    name: Three
    numbers: ["+14155550102"]
    assistant: {id: legacy}
  four:
    name: Four
    numbers: ["+14155550103"]
    assistant: {id: legacy}
"#,
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 2, "{}", run.stderr);
    // Each location names the other.
    assert!(
        run.stderr.contains("--> vapiform.yaml:6:17")
            && errors[0].contains("adopted by business `two`")
            && errors[0].ends_with("its `adopt` is at vapiform.yaml:10:36"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> vapiform.yaml:10:36")
            && errors[1].contains("which business `one` also routes to")
            && errors[1].ends_with("the `id` is at vapiform.yaml:6:17"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("legacy"), "{}", run.stderr);
}

#[test]
fn validate_refuses_an_alias_bomb_fast() {
    let workspace = Workspace::new();
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for level in 1..10 {
        let prev = char::from(b'a' + level - 1);
        let name = char::from(b'a' + level);
        let _ = writeln!(
            bomb,
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        );
    }
    workspace.write("vapiform.yaml", &bomb);
    let started = std::time::Instant::now();
    workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn schema_matches_the_committed_file() {
    let run = Workspace::new().vapiform().args(["schema"]).run().code(0);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/vapiform.schema.json"
    ))
    .unwrap();
    assert_eq!(run.stdout, committed);
}

/// `schemas/vapi/dtos.json` is what `scripts/vapi-schema.py` extracts from the vendored
/// `OpenAPI` file: regenerating changes nothing.
#[test]
fn vapi_dtos_match_the_vendored_openapi_file() {
    let output = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/vapi-schema.py"
        ))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn completions_and_help() {
    let workspace = Workspace::new();
    let run = workspace
        .vapiform()
        .args(["completions", "bash"])
        .run()
        .code(0);
    assert!(run.stdout.contains("vapiform") && run.stdout.contains("--sandbox"));
    let run = workspace.vapiform().args(["--help"]).run().code(0);
    for command in [
        "validate",
        "plan",
        "apply",
        "show",
        "export",
        "schema",
        "sim",
        "completions",
    ] {
        assert!(
            run.stdout.contains(command),
            "help lacks {command}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn bad_arguments_exit_1_not_2() {
    // 2 means "changes pending"; a usage error must not look like it.
    Workspace::new()
        .vapiform()
        .args(["plan", "--no-such-flag"])
        .run()
        .code(1);
    Workspace::new()
        .vapiform()
        .args(["plan", "--target", "nonsense"])
        .run()
        .code(1);
    let run = Workspace::new()
        .vapiform()
        .args(["sim", "--error-rate", "2"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("--error-rate must be between 0 and 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_key_is_a_clear_error() {
    let workspace = Workspace::quickstart();
    let run = workspace
        .vapiform()
        .env_remove("VAPI_API_KEY")
        .args(["plan"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("no API key") && run.stderr.contains("VAPI_API_KEY"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_texts_read_well() {
    let workspace = Workspace::new();
    for command in ["plan", "apply", "sim"] {
        let run = workspace
            .vapiform()
            .env("COLUMNS", "100")
            .args([command, "--help"])
            .run()
            .code(0);
        insta::assert_snapshot!(format!("help_{command}"), run.stdout);
    }
    let run = workspace
        .vapiform()
        .env("COLUMNS", "100")
        .args(["--help"])
        .run()
        .code(0);
    insta::assert_snapshot!("help", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_serves_an_account_file_that_plan_reads() {
    use std::io::{BufRead as _, BufReader};
    let workspace = Workspace::quickstart();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vapiform"))
        .current_dir(workspace.path("."))
        .args([
            "sim",
            "--state",
            "account.json",
            "--listen",
            "127.0.0.1:0",
            "--latency-ms",
            "5",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("vapiform sim listening on ")
        .expect("the URL is printed")
        .to_owned();

    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await;
    let stats: serde_json::Value = reqwest::get(format!("{url}/__sim/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let run = run.code(2);
    assert!(
        run.stdout
            .starts_with("Plan: 2 to create, 1 to update, 1 to assign, 2 to reassign."),
        "{}",
        run.stdout
    );
    assert_eq!(stats["by_route"]["GET /phone-number"], 1, "{stats}");
    assert_eq!(stats["by_route"]["GET /assistant"], 1, "{stats}");
}

#[test]
fn a_read_only_command_never_creates_a_sandbox_account() {
    let workspace = Workspace::quickstart();
    for args in [
        vec!["--sandbox", "acount.json", "plan"],
        vec!["--sandbox", "acount.json", "export"],
        vec!["--sandbox", "acount.json", "numbers"],
    ] {
        let run = workspace.vapiform().args(&args).run().code(1);
        assert!(
            run.stderr
                .contains("the sandbox account acount.json does not exist; check the path"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !workspace.path("acount.json").exists(),
            "{args:?} created it"
        );
    }
    // apply creates a new one, as the sandbox has always done.
    workspace.write("empty.yaml", "version: 1\n");
    workspace
        .vapiform()
        .args([
            "--sandbox",
            "fresh.json",
            "apply",
            "-f",
            "empty.yaml",
            "--yes",
        ])
        .run()
        .code(0);
    assert!(workspace.path("fresh.json").exists());
}

#[test]
fn a_missing_file_or_a_business_file_says_what_to_do() {
    let workspace = Workspace::new();
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr
            .contains("vapiform.yaml does not exist (looked in ")
            && run
                .stderr
                .contains("name the desired file or folder with -f"),
        "{}",
        run.stderr
    );
    // No location: the file has no line to point at.
    assert!(!run.stderr.contains("-->"), "{}", run.stderr);
    std::fs::create_dir_all(workspace.path("fleet/businesses")).unwrap();
    workspace.write("fleet/vapiform.yaml", "version: 1\n");
    workspace.write("fleet/businesses/a.yaml", "a: {name: A}\n");
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet/businesses/a.yaml"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains(
            "fleet/businesses/a.yaml is a business file of the folder fleet; validate or plan the folder as a whole (-f fleet)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn plan_as_json_prints_the_files_problems_as_json() {
    let workspace = Workspace::quickstart();
    workspace.write("vapiform.yaml", "version: 1\nbusinesses:\n  a: {name: [\n");
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(1);
    let document: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("JSON: {}", run.stdout));
    let problem = &document["problems"][0];
    assert_eq!(problem["file"], "vapiform.yaml", "{document}");
    assert!(
        problem["line"].as_u64().is_some() && problem["message"].is_string(),
        "{document}"
    );
}

/// With `--format json` every failure of `plan`, `validate` and `apply` is one JSON document on
/// stdout, and with `--format markdown` vapiform's own failure section: what a pipeline reads,
/// and what the GitHub Action posts instead of raw stderr.
#[test]
fn every_failure_is_one_document_on_stdout() {
    let workspace = Workspace::quickstart();
    let document = |run: &crate::support::Run| -> serde_json::Value {
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|error| panic!("{error}: not one JSON document:\n{}", run.stdout))
    };
    // A file that does not load: its problems, located.
    workspace.write("broken.yaml", "version: 1\nbusinesses: {a: {nme: A}}\n");
    for command in ["validate", "plan"] {
        let run = workspace
            .sandbox()
            .args([command, "-f", "broken.yaml", "--format", "json"])
            .run()
            .code(1);
        let problems = &document(&run)["problems"];
        assert_eq!(problems[0]["file"], "broken.yaml", "{}", run.stdout);
        assert_eq!(problems[0]["line"], 2, "{}", run.stdout);
    }
    // A file that is not there.
    let run = workspace
        .sandbox()
        .args(["validate", "-f", "missing.yaml", "--format", "json"])
        .run()
        .code(1);
    assert!(
        document(&run)["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing.yaml does not exist")),
        "{}",
        run.stdout
    );
    // An account that cannot be read: the error, with the exit status.
    workspace.write("garbled.json", "{\"assistants\": 7}");
    let run = workspace
        .vapiform()
        .args(["--sandbox", "garbled.json", "plan", "--format", "json"])
        .run()
        .code(1);
    let failed = document(&run);
    assert_eq!(failed["exit"], 1, "{}", run.stdout);
    assert!(
        failed["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("garbled.json")),
        "{}",
        run.stdout
    );
    // A saved plan made stale: apply's refusal, in both formats.
    workspace.save_plan();
    workspace.write(
        "account.json",
        &workspace
            .read("account.json")
            .replace("Opening hours: 9am-5pm.", "Opening hours: 9am-6pm."),
    );
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes", "--format", "json"])
        .run()
        .code(4);
    assert_eq!(document(&run)["exit"], 4, "{}", run.stdout);
    let run = workspace
        .sandbox()
        .args([
            "apply",
            "--plan",
            "plan.json",
            "--yes",
            "--format",
            "markdown",
        ])
        .run()
        .code(4);
    assert!(
        run.stdout
            .starts_with("**vapiform apply exited 4**: the saved plan is stale"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("assistant/acme-plumbing"),
        "{}",
        run.stdout
    );
    // A valid file, as JSON.
    let run = workspace
        .sandbox()
        .args(["validate", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(document(&run)["valid"], true, "{}", run.stdout);
    assert_eq!(document(&run)["businesses"], 3, "{}", run.stdout);
}

/// The `numbers` table lines up by terminal cells: a name in wide characters (each takes two)
/// does not shift the columns after it.
#[test]
fn the_numbers_table_lines_up_wide_characters() {
    use unicode_width::UnicodeWidthStr as _;
    let workspace = Workspace::quickstart();
    workspace.write(
        "account.json",
        &workspace
            .read("account.json")
            .replace("Bob's Bakery (legacy)", "日本語のパン屋"),
    );
    let run = workspace.sandbox().args(["numbers"]).run().code(0);
    let starts: Vec<usize> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with('+') || line.starts_with("NUMBER"))
        .map(|line| {
            let business = line.rfind("  ").expect("a last column") + 2;
            line[..business].width()
        })
        .collect();
    assert!(run.stdout.contains("日本語のパン屋"), "{}", run.stdout);
    assert!(
        starts.len() == 6 && starts.iter().all(|&s| s == starts[0]),
        "{starts:?}\n{}",
        run.stdout
    );
}

/// Colour follows the conventions (read by `anstream`): `CLICOLOR_FORCE` colours a pipe,
/// `NO_COLOR` wins over it, `--color` over both; diagnostics are coloured too, and the file's
/// own escape characters are still shown escaped, never obeyed.
#[test]
fn colour_follows_no_color_clicolor_force_and_the_flag() {
    let workspace = Workspace::quickstart();
    let coloured = |run: &crate::support::Run| run.stdout.contains('\u{1b}');
    assert!(!coloured(&workspace.sandbox().args(["plan"]).run().code(0)));
    let forced = workspace
        .sandbox()
        .env("CLICOLOR_FORCE", "1")
        .args(["plan"])
        .run()
        .code(0);
    assert!(coloured(&forced), "{}", forced.stdout);
    let run = workspace
        .sandbox()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["plan"])
        .run()
        .code(0);
    assert!(!coloured(&run), "{}", run.stdout);
    let run = workspace
        .sandbox()
        .env("CLICOLOR_FORCE", "1")
        .args(["--color", "never", "plan"])
        .run()
        .code(0);
    assert!(!coloured(&run), "{}", run.stdout);

    // A key the message quotes, holding an escape character once the YAML is read.
    workspace.write(
        "broken.yaml",
        "version: 1\nbusinesses:\n  \"a\\e[2J\": {name: A}\n",
    );
    let run = workspace
        .vapiform()
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "-f", "broken.yaml"])
        .run()
        .code(1);
    assert!(run.stderr.contains("\u{1b}["), "coloured: {:?}", run.stderr);
    assert!(
        !run.stderr.contains("\u{1b}[2J"),
        "obeyed: {:?}",
        run.stderr
    );
    assert!(run.stderr.contains("\\u{1b}[2J"), "{:?}", run.stderr);
    let plain = workspace
        .vapiform()
        .args(["validate", "-f", "broken.yaml"])
        .run()
        .code(1);
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
}

/// `--version` names the commit and its date; `vapiform man` is the manual page, generated
/// from the same command line as `--help`.
#[test]
fn version_names_the_commit_and_man_prints_the_manual() {
    let workspace = Workspace::new();
    let version = workspace
        .vapiform()
        .args(["--version"])
        .run()
        .code(0)
        .stdout;
    let (name, rest) = version.trim_end().split_once(' ').unwrap();
    assert_eq!(name, "vapiform");
    let (semver, stamp) = rest.split_once(' ').unwrap();
    assert_eq!(semver, env!("CARGO_PKG_VERSION"));
    let stamp = stamp
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{version}"));
    let (commit, date) = stamp.split_once(' ').unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{version}"
    );
    assert!(
        date == "unknown"
            || (date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-'),
        "{version}"
    );
    let man = workspace.vapiform().args(["man"]).run().code(0).stdout;
    assert!(man.contains(".TH vapiform 1"), "{man}");
    for command in [
        "validate", "plan", "apply", "show", "export", "numbers", "sim",
    ] {
        assert!(
            man.contains(&format!("vapiform\\-{command}(1)")),
            "{command}:\n{man}"
        );
    }
    assert!(
        man.contains(version.trim_end().trim_start_matches("vapiform ")),
        "{man}"
    );
}

/// The JSON document a command prints on stdout, exiting `code`.
#[track_caller]
fn document(workspace: &Workspace, args: &[&str], code: i32) -> serde_json::Value {
    let run = workspace.sandbox().args(args).run().code(code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn every_json_document_on_stdout_names_its_kind() {
    let workspace = Workspace::quickstart();
    let kinds = [
        (&["validate", "--format", "json"][..], 0, "validation"),
        (&["numbers", "--format", "json"], 0, "numbers"),
        (&["plan", "--format", "json"], 0, "plan"),
        (&["apply", "--yes", "--format", "json"], 0, "report"),
        // Nothing is left to apply: apply prints the empty plan.
        (&["apply", "--yes", "--format", "json"], 0, "plan"),
        (&["check", "--all", "--yes", "--format", "json"], 0, "check"),
        // A stale saved plan is refused with what was said on stderr.
        (
            &["apply", "--plan", "missing.json", "--format", "json"],
            1,
            "problems",
        ),
    ];
    for (args, code, kind) in kinds {
        let document = document(&workspace, args, code);
        assert_eq!(document["kind"], kind, "{args:?}: {document}");
        assert_eq!(document["format_version"], 1, "{args:?}: {document}");
    }
    workspace.write(
        "vapiform.yaml",
        "version: 1\nbusinesses: {acme: {nmae: Acme}}\n",
    );
    let problems = document(&workspace, &["plan", "--format", "json"], 1);
    assert_eq!(problems["kind"], "problems", "{problems}");
}

#[test]
fn show_reads_a_plan_saved_before_documents_named_their_kind_and_refuses_another_kind() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    let shown = workspace
        .vapiform()
        .args(["show", "plan.json"])
        .run()
        .code(0);
    let mut older: serde_json::Value = serde_json::from_str(&workspace.read("plan.json")).unwrap();
    older.as_object_mut().unwrap().remove("kind");
    workspace.write("older.json", &older.to_string());
    let again = workspace
        .vapiform()
        .args(["show", "older.json"])
        .run()
        .code(0);
    assert_eq!(again.stdout, shown.stdout);
    let report = workspace
        .sandbox()
        .args(["apply", "--yes", "--format", "json"])
        .run()
        .code(0);
    workspace.write("report.json", &report.stdout);
    let refused = workspace
        .vapiform()
        .args(["show", "report.json"])
        .run()
        .code(1);
    assert!(
        refused
            .stderr
            .contains("report.json is another kind of document than a plan"),
        "{}",
        refused.stderr
    );
}
