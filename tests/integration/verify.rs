//! Verification through the binary against a simulator whose reads lag behind its writes: an
//! apply converges only when every write was read back, `--verify-timeout` bounds the wait,
//! and deletes are verified too.

use std::time::Duration;

use serde_json::{Value, json};
use vapiform::sim::{Account, Options};

use crate::fixtures::{self, objects, uuid};
use crate::support::{Workspace, serve};

fn lagging(account: Account, lag_ms: u64) -> Options {
    Options {
        account: Some(account),
        lag: Duration::from_millis(lag_ms),
        ..Options::default()
    }
}

/// Runs `apply --yes --format json` with `--verify-timeout seconds` and returns the exit code
/// and the report.
async fn apply(url: &str, workspace: &Workspace, seconds: &str) -> (i32, Value) {
    workspace
        .apply_json(url, &["--verify-timeout", seconds])
        .await
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["address"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_and_skipped_changes_exit_3_though_nothing_failed() {
    let (account, file) = fixtures::update_and_delete();
    // Reads show the old greeting for far longer than apply waits (no wait at all).
    let (running, workspace) = serve(lagging(account, 60_000), &file).await;
    let (code, report) = apply(&running.url(), &workspace, "0").await;
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        statuses(&report),
        [
            ("assistant/acme".to_owned(), "unverified".to_owned()),
            // The delete waits for everything before it to be verified.
            ("assistant/gone".to_owned(), "skipped".to_owned()),
        ]
    );
    assert_eq!(report["totals"]["failed"], 0);
    assert!(
        report["outcomes"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("firstMessage"),
        "the detail names the field: {report}"
    );
    // `--verify-timeout 0` reads back once and gives up.
    assert_eq!(running.stats().by_route["GET /assistant/{id}"], 1);
    // The write itself landed; only reading it back did not show it in time.
    let saved = workspace.account();
    let acme = fixtures::by_id(&saved, "assistants", &uuid(1, 0));
    assert_eq!(acme["firstMessage"], "New");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_timeout_waits_out_read_lag_and_then_applies() {
    let (account, file) = fixtures::update_and_delete();
    let (running, workspace) = serve(lagging(account, 300), &file).await;
    let (code, report) = apply(&running.url(), &workspace, "10").await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        statuses(&report),
        [
            ("assistant/acme".to_owned(), "applied".to_owned()),
            ("assistant/gone".to_owned(), "applied".to_owned()),
        ]
    );
    let stats = running.stats();
    assert!(
        stats.by_route["GET /assistant/{id}"] > 2,
        "the lag made apply read back more than once per change: {stats:?}"
    );
    workspace
        .vapiform()
        .args(["--api-url", &running.url(), "plan", "--detailed-exitcode"])
        .run_async()
        .await
        .code(0);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_still_visible_when_read_back_is_unverified() {
    // Only the delete: the assistant update is already in place.
    let (mut account, file) = fixtures::update_and_delete();
    account.assistants[0].insert("firstMessage".into(), json!("New"));
    let (running, workspace) = serve(lagging(account, 60_000), &file).await;
    let (code, report) = apply(&running.url(), &workspace, "0").await;
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        statuses(&report),
        [("assistant/gone".to_owned(), "unverified".to_owned())]
    );
    assert_eq!(report["totals"]["failed"], 0);
    // The assistant is deleted; reads just do not show it yet.
    let saved = workspace.account();
    assert_eq!(objects(&saved, "assistants").len(), 1);
    assert_eq!(running.stats().by_route["DELETE /assistant/{id}"], 1);
    running.shutdown().await;
}
