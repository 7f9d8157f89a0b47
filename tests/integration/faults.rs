//! Writes that act and then fail: the simulator stores the write, then answers 500, drops the
//! connection, or answers nothing. A client cannot tell whether such a write took effect, so
//! vapiform must look a create up before sending it again: never a duplicate.

use std::fmt::Write as _;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use vapiform::sim::{self, AfterWrite, Options, Running};
use vapiform::vapi::{ApiKey, Client, Settings};

use crate::fixtures::{self, CREDENTIAL, objects};
use crate::support::{id_of, labelled, route_of, serve};

fn failing(rate: f64, ways: &[AfterWrite], seed: u64) -> Options {
    Options {
        fail_after_write: rate,
        fail_after_write_as: ways.to_vec(),
        seed,
        ..Options::default()
    }
}

/// What a raw HTTP write got back: a status, or no answer at all.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Status(StatusCode),
    Dropped,
    TimedOut,
}

/// How long a request that should be answered may take on a busy machine.
const ANSWERED: Duration = Duration::from_secs(10);

/// How long a request is given before it counts as hung.
const HUNG: Duration = Duration::from_millis(500);

/// Sends one request, giving up after `wait`, and says how it was answered.
async fn send(
    running: &Running,
    method: &str,
    path: &str,
    body: Option<Value>,
    wait: Duration,
) -> Answer {
    let http = reqwest::Client::builder().timeout(wait).build().unwrap();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http
        .request(method, format!("{}{path}", running.url()))
        .bearer_auth("k");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let ended = |error: &reqwest::Error| {
        if error.is_timeout() {
            Answer::TimedOut
        } else {
            Answer::Dropped
        }
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(_) => Answer::Status(status),
                Err(error) => ended(&error),
            }
        }
        Err(error) => ended(&error),
    }
}

/// A read, which never fails after acting.
async fn get(running: &Running, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", running.url()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_write_that_fails_after_acting_was_stored_whichever_way_it_fails() {
    for (way, answer) in [
        (
            AfterWrite::Status500,
            Answer::Status(StatusCode::INTERNAL_SERVER_ERROR),
        ),
        (AfterWrite::Drop, Answer::Dropped),
        (AfterWrite::Hang, Answer::TimedOut),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let running = sim::start(Options {
            state: Some(state.clone()),
            ..failing(1.0, &[way], 0)
        })
        .await
        .unwrap();
        // A hung write is waited for briefly; any other is answered, however busy the machine.
        let wait = if way == AfterWrite::Hang {
            HUNG
        } else {
            ANSWERED
        };
        let created = send(
            &running,
            "POST",
            "/assistant",
            Some(json!({"name": "a"})),
            wait,
        )
        .await;
        assert_eq!(created, answer, "{way:?}");
        let (status, listed) = get(&running, "/assistant").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            listed.as_array().unwrap().len(),
            1,
            "{way:?}: the create was stored"
        );
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(objects(&saved, "assistants").len(), 1, "{way:?}: and saved");

        let path = format!("/assistant/{}", listed[0]["id"].as_str().unwrap());
        let patched = send(&running, "PATCH", &path, Some(json!({"name": "b"})), wait).await;
        assert_eq!(patched, answer, "{way:?}");
        assert_eq!(get(&running, &path).await.1["name"], "b", "{way:?}");
        assert_eq!(
            send(&running, "DELETE", &path, None, wait).await,
            answer,
            "{way:?}"
        );
        assert_eq!(
            get(&running, &path).await.0,
            StatusCode::NOT_FOUND,
            "{way:?}"
        );

        // A write the API refuses stored nothing, so it is answered as usual.
        let refused = send(
            &running,
            "POST",
            "/assistant",
            Some(json!({"name": "x".repeat(41)})),
            ANSWERED,
        )
        .await;
        assert_eq!(refused, Answer::Status(StatusCode::BAD_REQUEST), "{way:?}");

        let injected = running.stats().injected;
        let counted = match way {
            AfterWrite::Status500 => injected.after_write_500,
            AfterWrite::Drop => injected.after_write_dropped,
            AfterWrite::Hang => injected.after_write_hung,
        };
        assert_eq!(counted, 3, "{way:?}: {injected:?}");
        // Hung writes are released when the simulator stops.
        tokio::time::timeout(Duration::from_secs(5), running.shutdown())
            .await
            .unwrap_or_else(|_| panic!("{way:?}: shutdown waited on a hung write"));
    }
}

#[tokio::test]
async fn failures_after_acting_repeat_under_the_same_seed() {
    async fn answers(seed: u64) -> Vec<Answer> {
        let running = sim::start(failing(
            0.5,
            &[AfterWrite::Status500, AfterWrite::Drop],
            seed,
        ))
        .await
        .unwrap();
        let mut answers = Vec::new();
        for i in 0..24 {
            let body = json!({ "name": format!("a{i}") });
            answers.push(send(&running, "POST", "/assistant", Some(body), ANSWERED).await);
        }
        running.shutdown().await;
        answers
    }
    let first = answers(3).await;
    assert_eq!(first, answers(3).await);
    assert_ne!(first, answers(4).await);
    for answer in [
        Answer::Status(StatusCode::CREATED),
        Answer::Status(StatusCode::INTERNAL_SERVER_ERROR),
        Answer::Dropped,
    ] {
        assert!(first.contains(&answer), "{answer:?} in {first:?}");
    }
}

fn object(value: &Value) -> Map<String, Value> {
    fixtures::object(value)
}

#[tokio::test]
async fn a_create_left_unanswered_is_ambiguous_and_sent_once() {
    for way in [AfterWrite::Drop, AfterWrite::Hang] {
        let running = sim::start(failing(1.0, &[way], 0)).await.unwrap();
        let mut settings = Settings::new(running.url(), ApiKey::new("k"));
        settings.rps = 0.0;
        // vapiform waits 30 s for an answer; the test does not.
        settings.timeout = Duration::from_millis(300);
        let client = Client::new(&settings).unwrap();
        let sent = time::OffsetDateTime::now_utc();
        let error = client
            .create_assistant(&object(&json!({"name": "A"})))
            .await
            .unwrap_err();
        assert!(error.is_ambiguous(), "{way:?}: {error}");
        assert_eq!(
            running.stats().by_route["POST /assistant"],
            1,
            "{way:?}: a POST is never blindly repeated"
        );
        // It was created, so the look-up apply makes before trying again finds it.
        let found = client
            .list_assistants_created_since(sent - time::Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{way:?}");
        tokio::time::timeout(Duration::from_secs(5), running.shutdown())
            .await
            .unwrap();
    }
}

/// `n` businesses signing up: each with its own assistant from a template and one number Vapi
/// does not have yet, so applying is `2n` creates and nothing else.
fn signups(n: usize) -> (vapiform::sim::Account, String) {
    let mut file = format!(
        "version: 1\nimport: {{provider: telnyx, credentialId: {CREDENTIAL}}}\ntemplates:\n  t:\n    name: \"${{business.name}}\"\n    firstMessage: \"Hi from ${{business.name}}\"\nbusinesses:\n"
    );
    for i in 0..n {
        let _ = writeln!(
            file,
            "  b{i:02}:\n    name: Business {i}\n    numbers: [\"{}\"]\n    assistant: {{template: t}}",
            signup_number(i)
        );
    }
    (vapiform::sim::Account::default(), file)
}

fn signup_number(i: usize) -> String {
    format!("+1628555{i:04}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_duplicate_is_created_when_creates_act_then_fail() {
    signups_converge_once_each(20, Duration::ZERO, 21).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_duplicate_is_created_when_creates_act_then_fail_and_reads_lag() {
    // A create that landed stays out of lists and searches for 2 s, far longer than the
    // pause before a create is sent again: apply must keep looking, not resend.
    signups_converge_once_each(12, Duration::from_secs(2), 21).await;
}

/// Applies `n` signups (an assistant and a number import each) against a simulator that
/// stores half of all writes and then answers 500 or cuts the connection, and whose reads lag
/// `lag` behind its writes. Apply must exit 0 having sent each create once, leave exactly one
/// assistant per key and one number per E.164, routed, and a second plan must be empty.
async fn signups_converge_once_each(n: usize, lag: Duration, seed: u64) {
    let (account, file) = signups(n);
    let options = Options {
        account: Some(account),
        lag,
        ..failing(0.5, &[AfterWrite::Status500, AfterWrite::Drop], seed)
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--yes", "--rps", "1000"])
        .run_async()
        .await;

    let stats = running.stats();
    let saved = workspace.account();
    let keys: Vec<String> = (0..n).map(|i| format!("b{i:02}")).collect();
    assert_eq!(labelled(&saved), keys, "one assistant per key: {stats:?}");
    assert_eq!(objects(&saved, "assistants").len(), n, "and no other");
    let mut numbers: Vec<&str> = objects(&saved, "phoneNumbers")
        .iter()
        .map(|n| n["number"].as_str().unwrap())
        .collect();
    numbers.sort_unstable();
    let expected: Vec<String> = (0..n).map(signup_number).collect();
    assert_eq!(numbers, expected, "one number per E.164: {stats:?}");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let injected = &stats.injected;
    assert!(
        injected.after_write_500 > 0 && injected.after_write_dropped > 0,
        "{stats:?}"
    );
    // Each create was sent once: after an unclear answer, apply found it instead of resending.
    assert_eq!(stats.by_route["POST /assistant"], n as u64, "{stats:?}");
    assert_eq!(stats.by_route["POST /phone-number"], n as u64, "{stats:?}");
    // And the looking is paced (100 ms doubling), not a loop that asks as fast as it may.
    let reads: u64 = stats
        .by_route
        .iter()
        .filter(|(route, _)| route.starts_with("GET "))
        .map(|(_, count)| count)
        .sum();
    let unclear = injected.after_write_500 + injected.after_write_dropped;
    assert!(
        reads <= 10 * unclear + 40,
        "{reads} reads for {unclear} unclear answers: {stats:?}"
    );
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(route_of(&saved, &signup_number(i)), id_of(&saved, key));
    }
    // Once the lag has passed, the account holds what the file says.
    tokio::time::sleep(lag).await;
    workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--detailed-exitcode"])
        .run_async()
        .await
        .code(0);
    running.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_api_is_a_clear_error_naming_the_request() {
    // Nothing listens on a port that was just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = Settings::new(format!("http://127.0.0.1:{port}"), ApiKey::new("k"));
    // vapiform retries a refused connection for about 20 s; the message is the same after 3 tries.
    settings.backoff.base = Duration::from_millis(1);
    settings.backoff.cap = Duration::from_millis(5);
    settings.backoff.attempts = 3;
    let error = Client::new(&settings)
        .unwrap()
        .list_numbers()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("GET /phone-number: could not connect"),
        "{text}"
    );
    assert!(!error.is_ambiguous(), "nothing was sent: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_command_fails_writes_after_acting_when_asked() {
    use std::io::{BufRead as _, BufReader};
    let workspace = crate::support::Workspace::new();
    let run = workspace
        .vapiform()
        .args(["sim", "--fail-after-write", "1.5"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("--fail-after-write must be between 0 and 1"),
        "{}",
        run.stderr
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vapiform"))
        .current_dir(workspace.path("."))
        .args(["sim", "--listen", "127.0.0.1:0", "--state", "account.json"])
        .args(["--fail-after-write", "1", "--fail-after-write-as", "500"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("vapiform sim listening on ")
        .expect("the URL is printed")
        .to_owned();
    let response = reqwest::Client::new()
        .post(format!("{url}/assistant"))
        .bearer_auth("k")
        .json(&json!({"name": "a"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let counted: Value = reqwest::get(format!("{url}/__sim/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(counted["injected"]["after_write_500"], 1, "{counted}");
    assert_eq!(
        objects(&workspace.account(), "assistants").len(),
        1,
        "stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_acted_then_failed_is_sent_again_and_its_404_means_deleted() {
    // Only the delete: the assistant update is already in place.
    let (mut account, file) = fixtures::update_and_delete();
    account.assistants[0].insert("firstMessage".into(), json!("New"));
    let options = Options {
        account: Some(account),
        ..failing(1.0, &[AfterWrite::Status500], 0)
    };
    let (running, workspace) = serve(options, &file).await;
    let (code, report) = workspace.apply_json(&running.url(), &[]).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["outcomes"][0]["address"], "assistant/gone");
    assert_eq!(report["outcomes"][0]["status"], "applied", "{report}");
    let stats = running.stats();
    // The first DELETE acted and answered 500; sent again, it found nothing to delete.
    assert_eq!(stats.injected.after_write_500, 1, "{stats:?}");
    assert_eq!(stats.by_route["DELETE /assistant/{id}"], 2, "{stats:?}");
    assert_eq!(objects(&workspace.account(), "assistants").len(), 1);
    running.shutdown().await;
}

/// What `plan` against the API at `port` says on stderr in its first `seconds`; it must still be
/// trying then.
fn said_while_trying(port: u16, seconds: u64) -> String {
    use std::io::Read as _;
    let workspace = crate::support::Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    let mut child = workspace
        .vapiform()
        .env("VAPI_API_KEY", "k")
        .args(["--api-url", &format!("http://127.0.0.1:{port}"), "plan"])
        .spawn();
    std::thread::sleep(Duration::from_secs(seconds));
    let still_trying = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(still_trying, "it gave up within {seconds} s: {stderr}");
    stderr
}

#[test]
fn an_unreachable_api_is_said_on_stderr_within_seconds_while_retries_go_on() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stderr = said_while_trying(port, 3);
    assert!(
        stderr.contains("retrying")
            && stderr.contains("no answer (connection failed or timed out)")
            && stderr.contains("attempt=1")
            && stderr.contains("does not answer as it should")
            && stderr.contains("Ctrl-C stops vapiform"),
        "{stderr}"
    );
}

/// A server that accepts every connection and never answers: an API that hangs.
fn hanging_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

#[test]
fn a_hanging_api_is_said_on_stderr_within_seconds_while_the_attempt_goes_on() {
    let stderr = said_while_trying(hanging_server(), 7);
    assert!(
        stderr.contains("no answer yet; still waiting")
            && stderr.contains("attempt=1")
            && stderr.contains("gives_up_after_s=30"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_has_a_deadline_across_its_attempts() {
    use vapiform::vapi::{ApiKey, Client, Settings};
    let port = hanging_server();
    let mut settings = Settings::new(format!("http://127.0.0.1:{port}"), ApiKey::new("k"));
    settings.deadline = Duration::from_millis(1500);
    let client = Client::new(&settings).unwrap();
    let started = std::time::Instant::now();
    let error = client.list_numbers().await.unwrap_err().to_string();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "{took:?}: {error}"
    );
    assert!(
        error.contains("timed out") && error.contains("every request has 1 s"),
        "{error}"
    );
}
