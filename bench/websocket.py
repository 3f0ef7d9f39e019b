#!/usr/bin/env python3
"""WebSocket: client CPU per echoed message, molotov against a plain tokio-tungstenite client.

2-core machine: the target server (its `/ws` echo) on core 0, the client on core 1. Both
clients open a socket, send 100 text messages one at a time (each waits for its echo), close,
and start again, with 10 sockets at once, for the duration:
- `ws_baseline` (the crate's example): tokio-tungstenite alone, one thread, 10 tasks;
- `ws_echo -w 10` (the crate's example): a molotov load test, the same work as scenarios,
  with the statistics (the handshake as a request, messages counted per socket name).
Printed: CPU microseconds per message (median of interleaved rounds), messages per second
per core, and the ratio.

Usage: python3 bench/websocket.py [--rounds 5] [--duration 5]
"""

import json
import os
import statistics
import subprocess
import tempfile
import time

from measure import RELEASE, build, child_cpu, require, round_options, start_target



def run(cmd, env=None):
    """Runs `cmd` on core 1; returns (its CPU seconds, its wall seconds, its stdout)."""
    before = child_cpu()
    start = time.monotonic()
    done = subprocess.run(["taskset", "-c", "1", *cmd], check=True, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return child_cpu() - before, time.monotonic() - start, done.stdout


def main():
    parser = round_options(__doc__)
    opts = parser.parse_args()
    require("taskset", "cargo")
    build("--example", "ws_echo", "--example", "ws_baseline", "--bins")
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    ws_url = url.replace("http", "ws", 1) + "/ws"
    env = dict(os.environ, MOLOTOV_TARGET=url + "/")
    d = str(opts.duration)
    results = tempfile.mktemp(suffix=".json")
    per = {"ws_baseline -c 10": [], "ws_echo -w 10": []}
    rates = {name: [] for name in per}
    try:
        for _ in range(opts.rounds):
            cpu, wall, out = run([os.path.join(RELEASE, "examples", "ws_baseline"), ws_url, "10", d])
            messages = int(out.strip().splitlines()[-1])
            per["ws_baseline -c 10"].append(cpu / messages * 1e6)
            rates["ws_baseline -c 10"].append(messages / cpu)
            cpu, wall, _ = run([os.path.join(RELEASE, "examples", "ws_echo"), "-w", "10", "-d", d,
                                "-q", "--json", results], env)
            with open(results) as f:
                messages = json.load(f)["websockets"]["echo"]["received"]
            per["ws_echo -w 10"].append(cpu / messages * 1e6)
            rates["ws_echo -w 10"].append(messages / cpu)
        print(f"{'client':<22} {'CPU us/msg':>11} {'msg/s/core':>11}  each round (us/msg)")
        for name, values in per.items():
            print(f"{name:<22} {statistics.median(values):>11.2f} "
                  f"{statistics.median(rates[name]):>11.0f}  {[round(v, 2) for v in values]}")
        ratios = [a / b for a, b in zip(per["ws_echo -w 10"], per["ws_baseline -c 10"])]
        print(f"molotov / tokio-tungstenite: {statistics.median(ratios):.3f}x "
              f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
    finally:
        target.terminate()
        target.wait()
        if os.path.exists(results):
            os.unlink(results)


if __name__ == "__main__":
    main()
