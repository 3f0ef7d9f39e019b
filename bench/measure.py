"""What both benchmarks share: a pinned target server, its request counter, and the CPU time
and peak memory of a load generator run as a child process."""

import argparse
import glob
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
RELEASE = os.path.join(ROOT, "target", "release")


def round_options(doc):
    """An argument parser described by `doc`'s first line, with `--rounds` and `--duration`
    (seconds per run), 5 each; the caller adds its own options."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    return parser


def build(*what, directory=ROOT, target_dir=None):
    """`cargo build --release` of the target server and molotov in `directory`: `what` (cargo's
    target selection), every example and binary by default."""
    cmd = ["cargo", "build", "--release", "-p", "molotov-target", "-p", "molotov",
           *(what or ("--examples", "--bins"))]
    if target_dir:
        cmd += ["--target-dir", target_dir]
    subprocess.run(cmd, cwd=directory, check=True)


def require(*tools):
    """wrk (installed from Debian when missing) and ``tools``, or exit with an error."""
    if shutil.which("wrk") is None:
        print("wrk is missing: installing it from Debian (apt-get install wrk)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    for tool in ("wrk", *tools):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} is needed")


def start_target(binary):
    """Starts `binary --port 0` on core 0; returns the process and its base URL."""
    proc = subprocess.Popen(["taskset", "-c", "0", binary, "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
    return proc, url


def served(url):
    """Requests the target has answered so far."""
    with urllib.request.urlopen(url + "/stats") as resp:
        return json.load(resp)["requests"]


def run_seconds(pid):
    """The CPU time process `pid`'s threads have run so far, in seconds (Linux's schedstat: on a
    core, not counting the time waiting for one); 0 where /proc does not tell."""
    total = 0
    for stat in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(stat) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def busy_while(pid, run):
    """Calls `run()`; returns its result and how busy process `pid` was meanwhile (its threads'
    CPU time over the wall time, 1.0 for one core used in full)."""
    before, start = run_seconds(pid), time.monotonic()
    result = run()
    return result, (run_seconds(pid) - before) / (time.monotonic() - start)


def open_figures(results):
    """An open-model run's `--json` file at `results`: the whole of it, the runs started as a
    percentage of those scheduled, and the start lag p99 in microseconds."""
    with open(results) as f:
        r = json.load(f)
    return r, round(r["started"] / r["scheduled"] * 100, 2), r["start_lag"]["p99_us"]


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd, url, env=None):
    """Runs `cmd` on core 1; returns (CPU microseconds per request served, requests/second)."""
    before_cpu, before_req = child_cpu(), served(url)
    start = time.monotonic()
    subprocess.run(["taskset", "-c", "1", *cmd], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    cpu, requests = child_cpu() - before_cpu, served(url) - before_req
    return cpu / requests * 1e6, requests / wall


def peak_rss_mb(cmd, env=None):
    """Peak RSS of `cmd` itself, in MiB: the largest VmHWM (the kernel's high-water mark of the
    process's own memory) read from /proc while it runs.

    Not `ru_maxrss` of a child: on Linux it is carried across fork and exec, so a child of this
    harness reads at least the harness's own peak (a client whose real peak is 4.8 MiB read
    13.9 MiB). VmHWM belongs to the process's memory since its exec; it only grows, so the last
    reading before the process ends is its peak, missing at most what it grew in its last
    few milliseconds.
    """
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_kib = 0
    status = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
                        break
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.005)
    if proc.returncode != 0:
        sys.exit(f"error: {cmd[0]} exited with {proc.returncode}")
    return peak_kib / 1024


def median_table(title, cpu, rate):
    """Prints one line per tool: median CPU per request, median rate, every round."""
    print(f"{title:<28} {'CPU us/req':>11} {'req/s':>10}  each round (us/req)")
    medians = {}
    for name, values in cpu.items():
        medians[name] = statistics.median(values)
        print(f"{name:<28} {medians[name]:>11.2f} {statistics.median(rate[name]):>10.0f}  {values}")
    return medians
