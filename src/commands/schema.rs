//! `vapiform schema`: the JSON Schema of the desired-state file, or of a folder's business file.

use std::io::Write as _;

use super::Console;
use crate::cli::SchemaArgs;
use crate::exit::Exit;

pub(super) fn run(args: &SchemaArgs, console: &mut Console) -> anyhow::Result<Exit> {
    let schema = if args.businesses {
        crate::desired::businesses_schema()
    } else {
        crate::desired::schema()
    };
    console
        .out
        .write_all(crate::render::json(&schema).as_bytes())?;
    Ok(Exit::Success)
}
