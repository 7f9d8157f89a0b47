//! The Vapi client against the simulator over HTTP.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};
use vapiform::sim::{self, Account, Options, Running};
use vapiform::vapi::{ApiKey, Client, Error, Settings};

fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

fn client(running: &Running, key: &str) -> Client {
    let mut settings = Settings::new(running.url(), ApiKey::new(key));
    settings.rps = 0.0;
    Client::new(&settings).expect("client")
}

/// 2,600 assistants: groups of ten share a createdAt, and 1,500 share one createdAt (with
/// distinct updatedAt), more than a page, so the client must split that instant.
fn tied_assistants() -> Vec<Map<String, Value>> {
    (0..2600)
        .map(|i| {
            let (created, updated) = if i < 1500 {
                ("2026-02-01T00:00:00.000Z".to_owned(), format!("2026-02-0{}T00:00:{:02}.{:03}Z", 1 + i / 60_000, (i / 1000) % 60, i % 1000))
            } else {
                let at = format!("2026-01-01T00:00:{:02}.{:03}Z", (i / 10) / 1000, (i / 10) % 1000);
                (at.clone(), at)
            };
            object(json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "orgId": "o", "name": format!("a{i}"),
                          "createdAt": created, "updatedAt": updated}))
        })
        .collect()
}

#[tokio::test]
async fn lists_read_every_object_once_across_ties_and_pages() {
    let account = Account {
        assistants: tied_assistants(),
        ..Account::default()
    };
    let running = sim::start(Options {
        account: Some(account),
        ..Options::default()
    })
    .await
    .unwrap();
    let listed = client(&running, "k")
        .list_assistants()
        .await
        .expect("complete list");
    let ids: HashSet<&str> = listed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(listed.len(), 2600, "no object repeated");
    assert_eq!(ids.len(), 2600, "no object lost");
    running.shutdown().await;
}

#[tokio::test]
async fn unlink_sends_null_and_reads_back_none() {
    let running = sim::start(Options::default()).await.unwrap();
    let client = client(&running, "k");
    let assistant = client
        .create_assistant(&object(json!({"name": "A"})))
        .await
        .unwrap();
    let number = client
        .create_number(&object(json!({"provider": "telnyx", "number": "+14155550100", "credentialId": "c", "assistantId": assistant.id})))
        .await
        .unwrap();
    assert_eq!(number.assistant_id.as_deref(), Some(assistant.id.as_str()));
    let unlinked = client
        .update_number(
            &number.id,
            &object(json!({"provider": "telnyx", "assistantId": null})),
        )
        .await
        .unwrap();
    assert_eq!(unlinked.assistant_id, None);
    assert_eq!(
        client.get_number(&number.id).await.unwrap().assistant_id,
        None
    );
    running.shutdown().await;
}

#[tokio::test]
async fn idempotent_requests_are_retried_through_429s_and_500s() {
    let account = Account {
        assistants: tied_assistants()[..50].to_vec(),
        ..Account::default()
    };
    let options = Options {
        account: Some(account),
        error_rate: 0.2,
        rate_limit: Some(10.0),
        seed: 3,
        ..Options::default()
    };
    let running = sim::start(options).await.unwrap();
    let client = client(&running, "k");
    // More lists at once than the limit allows in a second, so some are refused with 429.
    let lists = futures::future::join_all((0..12).map(|_| client.list_assistants())).await;
    for listed in lists {
        assert_eq!(listed.expect("retried until it worked").len(), 50);
    }
    let injected = running.stats().injected;
    assert!(
        injected.errors > 0 && injected.rate_limited > 0,
        "both kinds of refusal happened, and were retried through: {injected:?}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_failed_create_is_not_repeated_and_says_it_is_ambiguous() {
    let options = Options {
        error_rate: 1.0,
        ..Options::default()
    };
    let running = sim::start(options).await.unwrap();
    let error = client(&running, "k")
        .create_assistant(&object(json!({"name": "A"})))
        .await
        .unwrap_err();
    assert!(error.is_ambiguous(), "{error}");
    assert_eq!(
        running.stats().by_route.get("POST /assistant"),
        Some(&1),
        "a POST is never blindly repeated"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn reads_lag_behind_writes_until_the_lag_passes() {
    let running = sim::start(Options {
        lag: Duration::from_millis(300),
        ..Options::default()
    })
    .await
    .unwrap();
    let client = client(&running, "k");
    let created = client
        .create_assistant(&object(json!({"name": "A"})))
        .await
        .unwrap();
    assert!(
        client
            .get_assistant(&created.id)
            .await
            .unwrap_err()
            .is_not_found(),
        "not visible yet"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        client.get_assistant(&created.id).await.unwrap().name(),
        Some("A")
    );
    running.shutdown().await;
}

#[tokio::test]
async fn errors_carry_method_path_status_and_vapis_message() {
    let running = sim::start(Options {
        token: Some("right".into()),
        ..Options::default()
    })
    .await
    .unwrap();
    let error = client(&running, "right")
        .create_assistant(&object(
            json!({"name": "x".repeat(41), "bogus": {"a": 1}, "id": "no"}),
        ))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("POST /assistant: 400 Bad Request: "),
        "{text}"
    );
    assert!(
        text.contains("name must be shorter than or equal to 40 characters"),
        "{text}"
    );
    let error = client(&running, "wrong-key-value")
        .list_numbers()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }));
    let text = error.to_string();
    assert!(
        text.contains("Vapi rejected the API key") && !text.contains("wrong-key-value"),
        "{text}"
    );
    running.shutdown().await;
}
