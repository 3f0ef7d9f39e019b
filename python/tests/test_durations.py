"""Durations too large to hold (``-d 1e20``, ``inf``) are no limit: no overflow, no panic, and
the run ends as it would without them."""

import pytest

SCRIPT = """
import molotov

@molotov.scenario()
async def get(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200
"""


@pytest.mark.parametrize("args", [
    ["-d", "1e20", "-r", "3"],
    ["-d", "inf", "-r", "3", "-p", "2"],
    ["--ramp-up", "1e20", "-w", "2", "-d", "1"],
    ["--delay", "1e20", "-d", "1", "-r", "3"],
    ["--console-update", "1e20", "-d", "0.5"],
    ["--graceful-stop", "1e20", "-d", "0.5"],
])
def test_huge_durations_are_no_limit_and_never_a_panic(molotov, args):
    result = molotov.run(*args, "-c", source=SCRIPT)
    assert result.code == 0, result
    assert "panic" not in result.stderr and "Traceback" not in result.stderr, result
    assert result.stderr == "", result
    assert result.results["failures"] == 0, result
    assert result.results["successes"] > 0, result


def test_a_huge_duration_with_max_runs_runs_them_all(fresh_molotov):
    result = fresh_molotov.run("-d", "1e20", "-r", "3", "-w", "2", source=SCRIPT)
    assert result.code == 0, result
    assert result.results["successes"] == 6, result
    assert result.results["stop"] is None, result
    assert fresh_molotov.target.requests("/") == 6
