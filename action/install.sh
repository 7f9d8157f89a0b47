#!/usr/bin/env bash
# Installs vapiform for the GitHub Action (action.yml): the release binary for this runner,
# checked against the release's SHA256SUMS; where the release has no binary for the runner (or
# there is no release), a build with `cargo install --locked`. An action pinned to a commit
# SHA or a branch runs that code's scripts, so it builds that code's binary too: never a
# release's, which may be other code.
#
# Environment (set by action.yml and the runner):
#   VAPIFORM_VERSION   a release tag (v0.2.0), `latest`, or empty: the tag the action is pinned
#                      to when that is a release tag (uses: OWNER/vapiform@v0.2.0); pinned to
#                      anything else (a SHA, a branch), the action's own checkout, built
#   GITHUB_ACTION_PATH the action's checkout, .../_actions/OWNER/REPO/REF: the releases are
#                      OWNER/REPO's, and it is the source built when no binary can be had
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_SERVER_URL, GITHUB_OUTPUT, GITHUB_PATH
#
# Outputs: `path` (the binary), and its folder is added to PATH for later steps. A binary whose
# checksum does not match fails the step: that is never a reason to build instead.
set -euo pipefail

fail() {
  echo "::error title=vapiform install::$*"
  exit 1
}

# A path as the runner's own programs want it (Windows form under Git Bash).
native_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s\n' "$1"; fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
action_path=${action_path%/}
server=${GITHUB_SERVER_URL:-https://github.com}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
if command -v cygpath >/dev/null 2>&1; then temp=$(cygpath -u "$temp"); fi
root=$(mktemp -d "$temp/vapiform-install.XXXXXX")
mkdir -p "$root/bin"

# OWNER/REPO and REF from .../_actions/OWNER/REPO/REF; nothing for a local action (uses: ./).
repository=""
ref=""
slashed=${action_path//\\//}
case "$slashed" in
  */_actions/*/*/*)
    ref=${slashed##*/}
    rest=${slashed%/*}
    name=${rest##*/}
    rest=${rest%/*}
    owner=${rest##*/}
    rest=${rest%/*}
    if [ "${rest##*/}" = _actions ]; then repository=$owner/$name; else ref=""; fi
    ;;
esac

requested=${VAPIFORM_VERSION:-}
version=$requested
pinned_code=""
if [ -z "$version" ]; then
  if [[ $ref =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    version=$ref
  elif [ -n "$ref" ]; then
    # A commit SHA or a branch: the code of this checkout, not a release's.
    pinned_code=$ref
    version=latest
  else
    version=latest
  fi
fi
if [ "$version" != latest ] && ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  fail "version must be a release tag such as v0.1.0, or latest; got '$version'"
fi

# The release asset for this runner: the names release.yml publishes.
exe=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
if [ "${RUNNER_OS:-}" = Windows ]; then exe=.exe; fi
bin=$root/bin/vapiform$exe

# The tools a download needs, checked before it starts.
download_tools() {
  command -v curl >/dev/null 2>&1 || fail "curl is not installed on this runner; the action needs it to download vapiform"
  command -v sha256sum >/dev/null 2>&1 || command -v shasum >/dev/null 2>&1 ||
    fail "neither sha256sum nor shasum is installed on this runner; the action needs one to check the download"
}

# Downloads the binary and SHA256SUMS into $root; fails the step on a checksum mismatch;
# returns 1 (so the caller builds instead) when either file cannot be downloaded.
download() {
  local base asset=vapiform-$target$exe expected actual
  download_tools
  if [ "$version" = latest ]; then
    base=$server/$repository/releases/latest/download
  else
    base=$server/$repository/releases/download/$version
  fi
  echo "Downloading $asset ($version) from $server/$repository"
  curl -fsSL --retry 3 --connect-timeout 30 -o "$root/$asset" "$base/$asset" || return 1
  curl -fsSL --retry 3 --connect-timeout 30 -o "$root/SHA256SUMS" "$base/SHA256SUMS" || return 1
  expected=$(awk -v asset="$asset" '$2 == asset || $2 == "*" asset { print $1; exit }' "$root/SHA256SUMS")
  [ -n "$expected" ] || fail "the SHA256SUMS of release $version lists no $asset; not installing it"
  actual=$(sha256_of "$root/$asset")
  if [ "$actual" != "$expected" ]; then
    rm -f "$root/$asset"
    fail "$asset does not match the release's SHA256SUMS (expected $expected, got $actual); not installing it"
  fi
  echo "$asset matches SHA256SUMS ($actual)"
  if ! { mv "$root/$asset" "$bin" && chmod +x "$bin"; }; then
    fail "could not install $asset as $bin"
  fi
}

build() {
  command -v cargo >/dev/null 2>&1 ||
    fail "$1, and cargo is not installed to build it: add a Rust toolchain step before this one, or pin a release tag (uses: OWNER/vapiform@v0.1.0)"
  if [ -n "$requested" ] && [ "$requested" != latest ] && [ -n "$repository" ]; then
    echo "::notice title=vapiform install::$1; building $repository $requested with cargo install (several minutes)"
    cargo install --locked --root "$root" --git "$server/$repository" --tag "$requested" vapiform
  else
    echo "::notice title=vapiform install::$1; building the action's source with cargo install (several minutes)"
    cargo install --locked --root "$root" --path "$action_path"
  fi
}

if [ -n "$pinned_code" ]; then
  build "the action is pinned to $pinned_code, whose code is built rather than a release's"
elif [ -z "$target" ]; then
  build "no release binary for ${RUNNER_OS:-this OS}/${RUNNER_ARCH:-this architecture}"
elif [ -z "$repository" ]; then
  build "the action does not run from a release checkout ($action_path)"
elif ! download; then
  build "vapiform-$target$exe of release $version could not be downloaded"
fi

"$bin" --version
echo "path=$(native_path "$bin")" >>"${GITHUB_OUTPUT:-/dev/null}"
native_path "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
