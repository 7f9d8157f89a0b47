//! A small builder for running the real `vapiform` binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The key every test passes; tests assert it never shows up in output.
pub(crate) const KEY: &str = "test-key-4f1d9c0e7b2a";

/// A scratch directory with files, where vapiform runs.
pub(crate) struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The quickstart file and a copy of its account, as `vapiform.yaml` and `account.json`.
    pub(crate) fn quickstart() -> Self {
        let workspace = Self::new();
        workspace.write(
            "vapiform.yaml",
            &std::fs::read_to_string(example("quickstart/vapiform.yaml")).unwrap(),
        );
        workspace.write(
            "account.json",
            &std::fs::read_to_string(example("quickstart/account.json")).unwrap(),
        );
        workspace
    }

    /// Gives the quickstart template a webhook whose header is the secret `${env.HOOK_TOKEN}`.
    pub(crate) fn add_hook_token(&self) {
        let file = self.read("vapiform.yaml").replace(
            "    voice: {provider: vapi, voiceId: Elliot}\n\nassistants:",
            "    voice: {provider: vapi, voiceId: Elliot}\n    server: {url: \"https://hooks.example.com\", headers: {x-token: \"${env.HOOK_TOKEN}\"}}\n\nassistants:",
        );
        assert!(
            file.contains("HOOK_TOKEN"),
            "the quickstart template changed"
        );
        self.write("vapiform.yaml", &file);
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read test file")
    }

    /// The sandbox account as JSON.
    pub(crate) fn account(&self) -> Value {
        serde_json::from_str(&self.read("account.json")).expect("account is JSON")
    }

    /// Edits the sandbox account as the dashboard would, behind vapiform's back.
    pub(crate) fn edit_account(&self, edit: impl FnOnce(&mut Value)) {
        let mut account = self.account();
        edit(&mut account);
        self.write(
            "account.json",
            &serde_json::to_string_pretty(&account).expect("JSON"),
        );
    }

    /// Rewrites the file `name` with what `edit` makes of its text, which must change it.
    #[track_caller]
    pub(crate) fn edit(&self, name: &str, edit: impl FnOnce(&str) -> String) {
        let text = self.read(name);
        let edited = edit(&text);
        assert_ne!(edited, text, "the edit of {name} applies");
        self.write(name, &edited);
    }

    /// `vapiform` run in this directory with a test key and no other Vapi settings.
    pub(crate) fn vapiform(&self) -> Cmd {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vapiform"));
        command.current_dir(self.dir.path()).stdin(Stdio::null());
        for name in [
            "VAPI_API_KEY",
            "VAPI_PRIVATE_API_KEY",
            "VAPI_TOKEN",
            "VAPI_BASE_URL",
            "NO_COLOR",
            "CLICOLOR",
            "CLICOLOR_FORCE",
            "RUST_LOG",
        ] {
            command.env_remove(name);
        }
        command.env("VAPI_API_KEY", KEY);
        Cmd { command }
    }

    /// `vapiform --sandbox account.json ...`.
    pub(crate) fn sandbox(&self) -> Cmd {
        self.vapiform().args(["--sandbox", "account.json"])
    }

    /// Saves the sandbox's plan of the file as `plan.json`, as `plan --out` does.
    #[track_caller]
    pub(crate) fn save_plan(&self) {
        self.sandbox()
            .args(["plan", "--out", "plan.json"])
            .run()
            .code(0);
    }

    /// The sandbox's plan of `vapiform.yaml` as JSON; planning must succeed.
    #[track_caller]
    pub(crate) fn plan_json(&self) -> Value {
        let run = self
            .sandbox()
            .args(["plan", "--format", "json"])
            .run()
            .code(0);
        serde_json::from_str(&run.stdout).expect("the plan is JSON")
    }

    /// `vapiform --api-url URL apply --yes --format json` with `extra` arguments: the exit code
    /// and the JSON report.
    pub(crate) async fn apply_json(&self, url: &str, extra: &[&str]) -> (i32, Value) {
        let run = self
            .vapiform()
            .args(["--api-url", url, "apply", "--yes", "--format", "json"])
            .args(extra)
            .run_async()
            .await;
        let report = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| panic!("a JSON report:\n{}\n{}", run.stdout, run.stderr));
        (run.code, report)
    }

    /// Asserts a fresh plan of the sandbox finds nothing to do.
    #[track_caller]
    pub(crate) fn assert_no_changes(&self) {
        let run = self
            .sandbox()
            .args(["plan", "--detailed-exitcode"])
            .run()
            .code(0);
        assert!(run.stdout.starts_with("No changes."), "{}", run.stdout);
    }
}

/// A workspace holding `file` as `vapiform.yaml`, and a simulator started with `options` that
/// saves the account to the workspace's `account.json` after every write.
pub(crate) async fn serve(
    mut options: vapiform::sim::Options,
    file: &str,
) -> (vapiform::sim::Running, Workspace) {
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", file);
    options.state = Some(workspace.path("account.json"));
    let running = vapiform::sim::start(options)
        .await
        .expect("simulator starts");
    (running, workspace)
}

/// An account of `n` unrouted telnyx numbers, and a file that gives each its own business
/// with an assistant from one template: an onboarding of `n` businesses.
pub(crate) fn onboarding(n: usize) -> (vapiform::sim::Account, String) {
    use std::fmt::Write as _;
    let mut numbers = Vec::new();
    let mut file = String::from(
        "version: 1\ntemplates:\n  t:\n    name: \"${business.name}\"\n    firstMessage: \"Hi from ${business.name}\"\nbusinesses:\n",
    );
    for i in 0..n {
        let number = format!("+1628555{i:04}");
        // Ten objects share each creation millisecond, so listing must handle ties.
        let at = format!("2026-01-01T00:00:{:02}.{:03}Z", i / 10_000, (i / 10) % 1000);
        numbers.push(telnyx_number(i, &number, &at));
        let _ = writeln!(
            file,
            "  b{i:04}:\n    name: Business {i}\n    numbers: [\"{number}\"]\n    assistant: {{template: t}}"
        );
    }
    (
        vapiform::sim::Account {
            phone_numbers: numbers,
            ..vapiform::sim::Account::default()
        },
        file,
    )
}

/// A path under `examples/`.
pub(crate) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// A command being built.
pub(crate) struct Cmd {
    command: Command,
}

impl Cmd {
    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
        mut self,
        args: I,
    ) -> Self {
        self.command.args(args);
        self
    }

    pub(crate) fn arg_path(mut self, path: &Path) -> Self {
        self.command.arg(path);
        self
    }

    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    pub(crate) fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Runs to completion.
    pub(crate) fn run(mut self) -> Run {
        let output = self.command.output().expect("vapiform runs");
        let run = Run {
            code: output.status.code().expect("exited normally"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "vapiform panicked:\n{}",
            run.stderr
        );
        assert!(
            !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
            "the API key leaked:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        run
    }

    /// Starts without waiting, with standard output and error captured.
    pub(crate) fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vapiform starts")
    }

    /// Runs to completion, which must come within `limit`: a run still going then is killed
    /// and the test fails. For inputs that once made vapiform run for minutes or forever.
    pub(crate) fn run_within(self, limit: std::time::Duration) -> Run {
        let mut child = self.spawn();
        let started = std::time::Instant::now();
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut text);
                }
                String::from_utf8(text).expect("output is UTF-8")
            })
        };
        let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("vapiform still running after {limit:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Run {
            code: status.code().expect("exited normally"),
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }

    /// Runs on a blocking thread, for tests that serve a simulator on the async runtime.
    pub(crate) async fn run_async(self) -> Run {
        tokio::task::spawn_blocking(move || self.run())
            .await
            .expect("runner thread")
    }
}

/// A finished run.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub(crate) fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Labelled assistants in an account, by label key.
/// The object in `collection` of `account` whose `field` equals `value`.
pub(crate) fn find<'a>(
    account: &'a mut Value,
    collection: &str,
    field: &str,
    value: &str,
) -> &'a mut Value {
    account[collection]
        .as_array_mut()
        .expect("a collection")
        .iter_mut()
        .find(|o| o[field] == value)
        .unwrap_or_else(|| panic!("no {collection} with {field} {value}"))
}

pub(crate) fn labelled(account: &Value) -> Vec<String> {
    let mut keys: Vec<String> = account["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["metadata"]["vapiform"]["key"].as_str().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

/// The assistant a number routes to, by number.
pub(crate) fn route_of<'a>(account: &'a Value, number: &str) -> Option<&'a str> {
    account["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["number"] == number)
        .and_then(|n| n["assistantId"].as_str())
}

/// The id of the assistant carrying a label.
pub(crate) fn id_of<'a>(account: &'a Value, key: &str) -> Option<&'a str> {
    account["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["metadata"]["vapiform"]["key"] == key)
        .and_then(|a| a["id"].as_str())
}

/// A telnyx number as Vapi returns it, numbered `i`, created (and last updated) at `at`.
pub(crate) fn telnyx_number(i: usize, number: &str, at: &str) -> serde_json::Map<String, Value> {
    let id = format!("00000000-0000-4000-8000-{i:012}");
    let value = serde_json::json!({"id": id, "orgId": "o", "provider": "telnyx", "number": number,
                                   "credentialId": "c", "createdAt": at, "updatedAt": at});
    let Value::Object(map) = value else {
        unreachable!()
    };
    map
}

/// A server on loopback that answers every request with the JSON that `answers` gives for
/// its path (`[]` for any other path), and `PATH/ID` with the object of that id in the list at
/// `PATH` (404 when there is none): an account holding objects the simulator would refuse to
/// store. Returns its base URL; it serves until the test's runtime ends.
pub(crate) async fn serve_json(answers: Vec<(&'static str, Value)>) -> String {
    use axum::response::IntoResponse as _;
    let answers = std::sync::Arc::new(answers);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let answers = std::sync::Arc::clone(&answers);
        async move {
            let path = uri.path();
            if let Some((_, body)) = answers.iter().find(|(at, _)| *at == path) {
                return axum::Json(body.clone()).into_response();
            }
            let one = path.rsplit_once('/').and_then(|(list, id)| {
                let (_, body) = answers.iter().find(|(at, _)| *at == list)?;
                body.as_array()?
                    .iter()
                    .find(|item| item["id"] == id)
                    .cloned()
            });
            match one {
                Some(object) => axum::Json(object).into_response(),
                None if answers
                    .iter()
                    .any(|(at, _)| path.starts_with(&format!("{at}/"))) =>
                {
                    axum::http::StatusCode::NOT_FOUND.into_response()
                }
                None => axum::Json(serde_json::json!([])).into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    url
}

/// A workspace whose sandbox account holds `n` telnyx numbers (`+16285550000` on), each with
/// the fields of `extra` (`{"assistantId": "legacy"}` routes them all), and one hand-made
/// assistant `legacy`.
pub(crate) fn numbers_account(n: usize, extra: &Value) -> Workspace {
    let workspace = Workspace::new();
    let at = "2026-01-01T00:00:00.000Z";
    let numbers: Vec<Value> = (0..n)
        .map(|i| {
            let mut number = serde_json::json!({"id": format!("n{i}"), "orgId": "o",
                "provider": "telnyx", "number": format!("+1628555{i:04}"), "credentialId": "c",
                "createdAt": at, "updatedAt": at});
            if let (Some(number), Some(extra)) = (number.as_object_mut(), extra.as_object()) {
                number.extend(extra.clone());
            }
            number
        })
        .collect();
    let account = serde_json::json!({"phoneNumbers": numbers, "assistants": [
        {"id": "legacy", "orgId": "o", "name": "Legacy", "firstMessage": "Hello from legacy.",
         "createdAt": at, "updatedAt": at},
    ]});
    workspace.write("account.json", &account.to_string());
    workspace
}
