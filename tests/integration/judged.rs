//! Bodies judged offline by Vapi's published schema: `validate` refuses what Vapi would, each
//! problem located where it is written, and accepts what the examples write.

use std::fmt::Write as _;

use serde_json::Value;
use vapiform::vapi::schema::{self, Dto, PhoneProvider};

use crate::support::{Workspace, example};

/// The problems `validate` printed, one string each (message, location, line, path).
fn problems(stderr: &str) -> Vec<String> {
    stderr.split("error: ").skip(1).map(str::to_owned).collect()
}

/// The one problem located at `place` (`FILE:LINE:COLUMN`) that says `says`; it must name
/// every one of `naming`.
#[track_caller]
fn assert_problem(stderr: &str, place: &str, says: &str, naming: &[&str]) {
    let found: Vec<String> = problems(stderr)
        .into_iter()
        .filter(|problem| problem.contains(&format!("--> {place}\n")) && problem.contains(says))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one problem at {place} saying {says:?}:\n{stderr}"
    );
    for name in naming {
        assert!(
            found[0].contains(name),
            "the problem at {place} does not name {name}:\n{}",
            found[0]
        );
    }
}

const ASSISTANTS: &str = r#"version: 1
templates:
  receptionist:
    name: "${business.name}"
    latestVersion: v1
    isServerUrlSecretSet: true
    workflowIds: []
    serverUrl: https://hooks.example.com/old
    firstMessageMode: "${vars.mode}"
    voice: {provider: vapi, voiceId: Elliot, enableSsmlParsing: true}
    server: {url: "${env.HOOK_URL}", headers: {authorization: "Bearer ${env.HOOK_TOKEN}"}}
    firstMessageInterruptionsEnabled: "${env.INTERRUPTIBLE}"
assistants:
  front-desk:
    name: Front desk
    maxDurationSeconds: 5
businesses:
  acme-plumbing:
    name: Acme Plumbing
    numbers: ["+14155550100"]
    assistant: {template: receptionist, vars: {mode: bogus}}
  bobs-bakery:
    name: Bob's Bakery
    numbers: ["+14155550101"]
    assistant:
      template: receptionist
      vars: {mode: assistant-waits-for-user}
      overrides:
        maxDurationSeconds: 5
  carols-cafe:
    name: Carol's Cafe
    numbers: ["+14155550102"]
    assistant:
      spec: {name: Carol, firstMessageMode: bogus}
"#;

#[test]
fn validate_refuses_assistant_bodies_vapi_would_refuse_where_they_are_written() {
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", ASSISTANTS);
    let run = workspace
        .vapiform()
        .args(["validate"])
        .env("HOOK_TOKEN", "hook-token-never-shown")
        .env("HOOK_URL", "https://hooks.example.com/never-shown")
        .run()
        .code(1);
    let err = &run.stderr;
    let both = ["`acme-plumbing`", "`bobs-bakery`"];
    for (line, property) in [
        (5, "latestVersion"),
        (6, "isServerUrlSecretSet"),
        (7, "workflowIds"),
        (8, "serverUrl"),
    ] {
        assert_problem(
            err,
            &format!("vapiform.yaml:{line}:5"),
            &format!(
                "property {property} should not exist: Vapi would refuse it (CreateAssistantDTO), in the assistants expanded for businesses"
            ),
            &both,
        );
    }
    assert_problem(
        err,
        "vapiform.yaml:10:46",
        "property enableSsmlParsing should not exist",
        &both,
    );
    // A `${vars.*}` is judged filled, for the business that fills it.
    assert_problem(
        err,
        "vapiform.yaml:9:5",
        "firstMessageMode must be one of the following values: assistant-speaks-first, ",
        &["in the assistant expanded for business `acme-plumbing`"],
    );
    // A placeholder is a string: where a number is wanted, it is refused.
    assert_problem(
        err,
        "vapiform.yaml:12:5",
        "firstMessageInterruptionsEnabled must be a boolean value",
        &both,
    );
    assert_problem(
        err,
        "vapiform.yaml:16:5",
        "maxDurationSeconds must not be less than 10",
        &["= at assistants.front-desk.maxDurationSeconds"],
    );
    assert_problem(
        err,
        "vapiform.yaml:29:9",
        "maxDurationSeconds must not be less than 10",
        &["= at businesses.bobs-bakery.assistant.overrides.maxDurationSeconds"],
    );
    assert_problem(
        err,
        "vapiform.yaml:34:27",
        "firstMessageMode must be one of the following values",
        &["= at businesses.carols-cafe.assistant.spec.firstMessageMode"],
    );
    // `${env.*}` in a URL or a header is no problem, and its value is never shown.
    assert!(
        !err.contains("= at templates.receptionist.server.")
            && !err.contains("= at templates.receptionist.server\n"),
        "{err}"
    );
    assert!(!err.contains("never-shown"), "{err}");
    assert_eq!(problems(err).len(), 10, "{err}");
}

#[test]
fn plan_refuses_the_same_bodies_before_sending_anything() {
    let workspace = Workspace::quickstart();
    let file = ASSISTANTS.replace("+1415555", "+1415666");
    workspace.write("vapiform.yaml", &file);
    let before = workspace.read("account.json");
    let run = workspace.sandbox().args(["plan"]).run().code(1);
    assert_problem(
        &run.stderr,
        "vapiform.yaml:5:5",
        "property latestVersion should not exist",
        &["`acme-plumbing`"],
    );
    assert_eq!(workspace.read("account.json"), before);
}

#[test]
fn a_problem_of_a_template_names_a_few_of_its_many_businesses() {
    let mut file = String::from(
        "version: 1\ntemplates:\n  t:\n    name: T\n    maxDurationSeconds: 5\nbusinesses:\n",
    );
    for i in 0..12 {
        let _ = write!(
            file,
            "  b{i:02}:\n    name: B{i}\n    numbers: [\"+141555501{i:02}\"]\n    assistant: {{template: t}}\n"
        );
    }
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert_problem(
        &run.stderr,
        "vapiform.yaml:5:5",
        "maxDurationSeconds must not be less than 10",
        &["in the assistants expanded for 12 businesses (`b00`, `b01`, `b02`, and 9 more)"],
    );
    assert_eq!(problems(&run.stderr).len(), 1, "{}", run.stderr);
}

#[test]
fn validate_refuses_phone_settings_and_the_say_hook_vapi_would_refuse() {
    let prefixes: Vec<String> = vec!["1".repeat(21), "1415".to_owned()];
    let file = format!(
        r#"version: 1
unassigned: {{say: "{say}"}}
businesses:
  acme:
    name: Acme
    phone:
      server: {{url: "${{env.HOOK_URL}}", secret: "s3cr3t", timeoutSeconds: 999}}
      hooks:
        - on: call.ringing
          filters: [{{type: startsWith, key: number, startsWith: {prefixes:?}}}]
          do: [{{type: say, exact: Closed today.}}]
    numbers:
      - "+14155550100"
      - {{number: "+14155550101", fallbackDestination: {{type: number, number: "+14155559999", bogus: 1}}}}
    assistant: {{id: a1}}
"#,
        say = "a".repeat(4001),
    );
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    let run = workspace
        .vapiform()
        .args(["validate"])
        .env("HOOK_URL", "https://hooks.example.com/never-shown")
        .run()
        .code(1);
    let err = &run.stderr;
    assert_problem(
        err,
        "vapiform.yaml:2:19",
        "exact must be shorter than or equal to 4000 characters: Vapi would refuse it (UpdateTelnyxPhoneNumberDTO)",
        &["= at unassigned.say"],
    );
    assert_problem(
        err,
        "vapiform.yaml:7:40",
        "property secret should not exist",
        &["= at businesses.acme.phone.server.secret"],
    );
    assert_problem(
        err,
        "vapiform.yaml:7:58",
        "timeoutSeconds must not be greater than 300",
        &[],
    );
    assert_problem(
        err,
        "vapiform.yaml:10:66",
        "each value in startsWith must be shorter than or equal to 20 characters",
        &["= at businesses.acme.phone.hooks[0].filters[0].startsWith[0]"],
    );
    // A number's own settings are located in its entry.
    assert_problem(
        err,
        "vapiform.yaml:14:94",
        "property bogus should not exist",
        &["= at businesses.acme.numbers[1].fallbackDestination.bogus"],
    );
    assert!(!err.contains("never-shown"), "{err}");
    assert_eq!(problems(err).len(), 5, "{err}");
}

#[test]
fn the_import_body_is_judged_by_its_providers_create_dto() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        "version: 1\nimport: {provider: telnyx, credentialId: c1, smsEnabled: true}\nbusinesses: {}\n",
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert_problem(
        &run.stderr,
        "vapiform.yaml:2:46",
        "property smsEnabled should not exist: Vapi would refuse it (CreateTelnyxPhoneNumberDTO)",
        &[],
    );
    workspace.write(
        "vapiform.yaml",
        "version: 1\nimport: {provider: twilio, twilioAccountSid: AC1, twilioAuthToken: \"${env.TWILIO_TOKEN}\", smsEnabled: true}\nbusinesses: {}\n",
    );
    workspace.vapiform().args(["validate"]).run().code(0);
}

#[test]
fn the_quickstart_accounts_objects_pass_vapis_response_shapes() {
    let account: Value =
        serde_json::from_str(&std::fs::read_to_string(example("quickstart/account.json")).unwrap())
            .unwrap();
    for assistant in account["assistants"].as_array().unwrap() {
        assert_eq!(schema::check(Dto::Assistant, assistant), [], "{assistant}");
    }
    let numbers = account["phoneNumbers"].as_array().unwrap();
    assert!(!numbers.is_empty());
    for number in numbers {
        let provider = PhoneProvider::from_wire(number["provider"].as_str().unwrap()).unwrap();
        assert_eq!(
            schema::check(Dto::PhoneNumber(provider), number),
            [],
            "{number}"
        );
    }
}

#[test]
fn a_business_whose_vars_overflow_a_templates_field_is_named() {
    let workspace = Workspace::new();
    workspace.write(
        "vapiform.yaml",
        &format!(
            "version: 1\ntemplates:\n  t:\n    name: \"${{business.name}}\"\n    voicemailMessage: \"Leave a message for ${{vars.who}}.\"\nbusinesses:\n  long:\n    name: Long\n    assistant: {{template: t, vars: {{who: {}}}}}\n  short:\n    name: Short\n    assistant: {{template: t, vars: {{who: Sam}}}}\n",
            "x".repeat(1000)
        ),
    );
    let run = workspace.vapiform().args(["validate"]).run().code(1);
    assert_problem(
        &run.stderr,
        "vapiform.yaml:5:5",
        "voicemailMessage must be shorter than or equal to 1000 characters",
        &["in the assistant expanded for business `long`"],
    );
    assert_eq!(problems(&run.stderr).len(), 1, "{}", run.stderr);
}
