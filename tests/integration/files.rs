//! Files vapiform writes (the sandbox state file, `plan --out`, `export -o`) are replaced
//! whole, through a symlink to its target, keeping the target's permission mode.

#![cfg(unix)]

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
use std::path::Path;

use crate::support::Workspace;

/// The mode bits and inode of a file (following symlinks).
fn mode_and_inode(path: &Path) -> (u32, u64) {
    let metadata = std::fs::metadata(path).expect("the file exists");
    (metadata.permissions().mode() & 0o777, metadata.ino())
}

/// Files in a directory other than `keep`: temporary files left behind.
fn strays(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[test]
fn the_sandbox_state_file_keeps_its_mode_and_symlink_and_is_replaced_whole() {
    let workspace = Workspace::quickstart();
    // The account lives elsewhere; the workspace holds a link to it.
    let store = tempfile::tempdir().unwrap();
    let target = store.path().join("account.json");
    std::fs::rename(workspace.path("account.json"), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink(&target, workspace.path("account.json")).unwrap();
    // A reader that opened the file before keeps seeing the whole old account: the file is
    // replaced, not rewritten in place.
    let before = std::fs::read_to_string(&target).unwrap();
    let mut reader = std::fs::File::open(&target).unwrap();

    workspace.sandbox().args(["apply", "--yes"]).run().code(0);

    let link = std::fs::symlink_metadata(workspace.path("account.json")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let (mode, _) = mode_and_inode(&target);
    assert_eq!(mode, 0o600, "the state file's mode changed to {mode:o}");
    let mut seen = String::new();
    std::io::Read::read_to_string(&mut reader, &mut seen).unwrap();
    assert_eq!(seen, before, "written in place, not replaced whole");
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("not-in-service"),
        "the target holds the applied account"
    );
    assert_eq!(
        strays(store.path(), &["account.json"]),
        Vec::<String>::new()
    );
    workspace
        .sandbox()
        .args(["plan", "--detailed-exitcode"])
        .run()
        .code(0);
}

#[test]
fn plan_out_and_export_write_through_symlinks_keeping_the_mode() {
    let workspace = Workspace::quickstart();
    let store = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("plan.json", ["plan", "--out", "plan.json"]),
        ("exported.yaml", ["export", "-o", "exported.yaml"]),
    ] {
        let target = store.path().join(name);
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        symlink(&target, workspace.path(name)).unwrap();
        let (_, inode) = mode_and_inode(&target);

        workspace.sandbox().args(args).run().code(0);

        assert!(
            std::fs::symlink_metadata(workspace.path(name))
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name}: the link was replaced by a file"
        );
        let (mode, new_inode) = mode_and_inode(&target);
        assert_eq!(mode, 0o640, "{name}: mode {mode:o}");
        assert_ne!(new_inode, inode, "{name}: written in place");
        assert_ne!(std::fs::read_to_string(&target).unwrap(), "old", "{name}");
    }
    assert_eq!(
        strays(store.path(), &["plan.json", "exported.yaml"]),
        Vec::<String>::new()
    );
    // A new file gets what any new file gets under the umask, not the owner-only mode of a
    // temporary file.
    workspace
        .sandbox()
        .args(["plan", "--out", "fresh.json"])
        .run()
        .code(0);
    std::fs::File::create(workspace.path("usual")).unwrap();
    assert_eq!(
        mode_and_inode(&workspace.path("fresh.json")).0,
        mode_and_inode(&workspace.path("usual")).0
    );
}

#[test]
fn a_fifo_is_written_into_and_never_replaced_and_a_folder_is_refused() {
    use std::os::unix::fs::FileTypeExt as _;
    let workspace = Workspace::quickstart();
    let fifo = workspace.path("plan.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // A reader on the other end, as a pipeline would hold it.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    workspace
        .sandbox()
        .args(["plan", "--format", "json", "--out", "plan.fifo"])
        .run()
        .code(0);
    // Checked before the reader is joined: a replaced FIFO would leave it waiting forever.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced by a file"
    );
    let read = reader.join().unwrap();
    let plan: serde_json::Value = serde_json::from_str(&read).expect("the plan came through");
    assert_eq!(plan["format_version"], 1);
    std::fs::create_dir(workspace.path("out")).unwrap();
    let run = workspace
        .sandbox()
        .args(["plan", "--out", "out"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("out is a folder, not a file"),
        "{}",
        run.stderr
    );
}
