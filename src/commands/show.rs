//! `vapiform show PLAN.json`: a saved plan, rendered exactly as plan printed it.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};

use super::Console;
use crate::cli::ShowArgs;
use crate::exit::Exit;
use crate::plan::{FORMAT_VERSION, Plan};

pub(super) fn run(args: &ShowArgs, console: &mut Console) -> anyhow::Result<Exit> {
    let plan = read(&args.plan)?;
    let text = super::render_plan(
        &plan,
        args.format,
        console.color,
        args.max_bytes,
        args.mask_numbers,
    )?;
    console.out.write_all(text.as_bytes())?;
    Ok(Exit::Success)
}

/// Reads a plan saved by `plan --out`.
pub(super) fn read(path: &Path) -> anyhow::Result<Plan> {
    let text = crate::bounded::read_to_string(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .with_context(|| format!("{} is not a JSON plan", path.display()))?
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        bail!(
            "{}: format_version {version:?} is not {FORMAT_VERSION}; was it written by `vapiform plan --out`?",
            path.display()
        );
    }
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid vapiform plan", path.display()))?;
    if !plan.digest_matches() {
        bail!(
            "{}: the plan file was modified after it was written (its content no longer matches its digest); make a new plan with `vapiform plan --out`",
            path.display()
        );
    }
    Ok(plan)
}
