//! The cost a plan states (writes, reads, time at `--rps`) against what apply then sends, as
//! the simulator counts it.

use serde_json::Value;
use vapiform::sim::{Options, Running, Stats};

use crate::fixtures;
use crate::support::{Workspace, onboarding, serve};

/// Requests the simulator received, writes (POST, PATCH, DELETE) and reads (GET) apart.
fn by_method(stats: &Stats) -> (u64, u64) {
    let mut writes = 0;
    let mut reads = 0;
    for (route, count) in &stats.by_route {
        if route.starts_with("GET ") {
            reads += count;
        } else {
            writes += count;
        }
    }
    (writes, reads)
}

/// Plans at `rps` and returns the plan's `cost`, then applies at `rps` and returns the writes
/// and the read-back calls apply made (its reads beyond the account read planning makes).
async fn planned_and_applied(
    running: &Running,
    workspace: &Workspace,
    rps: &str,
) -> (Value, u64, u64) {
    let url = running.url();
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--format", "json", "--rps", rps])
        .run_async()
        .await
        .code(0);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let (_, planning) = by_method(&running.stats());
    workspace
        .vapiform()
        .args([
            "--api-url",
            &url,
            "apply",
            "--yes",
            "--allow-mass-change",
            "--rps",
            rps,
        ])
        .run_async()
        .await
        .code(0);
    let (writes, reads) = by_method(&running.stats());
    // apply reads the account as plan did, then writes and reads back.
    (plan["cost"].clone(), writes, reads - 2 * planning)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_onboarding_costs_what_the_plan_says() {
    // 30 assistants to create and 30 numbers to route to them once each is verified.
    let (account, file) = onboarding(30);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let (cost, writes, reads) = planned_and_applied(&running, &workspace, "20").await;
    assert_eq!(cost["writes"], 60, "{cost}");
    assert_eq!(cost["writes"], writes, "one write per change: {cost}");
    assert_eq!(cost["rps"], 20.0);
    // Read-backs are batched by time, so their number varies with the machine's pace; the
    // plan's figure is the one the same batching gives at exactly --rps.
    let expected = cost["reads"].as_u64().unwrap();
    assert!(
        (expected / 2..=expected * 2).contains(&reads),
        "the plan said {expected} reads, apply made {reads}"
    );
    assert!(
        expected < 60 / 4,
        "read-backs are lists, not a GET per write: {cost}"
    );
    // Time: every request at 20 a second, and no less.
    let seconds = cost["seconds"].as_f64().unwrap();
    let requests = f64::from(u32::try_from(60 + expected).unwrap());
    assert!(seconds >= requests / 20.0, "{cost}");
    assert!(seconds < 2.0 * requests / 20.0, "{cost}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cost_is_shown_in_every_format_and_not_part_of_the_digest() {
    let (account, file) = onboarding(3);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let plan = |format: &'static str, rps: &'static str| {
        workspace
            .vapiform()
            .args(["--api-url", &url, "plan", "--format", format, "--rps", rps])
            .run_async()
    };
    let slow: Value = serde_json::from_str(&plan("json", "2").await.code(0).stdout).unwrap();
    let fast: Value = serde_json::from_str(&plan("json", "50").await.code(0).stdout).unwrap();
    assert_eq!(
        slow["digest"], fast["digest"],
        "the rate is not the change set"
    );
    assert_eq!(slow["cost"]["writes"], 6);
    // At 2 a second each write is alone in its read-back round, so it is read by id.
    assert_eq!(slow["cost"]["reads"], 6, "{}", slow["cost"]);
    assert!(
        slow["cost"]["seconds"].as_f64() > fast["cost"]["seconds"].as_f64(),
        "{} against {}",
        slow["cost"],
        fast["cost"]
    );
    let line = format!(
        "Applying costs 6 writes and about {} reads (more while reads lag): about {:.1} s at --rps 2.",
        slow["cost"]["reads"],
        slow["cost"]["seconds"].as_f64().unwrap()
    );
    for format in ["text", "markdown"] {
        let shown = plan(format, "2").await.code(0).stdout;
        assert!(shown.contains(&line), "{format}: {line} in\n{shown}");
    }
    // A saved plan keeps the cost it was made with; its digest still holds, and apply
    // takes it at another rate.
    workspace
        .vapiform()
        .args([
            "--api-url",
            &url,
            "plan",
            "--rps",
            "2",
            "--out",
            "saved.json",
        ])
        .run_async()
        .await
        .code(0);
    let shown = workspace
        .vapiform()
        .args(["show", "saved.json"])
        .run_async()
        .await
        .code(0);
    assert!(shown.stdout.contains(&line), "{}", shown.stdout);
    let applied = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--plan", "saved.json", "--yes"])
        .args(["--rps", "50"])
        .run_async()
        .await
        .code(0);
    assert!(
        applied.stdout.contains(&format!(
            "about {:.1} s at --rps 50.",
            fast["cost"]["seconds"].as_f64().unwrap()
        )),
        "{}",
        applied.stdout
    );
    let empty = workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--format", "json"])
        .run_async()
        .await
        .code(0);
    let empty: Value = serde_json::from_str(&empty.stdout).unwrap();
    assert!(
        empty.get("cost").is_none(),
        "an empty plan costs nothing: {empty}"
    );
    let text = plan("text", "2").await.code(0).stdout;
    assert!(!text.contains("Applying costs"), "{text}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_and_a_delete_cost_two_writes_and_two_reads_by_id() {
    let (account, file) = fixtures::update_and_delete();
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let (cost, writes, reads) = planned_and_applied(&running, &workspace, "5").await;
    // The delete waits for the update to be verified; each is read back by id.
    assert_eq!(cost["writes"], 2, "{cost}");
    assert_eq!(cost["writes"], writes, "{cost}");
    assert_eq!(cost["reads"], 2, "{cost}");
    assert_eq!(cost["reads"], reads, "{cost}");
    running.shutdown().await;
}
