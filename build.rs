//! Stamps the build with the commit it was built from and that commit's date, for
//! `vapiform --version`: `VAPIFORM_COMMIT` and `VAPIFORM_COMMIT_DATE` from the environment
//! when set (a container or a release build can pass them), else from git, else `unknown`
//! (a source tarball without its history).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    for name in ["VAPIFORM_COMMIT", "VAPIFORM_COMMIT_DATE"] {
        println!("cargo:rerun-if-env-changed={name}");
    }
    // A new commit or checkout moves HEAD's log; watching only what exists keeps the script
    // from running on every build.
    for path in [".git/HEAD", ".git/logs/HEAD"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    let commit = std::env::var("VAPIFORM_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    let date = std::env::var("VAPIFORM_COMMIT_DATE")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%cs", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=VAPIFORM_COMMIT={commit}");
    println!("cargo:rustc-env=VAPIFORM_COMMIT_DATE={date}");
}
