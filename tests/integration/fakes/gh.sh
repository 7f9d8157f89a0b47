#!/usr/bin/env bash
# Stands in for the GitHub CLI in the action's tests (tests/integration/action.rs). Each call is
# appended to $FAKE_GH_LOG as one JSON line, {"args": [...], "body": "..."}, the body being the
# file given to --input. A listing (no --method) prints $FAKE_GH_COMMENTS; a PATCH fails when
# $FAKE_GH_PATCH_FAILS is set, as GitHub refuses to edit someone else's comment. `gh api user`
# (a lookup, not logged) prints $FAKE_GH_USER, or fails as it does for the default token.
set -euo pipefail
if [ "${1:-}" = api ] && [ "${2:-}" = user ]; then
  if [ -n "${FAKE_GH_USER:-}" ]; then
    printf '%s\n' "$FAKE_GH_USER"
    exit 0
  fi
  echo "gh: Resource not accessible by integration (HTTP 403)" >&2
  exit 1
fi
method=GET
input=/dev/null
previous=""
for arg in "$@"; do
  case $previous in
    --method) method=$arg ;;
    --input) input=$arg ;;
  esac
  previous=$arg
done
printf '%s\n' "$@" | jq -R . | jq -cs --rawfile body "$input" '{args: ., body: $body}' >>"$FAKE_GH_LOG"
if [ "$method" = GET ]; then
  cat "$FAKE_GH_COMMENTS"
elif [ "$method" = PATCH ] && [ -n "${FAKE_GH_PATCH_FAILS:-}" ]; then
  echo "gh: Resource not accessible by integration (HTTP 403)" >&2
  exit 1
else
  echo '{}'
fi
