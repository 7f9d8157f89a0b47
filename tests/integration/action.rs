//! The GitHub Action: its scripts (`action/run.sh`, `action/install.sh`) run as the runner runs
//! them, against the simulator, a stand-in release server and stand-ins for `gh` and `cargo`
//! (`fakes/`); and its metadata checked against the scripts, the example workflow and the
//! release workflow.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{StatusCode, Uri};
use serde_json::Value;
use sha2::{Digest, Sha256};
use vapiform::sim::{self, Account, Options};

use crate::support::{KEY, Run, Workspace, example, id_of, serve};

/// A path in this repository.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// One of the action's scripts, run in `workspace` as a composite step runs it: the runner's
/// files (`RUNNER_TEMP`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`) in the
/// workspace, the stand-in `gh` and `cargo` first on PATH, and nothing else from this process's
/// environment.
struct Step {
    command: Command,
}

impl Step {
    fn new(workspace: &Workspace, script: &str) -> Self {
        let tools = workspace.path("tools");
        std::fs::create_dir_all(&tools).unwrap();
        std::fs::create_dir_all(workspace.path("runner")).unwrap();
        for (fake, name) in [("gh.sh", "gh"), ("cargo.sh", "cargo")] {
            std::fs::copy(repo("tests/integration/fakes").join(fake), tools.join(name)).unwrap();
        }
        let path = format!(
            "{}:{}",
            tools.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // As a runner starts a step: SIGINT and SIGTERM at their defaults whatever this test
        // inherited (a background job of a shell ignores SIGINT, and bash cannot trap a
        // signal that was ignored when it started).
        let mut command = Command::new("env");
        command
            .args(["--default-signal=INT,TERM", "bash"])
            .arg(repo("action").join(script))
            .current_dir(workspace.path("."))
            .env_clear()
            .env("PATH", path)
            .env("HOME", workspace.path("."))
            .env("RUNNER_TEMP", workspace.path("runner"))
            .env("GITHUB_OUTPUT", workspace.path("github-output"))
            .env("GITHUB_STEP_SUMMARY", workspace.path("summary.md"))
            .env("GITHUB_PATH", workspace.path("github-path"))
            .env("FAKE_GH_LOG", workspace.path("gh.log"))
            .env("FAKE_CARGO_LOG", workspace.path("cargo.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self { command }
    }

    /// `action/run.sh` for `command`, with vapiform pointed at the simulator.
    fn run(workspace: &Workspace, running: &sim::Running, command: &str) -> Self {
        Self::new(workspace, "run.sh")
            .env("VAPIFORM_BIN", env!("CARGO_BIN_EXE_vapiform"))
            .env("VAPI_API_KEY", KEY)
            .env("VAPI_BASE_URL", &running.url())
            .env("INPUT_COMMAND", command)
    }

    /// `run` on pull request #7 of acme/phones, with a token to comment with.
    fn on_pull_request(self) -> Self {
        self.env("GH_TOKEN", "gh-token")
            .env("GITHUB_REPOSITORY", "acme/phones")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "4242")
            .env("PR_NUMBER", "7")
            .env("PR_HEAD_SHA", "c0ffee1234")
    }

    /// As on a runner without cargo: the stand-in is removed, and PATH holds only the stand-ins
    /// and the system's own folders (where no cargo is).
    fn without_cargo(mut self) -> Self {
        let path = self
            .command
            .get_envs()
            .find(|(name, _)| *name == "PATH")
            .and_then(|(_, value)| value)
            .and_then(|value| value.to_str())
            .unwrap_or_default()
            .to_owned();
        let tools = path.split(':').next().unwrap_or_default().to_owned();
        let _ = std::fs::remove_file(PathBuf::from(&tools).join("cargo"));
        self.command
            .env("PATH", format!("{tools}:/usr/local/bin:/usr/bin:/bin"));
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    async fn finish(mut self) -> Run {
        tokio::task::spawn_blocking(move || finished(self.command.output().expect("bash runs")))
            .await
            .expect("runner thread")
    }
}

fn finished(output: std::process::Output) -> Run {
    let run = Run {
        code: output.status.code().unwrap_or_else(|| {
            panic!(
                "the script was killed by a signal ({:?}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        }),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
        "the API key leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

/// The step's outputs, as the runner reads `GITHUB_OUTPUT`: the last value of each name.
fn outputs(workspace: &Workspace) -> BTreeMap<String, String> {
    workspace
        .read("github-output")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The calls the stand-in `gh` received: each one's arguments and request body.
fn gh_calls(workspace: &Workspace) -> Vec<(Vec<String>, String)> {
    if !workspace.path("gh.log").exists() {
        return Vec::new();
    }
    workspace
        .read("gh.log")
        .lines()
        .map(|line| {
            let call: Value = serde_json::from_str(line).expect("gh.log line is JSON");
            let args = call["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|arg| arg.as_str().unwrap().to_owned())
                .collect();
            (args, call["body"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// The body a `gh api ... --input` call sent: the comment's text.
fn comment_text(body: &str) -> String {
    let body: Value = serde_json::from_str(body).expect("the request body is JSON");
    body["body"].as_str().expect("a body field").to_owned()
}

/// The simulator serving the quickstart account, and a workspace holding the quickstart file.
async fn quickstart(latency: Duration) -> (sim::Running, Workspace) {
    let account: Account =
        serde_json::from_str(&std::fs::read_to_string(example("quickstart/account.json")).unwrap())
            .unwrap();
    let options = Options {
        account: Some(account),
        latency,
        ..Options::default()
    };
    serve(
        options,
        &std::fs::read_to_string(example("quickstart/vapiform.yaml")).unwrap(),
    )
    .await
}

const SUMMARY_LINE: &str =
    "### vapiform: Plan: 2 to create, 1 to update, 1 to assign, 2 to reassign.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_sets_the_outputs_and_the_summary_and_comments_only_on_a_pull_request() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    // A token alone is no pull request: nothing is posted.
    let run = Step::run(&workspace, &running, "plan")
        .env("GH_TOKEN", "gh-token")
        .finish()
        .await
        .code(0);
    assert!(run.stdout.contains(SUMMARY_LINE), "{}", run.stdout);
    let out = outputs(&workspace);
    assert_eq!(out["exit-code"], "0");
    assert_eq!(out["changes"], "6");
    assert_eq!(out["drift"], "");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&out["plan-file"]).unwrap())
        .expect("plan-file is the JSON plan");
    assert_eq!(plan["changes"].as_array().unwrap().len(), 6);
    let summary = workspace.read("summary.md");
    assert!(summary.starts_with(SUMMARY_LINE), "{summary}");
    assert!(summary.contains("<details>"), "{summary}");
    assert!(
        gh_calls(&workspace).is_empty(),
        "no pull request, no comment"
    );

    // The same plan on a pull request, `comment: false`: still no comment.
    let run = Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env("INPUT_COMMENT", "false")
        .finish()
        .await;
    run.code(0);
    assert!(gh_calls(&workspace).is_empty(), "comment: false");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario, read top to bottom"
)]
async fn plan_on_a_pull_request_posts_one_comment_and_then_updates_it() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    // Two pages of comments, none of them this file's plan (another file's plan is not ours).
    workspace.write(
        "comments.json",
        r#"[{"id": 1, "body": "LGTM"}][{"id": 2, "body": "<!-- vapiform-plan other/vapiform.yaml -->\nold"}, {"id": 3, "body": null}]"#,
    );
    Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .finish()
        .await
        .code(0);
    let calls = gh_calls(&workspace);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0].0,
        [
            "api",
            "--paginate",
            "repos/acme/phones/issues/7/comments?per_page=100"
        ]
    );
    assert_eq!(
        calls[1].0[..4],
        [
            "api",
            "--method",
            "POST",
            "repos/acme/phones/issues/7/comments"
        ]
    );
    let posted = comment_text(&calls[1].1);
    assert!(
        posted.starts_with(&format!(
            "<!-- vapiform-plan vapiform.yaml -->\n{SUMMARY_LINE}\n"
        )),
        "{posted}"
    );
    assert!(
        posted.ends_with(
            "<sub>vapiform plan of <code>vapiform.yaml</code> at c0ffee1234 · exit 0 · \
             <a href=\"https://github.com/acme/phones/actions/runs/4242\">workflow run</a></sub>\n"
        ),
        "{posted}"
    );
    // Between the marker and the footer: the plan, as in the job summary.
    assert!(
        posted.starts_with(&format!(
            "<!-- vapiform-plan vapiform.yaml -->\n{}<sub>",
            workspace.read("summary.md")
        )),
        "{posted}"
    );

    // The next push finds that comment by its marker and its author (the default token's
    // github-actions[bot]), and updates it in place; comments by others that start with the
    // marker are never touched.
    std::fs::remove_file(workspace.path("gh.log")).unwrap();
    workspace.write(
        "comments.json",
        r#"[{"id": 1, "body": "LGTM", "user": {"login": "octocat"}}, {"id": 4, "body": "<!-- vapiform-plan vapiform.yaml -->\nNo changes.", "user": {"login": "mallory"}}, {"id": 5, "body": "<!-- vapiform-plan vapiform.yaml -->\nold plan", "user": {"login": "github-actions[bot]"}}, {"id": 6, "body": "<!-- vapiform-plan vapiform.yaml -->\nNo changes.", "user": {"login": "mallory"}}, {"id": 7, "body": "thanks", "user": {"login": "github-actions[bot]"}}]"#,
    );
    Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .finish()
        .await
        .code(0);
    let calls = gh_calls(&workspace);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[1].0[..4],
        [
            "api",
            "--method",
            "PATCH",
            "repos/acme/phones/issues/comments/5"
        ]
    );
    assert_eq!(
        comment_text(&calls[1].1),
        posted,
        "the same plan, the same comment"
    );

    // A token with a user of its own comments as that user: only that user's comment counts.
    std::fs::remove_file(workspace.path("gh.log")).unwrap();
    Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .env("FAKE_GH_USER", "mallory")
        .finish()
        .await
        .code(0);
    let calls = gh_calls(&workspace);
    assert_eq!(
        calls[1].0[..4],
        [
            "api",
            "--method",
            "PATCH",
            "repos/acme/phones/issues/comments/6"
        ]
    );

    // A marked comment that cannot be edited (someone else's) is left alone: a new one is posted.
    std::fs::remove_file(workspace.path("gh.log")).unwrap();
    let run = Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .env("FAKE_GH_PATCH_FAILS", "1")
        .finish()
        .await
        .code(0);
    let calls = gh_calls(&workspace);
    let methods: Vec<&str> = calls
        .iter()
        .skip(1)
        .map(|(args, _)| args[2].as_str())
        .collect();
    assert_eq!(methods, ["PATCH", "POST"], "{}", run.stdout);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_passes_the_baseline_and_masks_numbers_in_the_comment() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    // The target branch's file, never applied: everything the plan does, it would do too.
    workspace.write("base.yaml", &workspace.read("vapiform.yaml"));
    workspace.write("comments.json", "[]");
    Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .env("INPUT_BASELINE", "base.yaml")
        .env("INPUT_MASK_NUMBERS", "true")
        .finish()
        .await
        .code(0);
    let calls = gh_calls(&workspace);
    let posted = comment_text(&calls.last().expect("a comment").1);
    assert!(
        posted.contains(
            "### vapiform: Plan: 2 to create, 1 to update, 1 to assign, 2 to reassign. 6 drift.\n"
        ) && posted.contains("#### Drift\n")
            && posted.contains("<code>number/+1415•••0101</code>"),
        "{posted}"
    );
    assert!(!posted.contains("+14155550101"), "{posted}");
    assert!(!workspace.read("summary.md").contains("+14155550101"));
    // The JSON plan keeps the numbers and the labels.
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs(&workspace)["plan-file"]).unwrap())
            .unwrap();
    assert_eq!(plan["summary"]["origin"]["drift"], 6);
    assert!(plan.to_string().contains("number/+14155550101"));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_plan_passes_exit_1_through_with_its_error_in_the_summary_and_the_comment() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    // The error quotes the line, backticks and all: the fence around it must be longer. What
    // is posted is vapiform's own failure document, masked as asked.
    workspace.write("broken.yaml", "version: \"```` +14155550101\"\n");
    workspace.write("comments.json", "[]");
    let run = Step::run(&workspace, &running, "plan")
        .on_pull_request()
        .env("INPUT_FILE", "broken.yaml")
        .env("INPUT_MASK_NUMBERS", "true")
        .env("INPUT_PLAN", "plan.json")
        .env(
            "FAKE_GH_COMMENTS",
            workspace.path("comments.json").to_str().unwrap(),
        )
        .finish()
        .await
        .code(1);
    assert!(
        run.stdout.contains("::error title=vapiform::plan exited 1"),
        "{}",
        run.stdout
    );
    let out = outputs(&workspace);
    assert_eq!(out["exit-code"], "1");
    assert_eq!(out["changes"], "");
    assert_eq!(out["plan-file"], "", "no plan was made");
    let summary = workspace.read("summary.md");
    assert!(
        summary.starts_with("**vapiform plan exited 1**: error"),
        "{summary}"
    );
    let fenced = summary
        .split_once("`````text\n")
        .and_then(|(_, rest)| rest.split_once("\n`````\n"))
        .map_or_else(
            || panic!("stderr in a five-backtick fence:\n{summary}"),
            |(inside, _)| inside,
        );
    assert!(fenced.contains("broken.yaml:1:"), "{fenced}");
    assert!(fenced.contains("```` +1415•••0101"), "{fenced}");
    assert_eq!(summary.matches("exited 1").count(), 1, "{summary}");
    let calls = gh_calls(&workspace);
    let posted = comment_text(&calls.last().expect("a comment").1);
    assert!(posted.contains(&summary), "{posted}");
    assert!(!posted.contains("14155550101"), "{posted}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario, read top to bottom"
)]
async fn drift_apply_and_a_stale_plan_pass_their_exit_codes_through() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    Step::run(&workspace, &running, "drift")
        .finish()
        .await
        .code(2);
    let out = outputs(&workspace);
    assert_eq!(
        (out["drift"].as_str(), out["changes"].as_str()),
        ("true", "6")
    );
    assert!(
        workspace
            .read("summary.md")
            .contains("**Drift**: the account no longer matches <code>vapiform.yaml</code>."),
        "{}",
        workspace.read("summary.md")
    );

    // A plan is reviewed; then someone edits Acme's assistant on the dashboard.
    Step::run(&workspace, &running, "plan")
        .env("INPUT_PLAN", "reviewed.json")
        .finish()
        .await
        .code(0);
    assert_eq!(outputs(&workspace)["plan-file"], "reviewed.json");
    let account: Value =
        serde_json::from_str(&std::fs::read_to_string(example("quickstart/account.json")).unwrap())
            .unwrap();
    let acme = id_of(&account, "acme-plumbing").expect("acme's assistant is labelled");
    let edited = reqwest::Client::new()
        .patch(format!("{}/assistant/{acme}", running.url()))
        .bearer_auth(KEY)
        .json(
            &serde_json::json!({"model": {"provider": "openai", "model": "gpt-4o",
            "messages": [{"role": "system", "content": "Edited on the dashboard."}]}}),
        )
        .send()
        .await
        .unwrap();
    assert!(edited.status().is_success(), "{}", edited.status());
    let run = Step::run(&workspace, &running, "apply")
        .env("INPUT_PLAN", "reviewed.json")
        .finish()
        .await
        .code(4);
    assert!(
        run.stdout.contains("assistant/acme-plumbing"),
        "{}",
        run.stdout
    );
    let out = outputs(&workspace);
    assert_eq!(
        (out["exit-code"].as_str(), out["changes"].as_str()),
        ("4", "6")
    );
    assert!(
        workspace
            .read("summary.md")
            .contains("**vapiform apply exited 4**: the saved plan is stale"),
        "{}",
        workspace.read("summary.md")
    );

    // A plan artifact that is not the one reviewed (its digest is not the one the reviewers
    // saw) is refused, and nothing is written.
    let seen = serde_json::from_str::<Value>(&workspace.read("reviewed.json")).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    Step::run(&workspace, &running, "plan")
        .env("INPUT_PLAN", "other.json")
        .finish()
        .await
        .code(0);
    let run = Step::run(&workspace, &running, "apply")
        .env("INPUT_PLAN", "other.json")
        .env("INPUT_EXPECT_DIGEST", &seen)
        .finish()
        .await
        .code(4);
    assert!(
        run.stdout.contains(&format!("not the expected {seen}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("this saved plan is not the one that was reviewed"),
        "{}",
        run.stdout
    );

    // Without a reviewed plan, apply plans the file afresh and applies that.
    let run = Step::run(&workspace, &running, "apply")
        .finish()
        .await
        .code(0);
    assert!(
        run.stdout.contains("### vapiform: Apply: 6 applied."),
        "{}",
        run.stdout
    );
    assert_eq!(outputs(&workspace)["changes"], "6");
    Step::run(&workspace, &running, "drift")
        .finish()
        .await
        .code(0);
    let out = outputs(&workspace);
    assert_eq!(
        (out["drift"].as_str(), out["changes"].as_str()),
        ("false", "0")
    );

    let run = Step::run(&workspace, &running, "apply")
        .env("INPUT_PLAN", "missing.json")
        .finish()
        .await
        .code(1);
    assert!(
        run.stderr.contains("no plan to apply at missing.json"),
        "{}",
        run.stderr
    );
    let run = Step::run(&workspace, &running, "destroy")
        .finish()
        .await
        .code(1);
    assert!(
        run.stderr
            .contains("command must be plan, apply, drift or check, not 'destroy'"),
        "{}",
        run.stderr
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_step_passes_the_signal_to_vapiform_and_exits_130() {
    // Every answer takes 2 s, so the signal lands while the first writes are in flight even
    // on a busy machine (with 300 ms, apply had sometimes finished before `kill` ran).
    let (running, workspace) = quickstart(Duration::from_secs(2)).await;
    let mut step = Step::run(&workspace, &running, "apply").command;
    let child = step.spawn().expect("bash starts");
    // Cancel once apply is writing (plan's reads come first).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !running
        .stats()
        .by_route
        .keys()
        .any(|route| !route.starts_with("GET"))
    {
        assert!(Instant::now() < deadline, "apply never started writing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The runner signals the step's own process, not its children.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = tokio::task::spawn_blocking(move || finished(child.wait_with_output().unwrap()))
        .await
        .unwrap()
        .code(130);
    assert!(
        run.stdout.contains("apply exited 130: interrupted"),
        "{}",
        run.stdout
    );
    assert_eq!(outputs(&workspace)["exit-code"], "130");
    running.shutdown().await;
}

/// A stand-in for a GitHub server's release downloads: `files` by URL path, 404 otherwise.
async fn release_server(files: HashMap<String, Vec<u8>>) -> String {
    let files = Arc::new(files);
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let files = Arc::clone(&files);
        async move {
            match files.get(uri.path()) {
                Some(bytes) => (StatusCode::OK, bytes.clone()),
                None => (StatusCode::NOT_FOUND, b"Not Found".to_vec()),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// What the install step is tested with instead of a real binary: a script that answers
/// `--version` as vapiform does.
const STAND_IN_BINARY: &str = "#!/bin/sh\necho \"vapiform 0.1.0 (stand-in)\"\n";
const LINUX_ASSET: &str = "vapiform-x86_64-unknown-linux-musl";

/// A release's files, with SHA256SUMS listing every asset as `sha256sum` writes it.
fn release(version_path: &str, linux_binary: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut sums = String::new();
    for (asset, bytes) in [
        (
            "vapiform-aarch64-apple-darwin",
            b"another binary".as_slice(),
        ),
        (LINUX_ASSET, STAND_IN_BINARY.as_bytes()),
    ] {
        writeln!(sums, "{}  {asset}", hex::encode(Sha256::digest(bytes))).unwrap();
    }
    HashMap::from([
        (
            format!("/vapiform/vapiform/releases/{version_path}/{LINUX_ASSET}"),
            linux_binary.to_vec(),
        ),
        (
            format!("/vapiform/vapiform/releases/{version_path}/SHA256SUMS"),
            sums.into_bytes(),
        ),
    ])
}

/// `action/install.sh` on a Linux x64 runner, the action checked out at `ref_` of
/// vapiform/vapiform, releases served from `server`.
fn install(workspace: &Workspace, server: &str, ref_: &str) -> Step {
    let action_path = workspace.path("_actions/vapiform/vapiform").join(ref_);
    std::fs::create_dir_all(&action_path).unwrap();
    workspace.write("stand-in", STAND_IN_BINARY);
    Step::new(workspace, "install.sh")
        .env("GITHUB_ACTION_PATH", action_path.to_str().unwrap())
        .env("GITHUB_SERVER_URL", server)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env(
            "FAKE_CARGO_BINARY",
            workspace.path("stand-in").to_str().unwrap(),
        )
}

/// The installed binary: the step's `path` output, whose folder went to `GITHUB_PATH`.
fn installed(workspace: &Workspace) -> PathBuf {
    let path = PathBuf::from(&outputs(workspace)["path"]);
    assert_eq!(
        workspace.read("github-path").lines().last(),
        path.parent().unwrap().to_str(),
        "the binary's folder is on PATH for later steps"
    );
    let out = Command::new(&path).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "vapiform 0.1.0 (stand-in)\n"
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_takes_the_release_binary_that_matches_sha256sums() {
    let mut files = release("download/v0.1.0", STAND_IN_BINARY.as_bytes());
    files.extend(release("latest/download", STAND_IN_BINARY.as_bytes()));
    let server = release_server(files).await;

    // Pinned to a release tag: that release.
    let workspace = Workspace::new();
    let run = install(&workspace, &server, "v0.1.0")
        .finish()
        .await
        .code(0);
    assert!(
        run.stdout
            .contains(&format!("Downloading {LINUX_ASSET} (v0.1.0)")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("matches SHA256SUMS"), "{}", run.stdout);
    installed(&workspace);
    assert!(!workspace.path("cargo.log").exists(), "nothing was built");

    // Pinned to a commit SHA or a branch: that code is built, never a release's binary.
    for pin in ["3f2a9c41d6e8b0a7c5d4e3f2a1b0c9d8e7f6a5b4", "main"] {
        let workspace = Workspace::new();
        let run = install(&workspace, &server, pin).finish().await.code(0);
        assert!(!run.stdout.contains("Downloading"), "{}", run.stdout);
        assert!(
            run.stdout.contains(&format!(
                "the action is pinned to {pin}, whose code is built"
            )),
            "{}",
            run.stdout
        );
        installed(&workspace);
        let action_path = workspace.path("_actions/vapiform/vapiform").join(pin);
        assert!(
            workspace
                .read("cargo.log")
                .ends_with(&format!("--path {}\n", action_path.display())),
            "{}",
            workspace.read("cargo.log")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_pinned_to_a_commit_without_cargo_refuses_and_says_why() {
    let server = release_server(release("latest/download", STAND_IN_BINARY.as_bytes())).await;
    let workspace = Workspace::new();
    std::fs::create_dir_all(workspace.path("tools")).unwrap();
    let run = install(
        &workspace,
        &server,
        "3f2a9c41d6e8b0a7c5d4e3f2a1b0c9d8e7f6a5b4",
    )
    .without_cargo()
    .finish()
    .await
    .code(1);
    assert!(
        run.stdout.contains("cargo is not installed to build it")
            && run.stdout.contains("pin a release tag"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Downloading"), "{}", run.stdout);
    assert!(!outputs_file_has(&workspace, "path"), "nothing installed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_refuses_a_binary_that_does_not_match_sha256sums() {
    let server = release_server(release("download/v0.1.0", b"#!/bin/sh\necho tampered\n")).await;
    let workspace = Workspace::new();
    let run = install(&workspace, &server, "v0.1.0")
        .finish()
        .await
        .code(1);
    assert!(
        run.stdout.contains(&format!(
            "{LINUX_ASSET} does not match the release's SHA256SUMS"
        )),
        "{}",
        run.stdout
    );
    assert!(!outputs_file_has(&workspace, "path"), "nothing installed");
    assert!(
        !workspace.path("cargo.log").exists(),
        "a bad checksum is no reason to build"
    );
}

fn outputs_file_has(workspace: &Workspace, name: &str) -> bool {
    workspace.path("github-output").exists() && outputs(workspace).contains_key(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_builds_with_cargo_when_no_release_binary_can_be_had() {
    let server = release_server(HashMap::new()).await;

    // No such release asset: the action's own source is built.
    let workspace = Workspace::new();
    let run = install(&workspace, &server, "v0.1.0")
        .finish()
        .await
        .code(0);
    assert!(
        run.stdout.contains("could not be downloaded"),
        "{}",
        run.stdout
    );
    let root = installed(&workspace)
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let action_path = workspace.path("_actions/vapiform/vapiform/v0.1.0");
    assert_eq!(
        workspace.read("cargo.log"),
        format!(
            "install --locked --root {} --path {}\n",
            root.display(),
            action_path.display()
        )
    );

    // An explicit version is built from its tag, not from whatever the action is pinned to.
    let workspace = Workspace::new();
    install(&workspace, &server, "v0.1.0")
        .env("VAPIFORM_VERSION", "v0.2.0")
        .finish()
        .await
        .code(0);
    let root = installed(&workspace)
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    assert_eq!(
        workspace.read("cargo.log"),
        format!(
            "install --locked --root {} --git {server}/vapiform/vapiform --tag v0.2.0 vapiform\n",
            root.display()
        )
    );

    // A runner with no release binary at all.
    let workspace = Workspace::new();
    let run = install(&workspace, &server, "v0.1.0")
        .env("RUNNER_ARCH", "ARM")
        .finish()
        .await
        .code(0);
    assert!(
        run.stdout.contains("no release binary for Linux/ARM"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Downloading"), "{}", run.stdout);
    installed(&workspace);

    // Not a release tag: refused before anything is fetched or built.
    let workspace = Workspace::new();
    let run = install(&workspace, &server, "v0.1.0")
        .env("VAPIFORM_VERSION", "v1; rm -rf /")
        .finish()
        .await
        .code(1);
    assert!(
        run.stdout.contains("version must be a release tag"),
        "{}",
        run.stdout
    );
    assert!(!workspace.path("cargo.log").exists());
}

fn yaml(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(repo(path)).unwrap())
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn keys(mapping: &serde_yaml::Value) -> BTreeSet<String> {
    mapping
        .as_mapping()
        .expect("a mapping")
        .keys()
        .map(|key| key.as_str().unwrap().to_owned())
        .collect()
}

/// Every `prefix.NAME` in `text`, NAME being what follows up to a character that cannot be in
/// an input or output name.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn the_action_metadata_agrees_with_its_scripts_the_example_and_the_release() {
    let action = yaml("action.yml");
    let text = std::fs::read_to_string(repo("action.yml")).unwrap();
    let run_sh = std::fs::read_to_string(repo("action/run.sh")).unwrap();
    let install_sh = std::fs::read_to_string(repo("action/install.sh")).unwrap();

    // Every input is passed to a script, and only declared inputs are.
    let inputs = keys(&action["inputs"]);
    assert_eq!(references(&text, "inputs."), inputs);
    // Every output is one run.sh writes; install.sh's `path` is what run.sh is given.
    for (name, output) in action["outputs"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        assert_eq!(
            output["value"].as_str().unwrap(),
            format!("${{{{ steps.run.outputs.{name} }}}}")
        );
        assert!(
            run_sh.contains(&format!("echo \"{name}=")),
            "run.sh writes {name}"
        );
    }
    assert_eq!(
        references(&text, "steps.install.outputs."),
        BTreeSet::from(["path".to_owned()])
    );
    assert!(install_sh.contains("echo \"path="));

    // The example workflow passes only inputs the action has and reads only its outputs.
    let example_text =
        std::fs::read_to_string(repo("examples/github-actions/vapiform.yml")).unwrap();
    let workflow = yaml("examples/github-actions/vapiform.yml");
    let mut uses = 0;
    let mut ids = Vec::new();
    for job in workflow["jobs"].as_mapping().unwrap().values() {
        for step in job["steps"].as_sequence().unwrap() {
            if step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("vapiform/vapiform@"))
            {
                uses += 1;
                assert!(keys(&step["with"]).is_subset(&inputs), "{:?}", step["with"]);
                ids.extend(step["id"].as_str().map(str::to_owned));
            }
        }
    }
    assert_eq!(uses, 4, "plan, apply, check and drift use the action");
    let outputs = keys(&action["outputs"]);
    for id in ids {
        assert!(references(&example_text, &format!("steps.{id}.outputs.")).is_subset(&outputs));
    }

    // The release publishes exactly the assets install.sh downloads.
    let release = yaml(".github/workflows/release.yml");
    let targets: BTreeSet<String> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap().to_owned())
        .collect();
    let downloaded: BTreeSet<String> = install_sh
        .lines()
        .filter_map(|line| line.trim().split_once(") target="))
        .map(|(_, rest)| rest.trim_end_matches(" ;;").to_owned())
        .filter(|target| target != "\"\"")
        .collect();
    assert_eq!(targets, downloaded);
    let release_text = std::fs::read_to_string(repo(".github/workflows/release.yml")).unwrap();
    assert!(release_text.contains("vapiform-${{ matrix.target }}${{ matrix.ext }}"));
    assert!(install_sh.contains("asset=vapiform-$target$exe"));
}

/// Every place that builds or installs vapiform (or a tool) with cargo does it with the
/// versions Cargo.lock pins (`--locked`): scripts, workflows, the Dockerfile, the pre-commit
/// hook and the docs' commands.
#[test]
fn every_cargo_build_and_install_is_locked() {
    let mut checked = 0;
    let mut stack = vec![repo(".")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | ".git" | "tests" | "vendor") {
                    stack.push(path);
                }
                continue;
            }
            let wanted = [".sh", ".yml", ".yaml", ".md"]
                .iter()
                .any(|ext| name.ends_with(ext))
                || name == "Dockerfile"
                || name == "run";
            if !wanted {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                // A command: cargo, the subcommand, then a flag.
                let command = [
                    "cargo install -",
                    "cargo build -",
                    "cargo \"$CARGO_COMMAND\" -",
                ]
                .iter()
                .any(|start| line.contains(start));
                if command {
                    checked += 1;
                    assert!(
                        line.contains("--locked"),
                        "{}:{}: {line}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    assert!(checked >= 8, "only {checked} commands found");
    let hooks = yaml(".pre-commit-hooks.yaml");
    let entry = hooks[0]["entry"].as_str().unwrap();
    let script = std::fs::read_to_string(repo(entry)).unwrap();
    assert!(
        script.contains("cargo build") && script.contains("--locked"),
        "{script}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(repo(entry)).unwrap().permissions().mode();
        assert!(mode & 0o111 != 0, "{entry} is executable");
    }
}

/// Every third-party action the workflows and the example use is pinned to a commit SHA, with
/// the version it is in a comment (what Dependabot updates): a tag can be moved to other code.
#[test]
fn every_third_party_action_is_pinned_by_sha_with_its_version() {
    let mut checked = 0;
    for path in [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        "examples/github-actions/vapiform.yml",
    ] {
        let text = std::fs::read_to_string(repo(path)).unwrap();
        for line in text.lines() {
            let Some((_, used)) = line.split_once("uses: ") else {
                continue;
            };
            // vapiform's own action: the placeholder the reader replaces.
            if used.starts_with("vapiform/vapiform@") || used.starts_with("./") {
                continue;
            }
            checked += 1;
            let (reference, comment) = used.split_once(" # ").unwrap_or((used, ""));
            let sha = reference.rsplit_once('@').map_or("", |(_, sha)| sha);
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{path}: {line}"
            );
            let version = comment.trim().strip_prefix('v').unwrap_or("");
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|n| n.parse::<u32>().is_ok()),
                "{path}: {line}: the comment names the full version"
            );
        }
    }
    assert!(checked >= 10, "only {checked} uses found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_to_the_summary_and_passes_exit_6_through() {
    let (running, workspace) = quickstart(Duration::ZERO).await;
    for command in ["plan", "apply"] {
        Step::run(&workspace, &running, command)
            .env("INPUT_PLAN", "plan.json")
            .finish()
            .await
            .code(0);
    }
    std::fs::remove_file(workspace.path("summary.md")).unwrap();
    let run = Step::run(&workspace, &running, "check")
        .env("INPUT_PLAN", "plan.json")
        .env("INPUT_SAMPLE", "2")
        .finish()
        .await
        .code(0);
    let summary = workspace.read("summary.md");
    assert!(
        summary.starts_with("### vapiform: Check: 2 pass; 2 conversations"),
        "{summary}\n{}",
        run.stdout
    );
    // Carol's assistant greets as Acme now: exit 6, named in the summary.
    let account: Value = serde_json::from_str(&workspace.read("account.json")).unwrap();
    let carol = account["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Carol's Cafe")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edited = reqwest::Client::new()
        .patch(format!("{}/assistant/{carol}", running.url()))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"firstMessage": "Acme Plumbing here."}))
        .send()
        .await
        .unwrap();
    assert!(edited.status().is_success(), "{}", edited.status());
    std::fs::remove_file(workspace.path("summary.md")).unwrap();
    Step::run(&workspace, &running, "check")
        .env("INPUT_PLAN", "plan.json")
        .finish()
        .await
        .code(6);
    let summary = workspace.read("summary.md");
    assert!(
        summary.contains("| ✗ | <code>+14155550104</code> | carols-cafe | fail:")
            && summary
                .contains("**vapiform check exited 6**: a number does not answer as its business"),
        "{summary}"
    );
    assert_eq!(outputs(&workspace)["exit-code"], "6");
    // Neither a plan nor a sample: the action says what it needs.
    let run = Step::run(&workspace, &running, "check")
        .finish()
        .await
        .code(1);
    assert!(
        run.stderr.contains("check needs the plan input"),
        "{}",
        run.stderr
    );
    running.shutdown().await;
}
