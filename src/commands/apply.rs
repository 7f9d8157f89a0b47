//! `vapiform apply`: plan (or load a saved plan), confirm, apply, verify, report.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::account::{Account, Pace, RouteKinds};
use super::refusal::Refusal;
use super::{Console, show};
use crate::apply::{self, Outcome, Progress, Report, Status};
use crate::cli::{ApplyArgs, Format, Global};
use crate::exit::Exit;
use crate::plan::{self, Cost, Live, Plan, Secrets};
use crate::render;

pub(super) async fn run(
    global: &Global,
    args: &ApplyArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let pace = Pace {
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
        writes: true,
    };
    if args.plan.is_some() && args.file.is_some() && !args.check {
        anyhow::bail!(
            "-f is read with --plan only by --check: a saved plan is applied as it stands"
        );
    }
    if args.check && args.format == Format::Json {
        anyhow::bail!(
            "--check prints a report of its own beside apply's; with --format json, run `vapiform check --plan PLAN.json --format json` after apply"
        );
    }
    // One path for both sources: a plan, the account as read, then recheck and apply.
    let (plan, live, account) = if let Some(path) = &args.plan {
        let (plan, _) = show::read(path)?;
        let account = Account::connect(global, &pace).await?;
        // The squads its routing lines can name, to check them by (see `plan::recheck`).
        let live = account.read(Some(RouteKinds::written_by(&plan))).await?;
        (plan, live, account)
    } else {
        let file = args.file.clone().unwrap_or_else(|| "vapiform.yaml".into());
        let options = plan::Options {
            prune: args.prune,
            targets: Vec::new(),
            allow_mass_change: args.allow_mass_change,
            baseline: None,
        };
        let Some(planned) =
            super::plan::make(global, &pace, &file, &options, args.format, false, console).await?
        else {
            return Ok(Exit::Error);
        };
        planned
    };
    // At this run's pace, whatever a saved plan stated.
    let cost = apply::cost(&plan, args.rps, &options(args));
    let mut exit = execute(&plan, cost.as_ref(), &live, &account, args, console).await;
    if args.check && matches!(exit, Ok(Exit::Success)) && !plan.is_empty() {
        exit = checked(&plan, &account, args, console).await;
    }
    exit
}

/// `apply --check`: the numbers the plan changed, checked as `check --plan` would, against the
/// account as it now is.
async fn checked(
    plan: &Plan,
    account: &Account,
    args: &ApplyArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let file = args.file.clone().unwrap_or_else(|| "vapiform.yaml".into());
    let Some(desired) = super::load(&file, console)? else {
        return Ok(Exit::Error);
    };
    let live = account.read(None).await?;
    let numbers: Vec<String> = super::check::changed(plan, &live).into_iter().collect();
    let settings = super::check::Settings {
        yes: args.yes,
        max_cost: args.max_cost,
        concurrency: usize::from(args.concurrency).min(4),
        format: args.format,
        mask_numbers: args.mask_numbers,
    };
    writeln!(console.out)?;
    super::check::numbers_checked(account, &desired, &live, &numbers, &settings, console).await
}

/// Checks the plan against the account as read, asks, applies and reports.
async fn execute(
    plan: &Plan,
    cost: Option<&Cost>,
    live: &Live,
    account: &Account,
    args: &ApplyArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let cleared = match gates(plan, cost, live, args, console)? {
        Ok(Some(cleared)) => cleared,
        Ok(None) => return Ok(Exit::Success),
        Err(refusal) => {
            refusal.explain(&mut console.err)?;
            return Ok(refusal.exit());
        }
    };
    let (report, interrupted) = applied(plan, &cleared, account, args, console).await;
    print_report(&report, args.format, args.mask_numbers, console)?;
    if interrupted {
        let left = report
            .outcomes
            .iter()
            .filter(|o| !o.status.converged())
            .count();
        writeln!(
            console.err,
            "Interrupted: {left} of {} changes did not apply (see the report). Run `vapiform plan` to see what is left.",
            report.outcomes.len()
        )?;
        return Ok(Exit::Interrupted);
    }
    Ok(if report.converged() {
        Exit::Success
    } else {
        Exit::NotConverged
    })
}

/// What passed the gates: the changes a recheck found already in effect, and the values of
/// the `${env.*}` variables the writes need.
struct Cleared {
    applied: BTreeMap<usize, String>,
    secrets: Secrets,
}

/// The gates before the first write, in order: the expected digest, the environment, the
/// account as read now (stale, unfaithful), the mass-change rule, the confirmation. Shows the
/// plan on the way; `Ok(None)` when it changes nothing.
fn gates(
    plan: &Plan,
    cost: Option<&Cost>,
    live: &Live,
    args: &ApplyArgs,
    console: &mut Console,
) -> anyhow::Result<Result<Option<Cleared>, Refusal>> {
    let shown = |format: Format, console: &Console| {
        super::render_plan(
            plan,
            cost,
            format,
            console.color,
            render::DEFAULT_MAX_BYTES,
            args.mask_numbers,
        )
    };
    if let Some(expected) = &args.expect_digest
        && expected != &plan.digest
    {
        let text = shown(Format::Text, console)?;
        console.err.write_all(text.as_bytes())?;
        return Ok(Err(Refusal::NotReviewed {
            expected: expected.clone(),
            digest: plan.digest.clone(),
            saved: args.plan.is_some(),
        }));
    }
    let (secrets, missing) = super::secrets(crate::desired::placeholder::env_references_in(
        plan.changes
            .iter()
            .filter_map(|c| c.op().body())
            .flat_map(serde_json::Map::values),
    ));
    if !missing.is_empty() {
        return Ok(Err(Refusal::MissingEnv(missing)));
    }
    let recheck = plan::recheck(plan, live, &secrets);
    if !recheck.stale.is_empty() {
        return Ok(Err(Refusal::Stale(recheck.stale)));
    }
    if !recheck.unfaithful.is_empty() {
        return Ok(Err(Refusal::Unfaithful(recheck.unfaithful)));
    }
    if args.format != Format::Json || plan.is_empty() {
        let text = shown(args.format, console)?;
        console.out.write_all(text.as_bytes())?;
    }
    if recheck.safety.refuses() {
        return Ok(Err(Refusal::MassChange {
            changes: recheck.safety.routing_changes,
            limit: recheck.safety.limit,
        }));
    }
    if plan.is_empty() {
        return Ok(Ok(None));
    }
    let pending = plan.changes.len() - recheck.applied.len();
    if pending > 0 && !args.yes {
        if args.format == Format::Json && console.interactive {
            // Standard output carries only the JSON report; show the plan being confirmed here.
            let text = render::plan_text(plan, cost, console.color);
            console.err.write_all(text.as_bytes())?;
        }
        if !super::confirm(
            console,
            "apply",
            "Apply these changes?",
            "Apply cancelled; nothing was written.",
        )? {
            return Ok(Err(Refusal::NotConfirmed));
        }
    }
    Ok(Ok(Some(Cleared {
        applied: recheck.applied,
        secrets,
    })))
}

/// Applies what `cleared` leaves to write, showing progress, until done or interrupted (a
/// second interrupt stops waiting for the writes in flight); whether it was interrupted.
async fn applied(
    plan: &Plan,
    cleared: &Cleared,
    account: &Account,
    args: &ApplyArgs,
    console: &mut Console,
) -> (Report, bool) {
    let options = options(args);
    let interrupt = apply::Interrupt::default();
    let mut signals = super::signals::Signals::listen();
    let progress = Reporter::new(console, args.format, plan.changes.len(), args.mask_numbers);
    let applying = apply::apply(
        plan,
        &cleared.applied,
        &account.client,
        &cleared.secrets,
        &options,
        &interrupt,
        &progress,
    );
    tokio::pin!(applying);
    let ended = tokio::select! {
        report = &mut applying => (report, false),
        () = signals.next() => {
            interrupt.request();
            progress.notice("interrupted: starting no new change; waiting for the writes in flight to finish and be read back (interrupt again to exit at once)");
            tokio::select! {
                report = &mut applying => (report, true),
                () = signals.next() => (progress.known(plan), true),
            }
        }
    };
    progress.done();
    ended
}

/// Asks on a terminal; refuses when standard input is not one.
/// How apply behaves, from its arguments.
fn options(args: &ApplyArgs) -> apply::Options {
    apply::Options {
        verify_timeout: Duration::from_secs(args.verify_timeout),
        concurrency: usize::from(args.concurrency),
    }
}

fn print_report(
    report: &Report,
    format: Format,
    mask: bool,
    console: &mut Console,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Text if console.progress => render::report_text(report, console.color),
        // Lines were printed as changes finished; only the totals remain.
        Format::Text => format!("{}\n", render::totals_line(&report.totals)),
        Format::Markdown => render::report_markdown(report),
        Format::Json => render::document::document(render::document::Kind::Report, report),
    };
    // The JSON report keeps numbers whole, as the JSON plan does.
    let text = if mask && format != Format::Json {
        render::mask::text_of(&text)
    } else {
        text
    };
    console.out.write_all(text.as_bytes())?;
    Ok(())
}

/// Progress: a bar on a terminal, one line per change otherwise (text format only). It also
/// keeps every outcome, so a second interrupt can still report what is known.
struct Reporter<'a> {
    bar: Option<ProgressBar>,
    lines: Option<Mutex<&'a mut (dyn std::io::Write + Send)>>,
    notices: Mutex<&'a mut (dyn std::io::Write + Send)>,
    known: Mutex<Vec<Outcome>>,
    /// The plan's changes that were sent (by index), ended or not.
    started: Mutex<std::collections::HashSet<usize>>,
    color: bool,
    /// `--mask-numbers`: phone numbers in the lines shown are masked.
    mask: bool,
}

impl<'a> Reporter<'a> {
    fn new(console: &'a mut Console, format: Format, total: usize, mask: bool) -> Self {
        let color = console.color;
        let bar = console.progress.then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let Console { out, err, .. } = console;
        let (out, err): (
            &mut (dyn std::io::Write + Send),
            &mut (dyn std::io::Write + Send),
        ) = (out.as_mut(), err.as_mut());
        let lines = if bar.is_none() && format == Format::Text {
            Some(Mutex::new(out))
        } else {
            None
        };
        Self {
            bar,
            lines,
            notices: Mutex::new(err),
            known: Mutex::new(Vec::new()),
            started: Mutex::new(std::collections::HashSet::new()),
            mask,
            color,
        }
    }

    /// A line on standard error, above the progress bar if there is one.
    fn notice(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                if let Ok(mut err) = self.notices.lock() {
                    let _ = writeln!(err, "{text}");
                }
            }
        }
    }

    /// The report of what is known when vapiform cannot wait any longer: every change that
    /// ended as it ended, those sent as not known to have applied, the rest as not attempted.
    fn known(&self, plan: &Plan) -> Report {
        let known = self.known.lock().map(|k| k.clone()).unwrap_or_default();
        let started = self.started.lock().map(|s| s.clone()).unwrap_or_default();
        let outcomes = plan
            .changes
            .iter()
            .enumerate()
            .map(|(index, change)| {
                known
                    .iter()
                    .find(|o| o.address == *change.address() && o.action == change.action())
                    .cloned()
                    .unwrap_or_else(|| {
                        let (status, detail) = if started.contains(&index) {
                            (
                                Status::Unverified,
                                "vapiform exited on a second interrupt before this change ended; it may or may not have been written",
                            )
                        } else {
                            (
                                Status::NotAttempted,
                                "vapiform exited on a second interrupt before this change started; nothing was sent",
                            )
                        };
                        Outcome {
                            address: change.address().clone(),
                            action: change.action(),
                            status,
                            id: None,
                            detail: Some(detail.to_owned()),
                        }
                    })
            })
            .collect();
        Report::new(outcomes)
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter<'_> {
    fn start(&self, index: usize) {
        if let Ok(mut started) = self.started.lock() {
            started.insert(index);
        }
    }

    fn finish(&self, outcome: &Outcome) {
        if let Ok(mut known) = self.known.lock() {
            known.push(outcome.clone());
        }
        let shown = |text: String| {
            if self.mask {
                render::mask::text_of(&text)
            } else {
                text
            }
        };
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(shown(
                render::escape::line(&outcome.address.to_string()).into_owned(),
            ));
        }
        if let Some(lines) = &self.lines
            && let Ok(mut out) = lines.lock()
        {
            let _ = writeln!(out, "{}", shown(render::outcome_line(outcome, self.color)));
        }
    }
}
