//! `vapiform sim`: serve the simulated Vapi API and carrier inventory until interrupted.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;

use super::Console;
use crate::cli::{AfterWrite, SimArgs};
use crate::exit::Exit;
use crate::sim;

pub(super) async fn run(args: &SimArgs, console: &mut Console) -> anyhow::Result<Exit> {
    for (flag, share) in [
        ("--error-rate", args.error_rate),
        ("--fail-after-write", args.fail_after_write),
    ] {
        if !(0.0..=1.0).contains(&share) {
            anyhow::bail!("{flag} must be between 0 and 1, not {share}");
        }
    }
    let options = sim::Options {
        state: args.state.clone(),
        listen: args.listen,
        token: args.token.clone(),
        telnyx_token: args.telnyx_token.clone(),
        latency: Duration::from_millis(args.latency_ms),
        error_rate: args.error_rate,
        rate_limit: args.rate_limit,
        lag: Duration::from_millis(args.lag_ms),
        fail_after_write: args.fail_after_write,
        fail_after_write_as: args
            .fail_after_write_as
            .iter()
            .map(|how| match how {
                AfterWrite::Status500 => sim::AfterWrite::Status500,
                AfterWrite::Drop => sim::AfterWrite::Drop,
                AfterWrite::Hang => sim::AfterWrite::Hang,
            })
            .collect(),
        seed: args.seed,
        ..sim::Options::default()
    };
    let running = sim::start(options)
        .await
        .context("cannot start the simulator")?;
    writeln!(console.out, "vapiform sim listening on {}", running.url())?;
    console.out.flush()?;
    running.wait().await;
    Ok(Exit::Success)
}
