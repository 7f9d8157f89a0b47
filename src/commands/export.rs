//! `vapiform export`: the live account as a desired-state file.

use std::io::Write as _;

use super::Console;
use super::account::{Account, Pace};
use crate::cli::{ExportArgs, Global};
use crate::exit::Exit;

pub(super) async fn run(
    global: &Global,
    args: &ExportArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let account = Account::connect(global, &Pace::READ, None).await?;
    let live = account.read().await;
    account.close().await;
    let export = crate::export::export(&live?)?;
    if !export.secrets.is_empty() {
        writeln!(
            console.err,
            "note: {} secret values were written as ${{env.NAME}} references, not their values; set these variables before `vapiform plan`:\n  {}",
            export.secrets.len(),
            export.secrets.join("\n  ")
        )?;
    }
    if !export.left_out.is_empty() {
        writeln!(
            console.err,
            "note: {} objects of the account are not expressed in the file (it says so too); vapiform leaves them as they are:",
            export.left_out.len()
        )?;
        for line in &export.left_out {
            writeln!(console.err, "  {}", crate::render::escape::line(line))?;
        }
    }
    match &args.output {
        Some(path) => super::write_atomically(path, &export.text)?,
        None => console.out.write_all(export.text.as_bytes())?,
    }
    Ok(Exit::Success)
}
