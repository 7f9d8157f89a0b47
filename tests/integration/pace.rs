//! `--rps` and `--concurrency` as the simulator sees them: the most requests arriving in any
//! one second, and the most in flight at once.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;
use vapiform::sim::{Account, Options};

use crate::fixtures::{labelled, uuid};
use crate::support::serve;

/// `n` labelled assistants whose greeting the file changes: `n` updates, each one PATCH and
/// at least one read-back, and no routing change.
fn greetings(n: usize) -> (Account, String) {
    let assistants = (0..n)
        .map(|i| {
            labelled(
                &uuid(1, i),
                &format!("a{i:02}"),
                &json!({"name": format!("A{i}"), "firstMessage": "Old"}),
            )
        })
        .collect();
    let mut file = String::from("version: 1\nassistants:\n");
    for i in 0..n {
        let _ = writeln!(file, "  a{i:02}: {{name: A{i}, firstMessage: New}}");
    }
    (
        Account {
            phone_numbers: Vec::new(),
            assistants,
            ..Account::default()
        },
        file,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rps_caps_the_requests_the_api_sees_in_any_second() {
    const RPS: u64 = 20;
    // 40 updates, read back in a few list calls: two seconds at 20 per second.
    let (account, file) = greetings(40);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let started = std::time::Instant::now();
    workspace
        .vapiform()
        .args([
            "--api-url",
            &running.url(),
            "apply",
            "--yes",
            "--concurrency",
            "16",
        ])
        .args(["--rps", &RPS.to_string()])
        .run_async()
        .await
        .code(0);
    let took = started.elapsed();
    let stats = running.stats();
    assert!(stats.total >= 40, "{stats:?}");
    // Every request, the account's reads included, leaves at least 1 / RPS after the one
    // before: a load on the machine only makes it slower.
    let spaced = Duration::from_millis((stats.total - 1) * 1000 / RPS);
    assert!(
        took >= spaced,
        "{} requests in {took:?} at --rps {RPS}",
        stats.total
    );
    // vapiform never lets more than RPS leave within a second (its own unit test shows that
    // to the millisecond); the simulator stamps a request when it gets to it, so a stall of
    // the simulator's process on a busy machine bunches a few. Half more is 500 ms of stall;
    // a missing or doubled limit shows as twice RPS or more.
    assert!(
        stats.peak_per_second <= RPS + RPS / 2,
        "{} requests arrived within one second at --rps {RPS}",
        stats.peak_per_second
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_caps_the_requests_in_flight() {
    let (account, file) = greetings(12);
    // Every answer takes 100 ms, so requests sent together are in flight together.
    let options = Options {
        account: Some(account),
        latency: Duration::from_millis(100),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    workspace
        .vapiform()
        .args([
            "--api-url",
            &running.url(),
            "apply",
            "--yes",
            "--rps",
            "1000",
        ])
        .args(["--concurrency", "3"])
        .run_async()
        .await
        .code(0);
    let stats = running.stats();
    assert_eq!(
        stats.peak_in_flight, 3,
        "twelve changes at --concurrency 3 keep exactly three requests in flight: {stats:?}"
    );
    running.shutdown().await;
}
