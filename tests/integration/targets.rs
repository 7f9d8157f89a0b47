//! Where numbers route and what they do when they ring, in the simulator through the real Vapi
//! client: squads listed and checked as routing targets (workflows, retired, refused), hooks and fallback
//! destinations validated as the spec describes them.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use vapiform::sim::{self, Account, Options, Running};
use vapiform::vapi::{ApiKey, Client, Error, Settings};

fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

/// A squad as Vapi returns it.
fn target(id: &str, name: &str, created: &str) -> Map<String, Value> {
    object(
        json!({"id": id, "orgId": "o", "name": name, "createdAt": created, "updatedAt": created}),
    )
}

const SQUAD: &str = "5a0d0000-0000-4000-8000-000000000001";
const WORKFLOW: &str = "3f10f000-0000-4000-8000-000000000001";
const MISSING: &str = "00000000-dead-4000-8000-000000000000";

async fn start() -> (Running, Client) {
    let account = Account {
        squads: vec![
            target(SQUAD, "Front desk", "2026-05-01T00:00:00.000Z"),
            target(
                "5a0d0000-0000-4000-8000-000000000002",
                "Night shift",
                "2026-05-02T00:00:00.000Z",
            ),
            target(
                "5a0d0000-0000-4000-8000-000000000003",
                "Sales",
                "2026-05-03T00:00:00.000Z",
            ),
        ],
        phone_numbers: vec![object(json!({
            "id": "9b000000-0000-4000-8000-000000000001", "orgId": "o", "provider": "telnyx",
            "number": "+14155550150", "credentialId": "c", "status": "active",
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"
        }))],
        ..Account::default()
    };
    let running = sim::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await
    .expect("simulator starts");
    let mut settings = Settings::new(running.url(), ApiKey::new("k"));
    settings.rps = 0.0;
    let client = Client::new(&settings).expect("client");
    (running, client)
}

const NUMBER: &str = "9b000000-0000-4000-8000-000000000001";

/// The 400 messages of a refused number update.
async fn refused(client: &Client, body: Value) -> String {
    let error = client
        .update_number(NUMBER, &object(body))
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST), "{error}");
    error.to_string()
}

#[tokio::test]
async fn squads_are_listed_newest_first_and_counted() {
    let (running, client) = start().await;
    let squads = client.list_squads().await.unwrap();
    let names: Vec<_> = squads.iter().map(|s| s.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["Sales", "Night shift", "Front desk"]);
    let limited: Value = reqwest::Client::new()
        .get(format!("{}/squad?limit=1", running.url()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limited.as_array().unwrap().len(), 1, "{limited}");
    let stats = running.stats();
    assert_eq!(stats.by_route.get("GET /squad"), Some(&2));
    running.shutdown().await;
}

#[tokio::test]
async fn numbers_route_only_to_squads_that_exist_and_never_to_a_workflow() {
    let (running, client) = start().await;
    let text = refused(&client, json!({"squadId": MISSING, "workflowId": MISSING})).await;
    assert!(
        text.contains(&format!(
            "squadId must reference an existing squad; {MISSING} does not exist"
        )) && text.contains(&format!(
            "workflowId must reference an existing workflow; {MISSING} does not exist (workflows were retired)"
        )),
        "{text}"
    );
    let created = client
        .create_number(&object(json!({"provider": "vapi", "squadId": MISSING})))
        .await
        .unwrap_err();
    assert!(
        created
            .to_string()
            .contains("squadId must reference an existing squad"),
        "{created}"
    );

    let routed = client
        .update_number(
            NUMBER,
            &object(json!({"squadId": SQUAD, "assistantId": null})),
        )
        .await
        .unwrap();
    assert_eq!(routed.squad_id.as_deref(), Some(SQUAD));
    let text = refused(&client, json!({"workflowId": WORKFLOW})).await;
    assert!(text.contains("(workflows were retired)"), "{text}");
    let status = reqwest::Client::new()
        .get(format!("{}/workflow", running.url()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND, "Vapi removed /workflow");
    running.shutdown().await;
}

#[tokio::test]
async fn hooks_are_validated_and_a_say_hook_is_stored_as_sent() {
    let (running, client) = start().await;
    let text = refused(
        &client,
        json!({"hooks": [
            {"on": "call.ringing", "do": {"type": "say", "exact": "Not in service."}},
            {"on": "call.ringing", "do": [{"type": "say"}]},
            {"on": "call.ending", "do": [{"type": "say", "exact": "Bye."}]},
            {"on": "call.started", "do": []},
            {"on": "call.ringing", "do": [{"type": "transfer", "destination": {"type": "number", "number": "1"}}],
             "filters": [{"type": "startsWith", "key": "caller", "startsWith": ["1415"]}]},
        ]}),
    )
    .await;
    assert_eq!(
        text,
        "PATCH /phone-number/9b000000-0000-4000-8000-000000000001: 400 Bad Request: \
         hooks.0.do must be an array; \
         hooks.1.do.0.exact should not be empty; hooks.1.do.0.exact must be a string; \
         hooks.2.do must be an object; \
         hooks.3.on must be one of the following values: call.ringing, call.ending; \
         hooks.4.do.0.destination.number must be longer than or equal to 3 characters; \
         hooks.4.filters.0.key must be one of the following values: number"
    );
    let hooks = json!([
        {"on": "call.ringing", "do": [{"type": "say", "exact": "This number is not in service."}]},
        {"on": "call.ending", "do": {"type": "transfer", "destination": {"type": "sip", "sipUri": "sip:desk@pbx.example.com"}},
         "filters": [{"type": "oneOf", "key": "call.endedReason", "oneOf": ["assistant-request-failed"]}]},
    ]);
    let stored = client
        .update_number(NUMBER, &object(json!({ "hooks": hooks })))
        .await
        .unwrap();
    assert_eq!(stored.other["hooks"], hooks);
    assert_eq!(
        client.get_number(NUMBER).await.unwrap().other["hooks"],
        hooks
    );
    running.shutdown().await;
}

#[tokio::test]
async fn fallback_destinations_are_a_number_or_a_sip_uri() {
    let (running, client) = start().await;
    let text = refused(
        &client,
        json!({"fallbackDestination": {"type": "number", "number": "+1", "sipUri": "sip:x@y"}}),
    )
    .await;
    assert!(
        text.ends_with(
            "fallbackDestination.property sipUri should not exist; \
             fallbackDestination.number must be longer than or equal to 3 characters"
        ),
        "{text}"
    );
    let text = refused(
        &client,
        json!({"fallbackDestination": {"type": "sip", "sipUri": "pbx.example.com"}}),
    )
    .await;
    assert!(
        text.ends_with(
            "fallbackDestination.sipUri must be a valid SIP URI (sip:user@host or sips:user@host)"
        ),
        "{text}"
    );
    let text = refused(
        &client,
        json!({"fallbackDestination": {"type": "assistant"}}),
    )
    .await;
    assert!(
        text.ends_with("fallbackDestination.type must be one of the following values: number, sip"),
        "{text}"
    );

    let line = json!({"type": "number", "number": "+14155550199", "message": "Connecting you to the front desk."});
    let stored = client
        .update_number(NUMBER, &object(json!({ "fallbackDestination": line })))
        .await
        .unwrap();
    assert_eq!(stored.other["fallbackDestination"], line);
    // Vapi documents no null here (only for `assistantId` and `squadId`).
    let text = refused(&client, json!({ "fallbackDestination": null })).await;
    assert!(
        text.ends_with("fallbackDestination must be an object"),
        "{text}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_state_file_with_squads_and_carrier_numbers_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.json");
    let account = json!({
        "phoneNumbers": [], "assistants": [],
        "squads": [target(SQUAD, "Front desk", "2026-05-01T00:00:00.000Z")],
        "telnyxNumbers": [{"id": "1", "record_type": "phone_number", "phone_number": "+14155550120",
                           "status": "active", "tags": ["vapi-pool"]}],
    });
    std::fs::write(&path, account.to_string()).unwrap();
    let running = sim::start(Options {
        state: Some(path.clone()),
        ..Options::default()
    })
    .await
    .unwrap();
    let mut settings = Settings::new(running.url(), ApiKey::new("k"));
    settings.rps = 0.0;
    let client = Client::new(&settings).unwrap();
    // A write rewrites the file; every collection survives it.
    client
        .create_assistant(&object(json!({"name": "A"})))
        .await
        .unwrap();
    running.shutdown().await;
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written["squads"], account["squads"]);
    assert_eq!(written["telnyxNumbers"], account["telnyxNumbers"]);
    assert_eq!(written["assistants"].as_array().unwrap().len(), 1);

    std::fs::write(
        &path,
        r#"{"telnyxNumbers": [{"id": "1", "status": "active"}]}"#,
    )
    .unwrap();
    let error = sim::start(Options {
        state: Some(path.clone()),
        ..Options::default()
    })
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("telnyxNumbers[0] has no string \"phone_number\""),
        "{error}"
    );
    std::fs::write(&path, r#"{"carrierNumbers": []}"#).unwrap();
    let error = sim::start(Options {
        state: Some(path),
        ..Options::default()
    })
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `carrierNumbers`"),
        "{error}"
    );
}

#[tokio::test]
async fn a_squad_list_that_is_not_a_list_is_a_decode_error() {
    let url = crate::support::serve_json(vec![("/squad", json!({"squads": []}))]).await;
    let client = Client::new(&Settings::new(url, ApiKey::new("k"))).unwrap();
    let error = client.list_squads().await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("GET /squad: unexpected response body"),
        "{error}"
    );
}
