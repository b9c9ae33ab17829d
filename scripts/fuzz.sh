#!/usr/bin/env bash
# Fuzzes every parser that reads what a registry, a config file or a credential helper sends
# (fuzz/fuzz_targets/), with libFuzzer through cargo-fuzz, on the stable toolchain
# (RUSTC_BOOTSTRAP=1 lets it pass its -Z flags; no nightly is needed).
#
#   scripts/fuzz.sh                      a short run of every target (the test command's)
#   FUZZ_SECONDS=600 scripts/fuzz.sh     ten minutes each, as issue 11 asks before release
#   scripts/fuzz.sh tree link            only these targets
#
# Seeds: fuzz/seeds/TARGET (committed), plus, for `manifest` and `tree`, every manifest,
# index, config and in-toto statement of the real fixtures in tests/fixtures (built here).
# A crash is saved as fuzz/artifacts/TARGET-crash-* and fails the run; replay one with
# `fuzz/target/<host>/release/TARGET FILE`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-10}
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --version '^0.13' --quiet
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

# Memory-safe Rust (unsafe is forbidden in the crate): no sanitizer, but debug assertions, so
# overflow and slicing mistakes still panic.
build=(--fuzz-dir fuzz -s none --debug-assertions)
# Short runs build unoptimised (a few minutes less on a 2-core CI machine; a smoke run does not
# need the speed); runs of two minutes or more build optimised.
profile=release
if ((seconds < 120)); then
  build+=(--dev)
  profile=debug
fi
cargo fuzz build "${build[@]}"
bins=fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/$profile

corpora=$(mktemp -d)
trap 'rm -rf "$corpora"' EXIT
python3 - "$corpora" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
manifests, trees = [], []
for layout, dirs, files in os.walk("tests/fixtures"):
    if "index.json" not in files or "blobs" not in dirs:
        continue
    blobs = []
    for root, _, names in os.walk(os.path.join(layout, "blobs")):
        for name in sorted(names):
            data = open(os.path.join(root, name), "rb").read()
            if len(data) < 64 * 1024 and data[:1] == b"{":  # JSON, not layers
                blobs.append(data)
    index = open(os.path.join(layout, "index.json"), "rb").read()
    manifests += [index] + blobs
    # A blob keeps its real digest when it holds no placeholder, so real trees work as-is.
    trees.append(b"\0".join([index] + blobs[:8]))
for name in ("manifest", "tree"):
    os.makedirs(os.path.join(out, name), exist_ok=True)
for data in manifests:
    open(os.path.join(out, "manifest", hashlib.sha256(data).hexdigest()), "wb").write(data)
for data in trees:
    open(os.path.join(out, "tree", hashlib.sha256(data).hexdigest()), "wb").write(data)
attestation = "tests/fixtures/docker-attest/example_attestation.json"
if os.path.exists(attestation):
    data = open(attestation, "rb").read()
    open(os.path.join(out, "manifest", "attestation"), "wb").write(data)
PY

mkdir -p fuzz/artifacts
failed=()
for target in "${targets[@]}"; do
  corpus="$corpora/$target"
  mkdir -p "$corpus"
  seeds=()
  [[ -d fuzz/seeds/$target ]] && seeds+=("fuzz/seeds/$target")
  echo "fuzz.sh: $target for ${seconds}s"
  # The binary itself, not `cargo fuzz run`: built once above, never rebuilt between targets.
  if "$bins/$target" "$corpus" "${seeds[@]}" -artifact_prefix="fuzz/artifacts/$target-" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$corpora/$target.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$corpora/$target.log" |
      sed "s/^/fuzz.sh: $target /"
  else
    tail -40 "$corpora/$target.log"
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: crashes in ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a crash"
