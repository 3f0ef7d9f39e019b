#!/usr/bin/env python3
"""What the timeline, thresholds and the live page cost the load generator.

What it measures (2-core machine: the target on core 0, the load generator on core 1), as
client CPU time per request, median over interleaved rounds:
- the timeline: `hello -w 10 -q` built from this tree against the same example built from a
  baseline revision without a timeline (`--baseline REV`, built once into
  target/bench-baseline from a git worktree), and `wrk -t1 -c10` as the yardstick;
- thresholds: the same `hello` with three `--threshold`s (statistics snapshots every second,
  evaluated every 2 s) against without;
- the live page: `hello --web PORT` with a headless Chromium showing the page (it polls
  data.json every second), against the same run without `--web` while the browser polls the
  same page served by Python's http.server. Chromium and that server run on core 0 with the
  target, so both rounds carry the same browser and only the load generator's own CPU
  (core 1, where --web's threads run) is compared.

Usage: python3 bench/reports.py [--rounds 5] [--duration 5] [--baseline REV]
Needs wrk, taskset, git, and chromium for the live page (scripts/browser_check.py finds it).
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading

from measure import ROOT, RELEASE, build, measure, median_table, require, round_options, start_target

sys.path.insert(0, os.path.join(ROOT, "scripts"))


def baseline_hello(rev):
    """The `hello` example built from `rev` (a git worktree under target/)."""
    tree = os.path.join(ROOT, "target", "bench-baseline-tree")
    target_dir = os.path.join(ROOT, "target", "bench-baseline")
    if not os.path.exists(tree):
        subprocess.run(["git", "worktree", "add", "--detach", tree, rev], cwd=ROOT, check=True)
    else:
        subprocess.run(["git", "checkout", "--detach", rev], cwd=tree, check=True)
    build(directory=tree, target_dir=target_dir)
    return os.path.join(target_dir, "release", "examples", "hello")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_browser_to_core_0():
    """Has browser_check start Chromium on core 0 (with the target), through $CHROMIUM."""
    import browser_check

    real = browser_check.find_browser()
    wrapper = os.path.join(ROOT, "target", "chromium-on-core-0")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec taskset -c 0 "{real}" "$@"\n')
    os.chmod(wrapper, 0o755)
    os.environ["CHROMIUM"] = wrapper


def static_live_page(directory):
    """A page of the live report with its data.json, served by Python's http.server on core
    0: what the browser polls in the rounds without --web, so both rounds carry a browser."""
    import report_sample

    data = report_sample.sample(30, False, False, True)
    with open(os.path.join(directory, "index.html"), "w") as f:
        f.write(report_sample.page(data))
    with open(os.path.join(directory, "data.json"), "w") as f:
        f.write(json.dumps(data))
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, port


def with_browser(cmd, url, env, port, seconds):
    """`measure(cmd)` while a headless Chromium on core 0 shows the live page on `port`."""
    import browser_check

    seen = {}

    def watch():
        # The page exists once molotov listens; check_live waits for it.
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                threading.Event().wait(0.05)
        seen.update(browser_check.check_live(f"http://127.0.0.1:{port}/", seconds=seconds + 5))

    watcher = threading.Thread(target=watch)
    watcher.start()
    result = measure(cmd, url, env)
    watcher.join()
    return result, seen


def main():
    parser = round_options(__doc__)
    parser.add_argument("--baseline", default=None,
                        help="a revision without the timeline, to measure its cost")
    opts = parser.parse_args()
    require("taskset", "cargo")
    pin_browser_to_core_0()
    build()
    old = baseline_hello(opts.baseline) if opts.baseline else None
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    env = dict(os.environ, MOLOTOV_TARGET=url + "/")
    hello = os.path.join(RELEASE, "examples", "hello")
    d = str(opts.duration)
    base = [hello, "-w", "10", "-d", d, "-q"]
    thresholds = ["--threshold", "request.p99 < 1s", "--threshold", "failures < 1%",
                  "--threshold", "status[5xx] == 0"]
    names = ["wrk -t1 -c10", "hello -q", "hello -q --threshold x3", "hello -q (browser elsewhere)",
             "hello -q --web (browser)"]
    if old:
        names.insert(1, f"hello -q ({opts.baseline})")
    cpu = {name: [] for name in names}
    rates = {name: [] for name in names}
    renders = []
    static_dir = tempfile.mkdtemp()
    static, static_port = static_live_page(static_dir)
    try:
        for _ in range(opts.rounds):
            runs = [("wrk -t1 -c10", ["wrk", "-t1", "-c10", f"-d{d}s", url + "/"])]
            if old:
                runs.append((f"hello -q ({opts.baseline})", [old, *base[1:]]))
            runs += [("hello -q", base), ("hello -q --threshold x3", base + thresholds)]
            for name, cmd in runs:
                used, rate = measure(cmd, url, env)
                cpu[name].append(round(used, 2))
                rates[name].append(rate)
            (used, rate), _ = with_browser(base, url, env, static_port, opts.duration)
            cpu["hello -q (browser elsewhere)"].append(round(used, 2))
            rates["hello -q (browser elsewhere)"].append(rate)
            port = free_port()
            (used, rate), seen = with_browser(base + ["--web", str(port)], url, env, port,
                                              opts.duration)
            cpu["hello -q --web (browser)"].append(round(used, 2))
            rates["hello -q --web (browser)"].append(rate)
            renders.append(int(seen.get("rendered") or 0))
        medians = median_table("load generator", cpu, rates)
        now = medians["hello -q"]

        def paired(name, base="hello -q"):
            """The median of the per-round ratios (rounds interleave, so each ratio compares
            runs made moments apart), and the ratios."""
            ratios = [a / b for a, b in zip(cpu[name], cpu[base])]
            return f"{statistics.median(ratios):.3f}x (rounds: {', '.join(f'{r:.3f}' for r in ratios)})"

        if old:
            print(f"timeline: hello now / {opts.baseline}: {paired('hello -q', f'hello -q ({opts.baseline})')}")
        print(f"thresholds: with 3 / without: {paired('hello -q --threshold x3')}")
        print(f"live page with a browser polling it, against a browser polling another server: "
              f"{paired('hello -q --web (browser)', 'hello -q (browser elsewhere)')} "
              f"(renders seen per round: {renders})")
        print(f"hello/wrk: {now / medians['wrk -t1 -c10']:.2f}x")
    finally:
        target.terminate()
        target.wait()
        static.terminate()
        static.wait()


if __name__ == "__main__":
    main()
