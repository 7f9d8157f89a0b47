//! A desired state as a folder: `vapiform.yaml` plus `businesses/**/*.yaml`, read, checked and
//! planned as one file is, every problem in the file that holds it; `export --split` writes it.

use crate::support::Workspace;

/// The quickstart's businesses, one file each (Bob's in a subfolder), and its root file
/// without them.
const ACME: &str = "acme-plumbing:
  name: Acme Plumbing
  numbers: [\"+14155550100\", \"+1 (415) 555-0101\"]
  assistant:
    template: receptionist
    vars: {hours: \"8am-6pm, emergencies 24/7\"}
";
const BOB: &str = "# yaml-language-server: $schema=../../businesses.schema.json
bobs-bakery:
  name: Bob's Bakery
  numbers: [\"+14155550102\"]
  assistant: {id: 7f3c1e2a-5b6d-4c8e-9f01-23456789abcd}
";
const CAROL: &str = "carols-cafe:
  name: Carol's Cafe
  numbers: [\"+14155550104\"]
  assistant:
    template: receptionist
    vars: {hours: \"7am-3pm\"}
";

/// The quickstart as a folder `fleet/`, beside the quickstart's own file and account.
fn quickstart_folder() -> Workspace {
    let workspace = Workspace::quickstart();
    let file = workspace.read("vapiform.yaml");
    let (root, businesses) = file
        .split_once("businesses:\n")
        .expect("quickstart businesses");
    assert_eq!(
        businesses,
        format!(
            "{}{}{}",
            indent(ACME),
            indent(BOB.split_once('\n').unwrap().1),
            indent(CAROL)
        ),
        "the quickstart's businesses changed"
    );
    std::fs::create_dir_all(workspace.path("fleet/businesses/west")).unwrap();
    workspace.write("fleet/vapiform.yaml", root);
    workspace.write("fleet/businesses/acme-plumbing.yaml", ACME);
    workspace.write("fleet/businesses/west/bobs-bakery.yaml", BOB);
    workspace.write("fleet/businesses/carols-cafe.yaml", CAROL);
    workspace
}

fn indent(text: &str) -> String {
    text.lines().flat_map(|line| ["  ", line, "\n"]).collect()
}

#[test]
fn a_folder_plans_like_the_same_content_in_one_file() {
    let workspace = quickstart_folder();
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(0);
    assert_eq!(
        run.stdout,
        "fleet (fleet/vapiform.yaml and 3 business files) is valid: 3 businesses, 4 numbers, 3 managed assistants.\n"
    );
    for format in ["json", "text", "markdown"] {
        let one_file = workspace
            .sandbox()
            .args(["plan", "--format", format])
            .run()
            .code(0);
        for folder in ["fleet", "fleet/vapiform.yaml"] {
            let run = workspace
                .sandbox()
                .args(["plan", "--format", format, "-f", folder])
                .run()
                .code(0);
            assert_eq!(run.stdout, one_file.stdout, "{format} of {folder}");
        }
    }
    // Applying the folder converges like the file does.
    workspace
        .sandbox()
        .args(["apply", "--yes", "-f", "fleet"])
        .run()
        .code(0);
    let run = workspace
        .sandbox()
        .args(["plan", "--detailed-exitcode", "-f", "fleet"])
        .run()
        .code(0);
    assert!(run.stdout.starts_with("No changes."), "{}", run.stdout);
}

#[test]
fn the_folder_example_plans_like_the_quickstart() {
    let workspace = Workspace::quickstart();
    let one_file = workspace.sandbox().args(["plan"]).run().code(0);
    let folder = workspace
        .sandbox()
        .args(["plan", "-f"])
        .arg_path(&crate::support::example("folder"))
        .run()
        .code(0);
    assert_eq!(folder.stdout, one_file.stdout);
}

#[test]
fn a_number_or_key_claimed_in_two_files_names_both_places() {
    let workspace = quickstart_folder();
    workspace.write(
        "fleet/businesses/west/bobs-bakery.yaml",
        &BOB.replace("+14155550102", "+14155550101"),
    );
    workspace.write(
        "fleet/businesses/zz-carol-again.yaml",
        "carols-cafe:\n  name: Carol again\n  assistant: {id: x}\n",
    );
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    let expected_number = "error: number +14155550101 is already listed in business `acme-plumbing`; a number belongs to at most one business; the first listing is at fleet/businesses/acme-plumbing.yaml:3:29\n \
         --> fleet/businesses/west/bobs-bakery.yaml:4:13\n";
    assert!(run.stderr.contains(expected_number), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("4 |   numbers: [\"+14155550101\"]\n  |             ^"),
        "a caret under the number: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("= at bobs-bakery.numbers[0]"),
        "the path in its file: {}",
        run.stderr
    );
    let expected_key = "error: business `carols-cafe` is declared in two files; a business key is declared once; the other declaration is at fleet/businesses/carols-cafe.yaml:1:1\n \
         --> fleet/businesses/zz-carol-again.yaml:1:1\n";
    assert!(run.stderr.contains(expected_key), "{}", run.stderr);
}

#[test]
fn every_file_is_checked_and_each_problem_shown_in_its_file() {
    let workspace = quickstart_folder();
    workspace.write(
        "fleet/businesses/carols-cafe.yaml",
        &CAROL.replace("template: receptionist", "template: receptionst"),
    );
    workspace.write("fleet/businesses/broken.yaml", "dans-deli: {name: [\n");
    workspace.write("fleet/businesses/list.yaml", "- not a mapping\n");
    workspace.write("fleet/businesses/empty.yaml", "");
    workspace.write("fleet/businesses/typo.yml", "x: 1\n");
    workspace.write("fleet/businesses/README.md", "not read\n");
    workspace.write("fleet/businesses/.hidden.yaml", "not: read\n");
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    for expected in [
        "error: unknown template `receptionst`: it is not declared under `templates`, did you mean `receptionist`?\n --> fleet/businesses/carols-cafe.yaml:5:15",
        "--> fleet/businesses/broken.yaml:2:1",
        "error: a business file must be a mapping of business key to business, like `acme-plumbing: {name: Acme Plumbing, ...}`\n --> fleet/businesses/list.yaml:1:1",
        "error: the file is empty; a business file is a mapping of business key to business\n--> fleet/businesses/empty.yaml:1:1",
        "error: fleet/businesses/typo.yml is not a business file: business files end in `.yaml` (lower case); rename it so that vapiform reads it, or move it out of businesses/\n\n",
        "error: fleet/businesses/README.md is not a business file",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected}\nin\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("hidden"), "{}", run.stderr);
}

#[test]
fn no_file_under_businesses_is_silently_left_out() {
    let workspace = quickstart_folder();
    for name in ["x.YAML", "x.yaml.bak", "x.json"] {
        workspace.write(&format!("fleet/businesses/{name}"), "x: 1\n");
    }
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    for name in ["x.YAML", "x.yaml.bak", "x.json"] {
        assert!(
            run.stderr
                .contains(&format!("fleet/businesses/{name} is not a business file")),
            "{name}: {}",
            run.stderr
        );
    }
}

#[test]
fn businesses_must_be_a_folder() {
    let workspace = quickstart_folder();
    std::fs::remove_dir_all(workspace.path("fleet/businesses")).unwrap();
    workspace.write("fleet/businesses", "acme-plumbing: {}\n");
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("error: fleet/businesses must be a folder of business files"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_planning_problem_in_a_business_file_is_shown_at_its_line() {
    let workspace = quickstart_folder();
    workspace.write(
        "fleet/businesses/west/bobs-bakery.yaml",
        &BOB.replace("7f3c1e2a-5b6d-4c8e-9f01-23456789abcd", "no-such-assistant"),
    );
    let run = workspace
        .sandbox()
        .args(["plan", "-f", "fleet"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains(
            "error: no assistant with id no-such-assistant in the account\n \
             --> fleet/businesses/west/bobs-bakery.yaml:5:3\n  |\n5 |   assistant: {id: no-such-assistant}\n  |   ^"
        ),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn links_inside_the_folder_are_read_and_links_out_of_it_refused_unread() {
    let workspace = quickstart_folder();
    // A link to a file inside the folder is read like the file.
    std::fs::rename(
        workspace.path("fleet/businesses/carols-cafe.yaml"),
        workspace.path("fleet/carol.yaml.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../carol.yaml.txt",
        workspace.path("fleet/businesses/carols-cafe.yaml"),
    )
    .unwrap();
    workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(0);
    // A link out of it (here to a file holding a secret, as the runner's environment would)
    // is refused, and nothing of the target is quoted.
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("environ.yaml");
    std::fs::write(&secret, "VAPI_API_KEY=sk-live-0123456789\n").unwrap();
    std::os::unix::fs::symlink(&secret, workspace.path("fleet/businesses/evil.yaml")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), workspace.path("fleet/businesses/away")).unwrap();
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("fleet/businesses/evil.yaml leads outside")
            && run.stderr.contains("fleet/businesses/away leads outside")
            && !run.stderr.contains("sk-live"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(workspace.path("fleet/businesses/evil.yaml")).unwrap();
    std::fs::remove_file(workspace.path("fleet/businesses/away")).unwrap();
    // The desired file itself, as a link out of its folder, likewise.
    std::os::unix::fs::symlink(&secret, workspace.path("linked.yaml")).unwrap();
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "linked.yaml"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("linked.yaml leads outside") && !run.stderr.contains("sk-live"),
        "{}",
        run.stderr
    );
    std::os::unix::fs::symlink("..", workspace.path("fleet/businesses/west/up")).unwrap();
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run_within(std::time::Duration::from_secs(10))
        .code(1);
    assert!(
        run.stderr.contains(
            "error: fleet/businesses/west/up leads back to a folder that contains it (a symlink loop); vapiform does not follow it"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_folder_is_bounded_like_one_file() {
    let workspace = quickstart_folder();
    // Each file alone is small; together they pass 64 MiB.
    let padding = format!("# {}\n", "x".repeat(9 * 1024 * 1024));
    for i in 0..8 {
        workspace.write(
            &format!("fleet/businesses/pad-{i}.yaml"),
            &format!("{padding}{{}}\n"),
        );
    }
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains(
            "error: with this file, the folder's files are together larger than 64 MiB, the most vapiform reads\n--> fleet/businesses/pad-7.yaml:1:1"
        ),
        "{}",
        run.stderr
    );
}

/// Every file under `dir`, by path relative to it, with its contents.
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                found.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario, read top to bottom"
)]
fn export_split_writes_a_folder_that_plans_empty_and_exports_the_same_again() {
    let workspace = Workspace::quickstart();
    workspace.sandbox().args(["apply", "--yes"]).run().code(0);
    let run = workspace
        .sandbox()
        .args(["export", "--split", "out"])
        .run()
        .code(0);
    assert!(
        run.stderr
            .contains("wrote out/vapiform.yaml and 4 business files in out/businesses"),
        "{}",
        run.stderr
    );
    let first = files(&workspace.path("out"));
    let names: Vec<&str> = first.iter().map(|(name, _)| name.as_str()).collect();
    // Bob's hand-made assistant is keyed by its name; the shared assistant answers a number,
    // so it is a business of its own.
    assert_eq!(
        names,
        [
            "businesses/acme-plumbing.yaml",
            "businesses/bob-s-bakery-legacy.yaml",
            "businesses/carols-cafe.yaml",
            "businesses/not-in-service.yaml",
            "vapiform.yaml"
        ]
    );
    assert!(
        first[0].1.starts_with(&format!(
            "# yaml-language-server: $schema=../businesses.schema.json\n{}acme-plumbing:\n",
            vapiform::export::SPLIT_MARK
        )),
        "{}",
        first[0].1
    );
    let run = workspace
        .sandbox()
        .args(["plan", "-f", "out", "--detailed-exitcode"])
        .run()
        .code(0);
    assert!(run.stdout.starts_with("No changes."), "{}", run.stdout);

    // A business file an earlier export wrote that the account no longer has is removed;
    // the rest are written again byte for byte.
    workspace.write(
        "out/businesses/gone.yaml",
        &format!(
            "# yaml-language-server: $schema=../businesses.schema.json\n{}gone:\n  name: Gone\n  assistant: {{id: x}}\n",
            vapiform::export::SPLIT_MARK
        ),
    );
    workspace.write("out/businesses/.keep", "");
    workspace
        .sandbox()
        .args(["export", "--split", "out"])
        .run()
        .code(0);
    let mut again = files(&workspace.path("out"));
    again.retain(|(name, _)| name != "businesses/.keep");
    assert_eq!(
        again, first,
        "re-export is byte-identical and leaves no stale file"
    );

    // A folder laid out otherwise is not export's to replace.
    std::fs::create_dir(workspace.path("out/businesses/west")).unwrap();
    let run = workspace
        .sandbox()
        .args(["export", "--split", "out"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("out/businesses holds west, which `export --split` does not write"),
        "{}",
        run.stderr
    );
    assert_eq!(
        files(&workspace.path("out")).len(),
        first.len() + 1,
        "nothing written"
    );
    std::fs::remove_dir(workspace.path("out/businesses/west")).unwrap();

    // A business file someone wrote by hand is never removed nor overwritten, nor is a root
    // file export did not write: the export is refused before anything is written.
    let before = files(&workspace.path("out"));
    workspace.write("out/businesses/handmade.yaml", "handmade: {name: Hand}\n");
    let run = workspace
        .sandbox()
        .args(["export", "--split", "out"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("out/businesses/handmade.yaml was not written by `export --split`"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(workspace.path("out/businesses/handmade.yaml")).unwrap();
    workspace.write("out/vapiform.yaml", "version: 1\ntemplates: {}\n");
    let run = workspace
        .sandbox()
        .args(["export", "--split", "out"])
        .run()
        .code(1);
    assert!(
        run.stderr
            .contains("out/vapiform.yaml was not written by `export --split`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        workspace.read("out/vapiform.yaml"),
        "version: 1\ntemplates: {}\n"
    );
    assert_eq!(files(&workspace.path("out")).len(), before.len());
}

#[cfg(unix)]
#[test]
fn export_split_never_writes_or_deletes_through_a_symlink() {
    let workspace = Workspace::quickstart();
    let elsewhere = tempfile::tempdir().unwrap();
    let precious = elsewhere.path().join("precious.yaml");
    std::fs::write(&precious, "keep me\n").unwrap();
    std::fs::create_dir(workspace.path("out")).unwrap();
    // Export into `out`, which must refuse, naming `what`, and leave the link's target alone.
    let refused = |what: &str| {
        let run = workspace
            .sandbox()
            .args(["export", "--split", "out"])
            .run()
            .code(1);
        assert!(
            run.stderr.contains(&format!("out/{what} is a symlink")),
            "{}",
            run.stderr
        );
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
    };
    std::os::unix::fs::symlink(elsewhere.path(), workspace.path("out/businesses")).unwrap();
    refused("businesses");
    std::fs::remove_file(workspace.path("out/businesses")).unwrap();
    std::os::unix::fs::symlink(&precious, workspace.path("out/vapiform.yaml")).unwrap();
    refused("vapiform.yaml");
}

#[test]
fn a_file_with_a_businesses_folder_beside_it_says_the_folder_is_not_read() {
    let workspace = quickstart_folder();
    std::fs::copy(
        workspace.path("fleet/vapiform.yaml"),
        workspace.path("fleet/prod.yaml"),
    )
    .unwrap();
    let run = workspace
        .vapiform()
        .args(["validate", "-f", "fleet/prod.yaml"])
        .run()
        .code(0);
    assert!(
        run.stderr
            .contains("fleet/prod.yaml has a businesses/ folder beside it that is not read"),
        "{}",
        run.stderr
    );
}
