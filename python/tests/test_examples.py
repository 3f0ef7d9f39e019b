"""Molotov's own example scripts (``examples/python``) run unchanged, with the arguments of
its README, against the bundled target through ``--connect-to``."""

import json

import pytest

from conftest import EXAMPLES

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/python is not there")


def example(name: str) -> str:
    return str(EXAMPLES / name)


def _check(result):
    assert result.code == 0, result
    assert result.results["failures"] == 0, result
    assert "*** Bye ***" in result.stdout
    return result


def test_example_runs_its_active_scenario_with_the_global_headers(fresh_molotov):
    result = _check(fresh_molotov.run("-r", "10", example("example.py")))
    assert result.scenario("scenario_two")["successes"] == 10, result
    assert set(result.results["scenarios"]) == {"scenario_two"}
    assert "This is the end for 0" in result.stdout
    assert "This is the end" in result.stdout.splitlines()
    assert "SUCCESSES: 10 | FAILURES: 0" in result.stdout
    assert fresh_molotov.target.stats()["paths"] == {"/": 10}


def test_example2_runs_its_two_weighted_scenarios(fresh_molotov):
    result = _check(fresh_molotov.run("-w", "10", "-d", "1", example("example2.py")))
    one = result.scenario("scenario_one")["successes"]
    two = result.scenario("scenario_two")["successes"]
    assert one > 0 and two > 0, result
    assert fresh_molotov.target.requests("/") == one + two


def test_example2_with_fixed_runs_sends_exactly_one_request_per_run(fresh_molotov):
    result = _check(fresh_molotov.run("-w", "4", "-r", "5", example("example2.py")))
    assert result.results["successes"] == 20, result
    assert fresh_molotov.target.requests("/") == 20


def test_example4_runs_every_fixture_with_set_var_and_context_attach(fresh_molotov):
    result = _check(fresh_molotov.run("-r", "10", example("example4.py")))
    assert result.scenario("scenario_one")["successes"] == 10, result
    assert "This is the end for 0" in result.stdout
    assert "This is the end of the test." in result.stdout
    assert result.results["fixture_failures"] == []
    assert fresh_molotov.target.requests("/") == 10


def test_example5_prints_around_each_request(fresh_molotov):
    result = _check(fresh_molotov.run("-r", "3", example("example5.py")))
    lines = result.stdout.splitlines()
    assert lines.count("=>") == 3 and lines.count("<=") == 3, result
    assert fresh_molotov.target.requests("/") == 3


def test_example6_extension_prints_the_average_response_time(fresh_molotov):
    result = _check(fresh_molotov.run("--use-extension", example("example6.py"), "-r", "10",
                                      example("example2.py")))
    assert any(line.startswith("Average response time ") and line.endswith("ms")
               for line in result.stdout.splitlines()), result
    assert result.results["successes"] == 10
    assert fresh_molotov.target.requests("/") == 10


def test_example7_extension_prints_the_average_concurrency(fresh_molotov):
    result = _check(fresh_molotov.run("--use-extension", example("example7.py"), "-d", "2.5",
                                      example("example2.py")))
    assert any(line.startswith("Average concurrency: ") and line.endswith(" VU/s")
               for line in result.stdout.splitlines()), result
    assert "concurrents:" in result.stdout


def test_example8_extension_prints_a_json_line_per_run(fresh_molotov):
    result = _check(fresh_molotov.run("--use-extension", example("example8.py"), "-r", "3",
                                      example("example2.py")))
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(records) == 3, result
    for record in records:
        assert record["type"] == "scenario_success"
        assert record["name"] in ("scenario_one", "scenario_two")
        assert isinstance(record["duration"], int) and isinstance(record["ts"], float)
    assert fresh_molotov.target.requests("/") == 3


def test_example8_extension_reports_failures_with_the_exception(fresh_molotov):
    script = fresh_molotov.write("""
        import molotov

        @molotov.scenario()
        async def broken(session):
            raise ValueError("boom")
    """, "broken.py")
    result = fresh_molotov.run("--use-extension", example("example8.py"), "-r", "2", str(script))
    assert result.code == 0, result
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(records) == 2, result
    assert all(r["type"] == "scenario_failure" and r["exception"] == "ValueError"
               and r["errorMessage"] == "boom" and r["name"] == "broken" for r in records)
