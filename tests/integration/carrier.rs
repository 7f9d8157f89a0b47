//! The carrier's numbers (issue 10) through the binary: the plan's carrier report, imports
//! gated on what the carrier owns, and `vapiform numbers`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use vapiform::sim::{Account, Options};

use crate::support::{KEY, Workspace, serve, telnyx_number};

/// Carrier numbers +1628700iiii; Vapi has the first 210 (the last ten over a SIP trunk).
fn number(i: usize) -> String {
    format!("+1628700{i:04}")
}

const CARRIER: usize = 600;
const IN_VAPI: usize = 210;
const TRUNKED: std::ops::Range<usize> = 200..210;
const LISTED: std::ops::Range<usize> = 0..100;
const IGNORED: usize = 300;
/// Vapi numbers the carrier no longer owns (provider telnyx), and one from another carrier.
const RELEASED: [usize; 3] = [900, 901, 902];
const TWILIO: usize = 950;

fn inactive(i: usize) -> bool {
    i.is_multiple_of(50)
}

fn carrier_number(i: usize) -> Value {
    json!({"id": format!("77{i:010}"), "record_type": "phone_number", "phone_number": number(i),
           "status": if inactive(i) { "port-pending" } else { "active" }, "tags": ["vapi-pool"],
           "connection_id": "1", "created_at": "2026-01-01T00:00:00.000Z"})
}

fn account() -> Account {
    let mut phone_numbers: Vec<Map<String, Value>> = (0..IN_VAPI)
        .chain(RELEASED)
        .map(|i| {
            let mut object = telnyx_number(i, &number(i), "2026-01-02T00:00:00.000Z");
            if TRUNKED.contains(&i) {
                object.insert("provider".into(), json!("byo-phone-number"));
                object.insert("numberE164CheckEnabled".into(), json!(false));
            }
            object
        })
        .collect();
    let mut twilio = telnyx_number(TWILIO, &number(TWILIO), "2026-01-02T00:00:00.000Z");
    twilio.insert("provider".into(), json!("twilio"));
    twilio.insert("twilioAccountSid".into(), json!("AC1"));
    twilio.remove("credentialId");
    phone_numbers.push(twilio);
    let mut telnyx: Vec<Map<String, Value>> = (0..CARRIER)
        .map(|i| carrier_number(i).as_object().unwrap().clone())
        .collect();
    // A number tagged for another account is not this account's.
    let mut other = carrier_number(CARRIER + 1);
    other["tags"] = json!(["other-pool"]);
    telnyx.push(other.as_object().unwrap().clone());
    Account {
        phone_numbers,
        telnyx_numbers: telnyx,
        ..Account::default()
    }
}

/// Businesses listing `numbers`, routed to one shared assistant, with the carrier declared.
fn file(numbers: impl IntoIterator<Item = usize>, carrier: bool) -> String {
    let mut file = String::from(
        "version: 1\nimport: {provider: telnyx, credentialId: c}\nassistants:\n  front: {name: Front desk}\n",
    );
    if carrier {
        file.push_str("carrier: {provider: telnyx, tag: vapi-pool}\n");
    }
    let _ = writeln!(file, "ignore: {{numbers: [\"{}\"]}}", number(IGNORED));
    file.push_str("businesses:\n");
    for i in numbers {
        let _ = writeln!(
            file,
            "  b{i}: {{name: Business {i}, numbers: [\"{}\"], assistant: {{shared: front}}}}",
            number(i)
        );
    }
    file
}

fn listed() -> Vec<usize> {
    LISTED.chain([205]).collect()
}

/// `vapiform` pointed at the simulator for both Vapi and the carrier, with a carrier key.
fn against(workspace: &Workspace, running: &vapiform::sim::Running) -> crate::support::Cmd {
    workspace
        .vapiform()
        .env("TELNYX_API_KEY", "telnyx-key-5d2e")
        .args(["--api-url", &running.url(), "--telnyx-url", &running.url()])
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_reports_the_free_pool_released_and_inactive_numbers() {
    let options = Options {
        account: Some(account()),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file(listed(), true)).await;
    let run = against(&workspace, &running)
        .args(["plan", "--format", "json", "--allow-mass-change"])
        .run_async()
        .await
        .code(0);
    let plan = json(&run.stdout);
    let carrier = &plan["untouched"]["carrier"];
    // Free: at the carrier only, active, not ignored.
    let free: BTreeSet<String> = (IN_VAPI..CARRIER)
        .filter(|i| *i != IGNORED && !inactive(*i))
        .map(number)
        .collect();
    assert_eq!(strings(&carrier["free"]), free);
    let orphans: BTreeSet<String> = carrier["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        orphans,
        RELEASED.iter().map(|i| number(*i)).collect(),
        "the trunked numbers are in Vapi and at the carrier; the twilio one is not the carrier's"
    );
    let inactive_numbers: BTreeSet<String> = carrier["inactive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(n["status"], "port-pending");
            n["number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        inactive_numbers,
        (0..CARRIER).filter(|i| inactive(*i)).map(number).collect()
    );
    // 601 carrier numbers over pages of 250, with the tag as a filter.
    let stats = running.stats();
    assert_eq!(stats.by_route["GET /v2/phone_numbers"], 3, "{stats:?}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_free_lists_exactly_what_a_new_business_can_take() {
    let options = Options {
        account: Some(account()),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file(listed(), true)).await;
    let run = against(&workspace, &running)
        .args(["numbers", "--free", "--format", "json"])
        .run_async()
        .await
        .code(0);
    let document = json(&run.stdout);
    assert_eq!(document["format_version"], 1);
    let rows = document["numbers"].as_array().unwrap();
    let free: Vec<String> = rows
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (LISTED.end..CARRIER)
        .filter(|i| *i != IGNORED && *i != 205 && !inactive(*i))
        .map(number)
        .collect();
    assert_eq!(free, expected, "sorted by number");
    for row in rows {
        let i: usize = row["number"].as_str().unwrap()[8..].parse().unwrap();
        let state = if i < IN_VAPI { "unassigned" } else { "pool" };
        assert_eq!(row["state"], state, "{row}");
    }
    // Every number, with its state.
    let all = against(&workspace, &running)
        .args(["numbers", "--format", "json"])
        .run_async()
        .await
        .code(0);
    let rows = json(&all.stdout)["numbers"].as_array().unwrap().clone();
    let state = |n: usize| {
        rows.iter()
            .find(|r| r["number"] == number(n))
            .map(|r| r["state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state(0).as_deref(), Some("assigned"));
    assert_eq!(
        state(205).as_deref(),
        Some("assigned"),
        "trunked and listed"
    );
    assert_eq!(state(IGNORED).as_deref(), Some("ignored"));
    assert_eq!(state(RELEASED[0]).as_deref(), Some("orphan"));
    assert_eq!(state(TWILIO).as_deref(), Some("unassigned"));
    assert_eq!(state(CARRIER + 1), None, "another account's tag");
    // Nothing was written.
    assert!(
        running
            .stats()
            .by_route
            .keys()
            .all(|r| r.starts_with("GET "))
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_refused_unless_the_carrier_owns_the_number_and_it_is_active() {
    let options = Options {
        account: Some(account()),
        ..Options::default()
    };
    // 250 is port-pending; 777 the carrier does not own; 260 is free and active.
    let (running, workspace) = serve(options, &file([250, 777, 260], true)).await;
    let run = against(&workspace, &running)
        .args(["apply", "--yes", "--allow-mass-change"])
        .run_async()
        .await
        .code(1);
    assert!(
        run.stderr.contains(&number(250)) && run.stderr.contains("port-pending"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&number(777)) && run.stderr.contains("does not own it"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&format!("{} is not", number(260))));
    assert!(
        running
            .stats()
            .by_route
            .keys()
            .all(|r| r.starts_with("GET ")),
        "nothing written"
    );
    // The free number alone imports.
    workspace.write("vapiform.yaml", &file([260], true));
    against(&workspace, &running)
        .args(["apply", "--yes", "--allow-mass-change"])
        .run_async()
        .await
        .code(0);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_carrier_no_telnyx_request_is_made_and_imports_are_as_before() {
    let options = Options {
        account: Some(account()),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file([777], false)).await;
    let run = workspace
        .vapiform()
        .args(["--api-url", &running.url()])
        .args(["plan", "--format", "json", "--allow-mass-change"])
        .run_async()
        .await
        .code(0);
    let plan = json(&run.stdout);
    assert!(plan["untouched"].get("carrier").is_none());
    assert_eq!(plan["summary"]["import"], 1);
    assert!(
        !running
            .stats()
            .by_route
            .contains_key("GET /v2/phone_numbers")
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_carrier_is_waited_for() {
    let options = Options {
        account: Some(account()),
        rate_limit: Some(1.0),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file(listed(), true)).await;
    let run = against(&workspace, &running)
        .args(["numbers", "--free", "--format", "json"])
        .run_async()
        .await
        .code(0);
    assert!(!json(&run.stdout)["numbers"].as_array().unwrap().is_empty());
    assert!(running.stats().injected.rate_limited > 0);
    running.shutdown().await;
}

#[test]
fn the_telnyx_key_is_never_shown_and_is_required_for_a_real_carrier() {
    let workspace = Workspace::quickstart();
    workspace.write(
        "vapiform.yaml",
        &std::fs::read_to_string(crate::support::example("carrier/vapiform.yaml")).unwrap(),
    );
    let secret = "telnyx-key-never-shown-81f3";
    for args in [
        vec!["plan", "-vvv"],
        vec!["plan", "--format", "json", "-vvv", "--out", "plan.json"],
        vec!["numbers", "-vvv"],
        vec!["numbers", "--format", "json", "-vvv"],
    ] {
        let run = workspace
            .sandbox()
            .env("TELNYX_API_KEY", secret)
            .args(&args)
            .run();
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{args:?}"
        );
    }
    assert!(!workspace.read("plan.json").contains(secret));
    // Against a real API, a declared carrier needs its key.
    let run = workspace
        .vapiform()
        .env_remove("TELNYX_API_KEY")
        .args(["--api-url", "http://127.0.0.1:9", "plan"])
        .run()
        .code(1);
    assert!(run.stderr.contains("TELNYX_API_KEY"), "{}", run.stderr);
    assert!(!run.stderr.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_carrier_base_url_is_taken_with_or_without_its_v2() {
    let options = Options {
        account: Some(account()),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file(listed(), true)).await;
    let numbers = |base: String| {
        let workspace = &workspace;
        let url = running.url();
        async move {
            workspace
                .vapiform()
                .env("TELNYX_API_KEY", "telnyx-key-5d2e")
                .env("TELNYX_BASE_URL", &base)
                .args(["--api-url", &url, "numbers", "--format", "json"])
                .run_async()
                .await
                .code(0)
                .stdout
        }
    };
    let bare = numbers(running.url()).await;
    assert_eq!(numbers(format!("{}/v2", running.url())).await, bare);
    assert_eq!(numbers(format!("{}/v2/", running.url())).await, bare);
    assert!(bare.contains("\"pool\""), "{bare}");
    running.shutdown().await;
}
