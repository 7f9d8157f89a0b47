//! `apply` through the binary. Every test ends with a plan that must be empty.

use std::time::Duration;

use serde_json::{Value, json};
use vapiform::sim::Options;

use crate::support::{Workspace, id_of, labelled, onboarding, route_of, serve};

#[test]
fn quickstart_end_to_end() {
    let workspace = Workspace::quickstart();
    let run = workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    assert!(
        run.stdout
            .starts_with("Plan: 2 to create, 1 to update, 1 to assign, 2 to reassign.\n"),
        "the plan first: {}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply: 6 applied."), "{}", run.stdout);
    // Each line once: printed as its change ended, not again in the report.
    assert_eq!(
        run.stdout
            .matches("✓ applied assistant/carols-cafe create")
            .count(),
        1,
        "{}",
        run.stdout
    );
    for line in [
        "✓ applied number/+14155550101 reassign",
        "✓ applied assistant/carols-cafe create",
    ] {
        assert!(run.stdout.contains(line), "{}", run.stdout);
    }
    let account = workspace.account();
    assert_eq!(
        labelled(&account),
        ["acme-plumbing", "carols-cafe", "not-in-service"]
    );
    assert_eq!(
        route_of(&account, "+14155550101"),
        id_of(&account, "acme-plumbing")
    );
    assert_eq!(
        route_of(&account, "+14155550103"),
        id_of(&account, "not-in-service")
    );
    assert_eq!(
        route_of(&account, "+14155550104"),
        id_of(&account, "carols-cafe")
    );
    assert_eq!(
        route_of(&account, "+14155550102"),
        Some("7f3c1e2a-5b6d-4c8e-9f01-23456789abcd")
    );
    // Metadata keys the file does not declare survive the label being written.
    let acme = account["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["metadata"]["vapiform"]["key"] == "acme-plumbing")
        .unwrap();
    assert_eq!(acme["metadata"]["signupId"], "su_0192");
    // So do fields inside an owned object: PATCH replaces `model` wholesale, so vapiform sends
    // the declared subtree merged over the live one.
    assert_eq!(acme["model"]["temperature"], 1);
    assert!(
        acme["model"]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("8am-6pm")
    );
    workspace.assert_no_changes();
}

#[test]
fn apply_of_a_saved_plan_and_json_report() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes", "--format", "json"])
        .run()
        .code(0);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    assert_eq!(report["totals"]["applied"], 6);
    assert!(
        report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "applied")
    );
    workspace.assert_no_changes();
    // The same plan again: all of it is in effect, so nothing is left to confirm.
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--format", "json"])
        .run()
        .code(0);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    assert_eq!(report["totals"]["already_applied"], 6, "{report}");
    // Nothing to do: the (empty) plan is the JSON answer.
    let run = workspace
        .sandbox()
        .args(["apply", "--yes", "--format", "json"])
        .run()
        .code(0);
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON plan");
    assert_eq!(plan["changes"], serde_json::json!([]), "{plan}");
}

#[test]
fn a_stale_saved_plan_is_refused_and_nothing_is_written() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    // Someone re-routes Acme's second line by hand after the plan was made.
    let mut account = workspace.account();
    for number in account["phoneNumbers"].as_array_mut().unwrap() {
        if number["number"] == "+14155550101" {
            number["assistantId"] = json!("7f3c1e2a-5b6d-4c8e-9f01-23456789abcd");
            number["updatedAt"] = json!("2026-11-20T10:00:00.000Z");
        }
    }
    workspace.write("account.json", &serde_json::to_string(&account).unwrap());
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(4);
    assert!(
        run.stderr.contains("number/+14155550101") && run.stderr.contains("assistantId"),
        "{}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before, "nothing written");
    // A fresh plan applies and converges.
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    workspace.assert_no_changes();
}

#[test]
fn apply_without_yes_refuses_when_stdin_is_not_a_terminal() {
    let workspace = Workspace::quickstart();
    let before = workspace.read("account.json");
    let run = workspace.sandbox().args(["apply"]).run().code(1);
    assert!(
        run.stderr.contains("refusing to apply without --yes"),
        "{}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before);
    // Asked for JSON, with no one to confirm: the refusal alone, no plan on either stream;
    // stdout holds the refusal as the failure document.
    let run = workspace
        .sandbox()
        .args(["apply", "--format", "json"])
        .run()
        .code(1);
    let failed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        failed["problems"][0]["message"],
        run.stderr.trim_end(),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "only the refusal: {}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before);
}

#[test]
fn a_failed_change_exits_3_skips_its_dependants_and_converges_once_fixed() {
    let workspace = Workspace::quickstart();
    let good = workspace.read("vapiform.yaml");
    // The simulator, like Vapi, rejects an unknown voice provider: Carol's assistant fails.
    // The provider comes from the environment, known only when the request is sent, so no
    // offline check can refuse it first.
    let bad = good.replace("      vars: {hours: \"7am-3pm\"}", "      vars: {hours: \"7am-3pm\"}\n      overrides: {voice: {provider: \"${env.VOICE_PROVIDER}\", voiceId: x}}");
    workspace.write("vapiform.yaml", &bad);
    let run = workspace
        .sandbox()
        .env("VOICE_PROVIDER", "no-such-voice")
        .args(["apply", "--yes"])
        .run()
        .code(3);
    assert!(
        run.stdout
            .contains("✗ failed assistant/carols-cafe create: POST /assistant: 400 Bad Request"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "- skipped number/+14155550104 assign: assistant/carols-cafe was not created"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Apply: 4 applied, 1 failed, 1 skipped."),
        "{}",
        run.stdout
    );
    workspace.write("vapiform.yaml", &good);
    let run = workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    assert!(
        run.stdout.contains("Apply: 2 applied."),
        "only what was left: {}",
        run.stdout
    );
    workspace.assert_no_changes();
}

#[test]
fn unlink_policy_and_prune() {
    let workspace = Workspace::quickstart();
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    // Carol leaves: her business goes, unassigned numbers are now unlinked, and prune is on.
    let file = workspace.read("vapiform.yaml").replace(
        "unassigned: {assistant: not-in-service}",
        "unassigned: unlink\nprune: true",
    );
    let carol = file.find("  carols-cafe:").unwrap();
    workspace.write("vapiform.yaml", &file[..carol]);
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    // not-in-service is still declared (and still shared), so only Carol's assistant goes.
    assert!(
        run.stdout.starts_with("Plan: 2 to unlink, 1 to delete."),
        "{}",
        run.stdout
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(labelled(&account), ["acme-plumbing", "not-in-service"]);
    assert_eq!(route_of(&account, "+14155550103"), None);
    assert_eq!(route_of(&account, "+14155550104"), None);
    workspace.assert_no_changes();
}

#[test]
fn listed_numbers_vapi_lacks_are_imported() {
    let workspace = Workspace::quickstart();
    let file = workspace
        .read("vapiform.yaml")
        .replace("numbers: [\"+14155550104\"]", "numbers: [\"+14155550104\", \"+14155550105\"]")
        .replace("version: 1\n", "version: 1\nimport: {provider: telnyx, credentialId: 9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b}\n");
    workspace.write("vapiform.yaml", &file);
    let run = workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    assert!(
        run.stdout.contains("✓ applied number/+14155550105 import"),
        "{}",
        run.stdout
    );
    let account = workspace.account();
    assert_eq!(
        route_of(&account, "+14155550105"),
        id_of(&account, "carols-cafe")
    );
    workspace.assert_no_changes();
}

/// `n` businesses with a managed assistant each, numbers unrouted: `2n` writes to apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_under_errors_rate_limits_and_read_lag() {
    let (account, file) = onboarding(30);
    // 60 writes and their read-backs at 400 per second against a limit of 20: some must wait.
    let options = Options {
        account: Some(account),
        error_rate: 0.1,
        rate_limit: Some(20.0),
        lag: Duration::from_millis(40),
        seed: 7,
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let args = [
        "--api-url",
        url.as_str(),
        "apply",
        "--yes",
        "--allow-mass-change",
        "--rps",
        "400",
        "--concurrency",
        "16",
        // Reads lag 40 ms: a create answered 500 is looked for this long before it is resent.
        "--verify-timeout",
        "2",
    ];
    let run = workspace.vapiform().args(args).run_async().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Apply: 60 applied."), "{}", run.stdout);
    // Every one of these refused requests had to be sent again for apply to converge.
    let injected = running.stats().injected;
    assert!(
        injected.errors > 0 && injected.rate_limited > 0,
        "the simulator injected both kinds of fault: {injected:?}"
    );
    // No duplicates: one labelled assistant per business, and every number routes to its own.
    let saved = workspace.account();
    let keys: Vec<String> = (0..30).map(|i| format!("b{i:04}")).collect();
    assert_eq!(labelled(&saved), keys);
    assert_eq!(route_of(&saved, "+16285550029"), id_of(&saved, "b0029"));
    let plan = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await;
    assert_eq!(
        plan.code, 0,
        "second plan empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_midway_converges_when_run_again() {
    const N: usize = 40;
    let lag = Duration::from_millis(40);
    let (account, file) = onboarding(N);
    // Errors and read lag as above, and the process killed partway through.
    let options = Options {
        account: Some(account),
        error_rate: 0.1,
        lag,
        seed: 11,
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vapiform"))
        .current_dir(workspace.path("."))
        .env("VAPI_API_KEY", "k")
        .args([
            "--api-url",
            &url,
            "apply",
            "--yes",
            "--allow-mass-change",
            "--rps",
            "50",
            "--verify-timeout",
            "2",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // 80 writes and their read-backs at 50 per second take over 3 s: stop it once a few
    // assistants exist.
    let posted = || {
        running
            .stats()
            .by_route
            .get("POST /assistant")
            .copied()
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while posted() < 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A re-run reads the account with list calls; within the API's read lag the first run's
    // last creates are not listed yet, so a re-run inside that window would create them again
    // (and the next plan would then refuse, naming both ids). Re-run once reads are current.
    tokio::time::sleep(lag + Duration::from_millis(50)).await;
    let done = labelled(&workspace.account());
    assert!(
        !done.is_empty() && done.len() < N,
        "killed midway: {} assistants created",
        done.len()
    );

    let args = [
        "--api-url",
        url.as_str(),
        "apply",
        "--yes",
        "--allow-mass-change",
        "--rps",
        "1000",
        "--concurrency",
        "16",
        "--verify-timeout",
        "2",
        "--format",
        "json",
    ];
    let run = workspace.vapiform().args(args).run_async().await.code(0);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let creates = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] == "create")
        .count();
    assert_eq!(
        creates,
        N - done.len(),
        "what the first run did is not redone"
    );
    let keys: Vec<String> = (0..N).map(|i| format!("b{i:04}")).collect();
    assert_eq!(labelled(&workspace.account()), keys, "no duplicates");
    let plan = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await;
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    running.shutdown().await;
}

#[test]
fn a_saved_plan_needing_an_unset_variable_writes_nothing() {
    let workspace = Workspace::quickstart();
    workspace.add_hook_token();
    workspace
        .sandbox()
        .env("HOOK_TOKEN", "t0k3n")
        .args(["plan", "--out", "plan.json"])
        .run()
        .code(0);
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("HOOK_TOKEN") && run.stderr.contains("nothing was written"),
        "{}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before);
}

#[tokio::test]
async fn a_squads_member_is_kept_and_a_delete_the_api_refuses_fails_saying_why() {
    // A squad the file does not manage names the pruned assistant as a member: the plan keeps
    // it, saying why, for Vapi answers 409 `assistant_pinned` to its delete.
    let (account, file) = crate::fixtures::update_and_delete();
    let gone = crate::fixtures::uuid(1, 1);
    let mut pinned = account.clone();
    pinned.squads.push(crate::fixtures::object(&json!({
        "id": "5a0d0000-0000-4000-8000-000000000001",
        "orgId": "o",
        "name": "Front desk",
        "members": [{"assistantId": gone, "assistantVersion": "v1"}],
        "createdAt": "2026-05-01T00:00:00.000Z",
        "updatedAt": "2026-05-01T00:00:00.000Z",
    })));
    let options = Options {
        account: Some(pinned.clone()),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let plan = workspace
        .vapiform()
        .args(["--api-url", &running.url(), "plan", "--format", "json"])
        .run_async()
        .await
        .code(0);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] != "delete"),
        "{plan}"
    );
    let kept = &plan["untouched"]["kept_assistants"];
    assert!(
        kept.as_array().unwrap().iter().any(|k| k["id"] == gone
            && k["reason"].as_str().unwrap().contains(
                "squad \"Front desk\" (5a0d0000-0000-4000-8000-000000000001) names it as a member"
            )),
        "{kept}"
    );

    // A plan made before the squad named it still deletes it: the delete fails, saying why,
    // and was not merely unverified.
    let before = vapiform::sim::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await
    .unwrap();
    workspace
        .vapiform()
        .args(["--api-url", &before.url(), "plan", "--out", "plan.json"])
        .run_async()
        .await
        .code(0);
    before.shutdown().await;
    let run = workspace
        .vapiform()
        .args([
            "--api-url",
            &running.url(),
            "apply",
            "--plan",
            "plan.json",
            "--yes",
            "--format",
            "json",
        ])
        .run_async()
        .await;
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(run.code, 3, "{report}");
    let delete = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|outcome| outcome["address"] == "assistant/gone")
        .unwrap_or_else(|| panic!("the delete's outcome: {report}"));
    assert_eq!(delete["status"], "failed", "{report}");
    assert!(
        delete["detail"].as_str().unwrap().contains(
            "409 Conflict: assistant 00000000-0000-4000-8001-000000000001 is pinned by squad"
        ),
        "{report}"
    );
    assert_eq!(running.stats().by_route["DELETE /assistant/{id}"], 1);
    assert!(labelled(&workspace.account()).contains(&"gone".to_owned()));
    running.shutdown().await;
}

/// util-linux's `script` runs vapiform on a pseudo-terminal and types the answer into it
/// (`script` of the BSDs and macOS takes other arguments).
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_only_yes_applies() {
    let workspace = Workspace::quickstart();
    let before = workspace.read("account.json");
    let answer = |typed: &str| {
        let command = format!(
            "'{}' --color never --sandbox account.json apply",
            env!("CARGO_BIN_EXE_vapiform")
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(workspace.path(""))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script(1) runs a command on a terminal");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), typed.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        let shown = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), shown)
    };
    let (code, shown) = answer("y\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("Apply these changes? Only 'yes' is accepted:"),
        "{shown}"
    );
    assert!(
        shown.contains("Apply cancelled; nothing was written."),
        "{shown}"
    );
    assert_eq!(
        shown.matches("Plan: 2 to create, 1 to update").count(),
        1,
        "the plan once: {shown}"
    );
    assert_eq!(workspace.read("account.json"), before);
    let (code, shown) = answer("yes\n");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("Apply: 6 applied."), "{shown}");
    workspace.assert_no_changes();
}
