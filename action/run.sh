#!/usr/bin/env bash
# Runs one vapiform command for the GitHub Action (action.yml) and reports it: the step's
# outputs, the job summary, and for `plan` on a pull request one comment, updated in place.
#
# Environment (set by action.yml; VAPI_API_KEY and VAPI_BASE_URL come from the job):
#   VAPIFORM_BIN     the binary install.sh put in place (default: vapiform on PATH)
#   INPUT_COMMAND    plan | apply | drift
#   INPUT_FILE       the desired-state file
#   INPUT_PLAN       plan, drift: where to save the JSON plan; apply: the reviewed plan to apply
#                    (without it, apply plans the file afresh and applies that plan)
#   INPUT_BASELINE   plan, drift: passed on as --baseline when set
#   INPUT_MASK_NUMBERS plan, drift, apply: `true` passes --mask-numbers (numbers shown as +1415•••0101)
#   INPUT_MAX_BYTES  plan, drift: the largest markdown, so the comment fits GitHub's limit
#   INPUT_COMMENT    plan: `true` posts the plan as one pull-request comment, updated in place
#   GH_TOKEN, GITHUB_REPOSITORY, PR_NUMBER, PR_HEAD_SHA: the pull request to comment on
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_SERVER_URL, GITHUB_RUN_ID
#
# Outputs: exit-code, changes (the plan's number of changes), drift (drift: true or false),
# plan-file. Exit status: vapiform's own, so the step passes or fails as its exit codes say:
# 0 ok, 1 error, 2 changes pending (drift), 3 not converged, 4 stale plan, 5 refused,
# 130 interrupted. A SIGINT or SIGTERM (a cancelled job) is passed on to vapiform.
set -euo pipefail

command=${INPUT_COMMAND:-plan}
file=${INPUT_FILE:-vapiform.yaml}
baseline=${INPUT_BASELINE:-}
max_bytes=${INPUT_MAX_BYTES:-60000}
bin=${VAPIFORM_BIN:-vapiform}
outputs=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
if command -v cygpath >/dev/null 2>&1; then temp=$(cygpath -u "$temp"); fi
work=$(mktemp -d "$temp/vapiform.XXXXXX")
plan_file=${INPUT_PLAN:-$work/plan.json}
# The file's name as the comment shows it: nothing that could end the marker or a code span.
label=$(printf '%s' "$file" | tr -c 'A-Za-z0-9._/-' '_')
marker="<!-- vapiform-plan $label -->"

# A path as the runner's own programs want it (Windows form under Git Bash).
native_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s\n' "$1"; fi
}

meaning() {
  case $1 in
    0) echo "success" ;;
    1) echo "error: bad input, missing key, authentication, network or API error" ;;
    2) echo "changes are pending" ;;
    3) echo "apply did not converge: a change failed or could not be verified" ;;
    4) echo "the saved plan is stale: something it touches changed since it was made; nothing was written" ;;
    5) echo "a safety rule refused the plan; nothing was written" ;;
    130) echo "interrupted: run plan again" ;;
    *) echo "unexpected exit status" ;;
  esac
}

# The runner cancels a step by signalling this script alone, so a SIGINT or SIGTERM is passed
# on: vapiform finishes the writes in flight and exits 130, and a second signal stops it at
# once. The traps hold for the whole script: a signal that arrives while no vapiform runs
# (before the first, or between apply's plan and its apply) is remembered, and no further
# vapiform is started.
child=""
signalled=""
# shellcheck disable=SC2317 # called by the traps below
forward() {
  signalled=$1
  if [ -n "$child" ]; then kill "-$1" "$child" 2>/dev/null || true; fi
}
trap 'forward INT' INT
trap 'forward TERM' TERM

# Runs vapiform with "$@" (stdout to $work/out.md, stderr to $work/err.txt, both then copied to
# the log) and sets $code; after a signal it starts nothing and sets 130.
run_vapiform() {
  if [ -n "$signalled" ]; then
    echo "interrupted before vapiform $1 started" >"$work/err.txt"
    code=130
    show_in_log
    return
  fi
  (
    trap - INT TERM
    exec "$bin" --color never "$@"
  ) >"$work/out.md" 2>"$work/err.txt" &
  child=$!
  # A signal between the start and `child` being set is passed on now.
  if [ -n "$signalled" ]; then kill "-$signalled" "$child" 2>/dev/null || true; fi
  # A trapped signal ends `wait` early: wait again until vapiform itself has exited.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
  code=0
  wait "$child" || code=$?
  child=""
  show_in_log
}

# Copies vapiform's stdout and stderr to the log with workflow commands off, so that no line of text from
# the file or the account is read as one (`::add-mask::`, `::error::`, ...).
show_in_log() {
  local token
  token=vapiform-$RANDOM$RANDOM
  echo "::stop-commands::$token"
  cat "$work/out.md" "$work/err.txt"
  echo "::$token::"
}

# What went wrong, for the summary and the comment: the exit status and vapiform's stderr in a
# code fence longer than any backtick run in it, so no text from the file or the account can
# close it.
failure_section() {
  local longest fence
  printf '**vapiform %s exited %s**: %s\n\n' "$command" "$code" "$(meaning "$code")"
  [ -s "$work/err.txt" ] || return 0
  longest=$(head -c 20000 "$work/err.txt" | grep -o '`*' | awk '{ if (length > n) n = length } END { print n + 0 }')
  fence='```'
  while [ "${#fence}" -le "$longest" ]; do fence="$fence\`"; done
  printf '%stext\n' "$fence"
  head -c 20000 "$work/err.txt"
  if [ -n "$(head -c 20000 "$work/err.txt" | tail -c 1)" ]; then printf '\n'; fi
  printf '%s\n' "$fence"
  if [ "$(wc -c <"$work/err.txt")" -gt 20000 ]; then
    printf '\n(cut at 20000 bytes: the whole message is in the job log)\n'
  fi
}

# The comment: the marker that finds it again, the plan, any failure, and where it came from.
comment_body() {
  local run_url=${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}
  printf '%s\n' "$marker"
  if [ -s "$work/out.md" ]; then cat "$work/out.md"; fi
  if [ "$code" != 0 ]; then printf '\n'; failure_section; fi
  printf '\n<sub>vapiform plan of <code>%s</code> at %s · exit %s · <a href="%s">workflow run</a></sub>\n' \
    "$label" "${PR_HEAD_SHA:-${GITHUB_SHA:-}}" "$code" "$run_url"
}

# Updates the pull request's comment that starts with the marker, or posts one.
post_comment() {
  local api=repos/$GITHUB_REPOSITORY/issues id
  if [ -n "${GITHUB_SERVER_URL:-}" ]; then
    GH_HOST=${GITHUB_SERVER_URL#*://}
    export GH_HOST=${GH_HOST%%/*}
  fi
  comment_body | jq -Rs '{body: .}' >"$work/comment.json"
  if ! id=$(gh api --paginate "$api/$PR_NUMBER/comments?per_page=100" |
    jq -r --arg marker "$marker" '.[] | select(.body // "" | startswith($marker)) | .id' | tail -n 1); then
    echo "::warning title=vapiform comment::could not list the pull request's comments; the plan is in the job summary"
    return 0
  fi
  if [ -n "$id" ] && gh api --method PATCH "$api/comments/$id" --input "$work/comment.json" >/dev/null; then
    echo "Updated the plan comment on pull request #$PR_NUMBER"
  elif gh api --method POST "$api/$PR_NUMBER/comments" --input "$work/comment.json" >/dev/null; then
    echo "Posted the plan as a comment on pull request #$PR_NUMBER"
  else
    echo "::warning title=vapiform comment::could not comment on pull request #$PR_NUMBER (does the job have pull-requests: write?); the plan is in the job summary"
  fi
}

code=0
case $command in
  plan | drift)
    rm -f "$plan_file"
    args=(plan -f "$file" --format markdown --out "$plan_file" --max-bytes "$max_bytes")
    if [ "$command" = drift ]; then args+=(--detailed-exitcode); fi
    if [ -n "$baseline" ]; then args+=(--baseline "$baseline"); fi
    if [ "${INPUT_MASK_NUMBERS:-false}" = true ]; then args+=(--mask-numbers); fi
    run_vapiform "${args[@]}"
    ;;
  apply)
    if [ -n "${INPUT_PLAN:-}" ] && [ ! -f "$plan_file" ]; then
      echo "no plan to apply at $plan_file" | tee "$work/err.txt" >&2
      code=1
    elif [ -z "${INPUT_PLAN:-}" ]; then
      run_vapiform plan -f "$file" --format markdown --out "$plan_file"
    fi
    if [ "$code" = 0 ]; then
      args=(apply --plan "$plan_file" --yes --format markdown)
      if [ "${INPUT_MASK_NUMBERS:-false}" = true ]; then args+=(--mask-numbers); fi
      run_vapiform "${args[@]}"
    fi
    ;;
  *)
    echo "command must be plan, apply or drift, not '$command'" | tee "$work/err.txt" >&2
    code=1
    ;;
esac

changes=""
if [ -f "$plan_file" ]; then changes=$(jq '.changes | length' "$plan_file") || changes=""; fi
drift=""
if [ "$command" = drift ]; then
  case $code in
    0) drift=false ;;
    2) drift=true ;;
  esac
fi
{
  echo "exit-code=$code"
  echo "changes=$changes"
  echo "drift=$drift"
  if [ -f "$plan_file" ]; then echo "plan-file=$(native_path "$plan_file")"; else echo "plan-file="; fi
} >>"$outputs"

{
  if [ -s "$work/out.md" ]; then
    head -c 1000000 "$work/out.md"
    printf '\n'
  fi
  if [ "$drift" = true ]; then
    printf '**Drift**: the account no longer matches <code>%s</code>.\n' "$label"
  elif [ "$code" != 0 ]; then
    failure_section
  fi
} >>"$summary"

if [ "$drift" = true ]; then
  echo "::error title=vapiform drift::the account no longer matches $label"
elif [ "$code" != 0 ]; then
  echo "::error title=vapiform::$command exited $code: $(meaning "$code")"
fi

if [ "$command" = plan ] && [ "${INPUT_COMMENT:-true}" = true ] &&
  [ -n "${PR_NUMBER:-}" ] && [ -n "${GH_TOKEN:-}" ]; then
  post_comment
fi

exit "$code"
