//! The plan is the contract (issue 16), through the binary: apply executes a saved plan as it
//! stands, refuses one the account moved away from, finishes one it already half applied,
//! refuses one edited by hand, and planning never drops a problem or shares an assistant.

use std::time::Duration;

use serde_json::{Value, json};
use vapiform::sim::{Account, Options};

use crate::support::{Workspace, find, id_of, route_of, serve};

const DENTAL: &str = "d3a7b2c1-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const BOB: &str = "7f3c1e2a-5b6d-4c8e-9f01-23456789abcd";

/// `apply --plan plan.json` refuses as stale (exit 4) naming each of `named`, and writes nothing.
#[track_caller]
fn assert_stale(workspace: &Workspace, named: &[&str]) {
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(4);
    for name in named {
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

/// A legacy assistant nobody routes to, as the dashboard would have made it.
fn spare_assistant(id: &str, name: &str, metadata: &Value) -> Value {
    json!({"id": id, "orgId": "o", "name": name, "firstMessage": "Hello from the spare.",
           "metadata": metadata, "createdAt": "2026-01-05T10:00:00.000Z",
           "updatedAt": "2026-01-05T10:00:00.000Z"})
}

#[test]
fn a_dashboard_change_to_any_routing_field_makes_a_saved_plan_stale() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    // The plan reassigns +14155550101; someone routes it to a squad meanwhile.
    workspace.edit_account(|account| {
        find(account, "phoneNumbers", "number", "+14155550101")["squadId"] =
            json!("5a5a5a5a-0000-4000-8000-000000000001");
    });
    assert_stale(&workspace, &["number/+14155550101", "squadId"]);
}

#[test]
fn a_server_url_set_since_the_plan_makes_it_stale() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    // Its webhook answers the number whenever nothing is routed: that is routing too.
    workspace.edit_account(|account| {
        find(account, "phoneNumbers", "number", "+14155550101")["server"] =
            json!({"url": "https://hooks.example/elsewhere"});
    });
    assert_stale(&workspace, &["number/+14155550101", "server"]);
}

#[test]
fn a_new_route_to_an_assistant_the_plan_deletes_makes_it_stale() {
    let workspace = Workspace::quickstart();
    let old = "0ddba11a-0000-4000-8000-000000000001";
    workspace.edit_account(|account| {
        account["assistants"]
            .as_array_mut()
            .unwrap()
            .push(spare_assistant(
                old,
                "Old Business",
                &json!({"vapiform": {"key": "old-business"}}),
            ));
    });
    let plan = workspace
        .sandbox()
        .args(["plan", "--prune", "--out", "plan.json"])
        .run()
        .code(0);
    assert!(
        plan.stdout.contains("- assistant/old-business delete"),
        "{}",
        plan.stdout
    );
    // Someone routes Bob's number to the assistant the plan deletes.
    workspace.edit_account(|account| {
        find(account, "phoneNumbers", "number", "+14155550102")["assistantId"] = json!(old);
    });
    assert_stale(&workspace, &["assistant/old-business", "+14155550102"]);
}

#[test]
fn a_route_target_deleted_since_the_plan_makes_it_stale() {
    let workspace = Workspace::quickstart();
    let spare = "5ba1e000-0000-4000-8000-000000000001";
    workspace.edit_account(|account| {
        account["assistants"]
            .as_array_mut()
            .unwrap()
            .push(spare_assistant(spare, "Spare", &json!({})));
    });
    let file = workspace.read("vapiform.yaml").replace(BOB, spare);
    workspace.write("vapiform.yaml", &file);
    workspace.save_plan();
    workspace.edit_account(|account| {
        account["assistants"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["id"] != spare);
    });
    assert_stale(
        &workspace,
        &["number/+14155550102", &format!("assistant {spare}")],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_run_again_after_an_unverified_apply_finishes_the_rest() {
    let account: Account = serde_json::from_str(
        &std::fs::read_to_string(crate::support::example("quickstart/account.json")).unwrap(),
    )
    .unwrap();
    // Reads lag writes by longer than apply waits, so the first apply cannot verify.
    let options = Options {
        account: Some(account),
        lag: Duration::from_millis(1500),
        ..Options::default()
    };
    let file =
        std::fs::read_to_string(crate::support::example("quickstart/vapiform.yaml")).unwrap();
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--out", "plan.json"])
        .run_async()
        .await
        .code(0);
    let first = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--plan", "plan.json", "--yes"])
        .args(["--verify-timeout", "0"])
        .run_async()
        .await
        .code(3);
    assert!(first.stdout.contains("unverified"), "{}", first.stdout);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let second = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--plan", "plan.json", "--yes"])
        .run_async()
        .await
        .code(0);
    assert!(
        second
            .stdout
            .contains("already_applied assistant/carols-cafe create")
            && second
                .stdout
                .contains("✓ applied number/+14155550104 assign"),
        "{}",
        second.stdout
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let last = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await
        .code(0);
    assert!(last.stdout.starts_with("No changes."), "{}", last.stdout);
    running.shutdown().await;
}

#[test]
fn a_plan_file_edited_by_hand_is_refused_by_show_and_apply() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    workspace.edit("plan.json", |plan| {
        plan.replace(
            "This number is not in service. Goodbye.",
            "Call 555-0199 instead.",
        )
    });
    let before = workspace.read("account.json");
    for args in [
        vec!["show", "plan.json"],
        vec!["apply", "--plan", "plan.json", "--yes"],
    ] {
        let run = workspace.sandbox().args(&args).run().code(1);
        assert!(
            run.stderr.contains("modified after it was written"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

#[test]
fn the_digest_binds_what_was_reviewed_to_what_is_written() {
    let workspace = Workspace::quickstart();
    let first = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(0);
    let digest = serde_json::from_str::<Value>(&first.stdout).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = workspace.sandbox().args(["plan"]).run().code(0);
    assert!(text.stdout.contains(&digest), "text shows the digest");
    let markdown = workspace
        .sandbox()
        .args(["plan", "--format", "markdown"])
        .run()
        .code(0);
    assert!(
        markdown.stdout.contains(&digest),
        "markdown shows the digest"
    );

    // The file changed after review: the fresh plan differs, so nothing is written.
    let reviewed = workspace.read("vapiform.yaml");
    workspace.write("vapiform.yaml", &reviewed.replace("7am-3pm", "7am-4pm"));
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--yes", "--expect-digest", &digest])
        .run()
        .code(4);
    assert!(run.stderr.contains(&digest), "{}", run.stderr);
    assert_eq!(workspace.read("account.json"), before, "nothing written");

    // A digest cut short, or empty, is refused as a usage error, not compared.
    for wrong in [&digest[..63], "", "  "] {
        let run = workspace
            .sandbox()
            .args(["apply", "--yes", "--expect-digest", wrong])
            .run()
            .code(1);
        assert!(
            run.stderr.contains("is not a plan digest"),
            "{}",
            run.stderr
        );
    }
    // As pasted from a review: in upper case, with spaces around it.
    workspace.write("vapiform.yaml", &reviewed);
    let pasted = format!("  {}\n", digest.to_uppercase());
    workspace
        .sandbox()
        .args(["apply", "--yes", "--expect-digest", &pasted])
        .run()
        .code(0);
    assert!(id_of(&workspace.account(), "carols-cafe").is_some());
}

#[test]
fn an_assistant_belongs_to_one_key_in_the_file_and_in_the_account() {
    // In the file: one business routes to X, another adopts X.
    let workspace = Workspace::quickstart();
    let file = workspace.read("vapiform.yaml").replace(
        "      vars: {hours: \"7am-3pm\"}",
        &format!("      vars: {{hours: \"7am-3pm\"}}\n      adopt: {BOB}"),
    );
    workspace.write("vapiform.yaml", &file);
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stderr.contains("businesses.bobs-bakery")
            && run.stderr.contains("carols-cafe")
            && run.stderr.contains(BOB),
        "{}",
        run.stderr
    );

    // In the account: X carries the label of a declared key another business routes by id.
    let workspace = Workspace::quickstart();
    workspace.edit_account(|account| {
        find(account, "assistants", "id", BOB)["metadata"] =
            json!({"vapiform": {"key": "carols-cafe"}});
    });
    let before = workspace.read("account.json");
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stderr.contains("businesses.bobs-bakery.assistant")
            && run.stderr.contains("businesses.carols-cafe.assistant"),
        "{}",
        run.stderr
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(1);
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

#[test]
fn an_adopted_assistant_is_not_listed_as_unmanaged_and_keeps_its_id() {
    let workspace = Workspace::quickstart();
    let file = workspace.read("vapiform.yaml").replace(
        "      vars: {hours: \"7am-3pm\"}",
        &format!("      vars: {{hours: \"7am-3pm\"}}\n      adopt: {DENTAL}"),
    );
    workspace.write("vapiform.yaml", &file);
    let plan = workspace.plan_json();
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["action"] == "adopt"
                && c["write"]["id"] == DENTAL
                && c["reason"] == format!("adopt: assistant {DENTAL} has no label yet")),
        "{plan}"
    );
    assert!(
        plan["untouched"]["unmanaged_assistants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != DENTAL),
        "{plan}"
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(id_of(&account, "carols-cafe"), Some(DENTAL));
    assert_eq!(route_of(&account, "+14155550104"), Some(DENTAL));
}

#[test]
fn a_business_whose_route_is_broken_is_reported_even_when_its_number_is_imported() {
    let workspace = Workspace::quickstart();
    let missing = "0000dead-0000-4000-8000-000000000000";
    let file = workspace
        .read("vapiform.yaml")
        .replace(BOB, missing)
        .replace("[\"+14155550102\"]", "[\"+14155550177\"]")
        .replace(
            "unassigned: {assistant: not-in-service}",
            "unassigned: {assistant: not-in-service}\nimport: {provider: telnyx, credentialId: 9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b}",
        );
    workspace.write("vapiform.yaml", &file);
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stderr.contains("businesses.bobs-bakery.assistant") && run.stderr.contains(missing),
        "{}",
        run.stderr
    );
    let json = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(1);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["problems"][0]["path"], "businesses.bobs-bakery.assistant",
        "{}",
        json.stdout
    );
    assert_eq!(document["problems"][0]["business"], "bobs-bakery");
}

#[test]
fn a_target_that_names_nothing_is_an_error() {
    let workspace = Workspace::quickstart();
    let run = workspace
        .sandbox()
        .args(["plan", "--target", "number/+19999999999"])
        .run()
        .code(1);
    assert!(run.stderr.contains("number/+19999999999"), "{}", run.stderr);
    // A target the file or the account knows is fine: a number the plan leaves alone, one no
    // business lists, an assistant still to be created, and one the account has.
    for target in [
        "number/+14155550102",
        "number/+14155550103",
        "assistant/not-in-service",
        "assistant/acme-plumbing",
    ] {
        workspace
            .sandbox()
            .args(["plan", "--target", target])
            .run()
            .code(0);
    }
    // And a number a business lists that Vapi does not have yet.
    let file = workspace
        .read("vapiform.yaml")
        .replace("numbers: [\"+14155550104\"]", "numbers: [\"+14155550104\", \"+14155550105\"]")
        .replace("version: 1\n", "version: 1\nimport: {provider: telnyx, credentialId: 9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b}\n");
    workspace.write("vapiform.yaml", &file);
    workspace
        .sandbox()
        .args(["plan", "--target", "number/+14155550105"])
        .run()
        .code(0);
}

#[test]
fn flags_mean_what_they_say() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    let before = workspace.read("account.json");
    for args in [
        vec!["apply", "--yes", "--rps", "NaN"],
        vec!["apply", "--yes", "--rps", "0"],
        vec!["apply", "--yes", "--rps", "-3"],
        vec!["apply", "--yes", "--rps", "inf"],
        vec!["apply", "--plan", "plan.json", "--yes", "--prune"],
        vec![
            "apply",
            "--plan",
            "plan.json",
            "--yes",
            "--allow-mass-change",
        ],
        vec![
            "apply",
            "--plan",
            "plan.json",
            "--yes",
            "--expect-digest",
            "x",
        ],
    ] {
        let run = workspace.sandbox().args(&args).run().code(1);
        assert!(!run.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}
