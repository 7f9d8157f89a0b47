//! The `vapiform` binary: everything lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    vapiform::run(std::env::args_os()).into()
}
