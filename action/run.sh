#!/usr/bin/env bash
# Runs one vapiform command for the GitHub Action (action.yml) and reports it: the step's
# outputs, the job summary, and for `plan` on a pull request one comment, updated in place.
#
# Environment (set by action.yml; VAPI_API_KEY and VAPI_BASE_URL come from the job):
#   VAPIFORM_BIN     the binary install.sh put in place (default: vapiform on PATH)
#   INPUT_COMMAND    plan | apply | drift | check
#   INPUT_FILE       the desired-state file
#   INPUT_PLAN       plan, drift: where to save the JSON plan; apply: the reviewed plan to apply
#                    (without it, apply plans the file afresh and applies that plan); check:
#                    the applied plan, whose numbers are checked
#   INPUT_BASELINE   plan, drift: passed on as --baseline when set
#   INPUT_MASK_NUMBERS plan, drift, apply: `true` passes --mask-numbers (numbers shown as +1415•••0101)
#   INPUT_MAX_BYTES  plan, drift: the largest markdown, so the comment fits GitHub's limit
#   INPUT_COMMENT    plan: `true` posts the plan as one pull-request comment, updated in place
#   INPUT_COMMENT_AUTHOR plan: the login the token comments as; only its own comment is updated
#                    (default: the token's user, else github-actions[bot])
#   INPUT_EXPECT_DIGEST apply: passed on as --expect-digest when set: the digest of the plan a
#                    reviewer saw; any other plan is refused with exit 4
#   INPUT_SAMPLE     check: how many numbers to hold a conversation with (--sample N): of the
#                    plan's numbers when INPUT_PLAN is set, else of the account's
#   INPUT_MAX_COST   check: --max-cost, in dollars
#   GH_TOKEN, GITHUB_REPOSITORY, PR_NUMBER, PR_HEAD_SHA: the pull request to comment on
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_SERVER_URL, GITHUB_RUN_ID
#
# What the action publishes (the comment, the job summary) is vapiform's own output: the plan,
# or the markdown document it prints when it fails (its problems, escaped, and masked with
# mask-numbers). Standard error goes to the job log only.
#
# Outputs: exit-code, changes (the plan's number of changes), drift (drift: true or false),
# plan-file. Exit status: vapiform's own, so the step passes or fails as its exit codes say:
# 0 ok, 1 error, 2 changes pending (drift), 3 not converged, 4 stale plan, 5 refused,
# 6 a number does not answer as its business (check), 130 interrupted. A SIGINT or SIGTERM (a cancelled job) is passed on to vapiform.
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
    6) echo "a number does not answer as its business" ;;
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
# shellcheck disable=SC2317,SC2329 # called by the traps below
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
    action_error="interrupted before vapiform $1 started"
    echo "$action_error" >"$work/err.txt"
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

# What went wrong, for the summary and the comment: the exit status, unless vapiform's own
# failure document (on its standard output, already in the comment and the summary) says it.
failure_section() {
  if [ -n "$action_error" ]; then
    printf '**vapiform action**: %s\n' "$action_error"
  elif ! grep -q "^\*\*vapiform $command exited $code\*\*" "$work/out.md" 2>/dev/null; then
    printf '**vapiform %s exited %s**: %s\n' "$command" "$code" "$(meaning "$code")"
    if [ ! -s "$work/out.md" ]; then printf '\nvapiform printed no report; its output is in the job log.\n'; fi
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
  local api=repos/$GITHUB_REPOSITORY/issues id author
  if [ -n "${GITHUB_SERVER_URL:-}" ]; then
    GH_HOST=${GITHUB_SERVER_URL#*://}
    export GH_HOST=${GH_HOST%%/*}
  fi
  comment_body | jq -Rs '{body: .}' >"$work/comment.json"
  # Only a comment the token itself wrote is ever updated: anyone can post one that starts
  # with the marker.
  author=${INPUT_COMMENT_AUTHOR:-}
  if [ -z "$author" ]; then
    author=$(gh api user --jq .login 2>/dev/null) || author=""
    author=${author:-github-actions[bot]}
  fi
  if ! id=$(gh api --paginate "$api/$PR_NUMBER/comments?per_page=100" |
    jq -r --arg marker "$marker" --arg author "$author" \
      '.[] | select(.user.login == $author) | select(.body // "" | startswith($marker)) | .id' | tail -n 1); then
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

# The tools this script needs, checked before anything runs.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "::error title=vapiform::$1 is not installed on this runner, and the vapiform action needs it $2"
  exit 1
}
need jq "to read the plan"
if [ "$command" = plan ] && [ "${INPUT_COMMENT:-true}" = true ] &&
  [ -n "${PR_NUMBER:-}" ] && [ -n "${GH_TOKEN:-}" ]; then
  need gh "to comment on the pull request (or set comment: false)"
fi

code=0
action_error=""
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
      action_error="no plan to apply at the plan input's path"
      echo "no plan to apply at $plan_file" >&2
      code=1
    elif [ -z "${INPUT_PLAN:-}" ]; then
      run_vapiform plan -f "$file" --format markdown --out "$plan_file"
    fi
    if [ "$code" = 0 ]; then
      args=(apply --plan "$plan_file" --yes --format markdown)
      if [ -n "${INPUT_EXPECT_DIGEST:-}" ]; then args+=(--expect-digest "$INPUT_EXPECT_DIGEST"); fi
      if [ "${INPUT_MASK_NUMBERS:-false}" = true ]; then args+=(--mask-numbers); fi
      run_vapiform "${args[@]}"
    fi
    ;;
  check)
    args=(check -f "$file" --yes --format markdown --max-cost "${INPUT_MAX_COST:-1}")
    if [ -n "${INPUT_PLAN:-}" ]; then args+=(--plan "$plan_file"); fi
    if [ -n "${INPUT_SAMPLE:-}" ]; then args+=(--sample "$INPUT_SAMPLE"); fi
    if [ "${INPUT_MASK_NUMBERS:-false}" = true ]; then args+=(--mask-numbers); fi
    if [ -z "${INPUT_PLAN:-}" ] && [ -z "${INPUT_SAMPLE:-}" ]; then
      action_error="check needs the plan input (the numbers an apply changed), the sample input, or both"
      echo "$action_error" >&2
      code=1
    elif [ -n "${INPUT_PLAN:-}" ] && [ ! -f "$plan_file" ]; then
      action_error="no plan to check at the plan input's path"
      echo "no plan to check at $plan_file" >&2
      code=1
    else
      run_vapiform "${args[@]}"
    fi
    ;;
  *)
    action_error="command must be plan, apply, drift or check"
    echo "command must be plan, apply, drift or check, not '$command'" >&2
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
