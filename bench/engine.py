#!/usr/bin/env python3
"""Rust engine vs wrk, side by side, on the same pinned target.

What it measures (2-core machine: the target on core 0, the load generator on core 1):
- client CPU time per request (user + sys of the load generator, divided by the requests the
  target counted), median over rounds, for `wrk -t1 -c10` and for the `hello` example with
  `-w 10` (the two-scenario quickstart, one request per scenario run);
- the ratio hello/wrk;
- the same `hello` with the line console (`-c`, stdout to /dev/null): what the console and the
  capture of the load test's prints (read before every console line) add to `-q`;
- the open model: `hello --rate R` with R at 90 % (or each of `--open-fraction`'s) of the
  rate a closed `hello -w 10` reached just before it, round by round (10 workers set up, up to
  50: workers to spare, as one sizes an arrival-rate test, so that runs wait for the generator,
  not for a free worker): the runs started against scheduled, the start lag p99 (from --json),
  the CPU per request against that closed round's and against a closed run with fewer workers
  at about the same rate, and how busy the generator's thread was, running and waiting for a
  core (--json's `generator`: a saturated generator starts runs late), and how busy the
  target server's core was in the closed round and in the open one (a saturated server holds
  the workers, and runs start late too);
- peak RSS of one process running 10,000 workers with keep-alive connections.

Usage: python3 bench/engine.py [--rounds 5] [--duration 5] [--skip-memory]
                               [--open-fraction 0.9[,0.7...]] [--open-max-workers 50]
Installs wrk from Debian if it is missing; needs taskset (util-linux).
"""

import os
import statistics
import tempfile

from measure import RELEASE, build, busy_while, measure, median_table, open_figures, peak_rss_mb, require, round_options, start_target


def main():
    parser = round_options(__doc__)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--open-fraction", type=fractions, default=[0.9],
                        help="the open model's rate, as a fraction of the closed round's (0.9); "
                             "several, comma-separated, each run after the same closed round")
    parser.add_argument("--open-max-workers", type=int, default=50,
                        help="the open model's --max-workers (50; -w is 10)")
    opts = parser.parse_args()
    require("taskset", "cargo")
    build()
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    env = dict(os.environ, MOLOTOV_TARGET=url + "/")
    hello = os.path.join(RELEASE, "examples", "hello")
    console = "hello -w 10 -c (console)"
    runs = {"wrk -t1 -c10": [], "hello -w 10 (Rust engine)": [], console: []}
    rates = {name: [] for name in runs}
    try:
        for _ in range(opts.rounds):
            for name, cmd in (
                ("wrk -t1 -c10", ["wrk", "-t1", "-c10", f"-d{opts.duration}s", url + "/"]),
                ("hello -w 10 (Rust engine)", [hello, "-w", "10", "-d", str(opts.duration), "-q"]),
                (console, [hello, "-w", "10", "-d", str(opts.duration), "-c"]),
            ):
                cpu, rate = measure(cmd, url, env)
                runs[name].append(round(cpu, 2))
                rates[name].append(rate)
        medians = median_table("load generator", runs, rates)
        ratio = medians["hello -w 10 (Rust engine)"] / medians["wrk -t1 -c10"]
        print(f"ratio hello/wrk CPU per request: {ratio:.2f}x")
        shown = medians[console] / medians["hello -w 10 (Rust engine)"]
        print(f"ratio console/quiet CPU per request: {shown:.3f}x")
        open_model(hello, target, url, env, opts)
        if not opts.skip_memory:
            rss = peak_rss_mb([hello, "-w", "10000", "-d", "5", "-q"], env)
            print(f"memory: 10000 workers, keep-alive, one process: peak RSS {rss:.1f} MB")
    finally:
        target.terminate()
        target.wait()


def fractions(text):
    """`0.9` or `0.7,0.8,0.9`: fractions of the closed rate, each in (0, 1]."""
    values = [float(v) for v in text.split(",")]
    if not all(0 < v <= 1 for v in values):
        raise ValueError(text)
    return values


def open_model(hello, target, url, env, opts):
    """`--rate` at a fraction (90 %) of the closed model's rate, each round right after a closed
    round (the machine's noise then weighs on both alike): runs started against scheduled, start
    lag p99, CPU per request against that round's closed model.

    A client below its full rate pays more per request whatever its model: its event loop finds
    fewer responses ready per wake and sleeps and wakes more often. So each round also runs the
    closed model with fewer workers (-w 2, 3, 4), and the open model is compared with the one
    whose rate came closest to its own: the same load, closed against open.

    The target server shares the machine: how busy its core was is printed for the closed round
    and for each open one. Where the closed model keeps both cores busy, the server too is near
    its own limit at 90 % of that rate (it also pays more per request below its full rate), and
    runs wait for workers held by its responses: they start late because of the server."""
    rounds = {f: {"started": [], "lags": [], "ratios": [], "same_rate": [], "busy": [],
                  "server": []}
              for f in opts.open_fraction}
    server_closed = []
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results.json")
        for _ in range(opts.rounds):
            (closed_cpu, closed_rate), server = busy_while(target.pid, lambda: measure(
                [hello, "-w", "10", "-d", str(opts.duration), "-q"], url, env))
            server_closed.append(round(server, 2))
            fewer = None
            for fraction, seen in rounds.items():
                rate = round(closed_rate * fraction)
                cmd = [hello, "--rate", str(rate), "-w", "10",
                       "--max-workers", str(opts.open_max_workers),
                       "-d", str(opts.duration), "-q", "--json", results]
                (cpu, open_rate), server = busy_while(target.pid, lambda: measure(cmd, url, env))
                seen["server"].append(round(server, 2))
                r, started, lag = open_figures(results)
                seen["started"].append(started)
                seen["lags"].append(lag)
                g = r.get("generator")
                if g:
                    seen["busy"].append((round(g["running_seconds"] / g["seconds"], 3),
                                         round(g["waiting_seconds"] / g["seconds"], 3),
                                         round(g["saturated_seconds"], 1)))
                seen["ratios"].append(round(cpu / closed_cpu, 3))
                if fewer is None:
                    fewer = [measure([hello, "-w", str(w), "-d", str(opts.duration), "-q"], url, env)
                             for w in (2, 3, 4)]
                near_cpu, near_rate = min(fewer, key=lambda m: abs(m[1] - open_rate))
                seen["same_rate"].append((round(cpu / near_cpu, 3), round(near_rate / open_rate, 2)))
    for fraction, seen in rounds.items():
        started, lags, ratios = seen["started"], seen["lags"], seen["ratios"]
        print(f"open model at {fraction:.0%} of the closed rate "
              f"(-w 10 --max-workers {opts.open_max_workers}), each round after a closed one: "
              f"started/scheduled {statistics.median(started):.2f} % {started}, "
              f"start lag p99 {statistics.median(lags)} us {lags}, "
              f"CPU per request {statistics.median(ratios):.3f}x the closed model's {ratios}")
        print(f"  the target server's core, each round (share busy): closed model "
              f"{server_closed}, open model {seen['server']}")
        if seen["busy"]:
            print(f"  the open model's generator thread, each round (share of the run running, "
                  f"share waiting for a core, seconds at 90 % or more): {seen['busy']}")
        same_rate = seen["same_rate"]
        print(f"  against the closed model at about the same rate (-w 2, 3 or 4, the closest; "
              f"(CPU ratio, its rate / the open model's)): "
              f"{statistics.median(r for r, _ in same_rate):.3f}x {same_rate}")

if __name__ == "__main__":
    main()
