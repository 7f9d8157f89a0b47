//! What passes here passes at Vapi: the simulator judges every request body by Vapi's own
//! published DTOs, so a broad scenario applied without a failure is one whose every write Vapi
//! would accept. This drives every phone provider, hook shape, phone setting, the say policy and
//! then unlink, squads, templates with overrides, a shared assistant, prune and an import
//! through apply, and each apply must converge.

use serde_json::{Value, json};

use crate::support::Workspace;

const AT: &str = "2026-01-01T00:00:00.000Z";

/// A number of `provider` with the fields its response carries.
fn number(i: usize, provider: &str, extra: &Value) -> Value {
    let mut number = json!({"id": format!("9c000000-0000-4000-8000-00000000000{i}"), "orgId": "o",
        "provider": provider, "number": format!("+1628555010{i}"), "status": "active",
        "createdAt": AT, "updatedAt": AT});
    let fields = number.as_object_mut().unwrap();
    fields.extend(extra.as_object().unwrap().clone());
    number
}

fn account() -> Value {
    json!({
        "phoneNumbers": [
            number(0, "telnyx", &json!({"credentialId": "c", "assistantId": "legacy"})),
            number(1, "byo-phone-number", &json!({"credentialId": "c", "numberE164CheckEnabled": false})),
            number(2, "twilio", &json!({"twilioAccountSid": "AC00", "smsEnabled": true})),
            number(3, "vonage", &json!({"credentialId": "c", "server": {"url": "https://hooks.example/pick"}})),
            number(4, "vapi", &json!({"assistantId": "legacy"})),
            number(5, "telnyx", &json!({"credentialId": "c", "assistantId": "legacy",
                "hooks": [{"on": "call.ringing", "do": [{"type": "say", "exact": "This call may be recorded."}]}]})),
            number(6, "telnyx", &json!({"credentialId": "c"})),
        ],
        "assistants": [
            {"id": "legacy", "orgId": "o", "name": "Legacy", "firstMessage": "Hello.", "createdAt": AT, "updatedAt": AT},
            {"id": "old", "orgId": "o", "name": "Old", "metadata": {"vapiform": {"key": "old"}}, "createdAt": AT, "updatedAt": AT},
        ],
        "squads": [{"id": "5a0d0000-0000-4000-8000-000000000001", "orgId": "o", "name": "Desk",
            "members": [{"assistantId": "legacy"}], "createdAt": AT, "updatedAt": AT}],
    })
}

const FILE: &str = r#"version: 1
unassigned: {say: "This number is not in service.", phone: {name: spare}}
prune: true
import: {provider: telnyx, credentialId: c}
templates:
  receptionist:
    name: "${business.name}"
    firstMessage: "Thanks for calling ${business.name}."
    endCallMessage: "Goodbye from ${business.name}."
    maxDurationSeconds: 600
    model:
      provider: openai
      model: gpt-4o-mini
      temperature: 0.3
      messages: [{role: system, content: "You answer the phone for ${business.name}."}]
      tools: [{type: endCall}]
    voice: {provider: vapi, voiceId: Elliot}
    transcriber: {provider: deepgram, model: nova-2, language: en}
    server:
      url: "https://hooks.example.com/vapi/${business.key}"
      headers: {x-token: "${env.HOOK_TOKEN}"}
    metadata: {tenant: "${business.key}"}
assistants:
  closed:
    name: Closed
    firstMessage: We are closed.
    voice: {provider: vapi, voiceId: Clara}
businesses:
  acme:
    name: Acme
    phone:
      name: "${business.name} main"
      fallbackDestination: {type: number, number: "+14155559999", extension: "12"}
      hooks:
        - on: call.ringing
          filters: [{type: startsWith, key: number, startsWith: ["91", "86"]}]
          do: [{type: transfer, destination: {type: sip, sipUri: "sip:intl@acme.example"}}]
        - on: call.ending
          filters: [{type: oneOf, key: call.endedReason, oneOf: [assistant-request-failed]}]
          do: {type: transfer, destination: {type: number, number: "+14155559998"}}
    numbers: ["+16285550100", {number: "+16285550101", name: "${business.name} trunk"}]
    assistant:
      template: receptionist
      overrides: {voice: {voiceId: Rohan}, model: {temperature: 0.5}}
  bright:
    name: Bright
    phone:
      server: {url: "https://hooks.example.com/bright", timeoutSeconds: 20, headers: {x-token: "${env.HOOK_TOKEN}"}}
    numbers: ["+16285550102"]
    assistant: {template: receptionist}
  carol:
    name: Carol
    numbers: ["+16285550103"]
    assistant: {spec: {name: Carol, firstMessage: "Hi, Carol here."}}
  desk:
    name: Desk
    numbers: ["+16285550104"]
    squad: 5a0d0000-0000-4000-8000-000000000001
  dan:
    name: Dan
    numbers: ["+16285550105", "+16285550107"]
    assistant: {shared: closed}
"#;

/// Applies the workspace's file, which must apply, verify and converge.
#[track_caller]
fn applies(workspace: &Workspace) {
    let run = workspace
        .sandbox()
        .env("HOOK_TOKEN", "t0k3n")
        .args(["apply", "--yes", "--allow-mass-change"])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let again = workspace
        .sandbox()
        .env("HOOK_TOKEN", "t0k3n")
        .args(["plan"])
        .run()
        .code(0)
        .stdout;
    assert!(again.starts_with("No changes."), "{again}");
}

#[test]
fn a_broad_scenario_applies_with_every_body_accepted_by_vapis_schema() {
    let workspace = Workspace::new();
    workspace.write("account.json", &account().to_string());
    workspace.write("vapiform.yaml", FILE);
    applies(&workspace);
    let account = workspace.account();
    let numbers = account["phoneNumbers"].as_array().unwrap();
    // The import happened, the pruned assistant is gone, the unlisted number says the text.
    assert_eq!(numbers.len(), 8, "{account}");
    assert!(
        account["assistants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != "old")
    );
    let spare = numbers
        .iter()
        .find(|n| n["number"] == "+16285550106")
        .unwrap();
    assert_eq!(
        spare["hooks"][0]["do"][0]["exact"],
        "This number is not in service."
    );
    // Then the unassigned numbers are unlinked instead: the say hook goes in the same write.
    let file = FILE.replace(
        "unassigned: {say: \"This number is not in service.\", phone: {name: spare}}",
        "unassigned: {unlink: true, phone: {name: spare}}",
    );
    workspace.write("vapiform.yaml", &file);
    applies(&workspace);
    let account = workspace.account();
    let spare = account["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["number"] == "+16285550106")
        .unwrap()
        .clone();
    assert_eq!(spare["hooks"], json!([]), "{spare}");
}
