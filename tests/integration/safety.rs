//! The safety rules through the binary: the mass-change rule, stale saved plans, what prune may
//! delete, `ignore:`, `adopt:`, a reassign being one PATCH, and the sandbox file written whole.
//! Each test names the promise it guards and fails when that promise breaks. (A number changed
//! behind a saved plan's back is `apply::a_stale_saved_plan_is_refused_and_nothing_is_written`.)

use serde_json::{Value, json};
use vapiform::sim::{Account, Options};

use crate::fixtures::{self, by_id, changes, labelled, number, objects, save, uuid};
use crate::support::{Workspace, id_of, route_of, serve};

/// The legacy assistant the mass-change fleet's numbers ring today.
fn legacy_id() -> String {
    uuid(1, 0)
}

/// The assistant the fleet's numbers are moved to.
fn new_home_id() -> String {
    uuid(1, 1)
}

fn fleet_number(i: usize) -> String {
    format!("+1415700{i:04}")
}

/// `routed` numbers ringing a legacy assistant, `unrouted` numbers ringing nobody, and a file
/// that moves the first `moved` routed numbers to another existing assistant: `moved`
/// reassigns and nothing else.
fn movers(routed: usize, unrouted: usize, moved: usize) -> (Account, String) {
    let legacy = legacy_id();
    let phone_numbers = (0..routed + unrouted)
        .map(|i| {
            let assistant = (i < routed).then_some(legacy.as_str());
            number(&uuid(2, i), &fleet_number(i), assistant)
        })
        .collect();
    let assistants = vec![
        fixtures::assistant(&legacy, &json!({"name": "Legacy"})),
        fixtures::assistant(&new_home_id(), &json!({"name": "New home"})),
    ];
    let listed: Vec<String> = (0..moved)
        .map(|i| format!("\"{}\"", fleet_number(i)))
        .collect();
    let file = format!(
        "version: 1\nbusinesses:\n  movers:\n    name: Movers\n    numbers: [{}]\n    assistant: {{id: {}}}\n",
        listed.join(", "),
        new_home_id()
    );
    (
        Account {
            phone_numbers,
            assistants,
            ..Account::default()
        },
        file,
    )
}

/// A sandbox workspace for [`movers`].
fn movers_workspace(routed: usize, unrouted: usize, moved: usize) -> Workspace {
    let (account, file) = movers(routed, unrouted, moved);
    let workspace = Workspace::new();
    workspace.write("vapiform.yaml", &file);
    save(&workspace, &account);
    workspace
}

/// 64 routed numbers make the limit 16, above the floor of 10; the 40 numbers that ring nobody
/// must not raise it.
const ROUTED: usize = 64;
const UNROUTED: usize = 40;
const LIMIT: usize = 16;

#[test]
fn mass_change_rule_allows_25_percent_of_routed_numbers_and_refuses_one_more() {
    let at_limit = movers_workspace(ROUTED, UNROUTED, LIMIT);
    at_limit.sandbox().args(["plan"]).run().code(0);
    at_limit
        .sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(2);

    let over = movers_workspace(ROUTED, UNROUTED, LIMIT + 1);
    let run = over
        .sandbox()
        .args(["plan", "--format", "json"])
        .run()
        .code(5);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["summary"]["reassign"], LIMIT + 1, "{}", run.stdout);
    // The refusal wins over "changes pending".
    over.sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(5);
    over.sandbox()
        .args(["plan", "--detailed-exitcode", "--allow-mass-change"])
        .run()
        .code(2);
}

#[test]
fn mass_change_rule_refuses_apply_and_writes_nothing() {
    let over = movers_workspace(ROUTED, UNROUTED, LIMIT + 1);
    let before = over.read("account.json");
    let run = over.sandbox().args(["apply", "--yes"]).run().code(5);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(over.read("account.json"), before, "nothing written");

    over.sandbox()
        .args(["apply", "--yes", "--allow-mass-change", "--rps", "1000"])
        .run()
        .code(0);
    let account = over.account();
    for i in 0..=LIMIT {
        assert_eq!(
            route_of(&account, &fleet_number(i)),
            Some(new_home_id().as_str())
        );
    }

    let at_limit = movers_workspace(ROUTED, UNROUTED, LIMIT);
    at_limit
        .sandbox()
        .args(["apply", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    assert_eq!(
        route_of(&at_limit.account(), &fleet_number(LIMIT - 1)),
        Some(new_home_id().as_str())
    );
}

#[test]
fn mass_change_rule_refuses_apply_of_a_saved_plan_and_writes_nothing() {
    let over = movers_workspace(ROUTED, UNROUTED, LIMIT + 1);
    over.sandbox()
        .args(["plan", "--out", "plan.json"])
        .run()
        .code(5);
    let before = over.read("account.json");
    let run = over
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(5);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(over.read("account.json"), before, "nothing written");

    let at_limit = movers_workspace(ROUTED, UNROUTED, LIMIT);
    at_limit.save_plan();
    at_limit
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes", "--rps", "1000"])
        .run()
        .code(0);
    assert_eq!(
        route_of(&at_limit.account(), &fleet_number(0)),
        Some(new_home_id().as_str())
    );
}

#[test]
fn mass_change_rule_of_a_saved_plan_is_judged_against_todays_routing() {
    // At the limit when planned: 16 moves of 64 routed numbers.
    let workspace = movers_workspace(ROUTED, UNROUTED, LIMIT);
    workspace.save_plan();
    // Since then, 4 routed numbers the plan does not touch were unrouted in the dashboard:
    // 60 routed numbers make the limit 15, and the saved plan moves 16 callers' numbers.
    let mut account: Value = serde_json::from_str(&workspace.read("account.json")).unwrap();
    let unrouted: Vec<String> = (ROUTED - 4..ROUTED).map(fleet_number).collect();
    for number in account["phoneNumbers"].as_array_mut().unwrap() {
        if unrouted.iter().any(|n| number["number"] == n.as_str()) {
            number["assistantId"] = Value::Null;
        }
    }
    workspace.write("account.json", &account.to_string());
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(5);
    assert!(
        run.stderr
            .contains("16 changes move callers, the limit is 15"),
        "{}",
        run.stderr
    );
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

/// Saves a plan of `workspace`, lets `tamper` change the account behind its back, and asserts
/// that applying the saved plan refuses with exit 4, names `address`, and writes nothing.
#[track_caller]
fn assert_stale(workspace: &Workspace, address: &str, tamper: impl FnOnce(&mut Value)) {
    workspace.save_plan();
    let saved: Value = serde_json::from_str(&workspace.read("plan.json")).unwrap();
    assert!(
        changes(&saved).iter().any(|(a, _)| a == address),
        "the plan changes {address}: {saved}"
    );
    let mut account = workspace.account();
    tamper(&mut account);
    workspace.write("account.json", &serde_json::to_string(&account).unwrap());
    let before = workspace.read("account.json");
    let run = workspace
        .sandbox()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .run()
        .code(4);
    assert!(run.stderr.contains(address), "{}", run.stderr);
    assert_eq!(workspace.read("account.json"), before, "nothing written");
}

#[test]
fn stale_plan_detects_an_assistant_created_behind_its_back() {
    let workspace = Workspace::new();
    save(
        &workspace,
        &Account {
            phone_numbers: vec![number(&uuid(2, 0), "+14155550100", None)],
            assistants: Vec::new(),
            ..Account::default()
        },
    );
    workspace.write(
        "vapiform.yaml",
        "version: 1\nbusinesses:\n  fresh:\n    name: Fresh\n    numbers: [\"+14155550100\"]\n    assistant: {spec: {name: Fresh, firstMessage: Hello}}\n",
    );
    assert_stale(&workspace, "assistant/fresh", |account| {
        // Another apply created it meanwhile, and not as this plan would have.
        let other = labelled(
            &uuid(1, 9),
            "fresh",
            &json!({"name": "Fresh", "firstMessage": "Someone else's"}),
        );
        account["assistants"]
            .as_array_mut()
            .unwrap()
            .push(Value::Object(other));
    });
}

#[test]
fn stale_plan_detects_a_number_imported_behind_its_back() {
    let workspace = Workspace::new();
    let target = uuid(1, 0);
    save(
        &workspace,
        &Account {
            phone_numbers: Vec::new(),
            assistants: vec![fixtures::assistant(&target, &json!({"name": "Desk"}))],
            ..Account::default()
        },
    );
    workspace.write(
        "vapiform.yaml",
        &format!(
            "version: 1\nimport: {{provider: telnyx, credentialId: {}}}\nbusinesses:\n  desk:\n    name: Desk\n    numbers: [\"+14155550100\"]\n    assistant: {{id: {target}}}\n",
            fixtures::CREDENTIAL
        ),
    );
    assert_stale(&workspace, "number/+14155550100", |account| {
        // Imported by someone else, ringing nobody: not what the plan would have made.
        let imported = number(&uuid(2, 9), "+14155550100", None);
        account["phoneNumbers"]
            .as_array_mut()
            .unwrap()
            .push(Value::Object(imported));
    });
}

#[test]
fn stale_plan_detects_an_assistant_edited_behind_its_back() {
    let workspace = Workspace::new();
    let acme = uuid(1, 0);
    save(
        &workspace,
        &Account {
            phone_numbers: vec![number(&uuid(2, 0), "+14155550100", Some(&acme))],
            assistants: vec![labelled(
                &acme,
                "acme",
                &json!({"name": "Acme", "firstMessage": "A"}),
            )],
            ..Account::default()
        },
    );
    workspace.write(
        "vapiform.yaml",
        "version: 1\nbusinesses:\n  acme:\n    name: Acme\n    numbers: [\"+14155550100\"]\n    assistant: {spec: {name: Acme, firstMessage: B}}\n",
    );
    assert_stale(&workspace, "assistant/acme", |account| {
        let acme = account["assistants"][0].as_object_mut().unwrap();
        acme.insert("firstMessage".into(), json!("C"));
        acme.insert("updatedAt".into(), json!("2026-02-01T00:00:00.000Z"));
    });
}

/// An account with a labelled assistant nobody routes to (`gone`), a labelled one a number no
/// business lists still rings (`held`), an unlabelled one nobody routes to (`legacy`), and the
/// declared `kept`; a file declaring only `kept`.
fn prune_candidates(prune: bool) -> Workspace {
    let workspace = Workspace::new();
    let [gone, held, legacy, kept] = [0, 1, 2, 3].map(|i| uuid(1, i));
    save(
        &workspace,
        &Account {
            phone_numbers: vec![
                number(&uuid(2, 0), "+14155550100", Some(&kept)),
                number(&uuid(2, 1), "+14155550101", Some(&held)),
            ],
            assistants: vec![
                labelled(&gone, "gone", &json!({"name": "Gone"})),
                labelled(&held, "held", &json!({"name": "Held"})),
                fixtures::assistant(&legacy, &json!({"name": "Legacy"})),
                labelled(&kept, "kept", &json!({"name": "Kept"})),
            ],
            ..Account::default()
        },
    );
    workspace.write(
        "vapiform.yaml",
        &format!(
            "version: 1\nprune: {prune}\nbusinesses:\n  kept:\n    name: Kept\n    numbers: [\"+14155550100\"]\n    assistant: {{spec: {{name: Kept}}}}\n"
        ),
    );
    workspace
}

fn assistant_ids(workspace: &Workspace) -> Vec<String> {
    let mut ids: Vec<String> = objects(&workspace.account(), "assistants")
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn prune_deletes_only_labelled_undeclared_unrouted_assistants_and_only_when_on() {
    let all: Vec<String> = (0..4).map(|i| uuid(1, i)).collect();

    // Off: nothing is deleted, however undeclared.
    let off = prune_candidates(false);
    off.sandbox().args(["apply", "--yes"]).run().code(0);
    assert_eq!(assistant_ids(&off), all, "prune is off");

    // On, from the file or the flag: only `gone`. `held` still takes calls and `legacy` was
    // never vapiform's.
    for (workspace, flag) in [
        (prune_candidates(true), None),
        (prune_candidates(false), Some("--prune")),
    ] {
        let run = workspace
            .sandbox()
            .args(["plan", "--format", "json"])
            .args(flag)
            .run()
            .code(0);
        let plan: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            changes(&plan),
            [("assistant/gone".to_owned(), "delete".to_owned())],
            "{flag:?}"
        );
        workspace
            .sandbox()
            .args(["apply", "--yes"])
            .args(flag)
            .run()
            .code(0);
        assert_eq!(assistant_ids(&workspace), all[1..], "{flag:?}");
    }
}

#[test]
fn ignored_numbers_are_never_touched() {
    let workspace = Workspace::new();
    let legacy = uuid(1, 0);
    save(
        &workspace,
        &Account {
            phone_numbers: vec![
                number(&uuid(2, 0), "+14155550100", Some(&legacy)),
                number(&uuid(2, 1), "+14155550199", Some(&legacy)),
            ],
            assistants: vec![fixtures::assistant(&legacy, &json!({"name": "Legacy"}))],
            ..Account::default()
        },
    );
    // Unassigned numbers are unlinked, except the ignored one.
    workspace.write(
        "vapiform.yaml",
        "version: 1\nunassigned: unlink\nignore:\n  numbers: [\"+14155550199\"]\n",
    );
    let before = by_id(&workspace.account(), "phoneNumbers", &uuid(2, 1)).clone();
    let plan = workspace.plan_json();
    assert_eq!(
        changes(&plan),
        [("number/+14155550100".to_owned(), "unlink".to_owned())]
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(route_of(&account, "+14155550100"), None);
    assert_eq!(
        by_id(&account, "phoneNumbers", &uuid(2, 1)),
        &before,
        "the ignored number is exactly as it was"
    );
}

#[test]
fn adopt_labels_the_existing_assistant_and_keeps_its_id() {
    let workspace = Workspace::new();
    let existing = uuid(1, 0);
    save(
        &workspace,
        &Account {
            phone_numbers: vec![number(&uuid(2, 0), "+14155550100", None)],
            assistants: vec![fixtures::assistant(
                &existing,
                &json!({"name": "Acme", "firstMessage": "Old greeting", "metadata": {"signup": 7}}),
            )],
            ..Account::default()
        },
    );
    workspace.write(
        "vapiform.yaml",
        &format!(
            "version: 1\nbusinesses:\n  acme:\n    name: Acme\n    numbers: [\"+14155550100\"]\n    assistant:\n      spec: {{name: Acme, firstMessage: New greeting}}\n      adopt: {existing}\n"
        ),
    );
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let account = workspace.account();
    assert_eq!(objects(&account, "assistants").len(), 1, "nothing created");
    assert_eq!(id_of(&account, "acme"), Some(existing.as_str()));
    let adopted = by_id(&account, "assistants", &existing);
    assert_eq!(adopted["firstMessage"], "New greeting");
    assert_eq!(adopted["metadata"]["signup"], 7, "other metadata kept");
    assert_eq!(route_of(&account, "+14155550100"), Some(existing.as_str()));
    workspace
        .sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassign_is_one_patch_so_the_number_is_never_unrouted() {
    let (account, file) = movers(3, 0, 1);
    let options = Options {
        account: Some(account),
        ..Options::default()
    };
    let (running, workspace) = serve(options, &file).await;
    workspace
        .vapiform()
        .args(["--api-url", &running.url(), "apply", "--yes"])
        .run_async()
        .await
        .code(0);
    let stats = running.stats();
    let writes: Vec<(&String, &u64)> = stats
        .by_route
        .iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .collect();
    assert_eq!(
        writes,
        [(&"PATCH /phone-number/{id}".to_owned(), &1)],
        "{stats:?}"
    );
    assert_eq!(
        route_of(&workspace.account(), &fleet_number(0)),
        Some(new_home_id().as_str())
    );
    running.shutdown().await;
}

#[test]
fn the_sandbox_file_is_replaced_whole_on_every_write() {
    use std::io::Read as _;
    use std::os::unix::fs::MetadataExt as _;
    use std::sync::atomic::{AtomicBool, Ordering};

    let workspace = movers_workspace(64, 0, 48);
    let path = workspace.path("account.json");
    // Held open, the original file keeps its inode (no new file can reuse it) and shows
    // whether anything wrote into it.
    let before = std::fs::read(&path).unwrap();
    let mut original = std::fs::File::open(&path).unwrap();
    let done = AtomicBool::new(false);
    let (reads, torn) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut reads, mut torn) = (0, 0);
            while !done.load(Ordering::Relaxed) {
                let bytes = std::fs::read(&path).unwrap();
                reads += 1;
                if serde_json::from_slice::<Value>(&bytes).is_err() {
                    torn += 1;
                }
            }
            (reads, torn)
        });
        workspace
            .sandbox()
            .args(["apply", "--yes", "--allow-mass-change", "--rps", "1000"])
            .run()
            .code(0);
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert_eq!(torn, 0, "{torn} of {reads} reads saw a partly written file");
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        original.metadata().unwrap().ino(),
        "the file was replaced by a rename"
    );
    let mut kept = Vec::new();
    original.read_to_end(&mut kept).unwrap();
    assert_eq!(kept, before, "the original file was never written into");
    let mut names: Vec<String> = std::fs::read_dir(workspace.path("."))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["account.json", "vapiform.yaml"],
        "no temporary file left"
    );
    let account = workspace.account();
    assert!(
        (0..48).all(|i| route_of(&account, &fleet_number(i)) == Some(new_home_id().as_str())),
        "every write landed"
    );
}
