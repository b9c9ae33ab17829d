#!/usr/bin/env python3
"""Benchmark: fetching a whole manifest tree, regscope vs skopeo, over a link with latency.

Starts a real docker-registry on 127.0.0.1, seeds it with the BuildKit fixture (index, 2 platform
manifests, 2 attestation manifests, configs, in-toto statements), and puts a userspace TCP proxy in
front that delays every chunk by --latency ms each way (this kernel has no netem). Then it runs, N
times each, in the same run:

  regscope        `regscope inspect` of the tag: the whole tree (5 manifests, 8 blobs) concurrently
  regscope -c1    the same with one request in flight (what concurrency buys)
  skopeo walk     the same content with skopeo, the way a user scripts it: `inspect --raw` of the
                  index, then of each child, then `inspect --config --raw` of each manifest
  skopeo root     `skopeo inspect --raw` of the index alone (one manifest, for scale)

and prints medians and ratios against skopeo measured in this run. Absolute times on a shared
machine are noise; the ratios are the result.

Usage: python3 bench/tree_fetch.py [--runs 7] [--latency 20]   (needs docker-registry, skopeo)
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests/fixtures/docker-attest/unsigned-index")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_registry(tmp):
    port = free_port()
    cfg = os.path.join(tmp, "config.yml")
    with open(cfg, "w") as f:
        f.write(f"""version: 0.1
log: {{level: error}}
storage: {{filesystem: {{rootdirectory: {tmp}/data}}, delete: {{enabled: true}}}}
http: {{addr: 127.0.0.1:{port}}}
""")
    proc = subprocess.Popen([shutil.which("docker-registry") or "/usr/bin/docker-registry", "serve", cfg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            return proc, port
        except Exception:
            time.sleep(0.1)
    proc.kill()
    sys.exit("docker-registry did not start")


def start_proxy(target_port, latency_s):
    """A TCP proxy that delays each chunk by latency_s in each direction (keeps order)."""
    port = free_port()
    ready = threading.Event()

    async def pipe(reader, writer):
        queue = asyncio.Queue()

        async def delayed_writer():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            writer.close()

        task = asyncio.create_task(delayed_writer())
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await queue.put((time.monotonic() + latency_s, data))
        except ConnectionError:
            pass
        await queue.put((0, None))
        await task

    async def handle(reader, writer):
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer), return_exceptions=True)

    def run():
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", port))
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait()
    return port


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def skopeo(*args):
    return ["skopeo", "--insecure-policy", *args]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--latency", type=float, default=20.0, help="ms added each way per chunk")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    regscope = os.path.join(ROOT, "target/release/regscope")
    tmp = tempfile.mkdtemp(prefix="regscope-bench-")
    reg, reg_port = start_registry(tmp)
    try:
        subprocess.run(skopeo("copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false",
                              "--dest-no-creds", f"oci:{FIXTURE}", f"docker://127.0.0.1:{reg_port}/bench/app:v1"),
                       check=True, env={**os.environ, "TMPDIR": tmp})
        port = start_proxy(reg_port, args.latency / 1000.0)
        ref = f"127.0.0.1:{port}/bench/app:v1"
        index = json.loads(subprocess.run(skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{ref}"),
                                          check=True, capture_output=True).stdout)
        children = [m["digest"] for m in index["manifests"]]

        def skopeo_walk():
            t = time.perf_counter()
            run = lambda *a: subprocess.run(skopeo(*a), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run("inspect", "--raw", "--tls-verify=false", f"docker://{ref}")
            for d in children:
                run("inspect", "--raw", "--tls-verify=false", f"docker://127.0.0.1:{port}/bench/app@{d}")
            for d in children:
                run("inspect", "--config", "--raw", "--tls-verify=false", f"docker://127.0.0.1:{port}/bench/app@{d}")
            return time.perf_counter() - t

        cases = {
            "regscope": lambda: timed([regscope, "inspect", "--json", ref]),
            "regscope -c1": lambda: timed([regscope, "inspect", "--json", "--concurrency", "1", ref]),
            "skopeo walk": skopeo_walk,
            "skopeo root": lambda: timed(skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{ref}")),
        }
        results = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so machine noise hits every case alike
            for name, fn in cases.items():
                results[name].append(fn())
        rt = json.loads(subprocess.run([regscope, "inspect", "--json", ref], check=True, capture_output=True).stdout)["roundTrips"]
    finally:
        reg.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"whole-tree fetch of the BuildKit index, {args.runs} runs, +{args.latency:g} ms each way per chunk")
    print(f"regscope round trips: {rt['total']} (ping {rt['ping']}, manifest {rt['manifest']}, blob {rt['blob']}; "
          f"statements and configs not layers), skopeo walk: {1 + 2 * len(children)} processes")
    for name in cases:
        print(f"  {name:<14} median {med[name] * 1000:8.1f} ms")
    print("ratios (lower is faster; same run, same machine):")
    print(f"  regscope / skopeo walk   {med['regscope'] / med['skopeo walk']:.2f}")
    print(f"  regscope / skopeo root   {med['regscope'] / med['skopeo root']:.2f}  (whole tree vs one manifest)")
    print(f"  regscope / regscope -c1  {med['regscope'] / med['regscope -c1']:.2f}  (concurrency)")


if __name__ == "__main__":
    main()
