//! Where calls go is more than `assistantId`: a number answered by the server's
//! `assistant-request` webhook, by its fallback destination, or by a `call.ringing` transfer
//! hook is answered, so moving its callers is a routing change that the plan shows and the
//! mass-change rule counts; a customer's own hooks stay.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::support::{Workspace, numbers_account as account};

const AT: &str = "2026-01-01T00:00:00.000Z";

#[test]
fn numbers_a_webhook_answers_are_routed_and_taking_them_is_a_mass_change() {
    let workspace = account(
        11,
        &json!({"server": {"url": "https://hooks.example/pick?token=s3cr3t-value&region=eu"}}),
    );
    workspace.write(
        "vapiform.yaml",
        "version: 1\nunassigned: {assistant: nis}\nassistants:\n  nis: {name: Not in service, firstMessage: Not in service.}\n",
    );
    let before = workspace.read("account.json");
    let run = workspace.sandbox().args(["plan"]).run().code(5);
    for line in [
        "the assistant-request webhook (https://hooks.example/pick?token=REDACTED&region=eu) → assistant \"Not in service\" (assistant/nis, new)",
        "caller hears: the assistant the webhook picks → \"Not in service.\"",
        "11 changes to where today's calls go",
    ] {
        assert!(
            run.stdout.contains(line),
            "{line:?} not in:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"));
    let json = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(5)
        .stdout;
    let plan: Value = serde_json::from_str(&json).expect("the plan is JSON");
    assert_eq!(plan["safety"]["routed_numbers"], 11, "{plan}");
    assert_eq!(plan["safety"]["routing_changes"], 11, "{plan}");
    assert_eq!(plan["summary"]["reassign"], 11, "{plan}");
    workspace.sandbox().args(["apply", "--yes"]).run().code(5);
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

#[test]
fn a_number_only_a_fallback_answers_is_shown_as_such_and_left_alone() {
    let workspace = account(
        1,
        &json!({"fallbackDestination": {"type": "number", "number": "+14155559999"}}),
    );
    workspace.write("vapiform.yaml", "version: 1\n");
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    assert!(
        run.stdout
            .contains("+16285550000 → the fallback destination +14155559999"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_transfer_hook_is_a_routing_change_and_counts_as_one() {
    let workspace = account(11, &json!({"assistantId": "legacy"}));
    let mut file = String::from(
        "version: 1\nbusinesses:\n  legacy:\n    name: Legacy\n    assistant: {id: legacy}\n    phone:\n      hooks: [{on: call.ringing, do: [{type: transfer, destination: {type: number, number: \"+19005550000\"}}]}]\n    numbers:\n",
    );
    for i in 0..11 {
        let _ = writeln!(file, "      - \"+1628555{i:04}\"");
    }
    workspace.write("vapiform.yaml", &file);
    let run = workspace.sandbox().args(["plan"]).run().code(5);
    for line in [
        "Plan: 11 to update.",
        "Legacy (legacy) → transfer to +19005550000 (a call.ringing hook)",
        "caller hears: \"Hello from legacy.\" → transferred to +19005550000",
        "11 changes to where today's calls go",
    ] {
        assert!(
            run.stdout.contains(line),
            "{line:?} not in:\n{}",
            run.stdout
        );
    }
    // Ten are within the limit, and applied; the plan after is empty.
    let ten = file.lines().take(17).collect::<Vec<_>>().join("\n") + "\n";
    workspace.write("vapiform.yaml", &ten);
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    workspace.assert_no_changes();
}

#[test]
fn a_customers_own_say_hook_on_a_listed_number_stays_and_is_exported() {
    let recorded = json!([{"on": "call.ringing", "do": [{"type": "say", "exact": "This call may be recorded."}]}]);
    let workspace = account(2, &json!({"assistantId": "legacy", "hooks": recorded}));
    workspace.write(
        "vapiform.yaml",
        "version: 1\nunassigned: leave\nbusinesses:\n  legacy:\n    name: Legacy\n    assistant: {id: legacy}\n    numbers: [\"+16285550000\"]\n",
    );
    workspace.assert_no_changes();
    // Shown as kept, with what it does to callers.
    let plan = workspace.sandbox().args(["plan"]).run().code(0).stdout;
    assert!(
        plan.contains("1 number keeps call.ringing hooks someone else set")
            && plan.contains("+16285550000 → a say hook, then Legacy (legacy)"),
        "{plan}"
    );
    let json = workspace.plan_json();
    assert_eq!(json["untouched"]["kept_hooks"][0]["number"], "+16285550000");
    let export = workspace.sandbox().args(["export"]).run().code(0).stdout;
    assert!(export.contains("This call may be recorded."), "{export}");
    workspace.write("vapiform.yaml", &export);
    workspace.assert_no_changes();
}

/// The states of `vapiform numbers --format json` of the quickstart account under `file`,
/// by number.
fn states(workspace: &Workspace, file: &str, free: bool) -> Vec<(String, String)> {
    let mut run = workspace
        .sandbox()
        .args(["numbers", "--format", "json", "-f"])
        .arg_path(&crate::support::example(file));
    if free {
        run = run.args(["--free"]);
    }
    let out = run.run().code(0).stdout;
    let document: Value = serde_json::from_str(&out).expect("JSON");
    document["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["number"].as_str().unwrap().to_owned(),
                row["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn free_numbers_are_answered_by_nothing_and_live_lines_are_their_own_state() {
    let workspace = Workspace::quickstart();
    let free = states(&workspace, "carrier/vapiform.yaml", true);
    let numbers: Vec<&str> = free.iter().map(|(n, _)| n.as_str()).collect();
    // Acme's and Bright Smile's live lines are not free; the unrouted one and the pool are.
    assert_eq!(
        numbers,
        [
            "+14155550104",
            "+14155550120",
            "+14155550121",
            "+14155550122"
        ]
    );
    let all = states(&workspace, "carrier/vapiform.yaml", false);
    let state = |number: &str| {
        all.iter()
            .find(|(n, _)| n == number)
            .map(|(_, s)| s.as_str())
    };
    assert_eq!(state("+14155550100"), Some("answered"));
    assert_eq!(state("+14155550101"), Some("answered"));
    assert_eq!(state("+14155550104"), Some("unassigned"));

    // A webhook makes the unrouted one answered too.
    let mut account = workspace.account();
    for number in account["phoneNumbers"].as_array_mut().unwrap() {
        if number["number"] == "+14155550104" {
            number["server"] = json!({"url": "https://hooks.example/pick"});
        }
    }
    workspace.write("account.json", &account.to_string());
    let all = states(&workspace, "carrier/vapiform.yaml", false);
    assert!(
        all.contains(&("+14155550104".into(), "answered".into())),
        "{all:?}"
    );
    let free = states(&workspace, "carrier/vapiform.yaml", true);
    assert!(free.iter().all(|(n, _)| n != "+14155550104"), "{free:?}");
}

#[test]
fn carrier_states_say_what_the_carrier_can_know() {
    let workspace = Workspace::quickstart();
    let mut account = workspace.account();
    let telnyx = account["telnyxNumbers"].as_array_mut().unwrap();
    // The carrier owns +14155550104 without the pool's tag, and lists +14155550122 without
    // its `+`.
    for number in telnyx.iter_mut() {
        if number["phone_number"] == "+14155550104" {
            number["tags"] = json!([]);
        }
        if number["phone_number"] == "+14155550122" {
            number["phone_number"] = json!("14155550122");
        }
    }
    // A number over some SIP trunk the carrier cannot know of.
    account["phoneNumbers"].as_array_mut().unwrap().push(json!({
        "id": "5d0e9c1a-0001-4a7b-8c9d-000000000199", "orgId": "o", "provider": "byo-phone-number",
        "number": "+442071838750", "credentialId": "c", "createdAt": AT, "updatedAt": AT}));
    workspace.write("account.json", &account.to_string());
    let all = states(&workspace, "carrier/vapiform.yaml", false);
    for (number, state) in [
        ("+14155550104", "untagged"),
        ("+14155550122", "pool"),
        ("+442071838750", "unassigned"),
        ("+14155550103", "orphan"),
    ] {
        assert!(
            all.contains(&(number.into(), state.into())),
            "{number} should be {state}: {all:?}"
        );
    }
    assert!(!all.iter().any(|(n, _)| n == "14155550122"), "{all:?}");
}

#[test]
fn a_number_that_is_not_e164_is_addressable_listed_ignored_and_exported() {
    let workspace = account(1, &json!({"assistantId": "legacy"}));
    let mut account = workspace.account();
    account["phoneNumbers"].as_array_mut().unwrap().push(json!({
        "id": "byo-1", "orgId": "o", "provider": "byo-phone-number", "number": "4567",
        "credentialId": "c", "numberE164CheckEnabled": false, "assistantId": "legacy",
        "createdAt": AT, "updatedAt": AT}));
    workspace.write("account.json", &account.to_string());
    // A policy acts on it in the open, by its address.
    workspace.write("vapiform.yaml", "version: 1\nunassigned: unlink\n");
    let plan = workspace.sandbox().args(["plan"]).run().code(0).stdout;
    assert!(plan.contains("- number/tel:4567 unlink"), "{plan}");
    // Ignored by that address, it is never planned.
    workspace.write(
        "vapiform.yaml",
        "version: 1\nunassigned: unlink\nignore: {numbers: [\"tel:4567\"]}\n",
    );
    let plan = workspace.sandbox().args(["plan"]).run().code(0).stdout;
    assert!(!plan.contains("tel:4567 unlink"), "{plan}");
    // Exported under its business, and the export plans no changes.
    let export = workspace.sandbox().args(["export"]).run().code(0).stdout;
    assert!(export.contains("tel:4567"), "{export}");
    workspace.write("vapiform.yaml", &export);
    workspace.assert_no_changes();
    let numbers = workspace.sandbox().args(["numbers"]).run().code(0).stdout;
    assert!(numbers.contains("tel:4567"), "{numbers}");
}
