//! `vapiform plan`: read the account, work out the changes, show them.

use std::io::Write as _;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::task::JoinHandle;

use super::Console;
use super::account::{Account, CarrierClient, Pace, RouteKinds};
use crate::cli::{Format, Global, PlanArgs};
use crate::desired::{Desired, Report};
use crate::exit::Exit;
use crate::plan::{self, Live, Options, Plan, Problem, Settle};
use crate::render::escape;

pub(super) async fn run(
    global: &Global,
    args: &PlanArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let baseline = match &args.baseline {
        Some(path) => {
            let Some(baseline) = load_baseline(path, console)? else {
                return Ok(Exit::Error);
            };
            Some(Arc::new(baseline))
        }
        None => None,
    };
    let options = Options {
        prune: args.prune,
        targets: args.target.clone(),
        allow_mass_change: args.allow_mass_change,
        baseline,
    };
    // A baseline compares the account with another declaration too: nothing is settled.
    let settle = options.baseline.is_none();
    let Some((plan, live, account)) = make(
        global,
        &Pace::READ,
        &args.file.file,
        &options,
        args.format,
        settle,
        console,
    )
    .await?
    else {
        return Ok(Exit::Error);
    };
    super::let_go(live);
    drop(account);
    // At apply's default concurrency and verify timeout: plan does not know the ones apply
    // will use.
    let cost = crate::apply::cost(&plan, args.rps, &crate::apply::Options::default());
    let text = super::render_plan(
        &plan,
        cost.as_ref(),
        args.format,
        console.color,
        args.max_bytes,
        args.mask_numbers,
    )?;
    if let Some(out) = &args.out {
        super::write_atomically(out, &crate::render::document::plan(&plan, cost.as_ref()))?;
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
///
/// The account's numbers and assistants do not depend on the file, so they are read while it
/// loads (on a thread of its own); the carrier and the squads and workflows the file names
/// are read after. With `settle`, assistants that hold what the file declares keep no body
/// (see [`Settle`]): for a plan that is only shown, not for one applied, whose checks read
/// every body.
pub(super) async fn make(
    global: &Global,
    pace: &Pace,
    file: &Path,
    options: &Options,
    format: Format,
    settle: bool,
    console: &mut Console,
) -> anyhow::Result<Option<(Plan, Live, Account)>> {
    let path = file.to_owned();
    let loading = tokio::task::spawn_blocking(move || crate::desired::load(&path));
    let mut account = match Account::connect(global, pace).await {
        Ok(account) => account,
        // The file's problems come first: they are what there is to fix first.
        Err(error) => {
            return match loading.await.context("cannot load the file")? {
                Ok(_) => Err(error),
                Err(report) => {
                    super::print_file_problems(&report, format, console)?;
                    Ok(None)
                }
            };
        }
    };
    let outcome = match load_while_reading(loading, &account, settle).await {
        Ok(Ok(loaded)) => plan_read(&mut account, loaded, options, format, console).await,
        Ok(Err(report)) => super::print_file_problems(&report, format, console).map(|()| None),
        Err(error) => Err(error),
    };
    Ok(outcome?.map(|(plan, live)| (plan, live, account)))
}

/// The file `loading` loads, and when it loads, the carrier's client it asks for and the
/// account's numbers and assistants, read meanwhile (and settled against the file once it has
/// loaded, with `settling`). The read is dropped unfinished when the file does not load or its
/// carrier cannot be reached: those are the first things to fix.
async fn load_while_reading(
    mut loading: JoinHandle<Result<Desired, Report>>,
    account: &Account,
    settling: bool,
) -> anyhow::Result<Result<Loaded, Report>> {
    let settle = if settling {
        Settle::new()
    } else {
        Settle::none()
    };
    let mut read = pin!(account.read_lists(&settle));
    let mut listed = None;
    let loaded = loop {
        tokio::select! {
            loaded = &mut loading => break loaded,
            live = &mut read, if listed.is_none() => listed = Some(live),
        }
    };
    let desired = match loaded.context("cannot load the file")? {
        Ok(desired) => Arc::new(desired),
        Err(report) => return Ok(Err(report)),
    };
    if settling {
        let (secrets, _) = super::secrets(desired.env_references());
        settle.ready(Arc::clone(&desired), secrets);
    }
    let carrier = account.connect_carrier(desired.carrier.as_ref())?;
    let mut live = match listed {
        Some(live) => live,
        None => read.await,
    }?;
    account.finish_settling(&settle, &mut live).await?;
    Ok(Ok(Loaded {
        desired,
        live,
        carrier,
    }))
}

/// The file, and what was read of the account while it loaded.
struct Loaded {
    desired: Arc<Desired>,
    live: Live,
    carrier: Option<CarrierClient>,
}

/// Reads the rest of the account the file needs beside the lists already read, and plans;
/// `None` when the plan has problems, which are printed.
async fn plan_read(
    account: &mut Account,
    loaded: Loaded,
    options: &Options,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<Option<(Plan, Live)>> {
    let Loaded {
        desired,
        mut live,
        carrier,
    } = loaded;
    account.attach(carrier);
    let needed = RouteKinds::needed(&desired, &live);
    account.read_rest(&mut live, Some(needed)).await?;
    // Unset variables are reported by the planner, naming the assistant that needs them.
    let mut names = desired.env_references();
    if let Some(baseline) = &options.baseline {
        names.extend(baseline.env_references());
    }
    let (secrets, _) = super::secrets(names);
    match plan::plan(&desired, &live, &secrets, options) {
        Ok(plan) => {
            tracing::debug!(changes = plan.changes.len(), "planned");
            super::let_go(desired);
            Ok(Some((plan, live)))
        }
        Err(problems) => {
            print_problems(&problems.0, &desired, format, console)?;
            Ok(None)
        }
    }
}

/// The baseline's desired state; `None` when it has problems, which are printed.
fn load_baseline(path: &Path, console: &mut Console) -> anyhow::Result<Option<Desired>> {
    let baseline = super::load(path, console)?;
    if baseline.is_none() {
        writeln!(
            console.err,
            "the baseline {} cannot be read; fix it or plan without --baseline",
            escape::line(&path.display().to_string())
        )?;
    }
    Ok(baseline)
}

/// Every planning problem: on stderr, each with its place in the file that holds it (line,
/// column and a caret) when it has one, and as a JSON `problems` document on stdout when JSON
/// was asked for.
fn print_problems(
    problems: &[Problem],
    desired: &Desired,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<()> {
    super::problems_json(&problems, format, console)?;
    let mut located = Vec::new();
    for problem in problems {
        let message = match &problem.address {
            Some(address) => format!("{address}: {}", problem.message),
            None => problem.message.clone(),
        };
        // Escaped here: the report would show a control character as a replacement mark.
        let message = escape::line(&message).into_owned();
        match (&problem.path, &problem.also) {
            (Some(path), Some(also)) => located.push(desired.diagnostic_also(path, also, message)),
            (Some(path), None) => located.push(desired.diagnostic(path, message)),
            (None, _) => writeln!(console.err, "error: {message}")?,
        }
    }
    if !located.is_empty() {
        let report = desired.report(located);
        write!(console.err, "{}", report.render(console.err_color))?;
    }
    writeln!(
        console.err,
        "{} problem{} stopped the plan; nothing was planned",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}
