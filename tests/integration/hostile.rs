//! Hostile moments through the binary: an interrupt in the middle of an apply, and two applies
//! of one file at the same time.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use vapiform::sim::Options;

use crate::support::{KEY, Workspace, find, id_of, labelled, onboarding, route_of, serve};

/// The JSON document a run printed.
fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Addresses of the changes of a JSON plan.
fn planned(plan: &Value) -> BTreeSet<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_owned())
        .collect()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_reports_every_write_and_the_next_plan_is_the_rest() {
    let (account, file) = onboarding(100);
    let options = Options {
        account: Some(account),
        rate_limit: Some(200.0),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    // 200 changes at 20 writes a second take ten seconds; interrupt after one.
    let child = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--yes", "--format", "json"])
        .args(["--rps", "20"])
        .spawn();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    );
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report = json(&stdout);
    let outcomes = report["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 200, "every change is in the report");
    let written = outcomes
        .iter()
        .filter(|o| o["status"] == "applied" || o["status"] == "unverified")
        .count();
    let counted = running.stats();
    let writes: u64 = ["POST /assistant", "PATCH /phone-number/{id}"]
        .iter()
        .map(|route| counted.by_route.get(*route).copied().unwrap_or(0))
        .sum();
    assert!(
        written > 0 && written < 200,
        "interrupted midway: {written}"
    );
    assert_eq!(
        written as u64, writes,
        "every write the account received is reported as written"
    );
    let not_applied: BTreeSet<String> = outcomes
        .iter()
        .filter(|o| o["status"] != "applied")
        .map(|o| o["address"].as_str().unwrap().to_owned())
        .collect();
    let said = format!(
        "Interrupted: {} of 200 changes did not apply",
        not_applied.len()
    );
    assert!(stderr.contains(&said), "{said}: {stderr}");
    let next = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--format", "json"])
        .run_async()
        .await
        .code(0);
    assert_eq!(planned(&json(&next.stdout)), not_applied);
    running.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interrupt_exits_at_once_reporting_what_it_knows() {
    // Reads lag 1 s behind writes: after the first interrupt, the last second's writes wait to
    // be read back, and the second interrupt ends the wait.
    let (account, file) = onboarding(100);
    let options = Options {
        account: Some(account),
        lag: Duration::from_secs(1),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let child = workspace
        .vapiform()
        .args(["--api-url", &running.url(), "apply", "--yes"])
        .args(["--format", "json", "--rps", "20"])
        .spawn();
    let interrupt = || {
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    interrupt();
    tokio::time::sleep(Duration::from_millis(300)).await;
    interrupt();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(130));
    let report = json(&String::from_utf8(output.stdout).unwrap());
    let outcomes = report["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 200, "every change is in the report");
    let with = |status: &str| outcomes.iter().filter(|o| o["status"] == status).count();
    let said = |status: &str, detail: &str| {
        outcomes
            .iter()
            .filter(|o| {
                o["status"] == status && o["detail"].as_str().is_some_and(|d| d.starts_with(detail))
            })
            .count()
    };
    let in_flight = said(
        "unverified",
        "vapiform exited on a second interrupt before this change ended",
    );
    let never_sent = said(
        "not_attempted",
        "vapiform exited on a second interrupt before this change started; nothing was sent",
    );
    assert!(
        with("applied") > 0 && never_sent > 0,
        "what ended is reported as it ended, what was never sent as not attempted: {report}"
    );
    assert_eq!(with("applied") + in_flight + never_sent, 200, "{report}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once_leave_nothing_the_next_apply_cannot_repair() {
    let (account, file) = onboarding(100);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let apply = || {
        workspace
            .vapiform()
            .args(["--api-url", &url, "apply", "--yes", "--rps", "400"])
            .args(["--verify-timeout", "2"])
            .run_async()
    };
    let (first, second) = tokio::join!(apply(), apply());
    for run in [&first, &second] {
        assert!(
            [0, 3].contains(&run.code),
            "converged or said what did not: {}\n{}",
            run.stdout,
            run.stderr
        );
    }
    // Whatever the race left, one more plan shows a repair and one more apply makes it so.
    workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--yes", "--rps", "400"])
        .run_async()
        .await
        .code(0);
    let last = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await
        .code(0);
    assert!(last.stdout.starts_with("No changes."), "{}", last.stdout);
    let exported = workspace
        .vapiform()
        .args(["--api-url", &url, "export"])
        .run_async()
        .await
        .code(0);
    let account = account_of(&running).await;
    let labels = labelled(&account);
    assert_eq!(labels.len(), 100, "exactly one assistant per business");
    assert_eq!(
        labels.iter().collect::<BTreeSet<_>>().len(),
        100,
        "no label twice"
    );
    // Every number routes to its own business's assistant.
    for number in account["phoneNumbers"].as_array().unwrap() {
        let routed = number["assistantId"].as_str().unwrap();
        let assistant = account["assistants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == routed)
            .unwrap();
        let digits = number["number"].as_str().unwrap();
        let index: usize = digits[digits.len() - 4..].parse().unwrap();
        assert_eq!(
            assistant["metadata"]["vapiform"]["key"],
            format!("b{index:04}"),
            "{exported:?}"
        );
    }
    running.shutdown().await;
}

/// The simulated account as the list calls show it.
async fn account_of(running: &vapiform::sim::Running) -> Value {
    let http = reqwest::Client::new();
    let get = |path: &'static str| {
        let request = http
            .get(format!("{}{path}?limit=1000", running.url()))
            .bearer_auth("test");
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    serde_json::json!({
        "phoneNumbers": get("/phone-number").await,
        "assistants": get("/assistant").await,
    })
}

#[test]
fn a_repair_is_planned_for_assistants_that_share_a_label() {
    let workspace = Workspace::quickstart();
    // A second copy of Acme's assistant, as a racing apply would leave it.
    workspace.edit_account(|account| {
        let mut copy = account["assistants"][0].clone();
        copy["id"] = "a1c2e3f4-0000-4c7d-8e9f-0000000000aa".into();
        copy["createdAt"] = "2026-11-29T10:00:00.000Z".into();
        copy["firstMessage"] = "Acme, the copy speaking.".into();
        account["assistants"].as_array_mut().unwrap().push(copy);
    });
    let plan = workspace.plan_json();
    assert!(
        planned(&plan).contains("assistant/acme-plumbing@a1c2e3f4-0000-4c7d-8e9f-0000000000aa"),
        "{plan}"
    );
    // The repair says which copy it keeps and why, and where the deleted one differs.
    let delete = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "delete")
        .unwrap();
    let reason = delete["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "a1c2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f (the copy 1 number will still route to) is kept"
        ),
        "{reason}"
    );
    assert!(
        delete["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "firstMessage" && f["before"] == "Acme, the copy speaking."),
        "{delete}"
    );
    for format in ["text", "markdown"] {
        let shown = workspace
            .sandbox()
            .args(["plan", "--format", format])
            .run()
            .code(0)
            .stdout;
        assert!(
            shown.contains("Acme, the copy speaking.") && shown.contains("is kept"),
            "{format}:\n{shown}"
        );
    }
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    assert_eq!(
        labelled(&workspace.account()),
        ["acme-plumbing", "carols-cafe", "not-in-service"],
        "the routed original is kept, the copy deleted"
    );
}

/// The quickstart applied, then its account edited behind vapiform's back.
fn applied_with(edit: impl FnOnce(&mut Value)) -> Workspace {
    let workspace = Workspace::quickstart();
    workspace
        .sandbox()
        .args(["apply", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    workspace.edit_account(edit);
    workspace
}

/// Plans, and asserts that the plan deletes the assistant `id` showing its `path` going from
/// `before` to a value `after` accepts: what the deleted copy loses against the kept one.
#[track_caller]
fn assert_repair_shows(
    workspace: &Workspace,
    id: &str,
    (path, before): (&str, &str),
    after: impl Fn(&Value) -> bool,
) {
    let plan = workspace.plan_json();
    let delete = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "delete" && c["address"].as_str().is_some_and(|a| a.ends_with(id)))
        .unwrap_or_else(|| panic!("no delete of {id}: {plan}"));
    assert!(
        delete["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == path && f["before"] == before && after(&f["after"])),
        "{delete}"
    );
}

/// Two applies at once can leave many labels carried twice, each copy holding what the file
/// declares. Their bodies, let go as the account was read, are read again (here with one list
/// call, as there are more of them than pages), so the repair still shows what each deleted
/// copy loses.
#[test]
fn copies_that_hold_their_declaration_are_read_again_for_the_repair() {
    let copies = [
        "a1c2e3f4-0000-4c7d-8e9f-0000000000aa",
        "a1c2e3f4-0000-4c7d-8e9f-0000000000bb",
    ];
    let workspace = applied_with(|account| {
        // A field the file does not declare: each copy holds the declaration either way.
        let labelled: Vec<Value> = account["assistants"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .filter(|a| a["metadata"]["vapiform"]["key"].is_string())
            .take(copies.len())
            .map(|original| {
                original["endCallMessage"] = "Goodbye.".into();
                original.clone()
            })
            .collect();
        for (mut copy, id) in labelled.into_iter().zip(copies) {
            copy["id"] = id.into();
            copy["createdAt"] = "2026-11-29T10:00:00.000Z".into();
            copy["endCallMessage"] = "Bye from the copy.".into();
            account["assistants"].as_array_mut().unwrap().push(copy);
        }
    });
    for id in copies {
        assert_repair_shows(
            &workspace,
            id,
            ("endCallMessage", "Bye from the copy."),
            |after| after == "Goodbye.",
        );
    }
}

/// One settled copy among a label's copies is read again by id: the kept copy's body is what
/// the repair compares the deleted one with.
#[test]
fn a_kept_copy_that_holds_its_declaration_is_read_again_by_id() {
    let copy = "a1c2e3f4-0000-4c7d-8e9f-0000000000aa";
    let workspace = applied_with(|account| {
        let mut added = find(account, "assistants", "name", "Acme Plumbing").clone();
        added["id"] = copy.into();
        added["createdAt"] = "2026-11-29T10:00:00.000Z".into();
        added["firstMessage"] = "Acme, the copy speaking.".into();
        account["assistants"].as_array_mut().unwrap().push(added);
    });
    assert_repair_shows(
        &workspace,
        copy,
        ("firstMessage", "Acme, the copy speaking."),
        |after| after.as_str().is_some_and(|a| a.contains("Acme Plumbing")),
    );
}

/// The quickstart, its sandbox account edited first.
fn quickstart_with(edit: impl FnOnce(&mut Value)) -> Workspace {
    let workspace = Workspace::quickstart();
    let mut account = workspace.account();
    edit(&mut account);
    workspace.write(
        "account.json",
        &serde_json::to_string_pretty(&account).unwrap(),
    );
    workspace
}

/// Adds a copy of the account's first assistant (Acme's) with this id, creation time and
/// label key, as a racing apply would leave it.
fn add_copy(account: &mut Value, id: &str, created_at: &str, key: &str) {
    let mut copy = account["assistants"][0].clone();
    copy["id"] = id.into();
    copy["createdAt"] = created_at.into();
    copy["metadata"] = serde_json::json!({"vapiform": {"key": key}});
    account["assistants"].as_array_mut().unwrap().push(copy);
}

fn route(account: &mut Value, number: &str, id: &str) {
    let numbers = account["phoneNumbers"].as_array_mut().unwrap();
    let found = numbers.iter_mut().find(|n| n["number"] == number).unwrap();
    found["assistantId"] = id.into();
}

#[test]
fn a_repair_keeps_the_copy_most_numbers_stay_with_ignored_ones_included() {
    const COPY: &str = "a1c2e3f4-0000-4c7d-8e9f-0000000000bb";
    let workspace = quickstart_with(|account| {
        // Newer than the original, so only the numbers that stay with it make it the keeper:
        // Acme's second line, and an ignored number no plan moves.
        add_copy(account, COPY, "2026-11-29T10:00:00.000Z", "acme-plumbing");
        route(account, "+14155550101", COPY);
        route(account, "+14155550103", COPY);
    });
    let file = workspace.read("vapiform.yaml").replace(
        "\ntemplates:",
        "\nignore: {numbers: [\"+14155550103\"]}\n\ntemplates:",
    );
    workspace.write("vapiform.yaml", &file);
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(
        labelled(&account),
        ["acme-plumbing", "carols-cafe", "not-in-service"],
        "one copy left: the ignored number holds on to the copy it routes to"
    );
    assert_eq!(id_of(&account, "acme-plumbing"), Some(COPY));
    for number in ["+14155550100", "+14155550101", "+14155550103"] {
        assert_eq!(route_of(&account, number), Some(COPY), "{number}");
    }
}

#[test]
fn a_repair_keeps_the_copy_of_the_shared_assistant_unlisted_numbers_stay_with() {
    const OLDER: &str = "a1c2e3f4-0000-4c7d-8e9f-0000000000c1";
    const ROUTED: &str = "a1c2e3f4-0000-4c7d-8e9f-0000000000c2";
    let workspace = quickstart_with(|account| {
        add_copy(account, OLDER, "2026-01-01T10:00:00.000Z", "not-in-service");
        add_copy(
            account,
            ROUTED,
            "2026-11-29T10:00:00.000Z",
            "not-in-service",
        );
        // An unlisted number, which `unassigned` routes to the shared assistant.
        route(account, "+14155550103", ROUTED);
    });
    let plan = workspace.plan_json();
    assert!(
        !planned(&plan).contains("number/+14155550103"),
        "the unlisted number already routes to a copy of the shared assistant: {plan}"
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(
        labelled(&account),
        ["acme-plumbing", "carols-cafe", "not-in-service"]
    );
    assert_eq!(id_of(&account, "not-in-service"), Some(ROUTED));
    assert_eq!(route_of(&account, "+14155550103"), Some(ROUTED));
}
