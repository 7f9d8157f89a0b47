//! Review at fleet size: one diff for a template edit made to many businesses, drift told
//! apart from intent with `--baseline`, and phone numbers masked for public repositories.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::support::Workspace;

/// The prompt of the fleet's template, with its opening hours.
fn prompt(name: &str, hours: &str) -> String {
    format!(
        "You answer the phone for {name}.\nOpening hours: {hours}.\nTake the caller's name and number.\nNever quote prices.\n"
    )
}

/// A fleet of `n` businesses on one template, applied with 9am-5pm hours, each with one routed
/// number; the file says `hours`.
fn fleet(n: usize, hours: &str) -> Workspace {
    let mut assistants = Vec::new();
    let mut numbers = Vec::new();
    let mut file = format!(
        "version: 1\ntemplates:\n  receptionist:\n    name: \"${{business.name}}\"\n    firstMessage: \"Thanks for calling ${{business.name}}.\"\n    model:\n      provider: openai\n      model: gpt-4o-mini\n      messages:\n        - role: system\n          content: |\n{}businesses:\n",
        prompt("${business.name}", hours)
            .lines()
            .fold(String::new(), |text, line| text
                + "            "
                + line
                + "\n")
    );
    for i in 0..n {
        let (key, name) = (format!("b{i:04}"), format!("Business {i}"));
        let id = format!("10000000-0000-4000-8000-{i:012}");
        let number = format!("+1628555{i:04}");
        let at = format!("2026-01-01T00:00:{:02}.{:03}Z", i / 1000, i % 1000);
        assistants.push(json!({
            "id": id, "orgId": "o", "name": name,
            "firstMessage": format!("Thanks for calling {name}."),
            "model": {"provider": "openai", "model": "gpt-4o-mini",
                      "messages": [{"role": "system", "content": prompt(&name, "9am-5pm")}]},
            "metadata": {"vapiform": {"key": key}},
            "createdAt": at, "updatedAt": at,
        }));
        numbers.push(json!({
            "id": format!("20000000-0000-4000-8000-{i:012}"), "orgId": "o", "provider": "telnyx",
            "credentialId": "c", "number": number, "assistantId": id,
            "createdAt": at, "updatedAt": at,
        }));
        let _ = write!(
            file,
            "  {key}:\n    name: {name}\n    numbers: [\"{number}\"]\n    assistant: {{template: receptionist}}\n"
        );
    }
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    workspace.write(
        "account.json",
        &json!({"phoneNumbers": numbers, "assistants": assistants}).to_string(),
    );
    workspace
}

#[test]
fn a_template_edit_across_2000_businesses_is_one_diff_on_one_screen() {
    let workspace = fleet(2000, "8am-6pm");
    let markdown = workspace
        .sandbox()
        .args(["plan", "--format", "markdown"])
        .run()
        .code(0)
        .stdout;
    assert!(
        markdown.len() < 10_000,
        "{} bytes:\n{}",
        markdown.len(),
        &markdown[..2000]
    );
    assert!(!markdown.contains("left out"), "{markdown}");
    assert!(
        markdown.starts_with("### vapiform: Plan: 2000 to update.\n"),
        "{markdown}"
    );
    // One row, headed by the count and the template; every address, compactly.
    assert!(
        markdown.contains(
            "| ~ | 2000 assistants from template <code>receptionist</code> | update | <code>model.messages&#91;0].content</code> | 1 field differs |\n"
        ),
        "{markdown}"
    );
    assert_eq!(markdown.matches("\n| ~ |").count(), 1, "{markdown}");
    assert!(
        markdown.contains("<code>assistant/b0000–b1999</code>"),
        "{markdown}"
    );
    // The whole diff, once, with each business's name read back as the placeholder.
    assert!(
        markdown.contains(
            "```diff\n@@ model.messages[0].content @@\n You answer the phone for ${business.name}.\n-Opening hours: 9am-5pm.\n+Opening hours: 8am-6pm.\n Take the caller's name and number.\n Never quote prices.\n```"
        ),
        "{markdown}"
    );
    assert_eq!(markdown.matches("Opening hours").count(), 2, "{markdown}");

    // Text shows it once too; JSON keeps every change, each naming its group.
    let text = workspace.sandbox().args(["plan"]).run().code(0).stdout;
    assert!(
        text.contains(
            "~ 2000 assistants from template receptionist update\n    assistant/b0000–b1999\n    1 field differs\n      model.messages[0].content:\n"
        ),
        "{text}"
    );
    assert_eq!(text.matches("Opening hours").count(), 2);
    let plan: Value = serde_json::from_str(
        &workspace
            .sandbox()
            .args(["plan", "--format", "json"])
            .run()
            .code(0)
            .stdout,
    )
    .unwrap();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2000);
    assert!(changes.iter().all(|c| c["group"] == "g1"));
    assert_eq!(
        plan["groups"],
        json!([{"id": "g1", "action": "update", "template": "receptionist", "reason": "1 field differs",
                "fields": [{"path": "model.messages[0].content",
                            "before": prompt("${business.name}", "9am-5pm"),
                            "after": prompt("${business.name}", "8am-6pm")}]}])
    );
    assert_eq!(
        changes[17]["fields"][0]["after"],
        prompt("Business 17", "8am-6pm"),
        "each change keeps its own values"
    );
}

#[test]
fn businesses_whose_diff_differs_are_shown_apart() {
    let workspace = fleet(5, "8am-6pm");
    // Business 3 was edited by hand: its diff is its own.
    let mut account: Value = workspace.account();
    account["assistants"][3]["model"]["messages"][0]["content"] =
        json!(prompt("Business 3", "10am-2pm"));
    workspace.write("account.json", &account.to_string());
    let text = workspace.sandbox().args(["plan"]).run().code(0).stdout;
    assert!(
        text.contains("~ 4 assistants from template receptionist update\n    assistant/b0000–b0002, assistant/b0004\n"),
        "{text}"
    );
    assert!(text.contains("~ assistant/b0003 update\n"), "{text}");
    assert!(text.contains("- Opening hours: 10am-2pm."), "{text}");
}

/// The quickstart, applied, so the account holds what the file says; `base.yaml` keeps that
/// file, the target branch's desired state.
fn applied_quickstart() -> Workspace {
    let workspace = Workspace::quickstart();
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    workspace.write("base.yaml", &workspace.read("vapiform.yaml"));
    workspace
}

/// Edits the sandbox account behind vapiform's back, as a click in the dashboard does.
fn dashboard(workspace: &Workspace, edit: impl FnOnce(&mut Value)) {
    let mut account = workspace.account();
    edit(&mut account);
    workspace.write("account.json", &account.to_string());
}

fn assistant<'a>(account: &'a mut Value, key: &str) -> &'a mut Value {
    account["assistants"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["metadata"]["vapiform"]["key"] == key)
        .expect("a labelled assistant")
}

#[test]
fn a_field_the_baseline_sets_to_another_value_is_intent() {
    let workspace = applied_quickstart();
    // Behind the tool's back, the not-in-service greeting changed; the pull request changes it
    // as well, but not back to what the baseline would restore.
    dashboard(&workspace, |account| {
        assistant(account, "not-in-service")["firstMessage"] = json!("Closed.");
    });
    let file = workspace.read("vapiform.yaml").replace(
        "This number is not in service. Goodbye.",
        "This number is not in service.",
    );
    workspace.write("vapiform.yaml", &file);
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "json", "--baseline", "base.yaml"])
        .run()
        .code(0);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["changes"].as_array().unwrap().len(), 1, "{plan}");
    let change = &plan["changes"][0];
    assert_eq!(change["address"], "assistant/not-in-service", "{plan}");
    assert_eq!(change["fields"][0]["path"], "firstMessage", "{plan}");
    assert_eq!(change["fields"][0]["origin"], "intent", "{plan}");
    assert_eq!(change["origin"], "intent", "{plan}");
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario, read top to bottom"
)]
fn baseline_tells_drift_from_intent_in_every_format() {
    let workspace = applied_quickstart();
    // Behind the tool's back: Acme's greeting, Carol's voice, and Bob's number moved to Acme.
    dashboard(&workspace, |account| {
        assistant(account, "acme-plumbing")["firstMessage"] = json!("Hi, Acme here.");
        assistant(account, "carols-cafe")["voice"]["voiceId"] = json!("Rohan");
        let acme = assistant(account, "acme-plumbing")["id"].clone();
        for number in account["phoneNumbers"].as_array_mut().unwrap() {
            if number["number"] == "+14155550102" {
                number["assistantId"] = acme.clone();
            }
        }
    });
    // In the pull request: Carol's hours and the not-in-service greeting.
    let file = workspace
        .read("vapiform.yaml")
        .replace("vars: {hours: \"7am-3pm\"}", "vars: {hours: \"7am-4pm\"}")
        .replace(
            "This number is not in service. Goodbye.",
            "This number is not in service.",
        );
    workspace.write("vapiform.yaml", &file);

    let json_run = workspace
        .sandbox()
        .args([
            "plan",
            "--format",
            "json",
            "--baseline",
            "base.yaml",
            "--out",
            "plan.json",
        ])
        .run()
        .code(0);
    let plan: Value = serde_json::from_str(&json_run.stdout).unwrap();
    let origin = |address: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .map(|c| {
                let fields: Vec<String> = c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {}",
                            f["path"].as_str().unwrap(),
                            f["origin"].as_str().unwrap()
                        )
                    })
                    .collect();
                (c["origin"].as_str().unwrap().to_owned(), fields)
            })
            .unwrap()
    };
    assert_eq!(
        origin("assistant/acme-plumbing"),
        ("drift".to_owned(), vec!["firstMessage drift".to_owned()])
    );
    assert_eq!(
        origin("assistant/carols-cafe"),
        (
            "mixed".to_owned(),
            vec![
                "model.messages[0].content intent".to_owned(),
                "voice.voiceId drift".to_owned()
            ]
        )
    );
    assert_eq!(
        origin("assistant/not-in-service"),
        ("intent".to_owned(), vec!["firstMessage intent".to_owned()])
    );
    assert_eq!(origin("number/+14155550102").0, "drift");
    assert_eq!(
        plan["summary"]["origin"],
        json!({"intent": 1, "drift": 2, "mixed": 1})
    );

    // The account is read once, whatever the baseline.
    let text = workspace
        .sandbox()
        .args(["plan", "--baseline", "base.yaml"])
        .run()
        .code(0)
        .stdout;
    assert!(
        text.starts_with("Plan: 3 to update, 1 to reassign. 1 intent, 2 drift, 1 mixed.\n"),
        "{text}"
    );
    let (asked, drift) = text
        .split_once("⚠ Drift: 2 changes are planned from the baseline too")
        .expect("a drift section");
    assert!(
        asked.contains("~ assistant/carols-cafe update (intent and drift)")
            && asked.contains("~ assistant/not-in-service update")
            && !asked.contains("assistant/acme-plumbing")
            && !asked.contains("number/+14155550102"),
        "{asked}"
    );
    assert!(
        asked.contains("    drift, planned from the baseline too:\n    - voice.voiceId: \"Rohan\""),
        "{asked}"
    );
    assert!(
        drift.contains("~ assistant/acme-plumbing update")
            && drift.contains("↻ number/+14155550102 reassign"),
        "{drift}"
    );

    let markdown = workspace
        .sandbox()
        .args(["plan", "--format", "markdown", "--baseline", "base.yaml"])
        .run()
        .code(0)
        .stdout;
    assert!(
        markdown.starts_with(
            "### vapiform: Plan: 3 to update, 1 to reassign. 1 intent, 2 drift, 1 mixed.\n"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("> ⚠️ **Drift: 2 changes are planned from the baseline too"),
        "{markdown}"
    );
    let (asked, drift) = markdown.split_once("#### Drift\n").expect("a drift table");
    assert!(
        asked.contains("| ~ | <code>assistant/carols-cafe</code> | update (intent and drift) |")
            && asked
                .contains("@@ drift, planned from the baseline too @@\n-voice.voiceId: \"Rohan\"")
            && !asked.contains("<code>assistant/acme-plumbing</code>"),
        "{asked}"
    );
    assert!(
        drift.contains("| ~ | <code>assistant/acme-plumbing</code> | update |")
            && drift.contains("| ↻ | <code>number/+14155550102</code> | reassign |"),
        "{drift}"
    );

    // With both sections, the least budget still holds the summary, the warning and the note.
    let markdown_within = |max: usize| {
        workspace
            .sandbox()
            .args(["plan", "--format", "markdown", "--baseline", "base.yaml"])
            .args(["--max-bytes", &max.to_string()])
            .run()
    };
    let refused = markdown_within(0).code(1);
    let least: usize = refused
        .stderr
        .split_once("use --max-bytes ")
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{}", refused.stderr));
    for max in [least, least + 1, least + 200] {
        let out = markdown_within(max).code(0).stdout;
        assert!(out.len() <= max, "{} > {max}:\n{out}", out.len());
        assert!(out.contains("> ⚠️ **Drift: 2 changes"), "{out}");
        assert!(out.ends_with("(`vapiform plan --out`)._\n"), "{out}");
    }

    // The digest is the same with or without a baseline, and show renders the saved plan as
    // plan printed it.
    let without: Value = serde_json::from_str(
        &workspace
            .sandbox()
            .args(["plan", "--format", "json"])
            .run()
            .code(0)
            .stdout,
    )
    .unwrap();
    assert_eq!(without["digest"], plan["digest"]);
    assert!(without["summary"].get("origin").is_none());
    for (format, printed) in [("text", &text), ("markdown", &markdown)] {
        let shown = workspace
            .vapiform()
            .args(["show", "plan.json", "--format", format])
            .run()
            .code(0)
            .stdout;
        assert_eq!(&shown, printed, "{format}");
    }
}

#[test]
fn a_baseline_that_cannot_be_planned_in_full_is_said_so() {
    let workspace = applied_quickstart();
    workspace.write(
        "base.yaml",
        &workspace
            .read("base.yaml")
            .replace("7f3c1e2a-5b6d-4c8e-9f01-23456789abcd", "gone-assistant"),
    );
    dashboard(&workspace, |account| {
        assistant(account, "acme-plumbing")["firstMessage"] = json!("Hi, Acme here.");
    });
    let text = workspace
        .sandbox()
        .args(["plan", "--baseline", "base.yaml"])
        .run()
        .code(0)
        .stdout;
    assert!(
        text.contains(
            "The baseline could not be planned in full, so the changes it could not plan are labelled intent: businesses.bobs-bakery.assistant: no assistant with id gone-assistant in the account\n"
        ),
        "{text}"
    );
    assert!(text.contains("⚠ Drift: 1 change is planned"), "{text}");
    // A baseline that does not load stops the plan.
    workspace.write("base.yaml", "version: 2\n");
    let run = workspace
        .sandbox()
        .args(["plan", "--baseline", "base.yaml"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("--> base.yaml:1:10")
            && run.stderr.contains("the baseline base.yaml cannot be read"),
        "{}",
        run.stderr
    );
}

/// Every E.164 number in `text`.
fn numbers_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('+') {
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if (8..=15).contains(&digits) {
            found.push(format!("+{}", &rest[..digits]));
        }
    }
    found
}

#[test]
fn masked_numbers_are_absent_from_text_and_markdown() {
    let workspace = Workspace::quickstart();
    let file = workspace
        .read("vapiform.yaml")
        .replace(
            "unassigned: {assistant: not-in-service}",
            "unassigned: leave\nimport: {provider: telnyx, credentialId: c}\nignore: {numbers: [\"+14155550199\"]}",
        )
        .replace(
            "numbers: [\"+14155550104\"]",
            "numbers: [\"+14155550104\", \"+14155550188\"]",
        )
        .replace(
            "never quote prices.",
            "never quote prices. Emergencies: +14155559999.",
        );
    workspace.write("vapiform.yaml", &file);
    let json = workspace
        .sandbox()
        .args([
            "plan",
            "--format",
            "json",
            "--out",
            "plan.json",
            "--mask-numbers",
        ])
        .run()
        .code(0)
        .stdout;
    for number in [
        "+14155550188",
        "+14155550199",
        "+14155550103",
        "+14155559999",
    ] {
        assert!(json.contains(number), "JSON keeps {number}");
    }
    for format in ["text", "markdown"] {
        let run = workspace
            .sandbox()
            .args(["plan", "--format", format, "--mask-numbers"])
            .run()
            .code(0);
        assert_eq!(
            numbers_in(&run.stdout),
            Vec::<String>::new(),
            "{}",
            run.stdout
        );
        let mut masked = vec![
            "number/+1415•••0101", // an address
            "+1415•••0188",        // an import's field value
            "+1415•••9999",        // a prompt's text
        ];
        if format == "text" {
            // Only text lists what is not changed.
            masked.extend(["+1415•••0199", "+1415•••0103"]);
        }
        for masked in masked {
            assert!(
                run.stdout.contains(masked),
                "{masked} in {format}:\n{}",
                run.stdout
            );
        }
        let shown = workspace
            .vapiform()
            .args(["show", "plan.json", "--format", format, "--mask-numbers"])
            .run()
            .code(0);
        assert_eq!(shown.stdout, run.stdout, "show masks as plan does");
    }
    // Without the flag, numbers are whole.
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    assert!(run.stdout.contains("number/+14155550101"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_is_read_once_with_a_baseline() {
    let account: vapiform::sim::Account = serde_json::from_str(
        &std::fs::read_to_string(crate::support::example("quickstart/account.json")).unwrap(),
    )
    .unwrap();
    let file =
        std::fs::read_to_string(crate::support::example("quickstart/vapiform.yaml")).unwrap();
    let options = vapiform::sim::Options {
        account: Some(account),
        ..vapiform::sim::Options::default()
    };
    let (running, workspace) = crate::support::serve(options, &file).await;
    workspace.write("base.yaml", &file);
    workspace
        .vapiform()
        .args([
            "--api-url",
            &running.url(),
            "plan",
            "--baseline",
            "base.yaml",
        ])
        .run_async()
        .await
        .code(0);
    let stats = running.stats();
    let reads: Vec<(&str, u64)> = stats
        .by_route
        .iter()
        .map(|(route, n)| (route.as_str(), *n))
        .collect();
    assert_eq!(reads, [("GET /assistant", 1), ("GET /phone-number", 1)]);
    running.shutdown().await;
}
