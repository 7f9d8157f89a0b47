//! `vapiform check`, the test call, through the binary against the simulator's chat: each
//! number answers as its business, or the report names it, quotes what it said, and exits 6;
//! the cost is stated and asked for first; `--max-cost`, `--sample`, the route's verdicts.

use serde_json::{Value, json};
use vapiform::sim::{Account, Options};

use crate::support::{KEY, Run, Workspace, find, serve};

/// The quickstart, applied: every number routed as the file says.
fn applied() -> Workspace {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    workspace
}

fn report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout))
}

/// `check SCOPE --yes --format json` on the sandbox, exiting `code`: the JSON report.
#[track_caller]
fn checked(workspace: &Workspace, scope: &[&str], code: i32) -> Value {
    report(
        &workspace
            .sandbox()
            .args(["check"])
            .args(scope)
            .args(["--yes", "--format", "json"])
            .run()
            .code(code),
    )
}

fn status_of<'a>(report: &'a Value, number: &str) -> &'a Value {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["number"] == number)
        .unwrap_or_else(|| panic!("no {number} in {report}"))
}

/// Changes assistant `name`'s `firstMessage` in the saved account, as a dashboard edit would.
fn greet(workspace: &Workspace, name: &str, greeting: &str) {
    workspace.edit_account(|account| {
        find(account, "assistants", "name", name)["firstMessage"] = json!(greeting);
    });
}

#[test]
fn the_numbers_an_apply_changed_answer_as_their_businesses() {
    let workspace = applied();
    let run = workspace
        .sandbox()
        .args(["check", "--plan", "plan.json", "--yes"])
        .run()
        .code(0);
    // The cost is stated first, on stderr.
    assert!(
        run.stderr.starts_with("Check of 4 numbers: 4 conversations through Vapi's chat API, costing at most $0.20 in all"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .starts_with("Check: 4 pass; 4 conversations, $0.008."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "✓ +14155550104  carols-cafe  says \"Carol's Cafe\"\n    heard: \"Thanks for calling Carol's Cafe. How can I help? You answer the phone for Carol's Cafe.\""
        ),
        "{}",
        run.stdout
    );
    let json = checked(&workspace, &["--plan", "plan.json"], 0);
    assert_eq!(json["totals"]["pass"], 4, "{json}");
    // The unassigned number now speaks the shared "not in service" assistant: no business.
    assert_eq!(
        status_of(&json, "+14155550103")["reason"],
        "names no business of the file"
    );
    // apply --check checks what it applied, in the same run.
    let fresh = Workspace::quickstart();
    let run = fresh
        .sandbox()
        .args(["apply", "--yes", "--check", "--rps", "1000"])
        .run()
        .code(0);
    assert!(run.stdout.contains("Check: 4 pass"), "{}", run.stdout);
    fresh
        .sandbox()
        .args(["apply", "--yes", "--check", "--format", "json"])
        .run()
        .code(1);
}

#[test]
fn a_number_that_greets_as_another_business_fails_with_exit_6_quoting_it() {
    let workspace = applied();
    // Carol's assistant edited on the dashboard to greet as Acme.
    greet(
        &workspace,
        "Carol's Cafe",
        "Thanks for calling Acme Plumbing \u{1b}[2J!",
    );
    let run = workspace
        .sandbox()
        .args(["check", "--all", "--yes"])
        .run()
        .code(6);
    assert!(
        run.stdout.contains(
            "✗ +14155550104  carols-cafe  says \"Acme Plumbing\"\n    heard: \"Thanks for calling Acme Plumbing \\u{1b}[2J! You answer the phone for Carol's Cafe.\""
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    let json = checked(&workspace, &["--all"], 6);
    assert_eq!(status_of(&json, "+14155550104")["status"], "fail");
    assert_eq!(status_of(&json, "+14155550100")["status"], "pass");
    let markdown = workspace
        .sandbox()
        .args(["check", "--all", "--yes", "--format", "markdown"])
        .run()
        .code(6)
        .stdout;
    assert!(
        markdown.starts_with("### vapiform: Check: 4 pass, 1 fail;"),
        "{markdown}"
    );

    // A greeting that says no name at all: "Thanks for calling ."
    greet(&workspace, "Carol's Cafe", "Thanks for calling .");
    workspace.edit_account(|account| {
        find(account, "assistants", "name", "Carol's Cafe")["model"]["messages"][0]["content"] =
            json!("Be brief.");
    });
    let json = checked(&workspace, &["--target", "number/+14155550104"], 6);
    assert_eq!(
        status_of(&json, "+14155550104")["reason"],
        "does not say \"Carol's Cafe\""
    );
}

#[test]
fn a_squad_answers_with_its_first_member() {
    let workspace = applied();
    workspace.edit_account(|account| {
        let bob = find(account, "assistants", "name", "Bob's Bakery (legacy)")["id"].clone();
        let at = "2026-01-01T00:00:00.000Z";
        account["squads"] = json!([{"id": "5a7d0000-0000-4000-8000-000000000001", "orgId": "o",
            "name": "Front desk", "members": [{"assistantId": bob}], "createdAt": at, "updatedAt": at}]);
    });
    workspace.edit("vapiform.yaml", |file| {
        file.replace(
            "    assistant:\n      template: receptionist\n      vars: {hours: \"7am-3pm\"}",
            "    squad: 5a7d0000-0000-4000-8000-000000000001",
        )
    });
    workspace
        .sandbox()
        .args(["apply", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    let json = checked(&workspace, &["--target", "number/+14155550104"], 6);
    let carol = status_of(&json, "+14155550104");
    assert_eq!(
        carol["reason"], "does not say \"Carol's Cafe\"; says \"Bob's Bakery\"",
        "{json}"
    );
    assert!(
        carol["reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("Bob's Bakery")),
        "{json}"
    );
}

#[test]
fn the_route_decides_what_a_chat_cannot_reach() {
    let workspace = applied();
    workspace.edit_account(|account| {
        // Answered by the assistant-request webhook alone.
        let carol = find(account, "phoneNumbers", "number", "+14155550104");
        carol["assistantId"] = Value::Null;
        carol["server"] = json!({"url": "https://hooks.example.com/pick?token=s3cr3t"});
        find(account, "phoneNumbers", "number", "+14155550103")["assistantId"] = Value::Null;
    });
    let json = checked(&workspace, &["--all"], 6);
    let carol = status_of(&json, "+14155550104");
    assert_eq!(carol["status"], "uncheckable", "{json}");
    assert!(
        carol["reason"]
            .as_str()
            .is_some_and(|r| r.contains("assistant-request webhook") && !r.contains("s3cr3t")),
        "{json}"
    );
    // The quickstart routes unassigned numbers to "not in service": ringing nobody fails.
    assert_eq!(status_of(&json, "+14155550103")["status"], "fail");
    assert_eq!(
        status_of(&json, "+14155550103")["reason"],
        "rings nobody: the call is hung up"
    );
    // Under `unassigned: unlink`, ringing nobody is what it should do.
    workspace.edit("vapiform.yaml", |file| {
        file.replace(
            "unassigned: {assistant: not-in-service}",
            "unassigned: unlink",
        )
    });
    let json = checked(&workspace, &["--target", "number/+14155550103"], 0);
    assert_eq!(status_of(&json, "+14155550103")["status"], "pass", "{json}");
    // Still answered there: a fail, whatever it says.
    workspace.edit_account(|account| {
        let acme = find(account, "assistants", "name", "Acme Plumbing")["id"].clone();
        find(account, "phoneNumbers", "number", "+14155550103")["assistantId"] = acme;
    });
    let json = checked(&workspace, &["--target", "number/+14155550103"], 6);
    assert_eq!(
        status_of(&json, "+14155550103")["reason"],
        "still answered, but `unassigned: unlink` says it should ring nobody",
        "{json}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario, read top to bottom"
)]
async fn nothing_is_spent_before_it_is_stated_and_agreed_and_never_past_max_cost() {
    let account: Account = serde_json::from_str(
        &std::fs::read_to_string(crate::support::example("quickstart/account.json")).unwrap(),
    )
    .unwrap();
    let file =
        std::fs::read_to_string(crate::support::example("quickstart/vapiform.yaml")).unwrap();
    let (running, workspace) = serve(
        Options {
            account: Some(account),
            ..Options::default()
        },
        &file,
    )
    .await;
    let vapiform = || {
        workspace
            .vapiform()
            .env("VAPI_API_KEY", KEY)
            .args(["--api-url", &running.url()])
    };
    let chats = || {
        running
            .stats()
            .by_route
            .get("POST /chat")
            .copied()
            .unwrap_or(0)
    };
    // No terminal to ask on, and no --yes: refused, nothing spent.
    let run = vapiform()
        .args(["check", "--all"])
        .run_async()
        .await
        .code(1);
    assert!(
        run.stderr.contains("Check of 5 numbers: 4 conversations")
            && run.stderr.contains("refusing to check without --yes"),
        "{}",
        run.stderr
    );
    assert_eq!(chats(), 0);
    // A budget of one conversation at its most: one is held, the rest not attempted (and
    // Carol's number, which rings nobody before the apply, fails by its route alone).
    let run = vapiform()
        .args([
            "check",
            "--all",
            "--yes",
            "--max-cost",
            "0.05",
            "--format",
            "json",
        ])
        .run_async()
        .await
        .code(6);
    assert_eq!(chats(), 1);
    let json = report(&run);
    assert_eq!(json["totals"]["not_attempted"], 3, "{json}");
    // Nothing failed but some were not checked: exit 1.
    vapiform()
        .args([
            "check",
            "--target",
            "number/+14155550100",
            "--target",
            "number/+14155550101",
        ])
        .args(["--yes", "--max-cost", "0.05"])
        .run_async()
        .await
        .code(1);
    assert!(
        json["outcomes"][1]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("--max-cost 0.05 reached")),
        "{json}"
    );
    // A deterministic sample: the same numbers every run.
    let sample = |run: Run| -> Vec<String> {
        report(&run)["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = sample(
        vapiform()
            .args(["check", "--sample", "2", "--yes", "--format", "json"])
            .run_async()
            .await,
    );
    let second = sample(
        vapiform()
            .args(["check", "--sample", "2", "--yes", "--format", "json"])
            .run_async()
            .await,
    );
    assert_eq!(first.len(), 2);
    assert_eq!(first, second);
    // A budget that holds one conversation at its most holds them one after another, each
    // finished one counted at what it cost (the second number still rings the dental office
    // before the apply: a fail, but held).
    let before = chats();
    vapiform()
        .args([
            "check",
            "--target",
            "number/+14155550100",
            "--target",
            "number/+14155550101",
        ])
        .args(["--yes", "--max-cost", "0.06", "--concurrency", "1"])
        .run_async()
        .await
        .code(6);
    assert_eq!(chats() - before, 2);
    // A scope is required, and a target must name something.
    vapiform()
        .args(["check", "--yes"])
        .run_async()
        .await
        .code(1);
    for target in ["number/+19995550100", "assistant/nobody"] {
        let run = vapiform()
            .args(["check", "--yes", "--target", target])
            .run_async()
            .await
            .code(1);
        assert!(
            run.stderr.contains("names no number of the account"),
            "{}",
            run.stderr
        );
    }
    running.shutdown().await;
}

/// The offline half, run by `validate` and `plan` before anything is sent: a business's own
/// greeting or prompt that names another business, or an empty var where the text expects a
/// word, is a located problem; a name listed under `check.mentions` is a warning.
#[test]
fn a_template_that_names_another_business_or_leaves_a_gap_is_refused_offline() {
    let workspace = Workspace::quickstart();
    let file = workspace.read("vapiform.yaml");
    // A name written into the template's prompt: every other business now says it.
    workspace.edit("vapiform.yaml", |file| {
        file.replace(
            "Opening hours: ${vars.hours}.",
            "Opening hours: ${vars.hours}. Tell callers Acme Plumbing handles repairs.",
        )
    });
    for command in ["validate", "plan"] {
        let run = workspace.sandbox().args([command]).run().code(1);
        assert!(
            run.stderr.contains(
                "its greeting or system prompt names \"Acme Plumbing\", another business of the file: callers of Carol's Cafe would hear it"
            ) && run.stderr.contains("= at businesses.carols-cafe.assistant"),
            "{command}: {}",
            run.stderr
        );
        // Acme's own name in its own prompt is no problem.
        assert!(
            !run.stderr.contains("callers of Acme Plumbing"),
            "{}",
            run.stderr
        );
    }
    // Said to be deliberate: a warning, and the file is valid.
    workspace.edit("vapiform.yaml", |file| {
        file.replace(
            "  carols-cafe:\n    name: Carol's Cafe\n",
            "  carols-cafe:\n    name: Carol's Cafe\n    check: {mentions: [\"ACME plumbing\"]}\n",
        )
    });
    let run = workspace.sandbox().args(["validate"]).run().code(0);
    assert!(
        run.stderr
            .contains("check.mentions says that is deliberate"),
        "{}",
        run.stderr
    );

    // A var left empty where the prompt uses it.
    let gap = file.replace("vars: {hours: \"7am-3pm\"}", "vars: {hours: \" \"}");
    assert_ne!(gap, file, "the edit applies");
    workspace.write("vapiform.yaml", &gap);
    let run = workspace.sandbox().args(["validate"]).run().code(1);
    assert!(
        run.stderr.contains("`hours` is empty, and the greeting or system prompt of template `receptionist` says `${vars.hours}`")
            && run.stderr.contains("= at businesses.carols-cafe.assistant.vars.hours"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_check_starts_no_new_conversation_and_reports_every_number() {
    let (account, file) = crate::support::onboarding(40);
    let (running, workspace) = serve(
        Options {
            account: Some(account),
            ..Options::default()
        },
        &file,
    )
    .await;
    let url = running.url();
    workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--yes", "--rps", "1000"])
        .run_async()
        .await
        .code(0);
    // 40 conversations at 5 a second take 8 s; interrupt after about one.
    let child = workspace
        .vapiform()
        .args([
            "--api-url",
            &url,
            "check",
            "--all",
            "--yes",
            "--format",
            "json",
        ])
        .args(["--rps", "5", "--concurrency", "1", "--max-cost", "100"])
        .spawn();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["outcomes"].as_array().unwrap().len(), 40, "{json}");
    let held = json["totals"]["pass"].as_u64().unwrap();
    let chats = running.stats().by_route["POST /chat"];
    assert_eq!(held, chats, "every conversation held is reported: {json}");
    assert!(held > 0 && held < 40, "interrupted midway: {held}");
    assert_eq!(json["totals"]["not_attempted"].as_u64().unwrap(), 40 - held);
    running.shutdown().await;
}

/// A template with another business's name written in (let through offline by
/// `check.mentions`): the businesses that use it do not answer as themselves.
#[test]
fn a_template_that_names_the_wrong_business_fails_the_test_call() {
    let workspace = Workspace::quickstart();
    workspace.edit("vapiform.yaml", |file| {
        file.replace(
            "    firstMessage: \"Thanks for calling ${business.name}. How can I help?\"",
            "    firstMessage: \"Thanks for calling Acme Plumbing. How can I help?\"",
        )
        .replace(
            "You answer the phone for ${business.name}.",
            "You answer the phone for Acme Plumbing.",
        )
        .replace(
            "  carols-cafe:\n    name: Carol's Cafe\n",
            "  carols-cafe:\n    name: Carol's Cafe\n    check: {mentions: [Acme Plumbing]}\n",
        )
    });
    workspace
        .sandbox()
        .args(["apply", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    let json = checked(&workspace, &["--all"], 6);
    assert_eq!(status_of(&json, "+14155550100")["status"], "pass", "{json}");
    assert_eq!(
        status_of(&json, "+14155550104")["reason"],
        "does not say \"Carol's Cafe\"",
        "{json}"
    );
}
