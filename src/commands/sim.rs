//! `vapiform sim`: serve the simulated Vapi API and carrier inventory until interrupted.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;

use super::Console;
use crate::cli::SimArgs;
use crate::exit::Exit;
use crate::sim;

pub(super) async fn run(args: &SimArgs, console: &mut Console) -> anyhow::Result<Exit> {
    if !(0.0..=1.0).contains(&args.error_rate) {
        anyhow::bail!(
            "--error-rate must be between 0 and 1, not {}",
            args.error_rate
        );
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
