//! `vapiform plan`: read the account, work out the changes, show them.

use std::io::Write as _;
use std::path::Path;

use super::Console;
use super::account::{Account, Pace};
use crate::cli::{Format, Global, PlanArgs};
use crate::exit::Exit;
use crate::plan::{self, Live, Options, Plan, Problem};
use crate::render::escape;

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
    let Some((plan, _, account)) = make(
        global,
        &Pace::READ,
        &args.file.file,
        &options,
        args.format,
        console,
    )
    .await?
    else {
        return Ok(Exit::Error);
    };
    account.close().await;
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

/// Loads the file, connects at `pace`, reads the account and plans; returns the plan, the
/// account as read, and the connection. `None` when the file or the plan has problems, which
/// are printed, all of them, each with its location.
pub(super) async fn make(
    global: &Global,
    pace: &Pace,
    file: &Path,
    options: &Options,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<Option<(Plan, Live, Account)>> {
    let Some(desired) = super::load(file, console)? else {
        return Ok(None);
    };
    let account = Account::connect(global, pace).await?;
    let live = match account.read().await {
        Ok(live) => live,
        Err(error) => {
            account.close().await;
            return Err(error);
        }
    };
    // Unset variables are reported by the planner, naming the assistant that needs them.
    let (secrets, _) = super::secrets(desired.env_references());
    match plan::plan(&desired, &live, &secrets, options) {
        Ok(plan) => Ok(Some((plan, live, account))),
        Err(problems) => {
            account.close().await;
            print_problems(&problems.0, file, format, console)?;
            Ok(None)
        }
    }
}

/// Every planning problem: on stderr with its place in the file, and as a JSON `problems`
/// document on stdout when JSON was asked for.
fn print_problems(
    problems: &[Problem],
    file: &Path,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<()> {
    if format == Format::Json {
        let document = serde_json::json!({
            "format_version": plan::FORMAT_VERSION,
            "problems": problems,
        });
        console
            .out
            .write_all(crate::render::json(&document).as_bytes())?;
    }
    for problem in problems {
        let message = match &problem.address {
            Some(address) => format!("{address}: {}", problem.message),
            None => problem.message.clone(),
        };
        writeln!(console.err, "error: {}", escape::line(&message))?;
        let file = escape::line(&file.display().to_string()).into_owned();
        if let Some(path) = &problem.path {
            writeln!(console.err, "  --> {file} at {}", escape::line(path))?;
        }
        if let Some(also) = &problem.also {
            writeln!(console.err, "  --> and {file} at {}", escape::line(also))?;
        }
    }
    writeln!(
        console.err,
        "{} problem{} stopped the plan; nothing was planned",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}
