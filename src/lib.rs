//! vapiform keeps a Vapi account's phone-number routing, and the assistant of every business
//! that owns a number, equal to one reviewed YAML file: `plan` shows what would change,
//! `apply` makes the changes and proves each one by reading it back.
//!
//! Data flows one way: `desired` (load, validate, expand) and [`vapi`] (the live account,
//! with [`telnyx`] for the carrier, both over [`http`]) feed the pure `plan`ner; `render`
//! presents a plan; `apply` executes it through the same client and verifies each write.
//! [`sim`] is a local Vapi (and Telnyx) for `--sandbox` and tests. The public items are what
//! the binary and the tests use: [`run`], [`plan_digest`], the clients and the simulator.

mod apply;
mod atomic;
mod bounded;
mod check;
mod cli;
mod commands;
mod desired;
mod exit;
pub mod export;
pub mod http;
mod id;
mod path;
mod plan;
mod render;
pub mod sim;
mod strings;
pub mod telnyx;
pub mod vapi;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};

use clap::Parser as _;

use crate::cli::{Cli, ColorChoice};
pub use crate::exit::Exit;

/// The digest of a JSON plan's content, as `vapiform plan --out` writes it in `digest`: what a
/// tool computes to check a plan file (and what anyone able to edit one can recompute, which is
/// why `apply` also checks that each change writes what the plan shows for it).
///
/// # Errors
/// When `plan` is not a vapiform JSON plan.
pub fn plan_digest(plan: &str) -> Result<String, serde_json::Error> {
    Ok(serde_json::from_str::<plan::Plan>(plan)?.content_digest())
}

/// Runs vapiform with these arguments (the first is the program name) and returns the exit
/// status. Never calls `process::exit`.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Error
            } else {
                Exit::Success
            };
        }
    };
    let stderr_color = colors(cli.global.color, &std::io::stderr());
    let mask = cli.masks_numbers();
    init_logging(cli.global.verbose, cli.global.quiet, stderr_color, mask);
    let stdout = std::io::stdout();
    let color = colors(cli.global.color, &stdout);
    // Standard error is masked line by line before it is recorded, so a failure document
    // quotes it masked.
    let document = cli.document();
    let recorder = commands::Recorder::default();
    let err = recorder.err(std::io::stderr());
    let mut console = commands::Console {
        out: recorder.out(stdout),
        err: if mask {
            Box::new(render::mask::Lines::new(err))
        } else {
            err
        },
        color,
        err_color: stderr_color,
        interactive: std::io::stdin().is_terminal(),
        progress: std::io::stderr().is_terminal() && !cli.global.quiet,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(
                console.err,
                "error: cannot start the async runtime: {error}"
            );
            return Exit::Error;
        }
    };
    let outcome = runtime.block_on(commands::run(cli, &mut console));
    let _ = console.out.flush();
    let exit = match outcome {
        Ok(exit) => exit,
        Err(error) if is_broken_pipe(&error) => return Exit::Success,
        Err(error) => {
            // The chain can quote the account or the file (names, Vapi's messages).
            let text = format!("{error:#}");
            let _ = writeln!(console.err, "error: {}", render::escape::lines(&text));
            Exit::Error
        }
    };
    let _ = console.err.flush();
    if let Some((command, format)) = document
        && let Some(text) = recorder.document(command, format, exit)
    {
        let _ = console.out.write_all(text.as_bytes());
        let _ = console.out.flush();
    }
    exit
}

/// Whether to colour what goes to `stream`: as `--color` says, and for `auto` as the
/// conventions say (a terminal; `NO_COLOR` off, `CLICOLOR_FORCE` on, `CLICOLOR=0`,
/// `TERM=dumb`), as `anstream` reads them.
fn colors(choice: ColorChoice, stream: &impl anstream::stream::RawStream) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never,
    }
}

/// A reader that closed the pipe early (`vapiform plan | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs to stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace, `-q` errors only.
/// Only vapiform's own events are shown; the key is never part of any.
/// With `mask`, phone numbers in the log are masked like the rest of stderr.
fn init_logging(verbose: u8, quiet: bool, color: bool, mask: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,vapiform={level}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || -> Box<dyn std::io::Write> {
            if mask {
                Box::new(render::mask::Lines::new(std::io::stderr()))
            } else {
                Box::new(std::io::stderr())
            }
        })
        .with_ansi(color)
        .with_target(false)
        .try_init();
}
