#!/usr/bin/env python3
"""Python scripts: Molotov 2.6 vs this project, side by side, on the same script and target.

Both run the seed's two-scenario quickstart (examples/python/example2.py) with `-w 10 -p 1`
against the same molotov-target, pinned to core 0, the load generator pinned to core 1, with wrk
(-t1 -c10) as the machine's yardstick. For each it prints the client CPU time (user + sys) per
scenario run (one request each), the median over rounds, and the ratios. Each round, ours also
runs the script in the open model, `--rate` at 90 % (`--open-fraction`) of its closed rate just
before (`--max-workers 50`): the runs started, the start lag p99 and the CPU per run against the
closed model's. Then the peak RSS of one process running 10,000 Python workers.

Molotov 2.6 is installed from PyPI into its own virtualenv (bench/.work/molotov26); this
project is built and installed into another (bench/.work/ours) with `pip install .`.

Usage: python3 bench/python.py [--rounds 5] [--duration 5] [--skip-memory] [--skip-install]
                               [--open-fraction 0.9]
"""

import os
import statistics
import subprocess
import sys
import tempfile

from measure import ROOT, busy_while, measure, median_table, open_figures, peak_rss_mb, require, round_options, start_target

WORK = os.path.join(ROOT, "bench", ".work")
SCRIPT = os.path.join(ROOT, "examples", "python", "example2.py")


def venv(name, packages):
    path = os.path.join(WORK, name)
    if not os.path.exists(os.path.join(path, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
    subprocess.run([os.path.join(path, "bin", "pip"), "install", "-q", *packages], check=True)
    return os.path.join(path, "bin")


def main():
    parser = round_options(__doc__)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-install", action="store_true", help="reuse the virtualenvs as they are")
    parser.add_argument("--open-fraction", type=float, default=0.9,
                        help="the open model's rate, as a fraction of ours' closed rate in the "
                             "same round (0.9; 0 skips it)")
    opts = parser.parse_args()
    require("taskset")
    os.makedirs(WORK, exist_ok=True)
    if opts.skip_install:
        theirs, ours = os.path.join(WORK, "molotov26", "bin"), os.path.join(WORK, "ours", "bin")
    else:
        theirs = venv("molotov26", ["molotov==2.6"])
        ours = venv("ours", [ROOT])
    target, url = start_target(os.path.join(ours, "molotov-target"))
    # The seed script talks to localhost:8080; --connect-to sends that to the target instead
    # (ours), and Molotov 2.6 gets a copy of the script with the URL rewritten.
    host_port = url.split("//", 1)[1]
    copy = os.path.join(WORK, "example2_for_molotov26.py")
    with open(SCRIPT) as src, open(copy, "w") as dst:
        dst.write(src.read().replace("http://localhost:8080", url))
    common = ["-w", "10", "-p", "1", "-d", str(opts.duration), "-q"]
    commands = {
        # The machine's own yardstick: the "15 us per run" was set where wrk costs
        # about 5 us per request, so it is also printed relative to wrk (at most 3x).
        "wrk -t1 -c10": ["wrk", "-t1", "-c10", f"-d{opts.duration}s", url + "/"],
        "molotov 2.6": [os.path.join(theirs, "molotov"), *common, copy],
        "molotov (Rust engine)": [os.path.join(ours, "molotov"), *common,
                                  "--connect-to", f"localhost:8080:{host_port}", SCRIPT],
    }
    cpu = {name: [] for name in commands}
    rate = {name: [] for name in commands}
    open_rounds = {"lag": [], "ratio": [], "started": [], "server": []}
    try:
        for _ in range(opts.rounds):
            for name, cmd in commands.items():
                c, r = measure(cmd, url)
                cpu[name].append(round(c, 2))
                rate[name].append(r)
            if opts.open_fraction:
                open_round(commands["molotov (Rust engine)"], cpu["molotov (Rust engine)"][-1],
                           rate["molotov (Rust engine)"][-1], target, url, opts, open_rounds)
        # One request per scenario run: CPU per request is CPU per run.
        medians = median_table("tool (one request per run)", cpu, rate)
        ours_us = medians["molotov (Rust engine)"]
        ratio = medians["molotov 2.6"] / ours_us
        print(f"Molotov 2.6 / ours: {ratio:.1f}x less CPU per run (target: >= 9x)")
        print(f"ours: {ours_us:.2f} us per run = {ours_us / medians['wrk -t1 -c10']:.2f}x wrk's CPU per "
              "request (target: <= 15 us where wrk costs ~5 us, i.e. <= 3x wrk)")
        if opts.open_fraction:
            print(f"open model at {opts.open_fraction:.0%} of ours' closed rate (-w 10 "
                  f"--max-workers 50), each round after the closed one: started/scheduled "
                  f"{statistics.median(open_rounds['started']):.2f} % {open_rounds['started']}, "
                  f"start lag p99 {statistics.median(open_rounds['lag'])} us {open_rounds['lag']}, "
                  f"CPU per run {statistics.median(open_rounds['ratio']):.3f}x the closed model's "
                  f"{open_rounds['ratio']}; the target server's core busy {open_rounds['server']}")
        if not opts.skip_memory:
            rss = peak_rss_mb([os.path.join(ours, "molotov"), "-w", "10000", "-d", "5", "-q",
                               "--connect-to", f"localhost:8080:{host_port}", SCRIPT])
            verdict = "PASS" if rss < 512 else "FAIL"
            print(f"memory: 10000 Python workers, one process: peak RSS {rss:.1f} MB -> {verdict} (target 512 MB)")
    finally:
        target.terminate()
        target.wait()


def open_round(closed_cmd, closed_cpu, closed_rate, target, url, opts, seen):
    """The same script in the open model, `--rate` at a fraction of the closed run's rate just
    before it (Python scenarios make the generator, not the server, the bottleneck): runs
    started against scheduled, start lag p99, CPU per run against the closed run's, and how busy
    the target server's core was."""
    rate = round(closed_rate * opts.open_fraction)
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results.json")
        cmd = [closed_cmd[0], "--rate", str(rate), "--max-workers", "50", "--json", results,
               *closed_cmd[1:]]
        (cpu, _), server = busy_while(target.pid, lambda: measure(cmd, url))
        _, started, lag = open_figures(results)
    seen["started"].append(started)
    seen["lag"].append(lag)
    seen["ratio"].append(round(cpu / closed_cpu, 3))
    seen["server"].append(round(server, 2))


if __name__ == "__main__":
    main()
