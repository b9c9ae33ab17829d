#!/usr/bin/env bash
# Installs what the integration tests need (a real docker-registry, skopeo, curl, moto, ...) when
# it is missing, then checks formatting and lints (clippy, warnings are errors) and runs every
# cargo test target and the doc tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# binary -> Debian package
declare -A PKG=(
  [docker-registry]=docker-registry # docker/distribution 2.8: the registry under test
  [skopeo]=skopeo                   # seeds OCI layouts into it byte-exact
  [curl]=curl                       # the harness's raw HTTP client
  [python3]=python3                 # runs moto, the ECR API under test (pip-installed below)
  [htpasswd]=apache2-utils          # bcrypt users for auth tests
  [openssl]=openssl                 # test CA + leaf for TLS tests
  [tmux]=tmux                       # drives the TUI in tests
  [docker-credential-pass]=golang-docker-credential-helpers # a real credential helper
  [pass]=pass                       # its password store
  [gpg]=gnupg                       # pass encrypts with a throw-away key
  [gnome-keyring-daemon]=gnome-keyring # a real Secret Service for regscope login
  [dbus-run-session]=dbus-daemon    # a private session bus for it
)

missing=()
for bin in "${!PKG[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${PKG[$bin]}")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for bin in "${!PKG[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || { echo "test.sh: $bin still missing" >&2; exit 1; }
done
# moto (PyPI, not Debian): the Amazon ECR API for the ECR tests, run as `moto_server`
# (tests/support/moto.rs). Pinned to the major version its measured behaviour was written for.
if ! command -v moto_server >/dev/null 2>&1 && ! python3 -c 'import moto.server' >/dev/null 2>&1; then
  echo "test.sh: installing moto[server] 5.x with pip"
  python3 -m pip install --quiet 'moto[server]>=5,<6' || {
    echo "test.sh: could not install moto[server]>=5,<6 with 'python3 -m pip' (needed by the ECR" \
      "tests); install it so that moto_server is on PATH or python3 can import moto.server" >&2
    exit 1
  }
  python3 -c 'import moto.server' >/dev/null 2>&1 || {
    echo "test.sh: moto installed but python3 cannot import moto.server" >&2
    exit 1
  }
fi
command -v cargo >/dev/null 2>&1 || { echo "test.sh: cargo not found" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
# Text output wraps to $COLUMNS when it is set; tests that want a width set it themselves.
unset COLUMNS
# Style and lints first: a warning fails the run like a failing test.
cargo fmt --check || { echo "test.sh: cargo fmt --check failed (run cargo fmt)"; status=1; }
cargo clippy --all-targets --quiet -- -D warnings || { echo "test.sh: clippy found problems"; status=1; }
cargo test --all-targets --no-fail-fast 2>&1 | tee -a "$log" || status=1
cargo test --doc --no-fail-fast 2>&1 | tee -a "$log" || status=1
# A short run of every fuzz target, and cargo deny; each installs its cargo tool on first use.
bash scripts/fuzz.sh || { echo "test.sh: fuzzing failed (see above)"; status=1; }
bash scripts/deny.sh || { echo "test.sh: cargo deny failed (see above)"; status=1; }

# One closing line for the whole run: cargo prints one "test result:" per target. A test that
# skips (only where REGSCOPE_ALLOW_SKIP lets it: the machine cannot provide what it needs)
# passes for cargo and prints "SKIPPED: <test>: <reason>"; it is counted as skipped, not passed.
read -r passed failed skipped < <(
  awk '/^test result:/ {
         for (i = 1; i <= NF; i++) {
           if ($(i+1) ~ /^passed/) p += $i
           if ($(i+1) ~ /^failed/) f += $i
         }
       }
       /SKIPPED: [^ :]+: / { s += 1 }
       END { print p - s, f + 0, s + 0 }' "$log"
)
echo
if ((status == 0)); then
  echo "test.sh: all tests passed"
else
  echo "test.sh: FAILED (a build error counts too; see above)"
fi
grep -o 'SKIPPED: .*' "$log" || true
echo "regscope: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
