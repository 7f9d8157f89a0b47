//! `vapiform completions SHELL` and `vapiform man`: what shells and `man` read, generated from
//! the command-line definition.

use clap::CommandFactory as _;

use super::Console;
use crate::cli::Cli;
use crate::exit::Exit;

pub(super) fn run(shell: clap_complete::Shell, console: &mut Console) -> Exit {
    clap_complete::generate(shell, &mut Cli::command(), "vapiform", &mut console.out);
    Exit::Success
}

/// The manual page, in roff.
pub(super) fn man(console: &mut Console) -> std::io::Result<Exit> {
    clap_mangen::Man::new(Cli::command()).render(&mut console.out)?;
    Ok(Exit::Success)
}
