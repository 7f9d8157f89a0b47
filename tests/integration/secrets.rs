//! The API key and `${env.*}` values never appear in output, logs or files vapiform writes,
//! at the highest verbosity, for every command.

use crate::support::{KEY, Run, Workspace};

const SECRET: &str = "hook-secret-7d3e91aa";

#[track_caller]
fn clean(run: &Run, what: &str) {
    for needle in [SECRET, KEY] {
        assert!(
            !run.stdout.contains(needle),
            "{what}: stdout leaks {needle}:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(needle),
            "{what}: stderr leaks {needle}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn no_command_leaks_the_key_or_an_env_secret() {
    let workspace = Workspace::quickstart();
    workspace.add_hook_token();
    let vapiform = || workspace.sandbox().env("HOOK_TOKEN", SECRET).args(["-vvv"]);

    clean(&vapiform().args(["validate"]).run().code(0), "validate");
    for format in ["text", "markdown", "json"] {
        clean(
            &vapiform()
                .args(["plan", "--format", format, "--out", "plan.json"])
                .run()
                .code(0),
            "plan",
        );
        clean(
            &vapiform()
                .args(["show", "plan.json", "--format", format])
                .run()
                .code(0),
            "show",
        );
    }
    assert!(
        !workspace.read("plan.json").contains(SECRET),
        "the plan file keeps references only"
    );
    let run = vapiform()
        .args(["apply", "--plan", "plan.json", "--yes", "--format", "json"])
        .run()
        .code(0);
    clean(&run, "apply");
    let run = vapiform().args(["apply", "--yes"]).run().code(0);
    clean(&run, "second apply");
    // The secret reached the (simulated) account, where it belongs.
    assert!(workspace.read("account.json").contains(SECRET));

    let run = vapiform()
        .args(["export", "-o", "exported.yaml"])
        .run()
        .code(0);
    clean(&run, "export");
    let exported = workspace.read("exported.yaml");
    assert!(
        !exported.contains(SECRET),
        "export writes a reference, not the secret:\n{exported}"
    );
    let variable = "VAPIFORM_ACME_PLUMBING_SERVER_HEADERS_X_TOKEN";
    assert!(
        exported.contains(&format!("${{env.{variable}}}")) && run.stderr.contains(variable),
        "{}",
        run.stderr
    );
    // With the variable set, the exported file plans to no changes.
    let run = workspace
        .sandbox()
        .env(variable, SECRET)
        .env("VAPIFORM_CAROLS_CAFE_SERVER_HEADERS_X_TOKEN", SECRET)
        .args(["plan", "-f", "exported.yaml", "--detailed-exitcode"])
        .run();
    clean(&run, "plan of the export");
    assert_eq!(run.code, 0, "{}", run.stdout);

    clean(&vapiform().args(["schema"]).run().code(0), "schema");
    clean(
        &vapiform().args(["completions", "zsh"]).run().code(0),
        "completions",
    );
    // Errors too: a rejected write names the request, not the key.
    let broken = workspace.read("vapiform.yaml").replace(
        "voice: {provider: vapi, voiceId: Elliot}\n    server",
        "voice: {provider: no-such-voice, voiceId: x}\n    server",
    );
    assert!(broken.contains("no-such-voice"), "the file was broken");
    workspace.write("vapiform.yaml", &broken);
    let run = vapiform().args(["apply", "--yes"]).run().code(3);
    assert!(run.stdout.contains("400 Bad Request"), "{}", run.stdout);
    clean(&run, "failing apply");
}
