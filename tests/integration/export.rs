//! `export`: the live account as a file that plans to no changes, stable across runs.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::support::Workspace;

/// Exports to `exported.yaml` and asserts planning it changes nothing.
#[track_caller]
pub(crate) fn export_plans_empty(workspace: &Workspace) -> String {
    workspace
        .sandbox()
        .args(["export", "-o", "exported.yaml"])
        .run()
        .code(0);
    workspace
        .vapiform()
        .args(["validate", "-f", "exported.yaml"])
        .run()
        .code(0);
    let run = workspace
        .sandbox()
        .args(["plan", "-f", "exported.yaml", "--detailed-exitcode"])
        .run()
        .code(0);
    assert!(run.stdout.starts_with("No changes."), "{}", run.stdout);
    workspace.read("exported.yaml")
}

#[test]
fn quickstart_exports_to_an_empty_plan_before_and_after_apply() {
    let workspace = Workspace::quickstart();
    let first = export_plans_empty(&workspace);
    assert_eq!(
        export_plans_empty(&workspace),
        first,
        "re-export is byte-identical"
    );
    let stdout = workspace.sandbox().args(["export"]).run().code(0).stdout;
    assert_eq!(stdout, first, "stdout and -o agree");
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let after = export_plans_empty(&workspace);
    assert!(
        after.contains("carols-cafe:") && after.contains("not-in-service:"),
        "{after}"
    );
}

/// An account a signup script grew: 300 numbers and 260 assistants, some labelled, some
/// sharing a name, some with `${` in a prompt; numbers on squads, unrouted, or routed.
fn grown_account() -> Value {
    let stamp = |i: usize| {
        format!(
            "2026-05-01T00:{:02}:{:02}.{:03}Z",
            i / 6000,
            (i / 100) % 60,
            i % 1000
        )
    };
    let mut assistants = Vec::new();
    for i in 0..260 {
        let mut assistant = json!({
            "id": format!("10000000-0000-4000-8000-{i:012}"), "orgId": "o",
            "name": if i % 50 == 2 { "Front desk".to_owned() } else { format!("Shop {i}") },
            "firstMessage": format!("Hello from shop {i}, ask about ${{price}}"),
            "model": {"provider": "openai", "model": "gpt-4o-mini", "messages": [{"role": "system", "content": format!("You are shop {i}.\nBe brief.\n")}]},
            "createdAt": stamp(i), "updatedAt": stamp(i),
        });
        if i % 3 == 0 {
            assistant["metadata"] =
                json!({"vapiform": {"key": format!("shop-{i}")}, "plan": "pro"});
        }
        assistants.push(assistant);
    }
    let mut numbers = Vec::new();
    for i in 0..300 {
        let mut number = json!({
            "id": format!("20000000-0000-4000-8000-{i:012}"), "orgId": "o", "provider": "telnyx", "credentialId": "c",
            "number": format!("+1212555{i:04}"), "createdAt": stamp(i), "updatedAt": stamp(i),
        });
        match i % 10 {
            0 => number["squadId"] = json!("squad-1"),
            1 => {}
            _ => number["assistantId"] = json!(format!("10000000-0000-4000-8000-{:012}", i % 240)),
        }
        numbers.push(number);
    }
    let squads = [
        json!({"id": "squad-1", "orgId": "o", "name": "Night shift", "members": [],
                         "createdAt": stamp(0), "updatedAt": stamp(0)}),
    ];
    json!({"phoneNumbers": numbers, "assistants": assistants, "squads": squads})
}

#[test]
fn a_grown_account_exports_to_an_empty_plan() {
    let workspace = Workspace::new();
    workspace.write("account.json", &grown_account().to_string());
    let exported = export_plans_empty(&workspace);
    assert!(
        exported.contains("$${price}"),
        "placeholders in live text are escaped"
    );
    assert!(
        exported.contains("front-desk:") && exported.contains("front-desk-2:"),
        "duplicate names get unique keys"
    );
    assert!(
        exported.contains("night-shift:\n    name: Night shift")
            && exported.contains("squad: squad-1"),
        "numbers on a squad are a business routed to it"
    );
    assert_eq!(
        export_plans_empty(&workspace),
        exported,
        "re-export is byte-identical"
    );

    // Change the account through vapiform, and the export follows.
    let mut file = exported.clone();
    let _ = writeln!(
        file,
        "  new-shop:\n    name: New Shop\n    numbers: [\"+12125550001\"]\n    assistant: {{spec: {{name: New Shop}}}}"
    );
    workspace.write("vapiform.yaml", &file);
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let after = export_plans_empty(&workspace);
    assert!(after.contains("new-shop:"), "{after}");
}

/// A messy account: two copies of one labelled assistant (both routed), a label that is not a
/// key, one number present twice (under two providers), and a plain routed assistant.
fn messy_account() -> Value {
    let at = "2026-05-01T00:00:00.000Z";
    let assistant = |id: &str, name: &str, label: Option<&str>, created: &str| {
        let mut a = json!({"id": id, "orgId": "o", "name": name, "firstMessage": format!("Hi from {name}"),
                           "createdAt": created, "updatedAt": created});
        if let Some(label) = label {
            a["metadata"] = json!({"vapiform": {"key": label}});
        }
        a
    };
    let number = |id: &str, number: &str, provider: &str, to: &str| {
        json!({"id": id, "orgId": "o", "provider": provider, "credentialId": "c", "number": number,
               "assistantId": to, "createdAt": at, "updatedAt": at})
    };
    json!({
        "assistants": [
            assistant("a-1", "Acme", Some("acme"), "2026-01-01T00:00:00.000Z"),
            assistant("a-2", "Acme", Some("acme"), "2026-02-01T00:00:00.000Z"),
            assistant("b-1", "Bob's", Some("Bob's Bakery"), at),
            assistant("c-1", "Carol", None, at),
        ],
        "phoneNumbers": [
            number("n-1", "+14155550100", "telnyx", "a-1"),
            number("n-2", "+14155550101", "telnyx", "a-2"),
            number("n-3", "+14155550102", "telnyx", "b-1"),
            number("n-4", "+14155550103", "telnyx", "c-1"),
            number("n-5", "+14155550103", "byo-phone-number", "c-1"),
        ],
    })
}

/// An account with a SIP-only Vapi number (no E.164 `number`, only a `sipUri`) and an E.164
/// one, both routed to one hand-made assistant.
fn sip_account() -> Value {
    json!({
        "assistants": [{"id": "a-front-desk", "orgId": "o", "name": "Front desk", "firstMessage": "Front desk.",
                        "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}],
        "phoneNumbers": [
            {"id": "n-sip", "orgId": "o", "provider": "vapi", "sipUri": "sip:Front-Desk@acme.sip.vapi.ai",
             "assistantId": "a-front-desk", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"},
            {"id": "n-pstn", "orgId": "o", "provider": "telnyx", "number": "+14155550100", "credentialId": "c",
             "assistantId": "a-front-desk", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"},
        ],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messy_account_exports_a_valid_file_that_names_what_it_leaves_out() {
    let account = messy_account();
    let url = crate::support::serve_json(vec![
        ("/assistant", account["assistants"].clone()),
        ("/phone-number", account["phoneNumbers"].clone()),
    ])
    .await;
    let workspace = Workspace::new();
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "export", "-o", "exported.yaml"])
        .run_async()
        .await
        .code(0);
    for named in [
        "a-2",
        "assistant b-1 carries the label \"Bob's Bakery\", which is not a key",
        "+14155550103",
    ] {
        assert!(run.stderr.contains(named), "{named}: {}", run.stderr);
    }
    let file = workspace.read("exported.yaml");
    assert!(
        file.contains("# Not expressed in this file") && file.contains("a-2"),
        "{file}"
    );
    workspace
        .vapiform()
        .args(["validate", "-f", "exported.yaml"])
        .run_async()
        .await
        .code(0);
    let plan = workspace
        .vapiform()
        .args([
            "--api-url",
            &url,
            "plan",
            "-f",
            "exported.yaml",
            "--format",
            "json",
        ])
        .run_async()
        .await
        .code(0);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    // Both copies have one number, so the oldest is kept and managed; the other copy's number
    // is listed under the business too, so the plan is the repair and nothing else: that
    // number to the kept copy, then the copy deleted.
    let planned: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("number/+14155550101", "reassign"),
            ("assistant/acme@a-2", "delete")
        ],
        "{plan}"
    );
    assert_eq!(plan["changes"][0]["write"]["route"]["id"], "a-1", "{plan}");
    assert_eq!(plan["untouched"]["ignored"], json!(["+14155550103"]));
}

#[test]
fn a_sip_only_number_is_exported_by_its_uri() {
    let workspace = Workspace::new();
    workspace.write("account.json", &sip_account().to_string());
    let exported = export_plans_empty(&workspace);
    assert!(
        exported.contains("sip:front-desk@acme.sip.vapi.ai") && exported.contains("+14155550100"),
        "{exported}"
    );
}

#[test]
fn an_ignored_sip_uri_is_spared_by_unassigned_unlink() {
    let workspace = Workspace::new();
    workspace.write("account.json", &sip_account().to_string());
    let unlink_all = "version: 1\nunassigned: unlink\n";
    workspace.write("vapiform.yaml", unlink_all);
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    assert!(
        run.stdout
            .contains("number/sip:front-desk@acme.sip.vapi.ai unlink"),
        "without `ignore` the SIP number is unlinked too:\n{}",
        run.stdout
    );
    workspace.write(
        "vapiform.yaml",
        &format!("{unlink_all}ignore:\n  numbers: [\"SIP:Front-Desk@acme.sip.vapi.ai\"]\n"),
    );
    workspace.vapiform().args(["validate"]).run().code(0);
    let run = workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    assert!(run.stdout.contains("Apply: 1 applied."), "{}", run.stdout);
    let account = workspace.account();
    let routes: Vec<(&str, Option<&str>)> = account["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n["assistantId"].as_str()))
        .collect();
    assert!(
        routes.contains(&("n-sip", Some("a-front-desk"))),
        "{routes:?}"
    );
    assert!(routes.contains(&("n-pstn", None)), "{routes:?}");
    workspace.assert_no_changes();
}

#[test]
fn secrets_in_url_queries_are_exported_as_references() {
    let workspace = crate::support::numbers_account(
        1,
        &serde_json::json!({"assistantId": "legacy",
            "server": {"url": "https://hooks.example.com/pick?region=eu&access_token=tok-9f8e7d&sig=s1g-0a"}}),
    );
    let run = workspace
        .sandbox()
        .args(["export", "-o", "exported.yaml"])
        .run()
        .code(0);
    let exported = workspace.read("exported.yaml");
    assert!(
        !exported.contains("tok-9f8e7d") && !exported.contains("s1g-0a"),
        "{exported}"
    );
    let token = "VAPIFORM_LEGACY_16285550000_SERVER_URL_ACCESS_TOKEN";
    let sig = "VAPIFORM_LEGACY_16285550000_SERVER_URL_SIG";
    for variable in [token, sig] {
        assert!(
            exported.contains(&format!("${{env.{variable}}}")) && run.stderr.contains(variable),
            "{variable}:\n{exported}\n{}",
            run.stderr
        );
    }
    assert!(exported.contains("region=eu"), "{exported}");
    // With the variables set, the export plans to no changes.
    let run = workspace
        .sandbox()
        .env(token, "tok-9f8e7d")
        .env(sig, "s1g-0a")
        .args(["plan", "-f", "exported.yaml", "--detailed-exitcode"])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}
