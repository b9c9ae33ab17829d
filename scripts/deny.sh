#!/usr/bin/env bash
# cargo-deny over the whole dependency graph (deny.toml): licences, duplicate crates and
# sources always; RustSec advisories when the local database is present (it is fetched from
# GitHub, which test machines do not reach: run `cargo deny fetch` where it is reachable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! cargo deny --version >/dev/null 2>&1; then
  echo "deny.sh: installing cargo-deny from crates.io"
  # Unoptimised: it builds in about half the time on a 2-core machine, and checks in seconds.
  cargo install cargo-deny --locked --version '^0.20' --quiet --debug
fi
# `--offline` needs every locked crate on disk, those of other platforms too (winapi's
# i686 part, for crossterm on Windows): a build here downloads only this platform's.
cargo fetch --locked --quiet
checks=(licenses bans sources)
db=${CARGO_HOME:-$HOME/.cargo}/advisory-dbs
if compgen -G "$db/*" >/dev/null; then
  checks+=(advisories)
else
  echo "deny.sh: advisories not checked: no local RustSec database under $db (run \`cargo deny fetch\` where github.com is reachable)"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
cargo deny --offline --log-level warn check "${checks[@]}" >"$out" 2>&1 || status=$?
# Errors in full; duplicate versions (warnings by deny.toml) as one line naming the crates.
grep -v '^warning\[duplicate\]' "$out" | grep -E '^error|^  [│├└┌]|^ *= ' | head -200 || true
dups=$(sed -n "s/^warning\[duplicate\]: found [0-9]* duplicate entries for crate '\(.*\)'/\1/p" "$out" | tr '\n' ' ')
[[ -n $dups ]] && echo "deny.sh: crates in two versions (reported, not fatal): $dups"
tail -1 "$out"
if ((status != 0)); then
  echo "deny.sh: cargo deny failed" >&2
  exit "$status"
fi
echo "deny.sh: ${checks[*]} ok"
