//! `vapiform validate`: offline checks of the desired-state file.

use std::io::Write as _;

use super::Console;
use crate::cli::{Format, ValidateArgs};
use crate::exit::Exit;
use crate::render::document::{Kind, document};

pub(super) fn run(args: &ValidateArgs, console: &mut Console) -> anyhow::Result<Exit> {
    let desired = match crate::desired::load(&args.file.file) {
        Ok(desired) => desired,
        Err(report) => {
            super::print_file_problems(&report, args.format, console)?;
            return Ok(Exit::Error);
        }
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
    if args.format == Format::Json {
        let summary = serde_json::json!({
            "format_version": crate::plan::FORMAT_VERSION,
            "valid": true,
            "files": desired.sources.files().len(),
            "businesses": desired.businesses.len(),
            "numbers": numbers,
            "assistants": desired.assistants.len(),
        });
        console
            .out
            .write_all(document(Kind::Validation, &summary).as_bytes())?;
        return Ok(Exit::Success);
    }
    writeln!(
        console.out,
        "{}{files} is valid: {} businesses, {} numbers, {} managed assistants.",
        args.file.file.display(),
        desired.businesses.len(),
        numbers,
        desired.assistants.len()
    )?;
    Ok(Exit::Success)
}
