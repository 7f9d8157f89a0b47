#!/usr/bin/env bash
# The pre-commit hook `vapiform-validate` (.pre-commit-hooks.yaml): builds vapiform from the
# hook's checkout with the versions its Cargo.lock pins (`cargo build --locked`; once, later
# runs reuse the build) and runs `vapiform validate` with the hook's args, in the repository
# being committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --locked --release --manifest-path "$root/Cargo.toml" --bin vapiform
exec "$root/target/release/vapiform" validate "$@"
