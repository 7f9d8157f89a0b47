//! One module per subcommand, each with one `run` function, plus what they share: the
//! console, the account connection, and atomic file writes.

mod account;
mod apply;
mod check;
mod completions;
mod export;
mod failure;
mod numbers;
mod plan;
mod refusal;
mod schema;
mod show;
mod signals;
mod sim;
mod validate;

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;

use crate::cli::{Cli, Command, Format};
use crate::desired::{self, Desired};
use crate::exit::Exit;
use crate::plan::{Cost, Plan, Secrets};
use crate::render::{self, document::Kind};

pub(crate) use failure::Recorder;

/// Where a command writes, and what kind of terminal it runs on.
pub(crate) struct Console {
    /// Standard output: plans, reports, files.
    pub out: Box<dyn Write + Send>,
    /// Standard error: problems and prompts.
    pub err: Box<dyn Write + Send>,
    /// Whether to colour text output.
    pub color: bool,
    /// Whether to colour what goes to standard error (diagnostics).
    pub err_color: bool,
    /// Whether standard input is a terminal (so apply may ask for confirmation).
    pub interactive: bool,
    /// Whether standard error is a terminal (so apply may show a progress bar).
    pub progress: bool,
}

/// Runs the parsed command.
pub(crate) async fn run(cli: Cli, console: &mut Console) -> anyhow::Result<Exit> {
    let global = &cli.global;
    match cli.command {
        Command::Validate(args) => validate::run(&args, console),
        Command::Plan(args) => plan::run(global, &args, console).await,
        Command::Apply(args) => apply::run(global, &args, console).await,
        Command::Show(args) => show::run(&args, console),
        Command::Export(args) => export::run(global, &args, console).await,
        Command::Numbers(args) => numbers::run(global, &args, console).await,
        Command::Check(args) => check::run(global, &args, console).await,
        Command::Schema(args) => schema::run(&args, console),
        Command::Sim(args) => sim::run(&args, console).await,
        Command::Completions { shell } => Ok(completions::run(shell, console)),
        Command::Man => Ok(completions::man(console)?),
    }
}

/// Loads the desired-state file; on problems prints every diagnostic and returns `None`.
fn load(path: &Path, console: &mut Console) -> io::Result<Option<Desired>> {
    match desired::load(path) {
        Ok(desired) => Ok(Some(desired)),
        Err(report) => {
            print_report(&report, console)?;
            Ok(None)
        }
    }
}

/// Prints every diagnostic of a file that did not load.
fn print_report(report: &desired::Report, console: &mut Console) -> io::Result<()> {
    write!(console.err, "{}", report.render(console.err_color))
}

/// The `problems` document on stdout, when JSON was asked for: what a pipeline reads of every
/// problem a plan can stop at.
pub(super) fn problems_json(
    problems: &impl serde::Serialize,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<()> {
    if format == Format::Json {
        let document = serde_json::json!({
            "format_version": crate::plan::FORMAT_VERSION,
            "problems": problems,
        });
        console
            .out
            .write_all(render::document::document(Kind::Problems, &document).as_bytes())?;
    }
    Ok(())
}

/// The file's problems: on stderr, and as the problems document (`file`, `line`, `column`,
/// `path`, `message` each) when JSON was asked for.
pub(super) fn print_file_problems(
    report: &crate::desired::Report,
    format: Format,
    console: &mut Console,
) -> anyhow::Result<()> {
    problems_json(&report.diagnostics, format, console)?;
    print_report(report, console)?;
    Ok(())
}

/// Lets `value` go on a thread of its own: an account of 50,000 businesses takes a tenth of a
/// second to free object by object, time the user would wait for nothing, since the process
/// ends soon after (and may end before the thread has finished).
fn let_go<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// The values of the `${env.NAME}` variables `names` that are set, and the names of those
/// that are not.
fn secrets(names: std::collections::BTreeSet<String>) -> (Secrets, Vec<String>) {
    let mut secrets = Secrets::new();
    let mut missing = Vec::new();
    for name in names {
        match std::env::var(&name) {
            Ok(value) => {
                secrets.insert(name, value);
            }
            Err(_) => missing.push(name),
        }
    }
    (secrets, missing)
}

/// A plan in the chosen format; markdown refuses a `--max-bytes` too small for its summary.
/// With `mask_numbers`, text and markdown show phone numbers masked; JSON keeps them whole.
fn render_plan(
    plan: &Plan,
    cost: Option<&Cost>,
    format: Format,
    color: bool,
    max_bytes: usize,
    mask_numbers: bool,
) -> anyhow::Result<String> {
    let masked;
    let shown = if mask_numbers && format != Format::Json {
        masked = render::mask::numbers(plan)
            .context("cannot mask the plan's numbers; run without --mask-numbers")?;
        &masked
    } else {
        plan
    };
    Ok(match format {
        Format::Text => render::plan_text(shown, cost, color),
        Format::Markdown => render::plan_markdown(shown, cost, max_bytes)?,
        Format::Json => render::document::plan(plan, cost),
    })
}

/// Asks on the terminal whether to go on (`question`, answered `yes` alone), refusing when
/// standard input is not a terminal: `command` needs `--yes` there. `cancelled` is said when
/// the answer is anything else.
fn confirm(
    console: &mut Console,
    command: &str,
    question: &str,
    cancelled: &str,
) -> anyhow::Result<bool> {
    use std::io::BufRead as _;
    if !console.interactive {
        writeln!(
            console.err,
            "error: refusing to {command} without --yes: standard input is not a terminal to confirm on"
        )?;
        return Ok(false);
    }
    write!(console.err, "\n{question} Only 'yes' is accepted: ")?;
    console.err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(true)
    } else {
        writeln!(console.err, "{cancelled}")?;
        Ok(false)
    }
}

/// Writes a file whole or not at all (see [`crate::atomic`]).
fn write_atomically(path: &Path, contents: &str) -> anyhow::Result<()> {
    crate::atomic::write(path, |out| out.write_all(contents.as_bytes()))
        .with_context(|| format!("cannot write {}", path.display()))
}
