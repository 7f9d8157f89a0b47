#!/usr/bin/env bash
# Stands in for cargo in the action's install tests (tests/integration/action.rs): appends its
# arguments to $FAKE_CARGO_LOG and, as `cargo install --root ROOT` would, puts a binary (a copy
# of $FAKE_CARGO_BINARY) in ROOT/bin.
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_CARGO_LOG"
root=""
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root=$2; fi
  shift
done
mkdir -p "$root/bin"
cp "$FAKE_CARGO_BINARY" "$root/bin/vapiform"
chmod +x "$root/bin/vapiform"
