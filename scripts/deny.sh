#!/usr/bin/env bash
# cargo-deny over the whole dependency graph (deny.toml): licences, duplicate crates and
# sources always; RustSec advisories when the local database is present (it is fetched from
# GitHub, which test machines do not reach: run `cargo deny fetch` where it is reachable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! cargo deny --version >/dev/null 2>&1; then
  echo "deny.sh: installing cargo-deny from crates.io"
  cargo install cargo-deny --locked --version '^0.20' --quiet
fi
checks=(licenses bans sources)
db=${CARGO_HOME:-$HOME/.cargo}/advisory-dbs
if compgen -G "$db/*" >/dev/null; then
  checks+=(advisories)
else
  echo "deny.sh: advisories not checked: no local RustSec database under $db (run \`cargo deny fetch\` where github.com is reachable)"
fi
cargo deny --log-level error check --disable-fetch "${checks[@]}"
echo "deny.sh: ${checks[*]} ok"
