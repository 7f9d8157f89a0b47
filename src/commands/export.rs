//! `vapiform export`: the live account as a desired-state file, or as a folder.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::Console;
use super::account::{Account, Pace, RouteKinds};
use crate::cli::{ExportArgs, Global};
use crate::desired::folder::{BUSINESSES_DIR, ROOT_FILE};
use crate::exit::Exit;
use crate::export::Split;

pub(super) async fn run(
    global: &Global,
    args: &ExportArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    // Refuse a folder export cannot write before reading the account.
    let previous = match &args.split {
        Some(dir) => Some(previous_export(dir)?),
        None => None,
    };
    let live = Account::connect(global, &Pace::READ)
        .await?
        .read(Some(RouteKinds::default()))
        .await?;
    let (secrets, left_out, written) = if let (Some(dir), Some(previous)) = (&args.split, previous)
    {
        let split = crate::export::split(&live)?;
        let written = write_split(dir, &split, &previous)?;
        (split.secrets, split.left_out, Some(written))
    } else {
        let export = crate::export::export(&live)?;
        match &args.output {
            Some(path) => super::write_atomically(path, &export.text)?,
            None => console.out.write_all(export.text.as_bytes())?,
        }
        (export.secrets, export.left_out, None)
    };
    if !secrets.is_empty() {
        writeln!(
            console.err,
            "note: {} secret values were written as ${{env.NAME}} references, not their values; set these variables before `vapiform plan`:\n  {}",
            secrets.len(),
            secrets.join("\n  ")
        )?;
    }
    if !left_out.is_empty() {
        writeln!(
            console.err,
            "note: {} objects of the account are not expressed in the file (it says so too); vapiform leaves them as they are:",
            left_out.len()
        )?;
        for line in &left_out {
            writeln!(console.err, "  {}", crate::render::escape::line(line))?;
        }
    }
    if let Some(written) = written {
        writeln!(console.err, "{written}")?;
    }
    Ok(Exit::Success)
}

/// The business files a previous `export --split` left in `dir`, which this one replaces:
/// `businesses/` may hold only `*.yaml` files that export wrote (see
/// [`crate::export::SPLIT_MARK`]; hidden files are left alone), and `vapiform.yaml`, if
/// there, must be export's too. A folder laid out otherwise, a hand-written file, or a symlink
/// anywhere export would write is someone's own, and is refused before anything is written.
fn previous_export(dir: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let ours = |path: &Path| -> anyhow::Result<()> {
        let text = crate::bounded::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !crate::export::written_by_split(&text) {
            bail!(
                "{} was not written by `export --split`, which replaces only a folder it wrote; export into a new folder, or move it away",
                path.display()
            );
        }
        Ok(())
    };
    let linked =
        |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let root = dir.join(ROOT_FILE);
    let businesses = dir.join(BUSINESSES_DIR);
    for path in [&root, &businesses] {
        if linked(path) {
            bail!(
                "{} is a symlink; `export --split` writes only inside its folder, never through a link",
                path.display()
            );
        }
    }
    if root.exists() {
        ours(&root)?;
    }
    let mut previous = BTreeSet::new();
    if !businesses.exists() {
        return Ok(previous);
    }
    let entries = std::fs::read_dir(&businesses)
        .with_context(|| format!("cannot read {}", businesses.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", businesses.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let is_yaml = Path::new(&name).extension().is_some_and(|e| e == "yaml");
        if !is_file || !is_yaml {
            bail!(
                "{} holds {name}, which `export --split` does not write; it replaces a folder it wrote before, so export into a new folder or move {name} away",
                businesses.display()
            );
        }
        ours(&entry.path())?;
        previous.insert(entry.path());
    }
    Ok(previous)
}

/// Writes the folder: the root file and each business file, each whole or not at all, then
/// removes the business files of `previous` that the account no longer has. Returns what was
/// done, in a sentence.
fn write_split(dir: &Path, split: &Split, previous: &BTreeSet<PathBuf>) -> anyhow::Result<String> {
    let businesses = dir.join(BUSINESSES_DIR);
    std::fs::create_dir_all(&businesses)
        .with_context(|| format!("cannot create {}", businesses.display()))?;
    super::write_atomically(&dir.join(ROOT_FILE), &split.root)?;
    let mut written = BTreeSet::new();
    for (key, text) in &split.businesses {
        let path = businesses.join(format!("{key}.yaml"));
        super::write_atomically(&path, text)?;
        written.insert(path);
    }
    let mut removed = 0;
    for stale in previous.difference(&written) {
        std::fs::remove_file(stale)
            .with_context(|| format!("cannot remove {}", stale.display()))?;
        removed += 1;
    }
    let mut done = format!(
        "wrote {} and {} business file{} in {}",
        dir.join(ROOT_FILE).display(),
        split.businesses.len(),
        if split.businesses.len() == 1 { "" } else { "s" },
        businesses.display()
    );
    if removed > 0 {
        let _ = write!(
            done,
            "; removed {removed} business file{} no longer in the account",
            if removed == 1 { "" } else { "s" }
        );
    }
    Ok(done)
}
