//! `vapiform show PLAN.json`: a saved plan, rendered exactly as plan printed it.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};

use super::Console;
use crate::cli::ShowArgs;
use crate::exit::Exit;
use serde::Deserialize as _;
use serde_json::Value;

use crate::plan::{Cost, FORMAT_VERSION, Plan};
use crate::render::document::Kind;

pub(super) fn run(args: &ShowArgs, console: &mut Console) -> anyhow::Result<Exit> {
    let (plan, cost) = read(&args.plan)?;
    let text = super::render_plan(
        &plan,
        cost.as_ref(),
        args.format,
        console.color,
        args.max_bytes,
        args.mask_numbers,
    )?;
    console.out.write_all(text.as_bytes())?;
    Ok(Exit::Success)
}

/// Reads a plan saved by `plan --out`, and the cost it states beside it.
pub(super) fn read(path: &Path) -> anyhow::Result<(Plan, Option<Cost>)> {
    let text = crate::bounded::read_to_string(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    let document = serde_json::from_str::<Value>(&text)
        .with_context(|| format!("{} is not a JSON plan", path.display()))?;
    // A plan saved before documents named their kind has none.
    match document.get("kind") {
        None => {}
        Some(kind) if kind == Kind::Plan.as_str() => {}
        Some(_) => bail!(
            "{} is another kind of document than a plan; was it written by `vapiform plan --out`?",
            path.display()
        ),
    }
    let version = document.get("format_version").and_then(Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        bail!(
            "{}: format_version {version:?} is not {FORMAT_VERSION}; was it written by `vapiform plan --out`?",
            path.display()
        );
    }
    let cost = match document.get("cost") {
        None => None,
        Some(cost) => Some(
            Cost::deserialize(cost)
                .with_context(|| format!("{}: its cost is not one plan states", path.display()))?,
        ),
    };
    drop(document);
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid vapiform plan", path.display()))?;
    if !plan.digest_matches() {
        bail!(
            "{}: the plan file was modified after it was written (its content no longer matches its digest); make a new plan with `vapiform plan --out`",
            path.display()
        );
    }
    Ok((plan, cost))
}
