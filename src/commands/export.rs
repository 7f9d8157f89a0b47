//! `vapiform export`: the live account as a desired-state file.

use std::io::Write as _;

use super::Console;
use super::account::{Account, Pace, RouteKinds};
use crate::cli::{ExportArgs, Global};
use crate::exit::Exit;

pub(super) async fn run(
    global: &Global,
    args: &ExportArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let account = Account::connect(global, &Pace::READ).await?;
    let live = account.read(Some(RouteKinds::default())).await;
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
    match &args.output {
        Some(path) => super::write_atomically(path, &export.text)?,
        None => console.out.write_all(export.text.as_bytes())?,
    }
    Ok(Exit::Success)
}
