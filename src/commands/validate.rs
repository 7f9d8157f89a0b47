//! `vapiform validate`: offline checks of the desired-state file.

use std::io::Write as _;

use super::Console;
use crate::cli::FileArg;
use crate::exit::Exit;

pub(super) fn run(args: &FileArg, console: &mut Console) -> anyhow::Result<Exit> {
    let Some(desired) = super::load(&args.file, console)? else {
        return Ok(Exit::Error);
    };
    let numbers: usize = desired.businesses.values().map(|b| b.numbers.len()).sum();
    let files = match desired.sources.files().len() - 1 {
        0 => String::new(),
        1 => format!(" ({} and 1 business file)", desired.sources.root().name()),
        n => format!(
            " ({} and {n} business files)",
            desired.sources.root().name()
        ),
    };
    writeln!(
        console.out,
        "{}{files} is valid: {} businesses, {} numbers, {} managed assistants.",
        args.file.display(),
        desired.businesses.len(),
        numbers,
        desired.assistants.len()
    )?;
    Ok(Exit::Success)
}
