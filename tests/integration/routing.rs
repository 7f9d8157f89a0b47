//! Numbers as more than a pointer, through the binary and the simulator: phone settings per
//! business and per number, squads and retired workflows, `unassigned: {say}` and its hook, each
//! applied, verified, converged (a plan that must be empty) and exported back to a file that
//! plans to no changes.

use std::fmt::Write as _;

use serde_json::{Value, json};
use vapiform::sim::Options;

use crate::export::export_plans_empty;
use crate::support::{Workspace, id_of, serve};

const SQUAD: &str = "5a5a5a5a-0000-4000-8000-000000000001";
const WORKFLOW: &str = "6b6b6b6b-0000-4000-8000-000000000001";
const SAY: &str = "This number is not in service.";

/// The quickstart, with a squad in the account.
fn quickstart_with_routes() -> Workspace {
    let workspace = Workspace::quickstart();
    let mut account = workspace.account();
    let at = "2026-01-01T00:00:00.000Z";
    account["squads"] = json!([{"id": SQUAD, "orgId": "o", "name": "Front desk team", "members": [], "createdAt": at, "updatedAt": at}]);
    workspace.write("account.json", &account.to_string());
    workspace
}

/// Replaces `from` with `to` in the workspace's file; `from` must be there.
fn edit(workspace: &Workspace, from: &str, to: &str) {
    let file = workspace.read("vapiform.yaml");
    assert!(file.contains(from), "{from:?} not in:\n{file}");
    workspace.write("vapiform.yaml", &file.replacen(from, to, 1));
}

/// A number of the sandbox account, by number.
fn number(workspace: &Workspace, number: &str) -> Value {
    workspace.account()["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("{number} is not in the account"))
}

/// Changes one number in the sandbox account, as the dashboard would.
fn change_number(workspace: &Workspace, number: &str, change: impl FnOnce(&mut Value)) {
    let mut account = workspace.account();
    let found = account["phoneNumbers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["number"] == number)
        .unwrap();
    change(found);
    workspace.write("account.json", &account.to_string());
}

/// Applies the file, which must apply and verify.
#[track_caller]
fn apply(workspace: &Workspace) -> String {
    workspace
        .sandbox()
        .args(["apply", "--yes"])
        .run()
        .code(0)
        .stdout
}

/// Asserts a fresh plan is empty, and an export of the account plans to no changes too.
#[track_caller]
fn assert_converged(workspace: &Workspace) {
    workspace.assert_no_changes();
    export_plans_empty(workspace);
}

fn plan_text(workspace: &Workspace) -> String {
    workspace.sandbox().args(["plan"]).run().code(0).stdout
}

#[test]
fn business_phone_settings_apply_verify_and_converge() {
    let workspace = Workspace::quickstart();
    edit(
        &workspace,
        "    name: Acme Plumbing\n",
        "    name: Acme Plumbing\n    phone:\n      name: \"${business.name}\"\n      fallbackDestination: {type: number, number: \"+14155559999\"}\n",
    );
    // Vapi documents no `null` for a setting: clearing one is a located problem, not a write.
    edit(
        &workspace,
        "    name: Bob's Bakery\n",
        "    name: Bob's Bakery\n    phone: {name: null}\n",
    );
    let refused = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        refused
            .stderr
            .contains("`name: null` would clear `name`, but Vapi documents no way to clear it")
            && refused
                .stderr
                .contains("at businesses.bobs-bakery.phone.name"),
        "{}",
        refused.stderr
    );
    // A setting the number does not hold needs no clearing: nothing is compared or sent.
    edit(
        &workspace,
        "    phone: {name: null}\n",
        "    phone: {server: null}\n",
    );
    let plan = plan_text(&workspace);
    for line in [
        "~ number/+14155550100 update",
        "    - name: \"Acme main line\"\n    + name: \"Acme Plumbing\"\n    + fallbackDestination.type: \"number\"\n    + fallbackDestination.number: \"+14155559999\"",
    ] {
        assert!(plan.contains(line), "{line:?} not in:\n{plan}");
    }
    assert!(!plan.contains("number/+14155550102"), "{plan}");
    // Settings alone move no caller: the plan shows no route for them.
    let json = workspace.plan_json();
    let acme = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "number/+14155550100")
        .unwrap();
    assert_eq!(acme["action"], "update", "{acme}");
    assert!(acme.get("routing").is_none(), "{acme}");
    let applied = apply(&workspace);
    assert!(
        applied.contains("✓ applied number/+14155550100 update"),
        "{applied}"
    );
    for acme in ["+14155550100", "+14155550101"] {
        let acme = number(&workspace, acme);
        assert_eq!(acme["name"], "Acme Plumbing");
        assert_eq!(
            acme["fallbackDestination"],
            json!({"type": "number", "number": "+14155559999"})
        );
    }
    let bob = number(&workspace, "+14155550102");
    assert_eq!(bob["name"], "Bob's Bakery", "{bob}");
    assert_eq!(bob["assistantId"], "7f3c1e2a-5b6d-4c8e-9f01-23456789abcd");
    assert_eq!(bob["credentialId"], "9a1e0c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b");
    assert_converged(&workspace);
}

#[test]
fn a_number_entry_overrides_its_business_phone() {
    let workspace = Workspace::quickstart();
    edit(
        &workspace,
        "    numbers: [\"+14155550100\", \"+1 (415) 555-0101\"]\n",
        "    phone:\n      name: \"${business.name}\"\n      fallbackDestination: {type: number, number: \"+14155559999\", extension: \"12\"}\n    numbers:\n      - \"+14155550100\"\n      - {number: \"+1 (415) 555-0101\", name: \"${business.name} after hours\"}\n",
    );
    apply(&workspace);
    assert_eq!(
        number(&workspace, "+14155550101")["name"],
        "Acme Plumbing after hours"
    );
    assert_eq!(number(&workspace, "+14155550100")["name"], "Acme Plumbing");
    // The override deep-merges over `phone`; a destination of another type replaces it whole,
    // here and when sent over the live one.
    edit(
        &workspace,
        "name: \"${business.name} after hours\"}",
        "name: \"${business.name} after hours\", fallbackDestination: {type: sip, sipUri: \"sip:night@acme.example\"}}",
    );
    let plan = plan_text(&workspace);
    assert!(
        plan.contains("Plan: 1 to update.") && plan.contains("~ number/+14155550101 update"),
        "{plan}"
    );
    apply(&workspace);
    assert_eq!(
        number(&workspace, "+14155550101")["fallbackDestination"],
        json!({"type": "sip", "sipUri": "sip:night@acme.example"})
    );
    assert_eq!(
        number(&workspace, "+14155550100")["fallbackDestination"],
        json!({"type": "number", "number": "+14155559999", "extension": "12"})
    );
    assert_converged(&workspace);
}

#[test]
fn a_squad_business_clears_the_assistant_and_a_retired_workflow_is_rerouted() {
    let workspace = quickstart_with_routes();
    // +14155550104 still holds a workflow, which Vapi retired.
    change_number(&workspace, "+14155550104", |n| {
        n["workflowId"] = json!(WORKFLOW);
    });
    edit(
        &workspace,
        "    assistant: {id: 7f3c1e2a-5b6d-4c8e-9f01-23456789abcd}\n",
        &format!("    squad: {SQUAD}\n"),
    );
    let plan = plan_text(&workspace);
    for line in [
        "↻ number/+14155550102 reassign",
        &format!(
            "assistant \"Bob's Bakery (legacy)\" (7f3c1e2a-5b6d-4c8e-9f01-23456789abcd) → Bob's Bakery: squad \"Front desk team\" ({SQUAD})"
        ),
        "caller hears: \"Bob's Bakery, fresh bread since 1987!\" → squad \"Front desk team\"",
        "+ number/+14155550104 assign",
        &format!("retired workflow {WORKFLOW} → Carol's Cafe (assistant/carols-cafe, new)"),
    ] {
        assert!(plan.contains(line), "{line:?} not in:\n{plan}");
    }
    // No write names the workflow: Vapi documents no way to set or clear it.
    let json = workspace.plan_json();
    for change in json["changes"].as_array().unwrap() {
        let body = &change["write"]["body"];
        assert!(body.get("workflowId").is_none(), "{change}");
        for (field, value) in body.as_object().into_iter().flatten() {
            assert!(
                !value.is_null() || field == "assistantId" || field == "squadId",
                "{change}"
            );
        }
    }
    apply(&workspace);
    let bob = number(&workspace, "+14155550102");
    assert_eq!(
        (&bob["squadId"], &bob["assistantId"]),
        (&json!(SQUAD), &Value::Null)
    );
    let carol = number(&workspace, "+14155550104");
    assert_eq!(
        carol["assistantId"].as_str(),
        crate::support::id_of(&workspace.account(), "carols-cafe")
    );
    assert_converged(&workspace);

    // A business cannot route to a workflow any more: the file says where, and what instead.
    edit(
        &workspace,
        &format!("    squad: {SQUAD}\n"),
        &format!("    workflow: {WORKFLOW}\n"),
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr
            .contains("workflows were retired by Vapi on 2026-08-18")
            && run.stderr.contains("at businesses.bobs-bakery.workflow"),
        "{}",
        run.stderr
    );
}

#[test]
fn unlinking_a_retired_workflow_is_refused_saying_why() {
    let workspace = quickstart_with_routes();
    change_number(&workspace, "+14155550103", |n| {
        n["assistantId"] = Value::Null;
        n["workflowId"] = json!(WORKFLOW);
    });
    edit(
        &workspace,
        "unassigned: {assistant: not-in-service}",
        "unassigned: unlink",
    );
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stderr.contains("holds the retired workflow")
            && run.stderr.contains("number/+14155550103"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squads_are_read_once_and_only_when_needed() {
    let workspace = quickstart_with_routes();
    let account: vapiform::sim::Account = serde_json::from_value(workspace.account()).unwrap();
    let file = workspace.read("vapiform.yaml").replace(
        "    assistant: {id: 7f3c1e2a-5b6d-4c8e-9f01-23456789abcd}\n",
        &format!("    squad: {SQUAD}\n"),
    );
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let plan = |workspace: &Workspace| {
        workspace
            .vapiform()
            .args(["--api-url", &running.url(), "plan"])
            .run()
            .code(0)
    };
    let run = tokio::task::block_in_place(|| plan(&workspace));
    assert!(
        run.stdout.contains("squad \"Front desk team\""),
        "{}",
        run.stdout
    );
    let stats = running.stats().by_route;
    assert_eq!(stats.get("GET /squad"), Some(&1), "{stats:?}");
    assert_eq!(stats.get("GET /workflow"), None, "{stats:?}");
    running.shutdown().await;
}

#[test]
fn the_say_policy_then_a_business_takes_the_number() {
    let workspace = Workspace::quickstart();
    edit(
        &workspace,
        "unassigned: {assistant: not-in-service}",
        &format!("unassigned: {{say: \"{SAY}\", phone: {{name: spare}}}}"),
    );
    let plan = plan_text(&workspace);
    for line in [
        "- number/+14155550103 unlink",
        "assistant \"Bright Smile Dental\" (d3a7b2c1-4e5f-4a6b-8c7d-9e0f1a2b3c4d) → nothing (unrouted; a say hook answers)",
        &format!("caller hears: \"Bright Smile Dental, how can we help?\" → \"{SAY}\""),
        "+ hooks[0].on: \"call.ringing\"",
        "+ name: \"spare\"",
    ] {
        assert!(plan.contains(line), "{line:?} not in:\n{plan}");
    }
    apply(&workspace);
    let spare = number(&workspace, "+14155550103");
    assert!(spare["assistantId"].is_null(), "{spare}");
    assert_eq!(
        spare["hooks"],
        json!([{"on": "call.ringing", "do": [{"type": "say", "exact": SAY}]}])
    );
    assert_converged(&workspace);

    // Someone adds a hook of their own: the say policy owns only its hook, so nothing changes.
    let ending = json!({"on": "call.ending", "do": {"type": "transfer", "destination": {"type": "number", "number": "+14155558888"}},
                        "filters": [{"type": "oneOf", "key": "call.endedReason", "oneOf": ["assistant-request-failed"]}]});
    change_number(&workspace, "+14155550103", |n| {
        n["hooks"].as_array_mut().unwrap().push(ending.clone());
    });
    assert_converged(&workspace);

    // Acme takes the number: the same PATCH routes it and removes exactly the say hook.
    edit(
        &workspace,
        "\"+1 (415) 555-0101\"]",
        "\"+1 (415) 555-0101\", \"+14155550103\"]",
    );
    let plan = plan_text(&workspace);
    for line in [
        "+ number/+14155550103 assign",
        "nothing (unrouted; a say hook answers) → Acme Plumbing (assistant/acme-plumbing)",
        &format!("caller hears: \"{SAY}\" → \"Thanks for calling Acme Plumbing. How can I help?\""),
    ] {
        assert!(plan.contains(line), "{line:?} not in:\n{plan}");
    }
    let applied = apply(&workspace);
    assert!(applied.contains("Apply: 1 applied."), "{applied}");
    let taken = number(&workspace, "+14155550103");
    assert_eq!(
        taken["assistantId"].as_str(),
        id_of(&workspace.account(), "acme-plumbing")
    );
    assert_eq!(taken["hooks"], json!([ending]));
    assert_converged(&workspace);

    // A say hook put on a routed number by hand is someone else's: it stays, and the plan
    // has nothing to do.
    let theirs = json!([{"on": "call.ringing", "do": [{"type": "say", "exact": "Closed today."}]}]);
    change_number(&workspace, "+14155550100", |n| {
        n["hooks"] = theirs.clone();
    });
    assert_converged(&workspace);
    let acme = number(&workspace, "+14155550100");
    assert_eq!(acme["hooks"], theirs);
}

/// `n` numbers routed to one hand-made assistant, and a file that lists none of them.
fn routed_numbers(n: usize) -> Workspace {
    crate::support::numbers_account(n, &json!({"assistantId": "legacy"}))
}

#[test]
fn the_say_policy_over_routed_numbers_is_a_mass_change_and_assigning_them_is_not() {
    let workspace = routed_numbers(11);
    workspace.write(
        "vapiform.yaml",
        &format!("version: 1\nunassigned: {{say: \"{SAY}\"}}\n"),
    );
    let before = workspace.read("account.json");
    let run = workspace.sandbox().args(["apply", "--yes"]).run().code(5);
    assert!(
        run.stdout.contains("11 changes to where today's calls go"),
        "{}",
        run.stdout
    );
    assert_eq!(workspace.read("account.json"), before, "nothing written");
    workspace
        .sandbox()
        .args(["apply", "--yes", "--allow-mass-change"])
        .run()
        .code(0);

    // Giving the 11 numbers that now say the text to businesses moves no caller.
    let mut file = format!("version: 1\nunassigned: {{say: \"{SAY}\"}}\nbusinesses:\n");
    for i in 0..11 {
        let _ = writeln!(
            file,
            "  b{i}:\n    name: Business {i}\n    numbers: [\"+1628555{i:04}\"]\n    assistant: {{spec: {{name: Business {i}}}}}"
        );
    }
    workspace.write("vapiform.yaml", &file);
    let plan = workspace.plan_json();
    assert_eq!(plan["summary"]["assign"], 11, "{plan}");
    assert_eq!(plan["safety"]["routing_changes"], 0, "{plan}");
    apply(&workspace);
    let account = workspace.account();
    for number in account["phoneNumbers"].as_array().unwrap() {
        assert!(number["assistantId"].is_string(), "{number}");
        assert_eq!(number["hooks"], json!([]), "{number}");
    }
    assert_converged(&workspace);
}

#[test]
fn mistakes_in_routes_and_phone_settings_are_located() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        r#"version: 1
unassigned: {say: "Closed", phone: {squadId: s}}
businesses:
  acme:
    name: Acme Plumbing Incorporated of San Francisco
    phone:
      name: "${business.name} (main)"
      credentialId: c
      fallbackDestination: {type: phone}
      hooks:
        - {on: call.ringing, do: {type: say, exact: Hi}}
    numbers:
      - "+14155550100"
      - {number: "+14155550101", assistantId: a}
    assistant: {spec: {name: Acme}}
  bob:
    name: Bob
    numbers: ["+14155550102"]
    squad: s
    workflow: w
"#,
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    for expected in [
        "vapiform.yaml:2:46",
        "at unassigned.phone.squadId",
        "vapiform.yaml:8:21",
        "at businesses.acme.phone.credentialId",
        "vapiform.yaml:9:28",
        "at businesses.acme.phone.fallbackDestination",
        "vapiform.yaml:11:11",
        "at businesses.acme.phone.hooks[0]",
        "vapiform.yaml:14:47",
        "at businesses.acme.numbers[1].assistantId",
        "vapiform.yaml:20:15",
        "at businesses.bob.workflow",
        "workflows were retired by Vapi",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.matches("error:").count(), 6, "{}", run.stderr);

    // Fixed, the name is checked after expansion, at the setting that makes it too long.
    let fixed = workspace
        .read("vapiform.yaml")
        .replace("      credentialId: c\n", "")
        .replace("      fallbackDestination: {type: phone}\n", "")
        .replace(
            "      hooks:\n        - {on: call.ringing, do: {type: say, exact: Hi}}\n",
            "",
        )
        .replace(", assistantId: a}", "}")
        .replace("    workflow: w\n", "")
        .replace(", phone: {squadId: s}", "");
    workspace.write("vapiform.yaml", &fixed);
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr.contains("phone number name \"Acme Plumbing Incorporated of San Francisco (main)\" is 50 characters after expansion")
            && run.stderr.contains("at businesses.acme.phone.name"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
}

#[test]
fn plan_problems_with_routes_and_phone_settings_are_located() {
    let workspace = quickstart_with_routes();
    edit(
        &workspace,
        "    assistant: {id: 7f3c1e2a-5b6d-4c8e-9f01-23456789abcd}\n",
        "    squad: no-such-squad\n",
    );
    edit(
        &workspace,
        "    name: Acme Plumbing\n",
        "    name: Acme Plumbing\n    phone: {server: {url: \"https://hooks.example.com/${business.key}\", headers: {x-token: \"${env.PHONE_TOKEN}\"}}}\n",
    );
    let run = workspace
        .sandbox()
        .env_remove("PHONE_TOKEN")
        .args(["plan"])
        .run()
        .code(1);
    for expected in [
        "error: no squad with id no-such-squad in the account",
        "at businesses.bobs-bakery.squad",
        "environment variable PHONE_TOKEN is not set",
        "at businesses.acme-plumbing\n",
        "2 problems stopped the plan",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    // With the variable set and the squad fixed, the header is applied, never shown.
    edit(
        &workspace,
        "    squad: no-such-squad\n",
        &format!("    squad: {SQUAD}\n"),
    );
    let run = workspace
        .sandbox()
        .env("PHONE_TOKEN", "s3cr3t-phone-token")
        .args(["apply", "--yes"])
        .run()
        .code(0);
    assert!(!run.stdout.contains("s3cr3t-phone-token"), "{}", run.stdout);
    assert!(
        run.stdout.contains("+ server.headers.x-token: (sensitive)"),
        "{}",
        run.stdout
    );
    let acme = number(&workspace, "+14155550100");
    assert_eq!(acme["server"]["headers"]["x-token"], "s3cr3t-phone-token");
    assert_eq!(
        acme["server"]["url"],
        "https://hooks.example.com/acme-plumbing"
    );
    let run = workspace
        .sandbox()
        .env("PHONE_TOKEN", "s3cr3t-phone-token")
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(0);
    assert!(run.stdout.starts_with("No changes."), "{}", run.stdout);
}
