"""Live metrics: ``--prometheus-write`` into a real Prometheus server (Debian's ``prometheus``,
started on a free loopback port with its remote write receiver on), ``--prometheus-listen``
scraped by the same server, ``--otlp`` into a receiver that decodes with the official
``opentelemetry-proto`` definitions, and endpoints that are down, slow or failing."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

HIT = """
import molotov

@molotov.scenario(weight=3)
async def hit(session):
    async with session.get("{url}/") as resp:
        assert resp.status == 200

@molotov.scenario(weight=1)
async def missing(session):
    async with session.get("{url}/nothing/here") as resp:
        assert resp.status == 404
"""

# The Prometheus histograms' bucket bounds (seconds), as molotov exports them.
BUCKETS = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
           0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A Prometheus server of its own on loopback, storing in ``tmp``."""

    def __init__(self, tmp: Path, scrape: Optional[int] = None) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            if os.environ.get("MOLOTOV_REQUIRE_PROMETHEUS"):
                raise RuntimeError("prometheus is not installed (apt-get install prometheus)")
            pytest.skip("prometheus is not installed")
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}}
        if scrape is not None:
            config["scrape_configs"] = [{
                "job_name": "molotov",
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{scrape}"]}],
            }]
        (tmp / "prometheus.yml").write_text(json.dumps(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--web.enable-remote-write-receiver"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert self.proc.poll() is None, (tmp / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "prometheus did not get ready"
            time.sleep(0.2)

    def wait_for_scraping(self) -> None:
        """Waits until the scrape job tried its target once (Prometheus takes a few seconds
        to start scraping), so that a short run is scraped from its start."""
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(f"{self.url}/api/v1/targets", timeout=10) as resp:
                targets = json.loads(resp.read())["data"]["activeTargets"]
            if any(not t["lastScrape"].startswith("0001-") for t in targets):
                return
            assert time.monotonic() < deadline, targets
            time.sleep(0.2)

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.loads(resp.read())
        assert body["status"] == "success", body
        return body["data"]["result"]

    def value(self, promql: str) -> Optional[float]:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def prometheus(tmp_path):
    server = Prometheus(tmp_path)
    yield server
    server.stop()


def test_a_two_process_run_adds_up_exactly_in_prometheus(fresh_molotov, prometheus):
    run_id = f"t{time.time_ns()}"
    result = fresh_molotov.run(
        "-w", "2", "-p", "2", "-d", "3", "-c", "--run-id", run_id, "--export-interval", "1",
        "--prometheus-write", f"{prometheus.url}/api/v1/write", source=HIT)
    assert result.code == 0, result
    assert f"Metrics: run_id {run_id}" in result.output, result
    assert f"remote write {prometheus.url}/api/v1/write" in result.stdout
    assert ", 0 failed" in result.stdout, result
    target = fresh_molotov.target
    hits, missing = target.requests("/"), target.requests("/nothing/here")
    r = result.results
    sel = f'run_id="{run_id}"'
    # Every request and run, from both processes (two instance labels), exactly.
    assert prometheus.value(f"sum(molotov_requests_total{{{sel}}})") == hits + missing
    assert prometheus.value(
        f'sum(molotov_requests_total{{{sel},status="404"}})') == missing
    assert prometheus.value(
        f'sum(molotov_scenario_runs_total{{{sel},outcome="success"}})') == r["successes"]
    assert prometheus.value(f"count(count by (instance) (molotov_workers{{{sel}}}))") == 2
    # How busy each process's thread was: a share, measured in both.
    assert prometheus.value(
        f"count(count by (instance) (molotov_generator_busy_ratio{{{sel}}}))") == 2
    assert 0 <= prometheus.value(f"max(molotov_generator_busy_ratio{{{sel}}})") <= 1
    # p99 from the histograms: within a bucket of the summary's.
    q = prometheus.value(
        f'histogram_quantile(0.99, sum by (le) (molotov_request_duration_seconds_bucket'
        f'{{{sel},name="/"}}))')
    p99 = r["requests"]["GET /"]["latency"]["p99_us"] / 1e6
    i = next(i for i, b in enumerate(BUCKETS) if p99 <= b)
    low = BUCKETS[i - 2] if i >= 2 else 0
    high = BUCKETS[min(i + 1, len(BUCKETS) - 1)]
    assert q is not None and low <= q <= high, (q, p99)


def test_prometheus_scrapes_the_metrics_while_the_run_lasts(fresh_molotov, tmp_path):
    listen = free_port()
    server = Prometheus(tmp_path, scrape=listen)
    try:
        server.wait_for_scraping()
        run_id = f"s{time.time_ns()}"
        result = fresh_molotov.run("-w", "2", "-p", "2", "-d", "4", "-c", "--run-id", run_id,
                                   "--prometheus-listen", str(listen), source=HIT)
        assert result.code == 0, result
        assert f"served on http://127.0.0.1:{listen}/metrics" in result.output, result
        sel = f'run_id="{run_id}"'
        # The scrapes saw both processes counting, never more than the run made.
        seen = server.value(f"max_over_time(sum(molotov_requests_total{{{sel}}})[1m:500ms])")
        total = fresh_molotov.target.requests()
        assert seen is not None and 0 < seen <= total, (seen, total)
        instances = server.value(
            f"count(count by (instance) (last_over_time(molotov_workers{{{sel}}}[1m])))")
        assert instances == 2
        assert server.value('max_over_time(up{job="molotov"}[1m])') == 1
    finally:
        server.stop()


class _Receiver(http.server.BaseHTTPRequestHandler):
    """An endpoint that records the bodies POSTed to it, answers after ``delay`` seconds with
    ``status``."""

    bodies: list[tuple[str, bytes, dict[str, str]]]
    status = 200
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.bodies.append((self.path, body, headers))  # type: ignore[attr-defined]
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def receiver(status: int = 200, delay: float = 0.0) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    server.bodies = []  # type: ignore[attr-defined]
    server.status = status  # type: ignore[attr-defined]
    server.delay = delay  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_otlp_totals_decode_with_the_official_definitions(fresh_molotov):
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

    server = receiver()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = fresh_molotov.run(
            "-w", "2", "-p", "2", "-d", "2", "-c", "--otlp", url, "--run-id", "otel-1",
            "--export-interval", "1", source=HIT,
            env={"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=ci"})
        assert result.code == 0, result
    finally:
        server.shutdown()
    assert server.bodies, "nothing was pushed"  # type: ignore[attr-defined]
    latest: dict[str, Any] = {}
    for path, body, headers in server.bodies:  # type: ignore[attr-defined]
        assert path == "/v1/metrics" and headers["content-type"] == "application/x-protobuf"
        request = metrics_service_pb2.ExportMetricsServiceRequest()
        request.ParseFromString(body)
        for rm in request.resource_metrics:
            attributes = {a.key: a.value.string_value for a in rm.resource.attributes}
            assert attributes["molotov.run_id"] == "otel-1", attributes
            assert attributes["deployment.environment"] == "ci", attributes
            assert attributes["service.name"] == "molotov"
            # Cumulative: each process's last push holds its totals.
            latest[attributes["service.instance.id"]] = rm.scope_metrics[0].metrics
    assert len(latest) == 2, latest.keys()
    requests = runs = 0
    histogram_count = 0
    for metrics in latest.values():
        by_name = {m.name: m for m in metrics}
        requests += sum(p.as_double for p in by_name["molotov.requests"].sum.data_points)
        runs += sum(p.as_double for p in by_name["molotov.scenario.runs"].sum.data_points)
        for point in by_name["molotov.scenario.duration"].exponential_histogram.data_points:
            assert sum(point.positive.bucket_counts) + point.zero_count == point.count
            histogram_count += point.count
        assert by_name["molotov.scenario.duration"].unit == "s"
        assert by_name["molotov.requests"].sum.is_monotonic
        busy = by_name["molotov.generator.busy"]
        assert busy.unit == "1" and 0 <= busy.gauge.data_points[0].as_double <= 1, busy
    r = result.results
    assert requests == fresh_molotov.target.requests()
    assert runs == r["successes"] + r["failures"]
    assert histogram_count == r["successes"]


@pytest.mark.parametrize("endpoint", ["down", "slow", "500"])
def test_an_endpoint_down_slow_or_failing_costs_nothing_but_a_count(fresh_molotov, endpoint):
    server = None
    if endpoint == "down":
        url = f"http://127.0.0.1:{free_port()}/api/v1/write"
    else:
        server = receiver(status=500 if endpoint == "500" else 200,
                          delay=10 if endpoint == "slow" else 0)
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/write"
    try:
        result = fresh_molotov.run("-w", "2", "-d", "2", "-c", "--export-interval", "1",
                                   "--prometheus-write", url, source=HIT)
    finally:
        if server is not None:
            server.shutdown()
    assert result.code == 0, result
    r = result.results
    # The run's own figures are whole, and it ended on time (3 s at most for the last push).
    assert r["successes"] + r["failures"] == fresh_molotov.target.requests() > 100
    assert result.elapsed < 2 + 3 + 4, result
    if endpoint != "slow":
        # The first failure says so as it happens (a slow push fails only once it times out,
        # which may be the end of the run: the summary says it then).
        assert f"cannot push metrics to Prometheus remote write {url}" in result.output, result
    line = next(l for l in result.stdout.splitlines() if "remote write" in l and "pushes" in l)
    pushes, failed = (int(line.split(": ")[1].split()[0]), int(line.split(", ")[1].split()[0]))
    assert pushes >= 1 and failed >= 1 and failed <= pushes, line
    if endpoint == "500":
        assert failed == pushes and "HTTP 500" in line, line
