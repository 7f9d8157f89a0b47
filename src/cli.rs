//! The command line: clap derive only. Doc comments are the help text.

// The doc comments here are `--help` text, where backticks would show as they are.
#![allow(clippy::doc_markdown)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::plan::Address;

/// The version, the commit it was built from and that commit's date (see `build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("VAPIFORM_COMMIT"),
    " ",
    env!("VAPIFORM_COMMIT_DATE"),
    ")"
);

/// Keep a Vapi account's phone-number routing and business assistants equal to one YAML file.
///
/// `plan` reads the account and shows what would change; `apply` makes the changes and
/// verifies each one by reading it back. `--sandbox FILE` runs everything against a local
/// simulated account instead of api.vapi.ai.
#[derive(Debug, Parser)]
#[command(
    name = "vapiform",
    version = VERSION,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Vapi API base URL [env: VAPI_BASE_URL] [default: https://api.vapi.ai]
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Telnyx API base URL, used only when the file declares a carrier [env: TELNYX_BASE_URL]
    /// [default: https://api.telnyx.com]
    #[arg(long, global = true, value_name = "URL")]
    pub telnyx_url: Option<String>,
    /// Run against a simulated account stored in FILE (created empty if missing) instead of
    /// the network, Vapi and the carrier alike; apply writes the account back to FILE.
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["api_url", "telnyx_url"])]
    pub sandbox: Option<PathBuf>,
    /// More log output on stderr (-v, -vv, -vvv). The API key is never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// terraform-like text.
    Text,
    /// Markdown for a pull-request comment.
    Markdown,
    /// The JSON document (format_version 1).
    Json,
}

/// How the simulator fails a write after storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AfterWrite {
    /// Answer 500.
    #[value(name = "500")]
    Status500,
    /// Close the connection without an answer.
    Drop,
    /// Answer nothing until the client gives up.
    Hang,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check the desired-state file offline; report every problem with its location.
    Validate(ValidateArgs),
    /// Show what apply would change, reading the account with list calls only.
    Plan(PlanArgs),
    /// Make the changes of a plan and verify each by reading it back.
    Apply(ApplyArgs),
    /// Render a saved plan exactly as plan printed it.
    Show(ShowArgs),
    /// Write the live account as a desired-state file that plans to no changes.
    Export(ExportArgs),
    /// List every number across the carrier and Vapi, and where each stands (free, assigned,
    /// unassigned, orphan, ignored). Reads with list calls only; writes nothing.
    Numbers(NumbersArgs),
    /// The test call: hold a short text conversation (Vapi's chat API) with what answers each
    /// number, and check it answers as the business the file says owns it. Says what it will
    /// spend and asks first; writes nothing.
    Check(CheckArgs),
    /// Print the JSON Schema of the desired-state file.
    Schema(SchemaArgs),
    /// Serve a local simulated Vapi API and carrier inventory (for tests, demos and SDKs).
    Sim(SimArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff, for `man`), generated from this command line.
    Man,
}

/// The desired-state file.
#[derive(Debug, Args)]
pub(crate) struct FileArg {
    /// The desired-state file, or a folder: DIR/vapiform.yaml plus every
    /// DIR/businesses/**/*.yaml (also read when FILE is a vapiform.yaml with businesses/
    /// beside it).
    #[arg(short, long, value_name = "FILE", default_value = "vapiform.yaml")]
    pub file: PathBuf,
}

/// `vapiform validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Output format: the summary line, or with json the file's problems as one document
    /// (`{"format_version": 1, "problems": [...]}`) on failure and its counts on success.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `vapiform plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Also save the plan as JSON, for `show` and `apply --plan`.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when changes are pending (0 when there are none).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan only this address (assistant/<key> or number/<E.164>); repeatable.
    #[arg(long, value_name = "ADDRESS")]
    pub target: Vec<Address>,
    /// Largest markdown output in bytes (GitHub comments hold 65536).
    #[arg(long, value_name = "N", default_value_t = crate::render::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
    /// Delete labelled assistants no longer declared, as if the file said `prune: true`.
    #[arg(long)]
    pub prune: bool,
    /// Do not refuse a plan with more routing changes than the mass-change limit.
    #[arg(long)]
    pub allow_mass_change: bool,
    /// Also plan this desired state (a file or folder, such as the target branch's) against
    /// the same account, and label each change intent (only this file makes it) or drift (the
    /// baseline makes it too).
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// Show phone numbers as +1415•••0101 in text and markdown, and in every problem, error and
    /// warning on stderr (the JSON plan keeps them whole).
    #[arg(long)]
    pub mask_numbers: bool,
    /// The request rate apply will run at (apply --rps): the plan states how long applying
    /// it takes at this rate.
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = positive_rate)]
    pub rps: f64,
}

/// `vapiform apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The desired-state file (plan and apply in one go; with --plan, only what --check
    /// reads the businesses from).
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Apply this saved plan exactly, after checking nothing it touches has changed.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Output format of the plan and the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Most requests per second, across every request apply sends.
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = positive_rate)]
    pub rps: f64,
    /// Delete labelled assistants no longer declared, as if the file said `prune: true`.
    /// A saved plan already decided this, so not with --plan.
    #[arg(long, conflicts_with = "plan")]
    pub prune: bool,
    /// Do not refuse a plan with more routing changes than the mass-change limit. A saved plan
    /// already decided this, so not with --plan.
    #[arg(long, conflicts_with = "plan")]
    pub allow_mass_change: bool,
    /// Show phone numbers as +1415•••0101 in the text and markdown plan and report, and in
    /// every problem, error and warning on stderr (the JSON report keeps them whole).
    #[arg(long)]
    pub mask_numbers: bool,
    /// Write nothing unless the plan's digest is D (the fresh plan's, or with --plan the saved
    /// one's): apply exactly the plan a review approved, or nothing (exit 4). The 64 hex
    /// digits of a plan digest, in either case.
    #[arg(long, value_name = "D", value_parser = digest)]
    pub expect_digest: Option<String>,
    /// Once every change is applied and verified, check that the numbers it changed answer
    /// as their business (`vapiform check --plan`, see there): says what it will spend and
    /// asks unless --yes. Not with --format json (check prints a report of its own).
    #[arg(long)]
    pub check: bool,
    /// With --check: start no conversation that could take the spending past USD dollars.
    #[arg(long, value_name = "USD", default_value_t = 1.0, value_parser = positive_rate, requires = "check")]
    pub max_cost: f64,
    /// Seconds to keep reading a written object back before calling it unverified, and to
    /// look for a create that failed ambiguously before sending it again: how long the API's
    /// reads may lag behind its writes.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub verify_timeout: u64,
}

impl Cli {
    /// The command's name and the document format it was asked for, when it prints one on
    /// standard output whatever the outcome (see `commands::failure`).
    pub(crate) fn document(&self) -> Option<(&'static str, Format)> {
        let (name, format) = match &self.command {
            Command::Validate(args) => ("validate", args.format),
            Command::Plan(args) => ("plan", args.format),
            Command::Apply(args) => ("apply", args.format),
            Command::Check(args) => ("check", args.format),
            _ => return None,
        };
        (format != Format::Text).then_some((name, format))
    }

    /// Whether the command shows phone numbers masked (`--mask-numbers`): then everything on
    /// standard error is masked too.
    pub(crate) fn masks_numbers(&self) -> bool {
        match &self.command {
            Command::Plan(args) => args.mask_numbers,
            Command::Apply(args) => args.mask_numbers,
            Command::Show(args) => args.mask_numbers,
            Command::Check(args) => args.mask_numbers,
            _ => false,
        }
    }
}

/// `vapiform check`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).multiple(true).args(["plan", "target", "sample", "all"])))]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// The numbers a saved plan changes, and those routed to the assistants it changes: what
    /// an apply of it just did.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// These numbers (`number/+1...`), or the numbers routed to these assistants
    /// (`assistant/KEY`).
    #[arg(long, value_name = "ADDRESS")]
    pub target: Vec<Address>,
    /// N of the numbers (of --plan's and --target's, else of the account's), the same N every
    /// run (ordered by a hash of the number).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sample: Option<u32>,
    /// Every number of the account the file does not ignore.
    #[arg(long, conflicts_with_all = ["plan", "target"])]
    pub all: bool,
    /// Do not ask before holding the conversations.
    #[arg(long)]
    pub yes: bool,
    /// Start no conversation that could take the spending past USD dollars.
    #[arg(long, value_name = "USD", default_value_t = 1.0, value_parser = positive_rate)]
    pub max_cost: f64,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Most requests per second.
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = positive_rate)]
    pub rps: f64,
    /// Conversations at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Show phone numbers as +1415•••0101 in text and markdown, and on stderr.
    #[arg(long)]
    pub mask_numbers: bool,
}

/// A rate: a finite number above zero.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: expected a number above 0, like 10 or 2.5"
        )),
    }
}

/// A plan digest as pasted from a review: 64 hex digits, in either case, surrounding spaces
/// ignored. Anything else (empty, cut short) is refused rather than compared and found stale.
fn digest(text: &str) -> Result<String, String> {
    let digest = text.trim().to_ascii_lowercase();
    if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(digest)
    } else {
        Err(format!(
            "{:?} is not a plan digest: expected the 64 hex digits a plan shows (`Plan digest: ...`)",
            text.chars().take(80).collect::<String>()
        ))
    }
}

/// `vapiform show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// A plan saved with `plan --out`.
    pub plan: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Largest markdown output in bytes.
    #[arg(long, value_name = "N", default_value_t = crate::render::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
    /// Show phone numbers as +1415•••0101 in text and markdown.
    #[arg(long)]
    pub mask_numbers: bool,
}

/// `vapiform numbers`.
#[derive(Debug, Args)]
pub(crate) struct NumbersArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Only the numbers a new business can take: unassigned in Vapi or in the carrier's pool,
    /// active at the carrier when one is declared, not ignored; sorted by number.
    #[arg(long)]
    pub free: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// An output format for lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// An aligned table.
    Text,
    /// The JSON document (format_version 1).
    Json,
}

/// `vapiform export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write a folder instead: DIR/vapiform.yaml and one DIR/businesses/<key>.yaml per
    /// business. Business files no longer in the account are removed; a DIR/businesses that
    /// holds anything else is refused.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub split: Option<PathBuf>,
}

/// `vapiform schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// The schema of a business file (businesses/**/*.yaml of a folder) instead.
    #[arg(long)]
    pub businesses: bool,
}

/// `vapiform sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// The account file ({"phoneNumbers": [...], "assistants": [...], "squads": [...],
    /// "telnyxNumbers": [...]}); in memory if omitted.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Accept only this bearer token on the Vapi routes (any non-empty token otherwise).
    #[arg(long, env = "VAPIFORM_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Accept only this bearer token on the Telnyx route (any non-empty token otherwise).
    #[arg(long, env = "VAPIFORM_SIM_TELNYX_TOKEN", hide_env_values = true)]
    pub telnyx_token: Option<String>,
    /// Milliseconds added to every response.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests answered 500 (0 to 1), before acting.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Requests per second above which requests get 429 (Vapi with Retry-After, Telnyx with
    /// x-ratelimit-reset; each API counted apart).
    #[arg(long, value_name = "RPS", value_parser = positive_rate)]
    pub rate_limit: Option<f64>,
    /// Milliseconds after a write during which reads still return the old object.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub lag_ms: u64,
    /// Share of writes that are stored and then fail (0 to 1): the client cannot tell they
    /// took effect.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fail_after_write: f64,
    /// How a write fails after acting: for each one the seeded coin picks among those given.
    #[arg(
        long,
        value_name = "HOW",
        value_enum,
        value_delimiter = ',',
        default_values_t = [AfterWrite::Status500, AfterWrite::Drop, AfterWrite::Hang]
    )]
    pub fail_after_write_as: Vec<AfterWrite>,
    /// Seed for injected faults.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}
