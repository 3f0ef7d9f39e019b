#!/usr/bin/env python3
"""HTTP/2: what the engine's client costs per request, against h2load, the HTTP/2 yardstick.

2-core machine: the target server (which speaks h2c) on core 0, the load generator on core 1.
Client CPU time per request, median over interleaved rounds, of:
- `h2load -c 10 -m 1` (Debian's nghttp2-client): 10 connections, one stream at a time each,
  as many requests as it can in the duration;
- `hello -w 10 --http2`: the Rust example, 10 workers, each its own HTTP/2 connection with one
  stream at a time (same connections and streams as h2load);
- `hello -w 10` over HTTP/1.1 and `wrk -t1 -c10`, for the HTTP/1.1 figures beside them.
Target: hello --http2 within 1.5x of h2load.

Usage: python3 bench/http2.py [--rounds 5] [--duration 5]
Needs wrk, taskset, h2load (apt-get install nghttp2-client).
"""

import os
import shutil
import statistics

from measure import RELEASE, build, measure, median_table, require, round_options, start_target



def main():
    parser = round_options(__doc__)
    opts = parser.parse_args()
    require("taskset", "cargo")
    if shutil.which("h2load") is None:
        raise SystemExit("error: h2load is needed (apt-get install nghttp2-client)")
    build()
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    env = dict(os.environ, MOLOTOV_TARGET=url + "/")
    hello = os.path.join(RELEASE, "examples", "hello")
    d = str(opts.duration)
    runs = [
        ("h2load -c10 -m1", ["h2load", "-c", "10", "-m", "1", "-D", d, url + "/"]),
        ("hello -w 10 --http2", [hello, "-w", "10", "-d", d, "-q", "--http2"]),
        ("wrk -t1 -c10 (HTTP/1.1)", ["wrk", "-t1", "-c10", f"-d{d}s", url + "/"]),
        ("hello -w 10 (HTTP/1.1)", [hello, "-w", "10", "-d", d, "-q"]),
    ]
    cpu = {name: [] for name, _ in runs}
    rates = {name: [] for name, _ in runs}
    try:
        for _ in range(opts.rounds):
            for name, cmd in runs:
                used, rate = measure(cmd, url, env)
                cpu[name].append(round(used, 3))
                rates[name].append(rate)
        median_table("load generator", cpu, rates)
        ratios = [a / b for a, b in zip(cpu["hello -w 10 --http2"], cpu["h2load -c10 -m1"])]
        print(f"hello --http2 / h2load: {statistics.median(ratios):.3f}x "
              f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
        ratios = [a / b for a, b in zip(cpu["hello -w 10 (HTTP/1.1)"], cpu["wrk -t1 -c10 (HTTP/1.1)"])]
        print(f"hello HTTP/1.1 / wrk: {statistics.median(ratios):.3f}x")
    finally:
        target.terminate()
        target.wait()


if __name__ == "__main__":
    main()
