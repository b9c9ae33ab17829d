#!/usr/bin/env python3
"""Benchmark: fetching a whole manifest tree, regscope vs skopeo, over a link with latency.

Starts a real docker-registry on 127.0.0.1, seeds it with the BuildKit fixture (index, 2 platform
manifests, 2 attestation manifests, configs, in-toto statements), and puts a userspace TCP proxy in
front that delays every chunk by --latency ms each way (this kernel has no netem). Then it runs, N
times each, in the same run (regscope with --no-attachments: the tree alone, as skopeo fetches
it; the attachment lookup adds one concurrent batch of its own):

  cold first      `regscope inspect` of the tag with an empty cache: ping (both schemes at once on
                  loopback), index, all children at once, all configs and statements at once
  cold known      the same with only the registry's endpoint remembered (used before, tag not
                  fetched yet): no ping, three levels
  warm            everything cached: one HEAD of the tag
  floor client    examples/floor_client.rs: anonymous, no ping, index -> children -> configs and
                  statements, nothing verified or analysed (the floor)
  skopeo walk     the same content with skopeo, the way a user scripts it: `inspect --raw` of the
                  index, then of each child, then `inspect --config --raw` of each manifest

and prints the requests each side made, medians and ratios measured in this run. Absolute times
on a shared machine are noise; the ratios are the result.

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

    # The ecr feature does not touch this path; without it the release build takes minutes, not tens.
    subprocess.run(["cargo", "build", "--release", "--quiet", "--no-default-features",
                    "--bin", "regscope", "--example", "floor_client"], cwd=ROOT, check=True)
    regscope = os.path.join(ROOT, "target/release/regscope")
    floor = os.path.join(ROOT, "target/release/examples/floor_client")
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

        # Cache directories: "warm" holds everything; "known" only how the registry is reached
        # (a registry used before, a tag never fetched); "first" nothing at all.
        warm_dir = os.path.join(tmp, "warm")
        subprocess.run([regscope, "inspect", "--json", "--no-attachments", ref], check=True, capture_output=True,
                       env={**os.environ, "REGSCOPE_CACHE_DIR": warm_dir})
        runs = iter(range(10**6))

        def with_cache(kind):
            def run():
                if kind == "warm":
                    d = warm_dir
                else:
                    d = os.path.join(tmp, f"cold-{next(runs)}")
                    if kind == "known":
                        shutil.copytree(os.path.join(warm_dir, "v1/registries"), os.path.join(d, "v1/registries"))
                t = time.perf_counter()
                subprocess.run([regscope, "inspect", "--json", "--no-attachments", ref], check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "REGSCOPE_CACHE_DIR": d})
                return time.perf_counter() - t
            return run

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
            "cold first": with_cache("first"),
            "cold known": with_cache("known"),
            "warm": with_cache("warm"),
            "floor client": lambda: timed([floor, f"http://127.0.0.1:{port}", "bench/app", "v1"]),
            "skopeo walk": skopeo_walk,
        }
        results = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so machine noise hits every case alike
            for name, fn in cases.items():
                results[name].append(fn())

        def trips(d):
            out = subprocess.run([regscope, "inspect", "--json", "--no-attachments", ref], check=True, capture_output=True,
                                 env={**os.environ, "REGSCOPE_CACHE_DIR": d}).stdout
            return json.loads(out)["roundTrips"]
        known_dir = os.path.join(tmp, "known-trips")
        shutil.copytree(os.path.join(warm_dir, "v1/registries"), os.path.join(known_dir, "v1/registries"))
        rt = {"cold first": trips(os.path.join(tmp, "first-trips")), "cold known": trips(known_dir),
              "warm": trips(warm_dir)}
        floor_requests = int(subprocess.run([floor, f"http://127.0.0.1:{port}", "bench/app", "v1"],
                                            check=True, capture_output=True).stdout)
    finally:
        reg.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"whole-tree fetch of the BuildKit index ({len(children)} entries), {args.runs} runs interleaved, "
          f"+{args.latency:g} ms each way per chunk")
    print("requests per side:")
    for name, r in rt.items():
        print(f"  regscope {name:<11} {r['total']:3} (ping {r['ping']}, manifest {r['manifest']}, blob {r['blob']}, "
              f"head {r['head']}; from disk {r['diskHits']}), longest chain {r['chain']}")
    print(f"  floor client         {floor_requests:3} (index, children, configs and statements; 3 levels)")
    print(f"  skopeo walk          {1 + 2 * len(children):3} processes")
    for name in cases:
        print(f"  {name:<14} median {med[name] * 1000:8.1f} ms")
    print("ratios (lower is faster; same run, same machine):")
    print(f"  skopeo walk / cold known    {med['skopeo walk'] / med['cold known']:.1f}x faster")
    print(f"  skopeo walk / cold first    {med['skopeo walk'] / med['cold first']:.1f}x faster")
    print(f"  cold known / floor client   {med['cold known'] / med['floor client']:.2f}x the floor")
    print(f"  cold first / floor client   {med['cold first'] / med['floor client']:.2f}x the floor (+1 ping)")
    print(f"  warm / cold known           {med['warm'] / med['cold known']:.2f}")


if __name__ == "__main__":
    main()
