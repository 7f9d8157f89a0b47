//! Hostile live accounts: a malformed object is named instead of failing the read
//! anonymously, and an empty routing id reads as unrouted.

use serde_json::{Value, json};

use crate::support::{Workspace, serve_json};

const AT: &str = "2026-01-01T00:00:00.000Z";

fn number(id: &str, number: &Value, assistant: &Value, created: &str) -> Value {
    json!({"id": id, "orgId": "o", "provider": "telnyx", "number": number, "credentialId": "c",
           "assistantId": assistant, "createdAt": created, "updatedAt": created})
}

#[test]
fn a_malformed_number_is_named_by_place_id_and_field() {
    let workspace = Workspace::new();
    let account = json!({
        "phoneNumbers": [
            number("00000000-0000-4000-8000-000000000001", &json!("+14155550100"), &Value::Null, AT),
            number("00000000-0000-4000-8000-0000000000b2", &json!(14_155_550_101_u64), &Value::Null,
                   "2026-01-02T00:00:00.000Z"),
        ],
        "assistants": [],
    });
    workspace.write("account.json", &account.to_string());
    workspace.write("vapiform.yaml", "version: 1\n");
    for command in ["plan", "export"] {
        let run = workspace.sandbox().args([command]).run().code(1);
        assert!(
            run.stderr.contains(
                "GET /phone-number: object 0 of a page (id 00000000-0000-4000-8000-0000000000b2) is malformed at `number`: invalid type: integer `14155550101`, expected a string"
            ),
            "{command}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_without_an_id_is_named_by_place() {
    let url = serve_json(vec![(
        "/assistant",
        json!([
            {"id": "a1", "name": "Fine", "createdAt": AT, "updatedAt": AT},
            {"name": "No id", "createdAt": AT, "updatedAt": AT},
        ]),
    )])
    .await;
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "plan"])
        .run_async()
        .await
        .code(1);
    assert!(
        run.stderr.contains(
            "GET /assistant: object 1 of a page (no id) is malformed: missing field `id`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_assistant_id_is_unrouted() {
    let workspace = Workspace::new();
    let account = json!({
        "phoneNumbers": [
            number("00000000-0000-4000-8000-000000000001", &json!("+14155550100"), &json!(""), AT),
            number("00000000-0000-4000-8000-000000000002", &json!("+14155550101"), &json!(""), AT),
        ],
        "assistants": [],
    });
    workspace.write("account.json", &account.to_string());
    // Unlinking an unrouted number changes nothing.
    workspace.write("vapiform.yaml", "version: 1\nunassigned: unlink\n");
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    assert_eq!(run.stdout, "No changes.\n");
    // Listing one assigns it: it rang nobody, so no caller moves.
    workspace.write(
        "vapiform.yaml",
        "version: 1\nunassigned: unlink\nbusinesses:\n  shop:\n    name: Shop\n    numbers: [\"+14155550100\"]\n    assistant: {spec: {name: Shop}}\n",
    );
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    assert!(
        run.stdout.starts_with("Plan: 1 to create, 1 to assign.\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "+ number/+14155550100 assign\n    nothing (unrouted) → Shop (assistant/shop, new)\n"
        ),
        "{}",
        run.stdout
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    workspace
        .sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(0);
}
