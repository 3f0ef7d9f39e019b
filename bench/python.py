#!/usr/bin/env python3
"""Python scripts: Molotov 2.6 vs this project, side by side, on the same script and target.

Both run the seed's two-scenario quickstart (examples/python/example2.py) with `-w 10 -p 1`
against the same molotov-target, pinned to core 0, the load generator pinned to core 1. For
each it prints the client CPU time (user + sys) per scenario run (one request each), the
median over rounds, and the ratio. Then the peak RSS of one process running 10,000 Python
workers.

Molotov 2.6 is installed from PyPI into its own virtualenv (bench/.work/molotov26); this
project is built and installed into another (bench/.work/ours) with `pip install .`.

Usage: python3 bench/python.py [--rounds 5] [--duration 5] [--skip-memory] [--skip-install]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", ".work")
SCRIPT = os.path.join(ROOT, "examples", "python", "example2.py")


def venv(name, packages):
    path = os.path.join(WORK, name)
    if not os.path.exists(os.path.join(path, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
    subprocess.run([os.path.join(path, "bin", "pip"), "install", "-q", *packages], check=True)
    return os.path.join(path, "bin")


def start_target(bin_dir):
    proc = subprocess.Popen(
        ["taskset", "-c", "0", os.path.join(bin_dir, "molotov-target"), "--port", "0"],
        stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
    return proc, url


def served(url):
    with urllib.request.urlopen(url + "/stats") as resp:
        return json.load(resp)["requests"]


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd, url):
    """CPU microseconds per scenario run (one request per run) and runs per second."""
    before_cpu, before_req = child_cpu(), served(url)
    start = time.monotonic()
    subprocess.run(["taskset", "-c", "1", *cmd], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    cpu, runs = child_cpu() - before_cpu, served(url) - before_req
    return cpu / runs * 1e6, runs / wall


def peak_rss_mb(cmd):
    probe = ("import resource, subprocess, sys; "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip()) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-install", action="store_true", help="reuse the virtualenvs as they are")
    opts = parser.parse_args()
    if shutil.which("taskset") is None:
        sys.exit("error: taskset (util-linux) is needed")
    os.makedirs(WORK, exist_ok=True)
    if opts.skip_install:
        theirs, ours = os.path.join(WORK, "molotov26", "bin"), os.path.join(WORK, "ours", "bin")
    else:
        theirs = venv("molotov26", ["molotov==2.6"])
        ours = venv("ours", [ROOT])
    target, url = start_target(ours)
    # The seed script talks to localhost:8080; --connect-to sends that to the target instead
    # (ours), and Molotov 2.6 gets a copy of the script with the URL rewritten.
    host_port = url.split("//", 1)[1]
    copy = os.path.join(WORK, "example2_for_molotov26.py")
    with open(SCRIPT) as src, open(copy, "w") as dst:
        dst.write(src.read().replace("http://localhost:8080", url))
    common = ["-w", "10", "-p", "1", "-d", str(opts.duration), "-q"]
    commands = {
        "molotov 2.6": [os.path.join(theirs, "molotov"), *common, copy],
        "molotov (Rust engine)": [os.path.join(ours, "molotov"), *common,
                                  "--connect-to", f"localhost:8080:{host_port}", SCRIPT],
    }
    cpu = {name: [] for name in commands}
    rate = {name: [] for name in commands}
    try:
        for _ in range(opts.rounds):
            for name, cmd in commands.items():
                c, r = measure(cmd, url)
                cpu[name].append(round(c, 2))
                rate[name].append(r)
        print(f"{'tool':<24} {'CPU us/run':>11} {'runs/s':>9}  each round (us/run)")
        medians = {}
        for name in commands:
            medians[name] = statistics.median(cpu[name])
            print(f"{name:<24} {medians[name]:>11.2f} {statistics.median(rate[name]):>9.0f}  {cpu[name]}")
        ratio = medians["molotov 2.6"] / medians["molotov (Rust engine)"]
        print(f"Molotov 2.6 / ours: {ratio:.1f}x less CPU per run (target: >= 9x, ours <= 15 us)")
        if not opts.skip_memory:
            rss = peak_rss_mb([os.path.join(ours, "molotov"), "-w", "10000", "-d", "5", "-q",
                               "--connect-to", f"localhost:8080:{host_port}", SCRIPT])
            verdict = "PASS" if rss < 512 else "FAIL"
            print(f"memory: 10000 Python workers, one process: peak RSS {rss:.1f} MB -> {verdict} (target 512 MB)")
    finally:
        target.terminate()
        target.wait()


if __name__ == "__main__":
    main()
