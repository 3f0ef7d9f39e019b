#!/usr/bin/env python3
"""What the metrics exporters cost the load generator.

2-core machine: the target server and the receivers on core 0, the load generator on core 1.
Client CPU time per request, median over interleaved rounds, of `hello -w 10 -q` (the Rust
example) without an exporter, against the same with:
- `--prometheus-write` to a real Prometheus (Debian's, remote write receiver on), every second
  (`--export-interval 1`, five times the default's pushes);
- `--otlp` to a receiver that reads and drops the bodies (Python's http.server), every second;
- `--prometheus-listen`, scraped every second by that Prometheus.
`wrk -t1 -c10` is the yardstick. The target is +3 % at most over no exporter.

Usage: python3 bench/exporters.py [--rounds 5] [--duration 5]
Needs wrk, taskset, prometheus (apt-get install prometheus).
"""

import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

from measure import RELEASE, build, measure, median_table, require, round_options, start_target



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Drop(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def prometheus(directory, scrape_port):
    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [{"job_name": "molotov", "honor_labels": True,
                            "static_configs": [{"targets": [f"127.0.0.1:{scrape_port}"]}]}],
    }
    path = os.path.join(directory, "prometheus.yml")
    with open(path, "w") as f:
        json.dump(config, f)
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", "0", "prometheus", f"--config.file={path}",
         f"--storage.tsdb.path={directory}/data", f"--web.listen-address=127.0.0.1:{port}",
         "--web.enable-remote-write-receiver"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("error: prometheus did not start")


def main():
    parser = round_options(__doc__)
    opts = parser.parse_args()
    require("taskset", "cargo")
    if shutil.which("prometheus") is None:
        raise SystemExit("error: prometheus is needed (apt-get install prometheus)")
    build()
    os.sched_setaffinity(0, {0})  # this harness and its receiver thread stay on core 0
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    drop = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drop)
    threading.Thread(target=drop.serve_forever, daemon=True).start()
    otlp = f"http://127.0.0.1:{drop.server_address[1]}"
    scrape_port = free_port()
    directory = tempfile.mkdtemp()
    prom, prom_url = prometheus(directory, scrape_port)
    env = dict(os.environ, MOLOTOV_TARGET=url + "/")
    hello = os.path.join(RELEASE, "examples", "hello")
    d = str(opts.duration)
    base = [hello, "-w", "10", "-d", d, "-q"]
    runs = [
        ("wrk -t1 -c10", ["wrk", "-t1", "-c10", f"-d{d}s", url + "/"]),
        ("hello -q", base),
        ("--prometheus-write (1s)", base + ["--prometheus-write", prom_url + "/api/v1/write",
                                            "--export-interval", "1"]),
        ("--otlp (1s)", base + ["--otlp", otlp, "--export-interval", "1"]),
        ("--prometheus-listen", base + ["--prometheus-listen", str(scrape_port)]),
    ]
    cpu = {name: [] for name, _ in runs}
    rates = {name: [] for name, _ in runs}
    try:
        for _ in range(opts.rounds):
            for name, cmd in runs:
                used, rate = measure(cmd, url, env)
                cpu[name].append(round(used, 3))
                rates[name].append(rate)
        medians = median_table("load generator", cpu, rates)
        for name, _ in runs[2:]:
            ratios = [a / b for a, b in zip(cpu[name], cpu["hello -q"])]
            print(f"{name} / none: {statistics.median(ratios):.3f}x "
                  f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
        print(f"hello/wrk: {medians['hello -q'] / medians['wrk -t1 -c10']:.2f}x")
    finally:
        prom.terminate()
        prom.wait()
        target.terminate()
        target.wait()
        drop.shutdown()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
