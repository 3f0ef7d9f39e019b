"""``--graceful-stop`` and ``--force-shutdown`` with a Python script: once the run stops, the
scenarios in flight get the grace, then are cancelled (counted as cancelled, teardowns run),
whether they wait on a request or on asyncio."""

import json

SLOW_REQUEST = """
import molotov

@molotov.scenario()
async def slow(session):
    async with session.get("http://localhost:8080/delay/20000") as resp:
        assert resp.status == 200
"""

SLOW_SLEEP = """
import asyncio
import molotov

def log(line):
    with open(r"{log}", "a") as f:
        f.write(line + "\\n")

@molotov.scenario()
async def sleeps(session):
    await asyncio.sleep(20)

@molotov.teardown()
def end_worker(worker_id):
    log(f"teardown {worker_id}")
"""


def test_after_the_duration_the_runs_in_flight_get_the_grace_then_are_cancelled(fresh_molotov):
    result = fresh_molotov.run("-w", "2", "-d", "1", "--graceful-stop", "1", source=SLOW_REQUEST)
    assert result.code == 0, result
    # -d 1 plus a grace of 1, not the requests' 20 s.
    assert 1.9 <= result.elapsed < 5, result
    assert result.results["cancelled"] == 2, result
    assert (result.results["successes"], result.results["failures"]) == (0, 0), result
    assert "2 scenario runs were cancelled in flight" in result.stdout, result
    assert fresh_molotov.target.requests("/delay/20000") == 2


def test_a_scenario_waiting_on_asyncio_is_cancelled_too_and_teardowns_run(molotov):
    result = molotov.run("-w", "2", "-d", "1", "--graceful-stop", "1", source=SLOW_SLEEP)
    assert result.code == 0, result
    assert result.elapsed < 5, result
    assert result.results["cancelled"] == 2, result
    assert sorted(molotov.lines()) == ["teardown 0", "teardown 1"]


def test_force_shutdown_cancels_at_the_duration_whatever_the_grace(molotov):
    result = molotov.run("-d", "1", "--graceful-stop", "10", "--force-shutdown", source=SLOW_SLEEP)
    assert result.code == 0, result
    assert result.elapsed < 4, result
    assert result.results["cancelled"] == 1, result


def test_the_args_namespace_has_the_grace(molotov):
    result = molotov.run("-r", "1", "--graceful-stop", "2.5", source="""
        import molotov

        def log(line):
            with open(r"{log}", "a") as f:
                f.write(line + "\\n")

        @molotov.global_setup()
        def init(args):
            log(f"{args.graceful_stop} {args.force_shutdown}")

        @molotov.scenario()
        async def nothing(session):
            pass
    """)
    assert result.code == 0, result
    assert molotov.lines() == ["2.5 False"]


def test_a_config_file_sets_the_grace_and_moloslave_knows_it(molotov):
    # Both derive their keys from the command line's definition of the options.
    molotov.write(SLOW_SLEEP, "scenarios.py")
    (molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {"tests": {"test": {
        "duration": 1, "graceful_stop": 1, "scenario": "scenarios.py"}}}}))
    result = molotov.run("--config", "molotov.json")
    assert result.code == 0, result
    assert result.elapsed < 5, result
    assert result.results["cancelled"] == 1, result
    from molotov import _slave
    assert _slave.OPTIONS["graceful_stop"] == ("--graceful-stop", _slave.OPTIONS["duration"][1])
