//! `vapiform completions SHELL`.

use clap::CommandFactory as _;

use super::Console;
use crate::cli::Cli;
use crate::exit::Exit;

pub(super) fn run(shell: clap_complete::Shell, console: &mut Console) -> Exit {
    clap_complete::generate(shell, &mut Cli::command(), "vapiform", &mut console.out);
    Exit::Success
}
