//! `vapiform apply`: plan (or load a saved plan), confirm, apply, verify, report.

use std::io::{BufRead as _, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::account::{Account, Pace};
use super::{Console, show};
use crate::apply::{self, Outcome, Progress, Report};
use crate::cli::{ApplyArgs, Format, Global};
use crate::exit::Exit;
use crate::plan::{self, Safety};
use crate::render;

pub(super) async fn run(
    global: &Global,
    args: &ApplyArgs,
    console: &mut Console,
) -> anyhow::Result<Exit> {
    let pace = Pace {
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
    };
    let (plan, account) = if let Some(path) = &args.plan {
        let plan = show::read(path)?;
        let account = Account::connect(global, &pace).await?;
        let live = account.read().await?;
        let stale = plan::check_preconditions(&plan, &live);
        if !stale.is_empty() {
            writeln!(
                console.err,
                "error: the saved plan is stale; nothing was written. Changed since it was made:"
            )?;
            for s in &stale {
                let what = format!("{}: {}", s.address, s.detail);
                writeln!(console.err, "  {}", render::escape::line(&what))?;
            }
            writeln!(
                console.err,
                "Run `vapiform plan` again and review the new plan."
            )?;
            account.close().await;
            return Ok(Exit::StalePlan);
        }
        // The safety rule again, against the account as it is now.
        let mut plan = plan;
        let routed = live
            .numbers
            .iter()
            .filter(|n| plan::live::is_routed(n))
            .count();
        plan.safety = Safety::evaluate(plan.safety.routing_changes, routed, args.allow_mass_change);
        (plan, account)
    } else {
        let file = args.file.clone().unwrap_or_else(|| "vapiform.yaml".into());
        let options = plan::Options {
            prune: args.prune,
            targets: Vec::new(),
            allow_mass_change: args.allow_mass_change,
        };
        let Some(plan) = super::plan::make(global, &file, &options, console).await? else {
            return Ok(Exit::Error);
        };
        (plan, Account::connect(global, &pace).await?)
    };

    let shown = super::render_plan(&plan, args.format, console.color, render::DEFAULT_MAX_BYTES)?;
    if args.format != Format::Json || plan.is_empty() {
        console.out.write_all(shown.as_bytes())?;
    }
    if plan.safety.refuses() {
        writeln!(
            console.err,
            "error: refused by the mass-change rule; nothing was written"
        )?;
        account.close().await;
        return Ok(Exit::Refused);
    }
    if plan.is_empty() {
        account.close().await;
        return Ok(Exit::Success);
    }
    let (secrets, missing) = super::secrets(plan.changes.iter().filter_map(|c| c.write.body()));
    if !missing.is_empty() {
        writeln!(
            console.err,
            "error: the plan needs environment variables that are not set: {}; nothing was written",
            missing.join(", ")
        )?;
        account.close().await;
        return Ok(Exit::Error);
    }
    if !args.yes {
        if args.format == Format::Json && console.interactive {
            // Standard output carries only the JSON report; show the plan being confirmed here.
            let text = render::plan_text(&plan, console.color);
            console.err.write_all(text.as_bytes())?;
        }
        if !confirm(console)? {
            account.close().await;
            return Ok(Exit::Error);
        }
    }

    let options = apply::Options {
        verify_timeout: Duration::from_secs(args.verify_timeout),
        concurrency: usize::from(args.concurrency),
    };
    let report = {
        let progress = Reporter::new(console, args.format, plan.changes.len());
        let report = apply::apply(&plan, &account.client, &secrets, &options, &progress).await;
        progress.done();
        report
    };
    account.close().await;
    print_report(&report, args.format, console)?;
    Ok(if report.converged() {
        Exit::Success
    } else {
        Exit::NotConverged
    })
}

/// Asks on a terminal; refuses when standard input is not one.
fn confirm(console: &mut Console) -> anyhow::Result<bool> {
    if !console.interactive {
        writeln!(
            console.err,
            "error: refusing to apply without --yes: standard input is not a terminal to confirm on"
        )?;
        return Ok(false);
    }
    write!(
        console.err,
        "\nApply these changes? Only 'yes' is accepted: "
    )?;
    console.err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(true)
    } else {
        writeln!(console.err, "Apply cancelled; nothing was written.")?;
        Ok(false)
    }
}

fn print_report(report: &Report, format: Format, console: &mut Console) -> anyhow::Result<()> {
    let text = match format {
        Format::Text if console.progress => render::report_text(report, console.color),
        // Lines were printed as changes finished; only the totals remain.
        Format::Text => format!("{}\n", render::totals_line(&report.totals)),
        Format::Markdown => render::report_markdown(report),
        Format::Json => render::json(report),
    };
    console.out.write_all(text.as_bytes())?;
    Ok(())
}

/// Progress: a bar on a terminal, one line per change otherwise (text format only).
struct Reporter<'a> {
    bar: Option<ProgressBar>,
    lines: Option<Mutex<&'a mut (dyn std::io::Write + Send)>>,
    color: bool,
}

impl<'a> Reporter<'a> {
    fn new(console: &'a mut Console, format: Format, total: usize) -> Self {
        let color = console.color;
        if console.progress {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Self {
                bar: Some(bar),
                lines: None,
                color,
            }
        } else if format == Format::Text {
            Self {
                bar: None,
                lines: Some(Mutex::new(console.out.as_mut())),
                color,
            }
        } else {
            Self {
                bar: None,
                lines: None,
                color,
            }
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter<'_> {
    fn finish(&self, outcome: &Outcome) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(render::escape::line(&outcome.address.to_string()).into_owned());
        }
        if let Some(lines) = &self.lines
            && let Ok(mut out) = lines.lock()
        {
            let _ = writeln!(out, "{}", render::outcome_line(outcome, self.color));
        }
    }
}
