#!/usr/bin/env bash
# Installs the tools the test workflow uses beyond cargo itself: cargo-mutants, for mutation
# testing of the safety core (configured in .cargo/mutants.toml). Safe to run again: a tool
# already installed is left alone.
set -euo pipefail

if cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants already installed: $(cargo mutants --version)"
else
  cargo install --locked cargo-mutants
fi
