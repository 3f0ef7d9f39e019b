"""Thresholds (``--threshold``, exit code 99, ``abort``), the timeline, ``--junit`` read by a real
JUnit reader (``junitparser``), ``--html`` and ``--web`` opened in a real headless Chromium, and
``molotov-report`` merging results files exactly, with Python scripts."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import BIN, run_process

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import browser_check  # noqa: E402

REPORT = os.path.join(BIN, "molotov-report")

MIXED = """
import molotov

@molotov.scenario(weight=80)
async def ok(session):
    async with session.get("{url}/") as resp:
        assert resp.status == 200

@molotov.scenario(weight=20)
async def broken(session):
    async with session.get("{url}/status/500") as resp:
        assert resp.status == 200, "the server said 500"
"""

FINE = """
import molotov

@molotov.scenario()
async def ok(session):
    async with session.get("{url}/") as resp:
        assert resp.status == 200
"""


def chromium_or_skip() -> None:
    try:
        browser_check.find_browser()
    except browser_check.NoBrowser as e:
        if os.environ.get("MOLOTOV_REQUIRE_BROWSER"):
            raise
        pytest.skip(str(e))


@pytest.mark.parametrize("processes", ["1", "2"])
def test_passing_and_failing_thresholds_exit_0_and_99(molotov, processes):
    ok = molotov.run("-w", "2", "-d", "1", "-c", "-p", processes,
                     "--threshold", "scenario.p99 < 5s", "--threshold", "failures == 0",
                     "--threshold", "status[2xx] > 99%", source=FINE)
    assert ok.code == 0, ok
    assert "Thresholds: all passed" in ok.stdout, ok
    assert [t["passed"] for t in ok.results["thresholds"]] == [True, True, True]

    bad = molotov.run("-w", "2", "-d", "1", "-c", "-p", processes,
                      "--threshold", "failures < 1%", "--threshold", "errors[AssertionError] > 0",
                      "--threshold", "status[5xx] > 0", source=MIXED)
    assert bad.code == 99, bad
    assert "✗ failures < 1%" in bad.stdout, bad
    verdicts = {t["expression"]: t for t in bad.results["thresholds"]}
    r = bad.results
    assert verdicts["failures < 1%"]["value"] == pytest.approx(r["failures"] / (r["successes"] + r["failures"]))
    assert verdicts["errors[AssertionError] > 0"]["passed"], verdicts
    assert verdicts["status[5xx] > 0"]["passed"], verdicts


def test_an_abort_threshold_stops_a_60s_run_early(molotov):
    result = molotov.run("-w", "2", "-d", "60", "-c", "--threshold", "failures.count == 0 abort",
                         source=MIXED, timeout=40)
    assert result.code == 99, result
    assert result.elapsed < 20, result
    assert result.results["stop"] == "threshold"
    assert 'Stopped by the threshold "failures.count == 0 abort"' in result.stdout, result


def test_thresholds_from_a_config_file_and_bad_ones(molotov, tmp_path):
    script = molotov.write(FINE)
    config = tmp_path / "molotov.json"
    config.write_text(json.dumps({"molotov": {"tests": {"smoke": {
        "scenario": str(script), "duration": 1, "console": True,
        "thresholds": ["scenario.p99 < 1us", "rate > 0"]}}}}))
    result = molotov.run("--config", str(config), "smoke")
    assert result.code == 99, result
    assert [t["expression"] for t in result.results["thresholds"]] == ["scenario.p99 < 1us", "rate > 0"]

    for bad, says in [("scenario.p99 < 1", "compared with a duration"),
                      ("scenario[nope].p99 < 1s", 'no scenario is named "nope"')]:
        refused = molotov.run("-r", "1", "--threshold", bad, source=FINE, json_results=False)
        assert refused.code == 2, refused
        lines = refused.error_lines()
        assert len(lines) == 1 and says in lines[0], refused


def test_junit_is_read_by_a_junit_reader(molotov, tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "junit.xml"
    result = molotov.run("-w", "2", "-d", "1", "-c", "--junit", str(path),
                         "--threshold", "failures < 1%", "--threshold", "rate > 0", source=MIXED)
    assert result.code == 99, result
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    assert len(suites) == 1
    cases = {case.name: case for case in suites[0]}
    assert set(cases) == {"failures < 1%", "rate > 0", "ok", "broken"}, cases
    assert cases["rate > 0"].is_passed
    failed = cases["failures < 1%"].result
    assert failed and "measured" in failed[0].message, failed
    assert cases["broken"].result, "a scenario with failures is a failed case"
    assert cases["ok"].is_passed
    assert suites[0].failures == 2 and suites[0].tests == 4


def test_the_timeline_counts_every_run_once(molotov):
    result = molotov.run("-w", "2", "-d", "2", "-q", source=FINE)
    assert result.code == 0, result
    intervals = result.results["timeline"]["intervals"]
    assert 2 <= len(intervals) <= 4, intervals
    assert sum(i["successes"] + i["failures"] for i in intervals) == result.results["successes"]
    assert all(i["workers"] == 2 for i in intervals[:-1]), intervals


def test_the_html_report_in_a_real_browser_shows_the_json_numbers(molotov, tmp_path):
    chromium_or_skip()
    html = tmp_path / "report.html"
    result = molotov.run("-w", "2", "-d", "3", "-c", "--html", str(html),
                         "--threshold", "failures < 1%", source=MIXED)
    assert result.code == 99, result
    seen = browser_check.check(str(html))
    assert not seen.get("error") and not seen.get("console_errors"), seen
    assert seen["status"] == "final", seen
    charts = seen["charts"]
    assert len(charts) >= 3 and all(c["points"] >= 3 and c["nonempty_paths"] >= 1 for c in charts), charts
    if sys.platform == "linux":
        said = seen["generator"] or ""
        assert said.startswith("busy ") or said.startswith("CPU-bound in "), seen["generator"]
        assert "generator" in [c["key"] for c in charts], "the generator's busy share, drawn"
        busy = [i.get("generator_busy") for i in result.results["timeline"]["intervals"]]
        assert any(isinstance(b, float) and 0 <= b <= 1 for b in busy), busy
    for table in ("scenarios", "requests"):
        for name, entry in result.results[table].items():
            cells = seen["cells"][table][name]
            assert float(cells["count"]) == entry["successes"] + entry["failures"], (name, cells)
            assert float(cells["failures"]) == entry["failures"]
            if entry["latency"]["count"]:
                for p in ("p50_us", "p90_us", "p95_us", "p99_us", "max_us"):
                    assert float(cells[p]) == entry["latency"][p], (name, p, cells, entry["latency"])
    assert [t["passed"] for t in seen["thresholds"]] == [False], seen["thresholds"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_live_page_updates_during_the_run_and_ends_as_the_report(molotov, tmp_path, processes):
    chromium_or_skip()
    port = free_port()
    proc, json_path = molotov.start("-w", "2", "-d", "6", "-c", "-p", processes, "--web", str(port),
                                    source=FINE)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the live page never listened"
                time.sleep(0.05)
        seen = browser_check.check_live(url, seconds=15)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stdout + stderr
    assert f"Live report: http://127.0.0.1:{port}/" in stderr, stderr
    assert not seen.get("error") and not seen.get("console_errors"), seen
    assert int(seen["rendered"]) >= 3, seen
    assert seen["status"] == "final", seen
    results = json.loads(json_path.read_text())
    cells = seen["cells"]["scenarios"]["ok"]
    assert float(cells["count"]) == results["successes"], (cells, results["successes"])


def test_molotov_report_merges_three_files_exactly(molotov, tmp_path):
    files = []
    for n in range(3):
        path = tmp_path / f"r{n}.json"
        result = molotov.run("-w", "2", "-r", "30", "-q", "--json", str(path),
                             source=MIXED, json_results=False)
        assert result.code == 0, result
        files.append(json.loads(path.read_text()))
    merged = tmp_path / "merged.json"
    junit = tmp_path / "merged.xml"
    done = run_process([REPORT, *map(str, (tmp_path / f"r{n}.json" for n in range(3))),
                        "--json", str(merged), "--junit", str(junit), "--threshold", "failures.count >= 0"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Merged 3 results (3 processes)" in done.stdout, done.stdout
    m = json.loads(merged.read_text())
    for key in ("successes", "failures"):
        assert m[key] == sum(f[key] for f in files)
    for table in ("scenarios", "requests"):
        for name in set().union(*(f[table] for f in files)):
            entries = [f[table][name] for f in files if name in f[table]]
            expected = Counter()
            for entry in entries:
                expected.update({v: n for v, n in entry["latency"]["buckets"]})
            got = Counter({v: n for v, n in m[table][name]["latency"]["buckets"]})
            assert got == expected, (table, name)
            assert m[table][name]["successes"] == sum(e["successes"] for e in entries)
            # The percentiles of the merged histogram, computed here independently (HDR's rule:
            # the first bucket at which the cumulative count reaches ceil(p% of the count)).
            total = sum(expected.values())
            if total:
                for p in (50, 90, 99):
                    rank = max(1, -(-p * total // 100))
                    seen = 0
                    for value in sorted(expected):
                        seen += expected[value]
                        if seen >= rank:
                            break
                    assert m[table][name]["latency"][f"p{p}_us"] == value, (name, p)
    intervals = sum(len(f["timeline"]["intervals"]) for f in files)
    assert 1 <= len(m["timeline"]["intervals"]) <= intervals


def test_molotov_report_refuses_what_it_cannot_merge(molotov, tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    assert molotov.run("-r", "1", "-q", "--json", str(a), source=FINE, json_results=False).code == 0
    assert molotov.run("-r", "1", "-q", "--json", str(b), source=MIXED, json_results=False).code == 0
    report = [REPORT]
    for args, says in [([a, b], "are results of different"),
                       ([tmp_path / "missing.json"], "cannot read"),
                       ([tmp_path / "calls.log"], "not JSON results")]:
        (tmp_path / "calls.log").write_text("not json")
        done = run_process([*report, *map(str, args)])
        assert done.returncode == 2, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], done.stderr
    old = json.loads(a.read_text())
    old["format"] = 1
    a.write_text(json.dumps(old))
    done = run_process([*report, str(a)])
    assert done.returncode == 2 and "results format 1" in done.stderr, done.stderr
