//! The `vapiform` binary: everything lives in the library.

fn main() {}
