//! The API key and `${env.*}` values never appear in output, logs or files vapiform writes,
//! at the highest verbosity, for every command.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use vapiform::sim::{self, Options};

use crate::support::{KEY, Run, Workspace, serve_json};

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
        "voice: {provider: \"${env.VOICE_PROVIDER}\", voiceId: x}\n    server",
    );
    assert!(broken.contains("VOICE_PROVIDER"), "the file was broken");
    workspace.write("vapiform.yaml", &broken);
    let run = vapiform()
        .env("VOICE_PROVIDER", "no-such-voice")
        .args(["apply", "--yes"])
        .run()
        .code(3);
    assert!(run.stdout.contains("400 Bad Request"), "{}", run.stdout);
    clean(&run, "failing apply");
}

/// This machine's address on the interface traffic to another host leaves from: not a
/// loopback address. Connecting a UDP socket sends nothing.
fn outbound_address() -> IpAddr {
    let socket = UdpSocket::bind("0.0.0.0:0").expect("udp socket");
    socket
        .connect("192.0.2.1:9")
        .expect("this machine has a route to another host");
    let address = socket.local_addr().expect("local address").ip();
    assert!(!address.is_loopback(), "{address}");
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_never_sent_over_plain_http_to_another_host() {
    let running = sim::start(Options {
        listen: SocketAddr::new(outbound_address(), 0),
        ..Options::default()
    })
    .await
    .unwrap();
    let url = running.url();
    let with_password = url.replacen("http://", "http://ops:hunter2@", 1);
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    for (how, run) in [
        (
            "--api-url",
            workspace
                .vapiform()
                .args(["-vv", "--api-url", &with_password, "plan"]),
        ),
        (
            "VAPI_BASE_URL",
            workspace
                .vapiform()
                .env("VAPI_BASE_URL", &with_password)
                .args(["-vv", "export"]),
        ),
    ] {
        let run = run.run_async().await.code(1);
        assert!(
            run.stderr.contains(&format!(
                "refusing to send the API key over plain http to {url}/: use an https:// URL, or a loopback address"
            )),
            "{how}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hunter2"), "{how}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{how}: {}", run.stdout);
    }
    assert_eq!(running.stats().total, 0, "no request reached the server");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_redact_url_userinfo_and_secret_parameters() {
    let url = serve_json(Vec::new()).await;
    let url =
        url.replacen("http://", "http://ops:hunter2@", 1) + "/?access_token=t0k3n-91&region=eu";
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", "version: 1\n");
    let run = workspace
        .vapiform()
        .args(["-vvv", "--api-url", &url, "plan"])
        .run_async()
        .await
        .code(0);
    assert_eq!(run.stdout, "No changes.\n");
    assert!(
        run.stderr.contains("access_token=REDACTED&region=eu"),
        "the base URL is logged, redacted: {}",
        run.stderr
    );
    for secret in ["hunter2", "ops:", "t0k3n-91"] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} logged: {}",
            run.stderr
        );
    }
}

#[test]
fn api_key_variables_cannot_be_placeholders() {
    let workspace = Workspace::quickstart();
    let file = workspace
        .read("vapiform.yaml")
        .replace(
            "Take the caller's name",
            "Our key is ${env.VAPI_API_KEY}. Take the caller's name",
        )
        .replace(
            "firstMessage: This number is not in service. Goodbye.",
            "firstMessage: \"${env.TELNYX_API_KEY}\"",
        );
    assert_eq!(
        file.matches("_API_KEY}").count(),
        2,
        "the quickstart changed"
    );
    workspace.write("vapiform.yaml", &file);
    let line = |needle: &str| {
        1 + file
            .lines()
            .position(|l| l.contains(needle))
            .expect("the line is in the file")
    };
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    for (variable, path) in [
        (
            "VAPI_API_KEY",
            "templates.receptionist.model.messages[0].content",
        ),
        ("TELNYX_API_KEY", "assistants.not-in-service.firstMessage"),
    ] {
        assert!(
            run.stderr.contains(&format!(
                "error: `${{env.{variable}}}` is an API key of vapiform's own and cannot be a placeholder"
            )),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("at {path}\n")),
            "{}",
            run.stderr
        );
        let at = format!(
            "vapiform.yaml:{}:",
            line(if variable == "VAPI_API_KEY" {
                "You answer the phone for"
            } else {
                "TELNYX"
            })
        );
        assert!(run.stderr.contains(&at), "{at}: {}", run.stderr);
    }
    // Nothing is planned or sent, whatever the environment holds.
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert!(
        run.stdout.is_empty() && run.stderr.contains("VAPI_API_KEY"),
        "{}",
        run.stderr
    );
}
