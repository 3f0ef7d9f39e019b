"""How busy the load generator is, with Python scripts: a scenario that keeps the thread busy
(pure Python, no await for 5 ms) is told so as it happens (from its second second) and in the summary, and the
results count its saturated seconds, with one process and two; one that mostly waits for the
network is not. Measured from Linux's counts of the thread's time running and waiting."""

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux's schedstat")

BUSY = """
import time
import molotov

@molotov.scenario()
async def busy(session):
    end = time.perf_counter() + 0.005
    n = 0
    while time.perf_counter() < end:
        n += 1
    async with session.get("{url}/") as resp:
        assert resp.status == 200
"""

HIT = """
import molotov

@molotov.scenario()
async def hit(session):
    async with session.get("{url}/") as resp:
        assert resp.status == 200
"""


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_script_that_keeps_its_thread_busy_is_told_so(fresh_molotov, processes):
    # Four workers: while one spins, the others' requests come back, so the thread never waits.
    result = fresh_molotov.run("-w", "4", "-p", processes, "-d", "3",
                               "--threshold", "generator.saturated == 0", source=BUSY)
    assert result.code == 99, result
    assert "✗ generator.saturated == 0" in result.stdout, result
    warning = result.stdout.find("Warning: the load generator is CPU-bound: its thread was busy")
    line = result.stdout.find("Load generator: CPU-bound in ")
    assert 0 <= warning < line, result
    unit = "process-seconds" if processes == "2" else " s (busiest second"
    assert unit in result.stdout, result
    g = result.results["generator"]
    assert g["saturated_seconds"] >= 1.0, g
    assert g["peak"] >= 0.9, g
    assert 2.5 * int(processes) <= g["seconds"] < 3.5 * int(processes), g


def test_a_script_that_waits_for_the_network_is_not(fresh_molotov):
    result = fresh_molotov.run("--rate", "20", "-d", "2", "--threshold", "generator.saturated == 0",
                               source=HIT)
    assert result.code == 0, result
    assert "✓ generator.saturated == 0" in result.stdout, result
    assert "CPU-bound" not in result.stdout, result
    g = result.results["generator"]
    assert g["saturated_seconds"] < 1e-9, g
    assert g["running_seconds"] / g["seconds"] < 0.5, g
