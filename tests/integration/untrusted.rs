//! Untrusted text is shown, not obeyed: names and prompts from the account and the file are
//! printed with control and bidi characters escaped, and cannot ping, link, or break out of
//! markdown.

use serde_json::json;

use crate::support::Workspace;

/// Reads backwards from the override, colours the terminal, pings a team, links an issue,
/// closes a code block, ends a `<details>`, and loads an image.
const HOSTILE: &str = "Evil\u{202e}gnp.exe\u{1b}[31m @org/team #1 ``` </details> <img src=x>";

/// An account whose assistant names and prompt carry [`HOSTILE`], and a file whose business
/// name does: one number moves from the hostile assistant to the business, whose labelled
/// assistant's prompt changes.
fn hostile_workspace() -> Workspace {
    let workspace = Workspace::new();
    let at = "2026-01-01T00:00:00.000Z";
    let account = json!({
        "phoneNumbers": [{
            "id": "00000000-0000-4000-8000-000000000001", "orgId": "o", "provider": "telnyx",
            "number": "+14155550100", "credentialId": "c",
            "assistantId": "00000000-0000-4000-8000-00000000000a",
            "createdAt": at, "updatedAt": at,
        }],
        "assistants": [
            {"id": "00000000-0000-4000-8000-00000000000a", "orgId": "o", "name": HOSTILE,
             "createdAt": at, "updatedAt": at},
            {"id": "00000000-0000-4000-8000-00000000000b", "orgId": "o", "name": "Shop",
             "model": {"provider": "openai", "model": "gpt-4o-mini",
                       "messages": [{"role": "system", "content": format!("Hello.\n{HOSTILE}\n")}]},
             "metadata": {"vapiform": {"key": "shop"}}, "createdAt": at, "updatedAt": at},
        ],
    });
    workspace.write("account.json", &account.to_string());
    let name = serde_json::to_string(HOSTILE).unwrap();
    workspace.write(
        "vapiform.yaml",
        &format!(
            "version: 1\nbusinesses:\n  shop:\n    name: {name}\n    numbers: [\"+14155550100\"]\n    assistant:\n      spec:\n        name: Shop\n        model: {{provider: openai, model: gpt-4o-mini, messages: [{{role: system, content: \"Hello.\\nWelcome.\\n\"}}]}}\n"
        ),
    );
    workspace
}

#[track_caller]
fn no_raw_controls(shown: &str) {
    for raw in ['\u{202e}', '\u{1b}'] {
        assert!(!shown.contains(raw), "raw {raw:?} in:\n{shown}");
    }
    assert!(shown.contains("Evil\\u{202e}gnp.exe\\u{1b}[31m"), "{shown}");
}

#[test]
fn text_shows_controls_and_bidi_as_escapes() {
    let workspace = hostile_workspace();
    let coloured = workspace
        .sandbox()
        .args(["plan", "--color", "always"])
        .run()
        .code(0);
    assert!(
        !coloured.stdout.contains("gnp.exe\u{1b}"),
        "{}",
        coloured.stdout
    );
    assert!(
        coloured.stdout.contains("gnp.exe\\u{1b}"),
        "{}",
        coloured.stdout
    );
    let run = workspace.sandbox().args(["plan"]).run().code(0);
    no_raw_controls(&run.stdout);
    // Both the live assistant's name and the file's business name are in the routing line.
    let routing = run
        .stdout
        .lines()
        .find(|l| l.contains(" → "))
        .expect("a routing line");
    assert_eq!(routing.matches("Evil\\u{202e}").count(), 2, "{routing}");
    // The prompt diff escapes the hostile line too.
    assert!(
        run.stdout.contains("- Evil\\u{202e}gnp.exe"),
        "{}",
        run.stdout
    );

    // Problems quote the file and the account escaped as well.
    let file = workspace.read("vapiform.yaml")
        + "  other:\n    name: Other\n    numbers: []\n    assistant: {spec: {name: Other}, adopt: \"x\u{202e}y\"}\n";
    workspace.write("vapiform.yaml", &file);
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(!run.stderr.contains('\u{202e}'), "{}", run.stderr);
    assert!(run.stderr.contains("x\\u{202e}y"), "{}", run.stderr);
}

#[test]
fn markdown_cannot_ping_link_or_break_out() {
    let workspace = hostile_workspace();
    let run = workspace
        .sandbox()
        .args(["plan", "--format", "markdown"])
        .run()
        .code(0);
    let shown = &run.stdout;
    no_raw_controls(shown);
    // Inside a fenced code block text is inert: only the fence matters there.
    let mut outside = String::new();
    let mut fence: Option<&str> = None;
    for line in shown.lines() {
        match fence {
            None if line.starts_with("```") => {
                let ticks = line.len() - line.trim_start_matches('`').len();
                fence = Some(&line[..ticks]);
            }
            None => {
                outside.push_str(line);
                outside.push('\n');
            }
            Some(open) if line == open => fence = None,
            Some(open) => assert!(
                !line.trim_start().starts_with(open),
                "content closes its code block early: {line}"
            ),
        }
    }
    assert!(fence.is_none(), "a code block left open:\n{shown}");
    assert!(shown.contains("\n````diff\n"), "{shown}");
    assert!(
        shown.contains("\n-Evil\\u{202e}gnp.exe"),
        "the diff shows the prompt:\n{shown}"
    );
    assert!(!outside.contains("@org"), "pings a team:\n{outside}");
    assert!(outside.contains("@\u{200d}org/team"), "{outside}");
    assert!(!outside.contains("#1"), "links an issue:\n{outside}");
    assert!(!outside.contains("<img"), "loads an image:\n{outside}");
    assert!(!outside.contains('`'), "opens code:\n{outside}");
    assert_eq!(
        outside.matches("</details>").count(),
        outside.matches("<details>").count(),
        "ends a <details> early:\n{outside}"
    );
}

/// Every bidi control and line separator, one at a time in an assistant's name in the account:
/// escaped in text, in markdown and on stderr, never printed raw.
#[test]
fn every_bidi_control_and_line_separator_is_escaped() {
    let hidden = ['\u{061c}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}']
        .into_iter()
        .chain('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}');
    for c in hidden {
        let workspace = hostile_workspace();
        let named = format!("Bad{c}Name");
        let account = workspace.read("account.json").replace(
            &serde_json::to_string(HOSTILE).unwrap(),
            &serde_json::to_string(&named).unwrap(),
        );
        workspace.write("account.json", &account);
        let code = format!("u{{{:x}}}", u32::from(c));
        // Markdown writes the escape's backslash as a character reference.
        for (format, escaped) in [
            ("text", format!("Bad\\{code}Name")),
            ("markdown", format!("Bad&#92;{code}Name")),
        ] {
            let run = workspace
                .sandbox()
                .args(["plan", "--format", format])
                .run()
                .code(0);
            assert!(
                !run.stdout.contains(c),
                "{c:?} raw in {format}:\n{}",
                run.stdout
            );
            assert!(
                run.stdout.contains(&escaped),
                "{c:?} not shown as {escaped} in {format}:\n{}",
                run.stdout
            );
        }
        // In a problem on stderr: the assistant adopted by two keys.
        let file = workspace.read("vapiform.yaml")
            + &format!(
                "  other:\n    name: Other\n    numbers: []\n    assistant: {{spec: {{name: Other}}, adopt: \"x{c}y\"}}\n"
            );
        workspace.write("vapiform.yaml", &file);
        let run = workspace.sandbox().args(["plan"]).run().code(1);
        assert!(
            !run.stderr.contains(c),
            "{c:?} raw on stderr:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("x\\u{{{:x}}}y", u32::from(c))),
            "{c:?}:\n{}",
            run.stderr
        );
    }
}
