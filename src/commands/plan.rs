//! `vapiform plan`: read the account, work out the changes, show them.

use std::io::Write as _;

use super::Console;
use super::account::{Account, Pace};
use crate::cli::{Global, PlanArgs};
use crate::exit::Exit;
use crate::plan::{self, Options, Plan};

pub(super) async fn run(
    global: &Global,
    args: &PlanArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let options = Options {
        prune: args.prune,
        targets: args.target.clone(),
        allow_mass_change: args.allow_mass_change,
    };
    let Some(plan) = make(global, &args.file.file, &options, console).await? else {
        return Ok(Exit::Error);
    };
    let text = super::render_plan(&plan, args.format, console.color, args.max_bytes)?;
    if let Some(out) = &args.out {
        super::write_atomically(out, &crate::render::json(&plan))?;
    }
    console.out.write_all(text.as_bytes())?;
    if plan.safety.refuses() {
        return Ok(Exit::Refused);
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Exit::ChangesPending
    } else {
        Exit::Success
    })
}

/// Loads the file, reads the account and plans; `None` when the file has problems (printed).
pub(super) async fn make(
    global: &Global,
    file: &std::path::Path,
    options: &Options,
    console: &mut Console,
) -> anyhow::Result<Option<Plan>> {
    let Some(desired) = super::load(file, console)? else {
        return Ok(None);
    };
    let account = Account::connect(global, &Pace::READ).await?;
    let live = account.read().await;
    account.close().await;
    // Unset variables are reported by the planner, naming the assistant that needs them.
    let (secrets, _) = super::secrets(desired.assistants.values().map(|a| &a.body));
    Ok(Some(plan::plan(&desired, &live?, &secrets, options)?))
}
