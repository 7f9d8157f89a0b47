//! The desired-state file within bounds: a byte order mark is accepted; deep nesting, huge
//! files and other encodings are refused at once with a location; business names and vars are
//! literal text.

use std::time::Duration;

use crate::support::Workspace;

/// Far above what refusing takes, far below what the unbounded inputs took (a minute, or
/// forever).
const PROMPTLY: Duration = Duration::from_secs(10);

#[test]
fn a_byte_order_mark_is_accepted() {
    let workspace = Workspace::quickstart();
    let plain = workspace.sandbox().args(["plan"]).run().code(0);
    let file = workspace.read("vapiform.yaml");
    workspace.write("vapiform.yaml", &format!("\u{feff}{file}"));
    workspace.vapiform().args(["validate"]).run().code(0);
    let with_mark = workspace.sandbox().args(["plan"]).run().code(0);
    assert_eq!(with_mark.stdout, plain.stdout);

    // With a document marker, and with a mistake that must be reported where it is.
    workspace.write("marked.yaml", "\u{feff}---\nversion: 1\n");
    workspace
        .vapiform()
        .args(["validate", "-f", "marked.yaml"])
        .run()
        .code(0);
    let broken = file.replace("\"+14155550102\"", "\"415 555 0102\"");
    assert_ne!(broken, file, "the quickstart changed");
    workspace.write("vapiform.yaml", &format!("\u{feff}{broken}"));
    let line = 1 + broken
        .lines()
        .position(|l| l.contains("415 555 0102"))
        .unwrap();
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr
            .starts_with("error: phone number `415 555 0102` must start with `+`")
            && run.stderr.contains(&format!("--> vapiform.yaml:{line}:")),
        "{}",
        run.stderr
    );
}

#[test]
fn deep_nesting_is_refused_promptly_with_a_location() {
    let workspace = Workspace::new();
    let million = "[".repeat(1_000_000);
    let balanced = format!(
        "version: 1\ntemplates: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    let mut block = String::from("version: 1\ntemplates:\n");
    for level in 1..70 {
        block.push_str(&"  ".repeat(level));
        block.push_str("k:\n");
    }
    for (name, text, at) in [
        ("million.yaml", million.as_str(), "million.yaml:1:"),
        ("balanced.yaml", balanced.as_str(), "balanced.yaml:2:"),
        ("block.yaml", block.as_str(), "block.yaml:66:"),
    ] {
        workspace.write(name, text);
        let run = workspace
            .vapiform()
            .args(["validate", "-f", name])
            .run_within(PROMPTLY)
            .code(1);
        assert!(
            run.stderr.contains(
                "error: mappings and lists nest deeper than 64 levels, the most vapiform reads"
            ),
            "{name}: {}",
            &run.stderr[..run.stderr.len().min(400)]
        );
        assert!(
            run.stderr.contains(&format!("--> {at}")),
            "{name}: {}",
            &run.stderr[..run.stderr.len().min(400)]
        );
    }
}

#[cfg(unix)]
#[test]
fn a_device_or_fifo_is_refused_unread() {
    let run = Workspace::new()
        .vapiform()
        .args(["validate", "-f", "/dev/zero"])
        .run_within(PROMPTLY)
        .code(1);
    assert_eq!(
        run.stderr,
        "error: /dev/zero is not a regular file; vapiform reads only regular files\n"
    );
}

#[test]
fn other_encodings_get_a_located_error() {
    let workspace = Workspace::new();
    std::fs::write(
        workspace.path("vapiform.yaml"),
        b"version: 1\nbusinesses:\n  caf\xe9:\n",
    )
    .unwrap();
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr.starts_with(
            "error: the file is not valid UTF-8 (bad byte at offset 28)\n --> vapiform.yaml:3:6\n"
        ),
        "{}",
        run.stderr
    );
    let utf16: Vec<u8> = "\u{feff}version: 1\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(workspace.path("vapiform.yaml"), utf16).unwrap();
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert!(
        run.stderr
            .starts_with("error: the file is UTF-16; save it as UTF-8\n --> vapiform.yaml:1:1\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn business_names_and_vars_are_literal_text() {
    let secret = "s3cr3t-91f0";
    let workspace = Workspace::quickstart();
    let file = workspace
        .read("vapiform.yaml")
        .replace(
            "vars: {hours: \"8am-6pm, emergencies 24/7\"}",
            "vars: {hours: \"${env.HOOK} and $${x}\"}",
        )
        .replace("name: Carol's Cafe", "name: \"Carol's ${env.HOOK}\"");
    assert_eq!(
        file.matches("${env.HOOK}").count(),
        2,
        "the quickstart changed"
    );
    workspace.write("vapiform.yaml", &file);
    workspace
        .sandbox()
        .env("HOOK", secret)
        .args(["apply", "--yes"])
        .run()
        .code(0);
    let account = workspace.read("account.json");
    assert!(
        !account.contains(secret),
        "a var or a name was expanded:\n{account}"
    );
    assert!(
        account.contains("Opening hours: ${env.HOOK} and $${x}."),
        "{account}"
    );
    assert!(
        account.contains("\"name\":\"Carol's ${env.HOOK}\""),
        "{account}"
    );
    workspace
        .sandbox()
        .env("HOOK", secret)
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(0);
}

#[cfg(unix)]
#[test]
fn an_endless_plan_or_account_file_is_refused_after_its_bound() {
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    for args in [
        vec!["show", "/dev/zero"],
        vec!["--sandbox", "/dev/zero", "plan"],
    ] {
        let run = workspace
            .vapiform()
            .args(&args)
            .run_within(std::time::Duration::from_secs(30))
            .code(1);
        assert!(
            run.stderr.contains("larger than 1024 MiB"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
