//! Sensitive values never shown: for each sensitive word, for `server.headers` and for
//! `${env.*}` values at the top level and nested, neither the old value in the account nor the
//! new one is in any plan format, `show`, or anything apply prints, including its unverified
//! and failed messages. The plan file holds no value from the account or the environment; the
//! file's own literal values appear only in the requests it will send.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use vapiform::sim::{Account, Options};

use crate::fixtures::{changes, labelled, save, uuid};
use crate::support::{Cmd, Run, Workspace, serve};

/// `(key, field, old value, new value)` for each sensitive field named by a word.
const WORDS: [(&str, &str, &str, &str); 6] = [
    (
        "w-secret",
        "clientSecret",
        "old-secret-1f0a",
        "new-secret-2b1c",
    ),
    (
        "w-token",
        "sessionToken",
        "old-token-3d2e",
        "new-token-4f3a",
    ),
    (
        "w-password",
        "adminPassword",
        "old-password-5b4c",
        "new-password-6d5e",
    ),
    (
        "w-apikey",
        "partnerApiKey",
        "old-apikey-7f6a",
        "new-apikey-8b7c",
    ),
    (
        "w-authorization",
        "Authorization",
        "old-auth-9d8e",
        "new-auth-0f9a",
    ),
    (
        "w-credential",
        "backupCredential",
        "old-credential-1b0c",
        "new-credential-2d1e",
    ),
];
const OLD_HEADER: &str = "old-header-3f2a";
const NEW_HEADER: &str = "new-header-4b3c";
/// `${env.*}` values: what the account holds now, and what the environment sets.
const OLD_GREETING: &str = "old-env-greeting-5d4e";
const NEW_GREETING: &str = "new-env-greeting-6f5a";
const OLD_PROMPT: &str = "old-env-prompt-7b6c";
const NEW_PROMPT: &str = "new-env-prompt-8d7e";

/// Values that must never be printed or saved: what the account holds, and what `${env.*}`
/// resolves to.
fn never_saved() -> Vec<&'static str> {
    let mut all: Vec<&str> = WORDS.iter().map(|(_, _, old, _)| *old).collect();
    all.extend([
        OLD_HEADER,
        OLD_GREETING,
        OLD_PROMPT,
        NEW_GREETING,
        NEW_PROMPT,
    ]);
    all
}

/// Every sensitive value: none is ever shown.
fn secrets() -> Vec<&'static str> {
    let mut all = never_saved();
    all.extend(WORDS.iter().map(|(_, _, _, new)| *new));
    all.push(NEW_HEADER);
    all
}

#[track_caller]
fn assert_clean(text: &str, what: &str) {
    for secret in secrets() {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

#[track_caller]
fn assert_run_clean(run: &Run, what: &str) {
    assert_clean(&run.stdout, &format!("{what} stdout"));
    assert_clean(&run.stderr, &format!("{what} stderr"));
}

/// A JSON plan may hold the file's own literal values in the requests it will send (that is
/// what makes it executable as it stands), but nowhere else; and never a value from the
/// account or the environment.
#[track_caller]
fn assert_plan_json_clean(text: &str, what: &str) {
    for secret in never_saved() {
        assert!(!text.contains(secret), "{what} holds {secret}:\n{text}");
    }
    let mut plan: Value = serde_json::from_str(text).expect("a JSON plan");
    for change in plan["changes"].as_array_mut().unwrap() {
        change.as_object_mut().unwrap().remove("write");
    }
    assert_clean(&plan.to_string(), &format!("{what} outside its requests"));
}

fn model(content: &str) -> Value {
    json!({"provider": "openai", "model": "gpt-4o-mini", "messages": [{"role": "system", "content": content}]})
}

/// `assistant` with `field: value` in its metadata: the one place an assistant takes fields of
/// any name (Vapi refuses unknown top-level ones).
fn in_metadata(
    mut assistant: serde_json::Map<String, Value>,
    field: &str,
    value: &str,
) -> serde_json::Map<String, Value> {
    assistant["metadata"][field] = json!(value);
    assistant
}

/// One labelled assistant per sensitive field (in its metadata), each holding its old value, plus one the
/// simulator will refuse to update; and a file giving each its new value (one change each).
fn vault() -> (Account, String) {
    let mut assistants: Vec<_> = WORDS
        .iter()
        .enumerate()
        .map(|(i, (key, field, old, _))| {
            in_metadata(
                labelled(&uuid(1, i), key, &json!({"name": key})),
                field,
                old,
            )
        })
        .collect();
    assistants.extend([
        labelled(&uuid(1, 6), "w-headers", &json!({"name": "w-headers", "server": {"url": "https://hooks.example.com/a", "headers": {"x-plain": OLD_HEADER}}})),
        labelled(&uuid(1, 7), "w-env-top", &json!({"name": "w-env-top", "firstMessage": format!("Hi {OLD_GREETING}")})),
        labelled(&uuid(1, 8), "w-env-nested", &json!({"name": "w-env-nested", "model": model(&format!("Use {OLD_PROMPT} always"))})),
        in_metadata(labelled(&uuid(1, 9), "w-refused", &json!({"name": "w-refused"})), "clientSecret", "old-secret-1f0a"),
    ]);
    let mut file = String::from("version: 1\nassistants:\n");
    for (key, field, _, new) in WORDS {
        let _ = writeln!(
            file,
            "  {key}: {{name: {key}, metadata: {{{field}: {new}}}}}"
        );
    }
    let _ = writeln!(
        file,
        "  w-headers: {{name: w-headers, server: {{url: \"https://hooks.example.com/a\", headers: {{x-plain: {NEW_HEADER}}}}}}}"
    );
    file.push_str("  w-env-top: {name: w-env-top, firstMessage: \"Hi ${env.GREETING_SECRET}\"}\n");
    file.push_str("  w-env-nested:\n    name: w-env-nested\n    model: {provider: openai, model: gpt-4o-mini, messages: [{role: system, content: \"Use ${env.PROMPT_SECRET} always\"}]}\n");
    // The simulator refuses this voice provider (from the environment, known only when the
    // request is sent), so this change fails with Vapi's message.
    file.push_str("  w-refused: {name: w-refused, metadata: {clientSecret: new-secret-2b1c}, voice: {provider: \"${env.VOICE_PROVIDER}\", voiceId: x}}\n");
    (
        Account {
            phone_numbers: Vec::new(),
            assistants,
            ..Account::default()
        },
        file,
    )
}

fn with_env(command: Cmd) -> Cmd {
    command
        .env("GREETING_SECRET", NEW_GREETING)
        .env("PROMPT_SECRET", NEW_PROMPT)
        .env("VOICE_PROVIDER", "no-such-voice")
        .args(["-vvv"])
}

#[test]
fn sensitive_values_are_in_no_plan_format_nor_the_plan_file() {
    let (account, file) = vault();
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    save(&workspace, &account);
    for format in ["text", "markdown", "json"] {
        let run = with_env(workspace.sandbox())
            .args(["plan", "--out", "plan.json", "--format", format])
            .run()
            .code(0);
        let shown = with_env(workspace.vapiform())
            .args(["show", "plan.json", "--format", format])
            .run()
            .code(0);
        for (run, command) in [(run, "plan"), (shown, "show")] {
            let what = format!("{command} --format {format}");
            assert_clean(&run.stderr, &what);
            if format == "json" {
                assert_plan_json_clean(&run.stdout, &what);
            } else {
                assert_clean(&run.stdout, &what);
            }
        }
    }
    let saved = workspace.read("plan.json");
    assert_plan_json_clean(&saved, "the plan file");
    let plan: Value = serde_json::from_str(&saved).unwrap();
    // Every sensitive field is really in the plan: one update per assistant.
    assert_eq!(changes(&plan).len(), WORDS.len() + 4, "{saved}");
    assert!(changes(&plan).iter().all(|(_, action)| action == "update"));
}

#[test]
fn sensitive_values_are_in_nothing_apply_prints() {
    let (account, file) = vault();
    for format in ["text", "json", "markdown"] {
        let workspace = Workspace::new();
        workspace.write("vapiform.yaml", &file);
        save(&workspace, &account);
        let run = with_env(workspace.sandbox())
            .args(["apply", "--yes", "--rps", "1000", "--format", format])
            .run()
            .code(3);
        assert_run_clean(&run, &format!("apply --format {format}"));
        assert!(
            run.stdout.contains("400 Bad Request"),
            "the refused change failed with Vapi's message:\n{}",
            run.stdout
        );
        // The account holds the real values.
        let saved = workspace.read("account.json");
        assert!(saved.contains(NEW_GREETING) && saved.contains(NEW_PROMPT));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitive_values_are_not_in_unverified_messages() {
    let (account, file) = vault();
    for format in ["text", "json"] {
        // Reads keep showing the old values, so every change ends unverified, naming the field
        // that differs.
        let options = Options {
            account: Some(account.clone()),
            lag: Duration::from_secs(60),
            ..Options::default()
        };
        let (running, workspace) = serve(options, &file).await;
        let run = with_env(workspace.vapiform())
            .args([
                "--api-url",
                &running.url(),
                "apply",
                "--yes",
                "--verify-timeout",
                "0",
                "--rps",
                "1000",
            ])
            .args(["--format", format])
            .run_async()
            .await
            .code(3);
        assert_run_clean(&run, &format!("apply --format {format}"));
        if format == "json" {
            let report: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(report["totals"]["unverified"], WORDS.len() + 3, "{report}");
            assert_eq!(report["totals"]["failed"], 1, "{report}");
        }
        running.shutdown().await;
    }
}

/// The vault's assistant `key` alone, in the account and the file: a plan of one change.
fn one_of_vault(key: &str) -> (Account, String) {
    let (mut account, file) = vault();
    account.assistants.retain(|a| a["name"] == key);
    let mut file: serde_yaml::Value = serde_yaml::from_str(&file).unwrap();
    let assistants = file["assistants"].as_mapping_mut().unwrap();
    assistants.retain(|k, _| k.as_str() == Some(key));
    (account, serde_yaml::to_string(&file).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_lagging_write_shows_no_secret_in_its_unverified_message() {
    let keys = WORDS
        .iter()
        .map(|(key, ..)| *key)
        .chain(["w-headers", "w-env-top", "w-env-nested"]);
    for key in keys {
        let (account, file) = one_of_vault(key);
        assert_eq!(account.assistants.len(), 1, "{key}");
        for format in ["text", "json", "markdown"] {
            let options = Options {
                account: Some(account.clone()),
                lag: Duration::from_secs(60),
                ..Options::default()
            };
            let (running, workspace) = serve(options, &file).await;
            let run = with_env(workspace.vapiform())
                .args(["--api-url", &running.url(), "apply", "--yes"])
                .args(["--verify-timeout", "0", "--format", format])
                .run_async()
                .await
                .code(3);
            assert_run_clean(&run, &format!("{key}: apply --format {format}"));
            assert!(
                run.stdout.contains("unverified"),
                "{key} {format}: {}",
                run.stdout
            );
            running.shutdown().await;
        }
    }
}

#[test]
fn apply_masks_numbers_in_the_plan_and_the_report_it_prints() {
    let workspace = crate::support::Workspace::quickstart();
    for format in ["text", "markdown"] {
        workspace.write(
            "account.json",
            &std::fs::read_to_string(crate::support::example("quickstart/account.json")).unwrap(),
        );
        let run = workspace
            .sandbox()
            .args(["apply", "--yes", "--mask-numbers", "--format", format])
            .run()
            .code(0);
        assert!(
            !run.stdout.contains("+14155550101") && run.stdout.contains("+1415•••0101"),
            "{format}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn problems_errors_and_warnings_on_stderr_are_masked() {
    let workspace = crate::support::Workspace::quickstart();
    // A planning problem naming a number, in each notation a file may write it.
    let file = workspace.read("vapiform.yaml");
    let listed = file.replacen(
        "numbers: [",
        "numbers: [\"+14155550177\", \"(415) 555-0178\", ",
        1,
    );
    assert_ne!(listed, file, "the edit applies");
    workspace.write("vapiform.yaml", &listed);
    for args in [
        vec!["plan", "--mask-numbers"],
        vec!["apply", "--yes", "--mask-numbers"],
    ] {
        let run = workspace.sandbox().args(&args).run().code(1);
        assert!(
            run.stderr.contains("+1415•••0177"),
            "{args:?}: {}",
            run.stderr
        );
        for whole in ["14155550177", "4155550178", "555-0178"] {
            assert!(!run.stderr.contains(whole), "{args:?}: {}", run.stderr);
        }
    }
    // A file that does not load: the quoted line is masked too.
    workspace.write(
        "vapiform.yaml",
        &listed.replacen("numbers: [", "numbers: [[\"+14155550179\"], ", 1),
    );
    let run = workspace
        .sandbox()
        .args(["plan", "--mask-numbers"])
        .run()
        .code(1);
    assert!(run.stderr.contains("+1415•••0179"), "{}", run.stderr);
    assert!(!run.stderr.contains("14155550179"), "{}", run.stderr);
    // Without the flag, numbers are whole.
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(run.stderr.contains("14155550179"), "{}", run.stderr);
}
