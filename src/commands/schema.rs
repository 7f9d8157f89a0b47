//! `vapiform schema`: the JSON Schema of the desired-state file.

use std::io::Write as _;

use super::Console;
use crate::exit::Exit;

pub(super) fn run(console: &mut Console) -> anyhow::Result<Exit> {
    console
        .out
        .write_all(crate::render::json(&crate::desired::schema()).as_bytes())?;
    Ok(Exit::Success)
}
