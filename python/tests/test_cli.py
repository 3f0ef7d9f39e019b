"""Molotov's command line with Python scripts: run counts checked on the server, stop
conditions, exit codes, quiet mode, config files and signals."""

import json
import os
import selectors
import signal
import time

import pytest

from conftest import interrupt

TWO_PATHS = """
import molotov

@molotov.scenario()
async def first(session):
    async with session.get("http://localhost:8080/echo?first") as resp:
        assert resp.status == 200

@molotov.scenario()
async def second(session):
    async with session.get("http://localhost:8080/status/204") as resp:
        assert resp.status == 204
"""

ONE_REQUEST = """
import molotov

@molotov.scenario()
async def one_request(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200
"""

ALWAYS_FAILS = """
import molotov

@molotov.scenario()
async def fails(session):
    async with session.get("http://localhost:8080/status/500") as resp:
        assert resp.status == 200, "status was 500"
"""


def test_s_runs_only_the_named_scenario(fresh_molotov):
    result = fresh_molotov.run("-s", "second", "-r", "2", source=TWO_PATHS)
    assert result.code == 0, result
    assert set(result.results["scenarios"]) <= {"first", "second"}
    assert result.scenario("second")["successes"] == 2, result
    assert result.scenario("first")["successes"] == 0
    assert "SUCCESSES: 2 | FAILURES: 0" in result.stdout
    assert fresh_molotov.target.stats()["paths"] == {"/status/204": 2}


def test_s_with_an_unknown_scenario_is_a_usage_error(molotov):
    result = molotov.run("-s", "nope", "-r", "1", source=TWO_PATHS, json_results=False)
    assert result.code == 2, result
    assert "nope" in result.output


def test_single_run_runs_each_scenario_once_per_worker(fresh_molotov):
    result = fresh_molotov.run("--single-run", "-w", "3", source=TWO_PATHS)
    assert result.code == 0, result
    assert fresh_molotov.target.stats()["paths"] == {"/echo": 3, "/status/204": 3}
    assert result.results["successes"] == 6


def test_workers_and_max_runs_send_exactly_workers_times_runs_requests(fresh_molotov):
    result = fresh_molotov.run("-w", "4", "-r", "25", source=ONE_REQUEST)
    assert result.code == 0, result
    assert fresh_molotov.target.requests() == 100
    assert fresh_molotov.target.requests("/") == 100
    assert "SUCCESSES: 100 | FAILURES: 0" in result.stdout
    assert result.results["requests"]["GET /"]["statuses"] == {"200": 100}


def test_each_worker_keeps_its_connection_alive(fresh_molotov):
    result = fresh_molotov.run("-w", "3", "-r", "10", source=ONE_REQUEST)
    assert result.code == 0, result
    stats = fresh_molotov.target.stats()
    assert stats["requests"] == 30
    assert stats["connections"] <= 3 + 1, stats


def test_ramp_up_still_runs_every_worker(fresh_molotov):
    result = fresh_molotov.run("-w", "5", "--ramp-up", "0.4", "-r", "2", source=ONE_REQUEST)
    assert result.code == 0, result
    assert "SUCCESSES: 10 | FAILURES: 0" in result.stdout
    assert fresh_molotov.target.requests("/") == 10


def test_duration_stops_the_run(fresh_molotov):
    result = fresh_molotov.run("-w", "2", "-d", "1", source=ONE_REQUEST)
    assert result.code == 0, result
    assert 0.9 <= result.results["elapsed_seconds"] < 5, result
    assert result.results["stop"] == "deadline"
    assert fresh_molotov.target.requests("/") == result.results["successes"] > 0


def test_global_delay_pauses_after_every_run(molotov):
    result = molotov.run("--delay", "0.1", "-r", "3", source="""
        import time
        import molotov

        @molotov.scenario()
        async def run(session):
            with open("{log}", "a") as f:
                f.write(f"{time.monotonic()}\\n")
    """)
    assert result.code == 0, result
    starts = [float(line) for line in molotov.lines()]
    assert all(b - a >= 0.095 for a, b in zip(starts, starts[1:])), starts


def test_seed_repeats_the_scenario_choices(molotov):
    script = molotov.write("""
        import molotov

        def log(name):
            with open("{log}", "a") as f:
                f.write(name + "\\n")

        @molotov.scenario()
        async def a(session):
            log("a")

        @molotov.scenario()
        async def b(session):
            log("b")
    """, "seeded.py")
    molotov.run("--seed", "42", "-r", "30", str(script))
    first = molotov.lines()
    molotov.log.unlink()
    molotov.run("--seed", "42", "-r", "30", str(script))
    assert molotov.lines() == first and len(first) == 30
    assert set(first) == {"a", "b"}


def test_x_stops_at_the_first_failure_with_exit_code_4(fresh_molotov):
    result = fresh_molotov.run("-x", "-w", "1", "-r", "50", source=ALWAYS_FAILS)
    assert result.code == 4, result
    assert result.results["stop"] == "fail-fast"
    assert result.results["failures"] == 1, result
    assert fresh_molotov.target.requests() == 1


def test_f_1_exits_1_with_a_failing_scenario(molotov):
    result = molotov.run("-f", "1", "-r", "2", source=ALWAYS_FAILS)
    assert result.code == 1, result
    assert "SUCCESSES: 0 | FAILURES: 2" in result.stdout


def test_without_f_failures_exit_0(molotov):
    result = molotov.run("-r", "2", source=ALWAYS_FAILS)
    assert result.code == 0, result


def test_f_above_the_failures_exits_0(molotov):
    result = molotov.run("-f", "3", "-r", "2", source=ALWAYS_FAILS)
    assert result.code == 0, result


def test_q_prints_nothing(molotov):
    result = molotov.run("-q", "-r", "2", source=ALWAYS_FAILS)
    assert result.code == 0, result
    assert result.stdout == "" and result.stderr == "", result
    assert result.results["failures"] == 2


def test_q_still_exits_1_with_f(molotov):
    result = molotov.run("-q", "-f", "1", "-r", "2", source=ALWAYS_FAILS)
    assert result.code == 1, result
    assert result.stdout == "" and result.stderr == "", result


def test_q_with_v_is_a_usage_error(molotov):
    result = molotov.run("-q", "-v", "-r", "1", source=ONE_REQUEST, json_results=False)
    assert result.code == 2, result


def test_a_bad_value_is_one_error_line_with_exit_code_2(molotov):
    result = molotov.run("-w", "0", "-r", "1", source=ONE_REQUEST, json_results=False)
    assert result.code == 2, result
    assert len(result.error_lines()) == 1, result


def test_config_runs_the_named_test_of_a_molotov_json(fresh_molotov):
    fresh_molotov.write(ONE_REQUEST, "scenarios.py")
    (fresh_molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {
        "env": {"SERVER_URL": "http://aserver.net"},
        "tests": {
            "test": {"workers": 2, "max_runs": 3, "scenario": "scenarios.py"},
            "big": {"workers": 5, "max_runs": 4, "scenario": "scenarios.py"},
        },
    }}))
    result = fresh_molotov.run("--config", "molotov.json", "test")
    assert result.code == 0, result
    assert result.results["successes"] == 6, result
    assert fresh_molotov.target.requests("/") == 6


def test_config_sets_its_env_before_the_script_is_imported(fresh_molotov):
    fresh_molotov.write("""
        import os
        import molotov

        URL = os.environ["SERVER_URL"]  # read at import time

        @molotov.scenario()
        async def hit(session):
            async with session.get(URL + "/") as resp:
                assert resp.status == 200
                assert os.environ["OTHER"] == "7"
    """, "scenarios.py")
    (fresh_molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {
        "env": {"SERVER_URL": fresh_molotov.target.url, "OTHER": 7},
        "tests": {"test": {"max_runs": 3, "scenario": "scenarios.py"}},
    }}))
    result = fresh_molotov.run("--config", "molotov.json", "test", connect=False)
    assert result.code == 0, result
    assert result.results["successes"] == 3, result
    assert fresh_molotov.target.requests("/") == 3


def test_config_without_a_test_name_runs_the_test_named_test(fresh_molotov):
    fresh_molotov.write(ONE_REQUEST, "scenarios.py")
    (fresh_molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {"tests": {
        "test": {"max_runs": 2, "scenario": "scenarios.py"}}}}))
    result = fresh_molotov.run("--config", "molotov.json")
    assert result.code == 0, result
    assert fresh_molotov.target.requests("/") == 2


def test_config_use_extension_loads_every_listed_extension(molotov):
    molotov.write(ONE_REQUEST, "scenarios.py")
    for tag in ("first", "second"):
        molotov.write(f"""
            import molotov

            @molotov.events()
            async def on_event(event, **info):
                if event == "scenario_start":
                    with open("{{log}}", "a") as f:
                        f.write("{tag}\\n")
        """, f"{tag}_ext.py")
    (molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {"tests": {"test": {
        "max_runs": 1, "scenario": "scenarios.py",
        "use_extension": ["first_ext.py", "second_ext.py"]}}}}))
    result = molotov.run("--config", "molotov.json")
    assert result.code == 0, result
    assert sorted(molotov.lines()) == ["first", "second"]


def test_command_line_options_win_over_the_config_file(fresh_molotov):
    fresh_molotov.write(ONE_REQUEST, "scenarios.py")
    (fresh_molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {"tests": {
        "smoke": {"workers": 2, "max_runs": 3, "scenario": "scenarios.py"}}}}))
    result = fresh_molotov.run("--config", "molotov.json", "-r", "1", "smoke")
    assert result.code == 0, result
    assert fresh_molotov.target.requests("/") == 2


def test_config_with_an_unknown_test_is_a_usage_error(molotov):
    molotov.write(ONE_REQUEST, "scenarios.py")
    (molotov.dir / "molotov.json").write_text(json.dumps({"molotov": {"tests": {
        "test": {"scenario": "scenarios.py"}}}}))
    result = molotov.run("--config", "molotov.json", "other", json_results=False)
    assert result.code == 2, result
    assert "other" in result.output


SLOW_WITH_TEARDOWNS = """
import asyncio
import molotov

def log(line):
    with open("{log}", "a") as f:
        f.write(line + "\\n")

@molotov.scenario()
async def slow(session):
    async with session.get("http://localhost:8080/delay/50") as resp:
        assert resp.status == 200

@molotov.teardown_session()
async def end_session(worker_id, session):
    log(f"teardown_session {worker_id}")

@molotov.teardown()
def end_worker(worker_id):
    log(f"teardown {worker_id}")

@molotov.global_teardown()
def end_test():
    log("global_teardown")
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_gracefully_with_exit_code_130(fresh_molotov, signum):
    proc, json_path = fresh_molotov.start("-w", "2", "-d", "30", source=SLOW_WITH_TEARDOWNS)
    try:
        fresh_molotov.target.wait_for(lambda stats: stats["requests"] >= 4)
        started = time.monotonic()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=20)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert time.monotonic() - started < 10
    assert proc.returncode == 130, (stdout, stderr)
    assert "SUCCESSES:" in stdout and "*** Bye ***" in stdout, stdout
    lines = fresh_molotov.lines()
    assert sorted(lines[:-1]) == ["teardown 0", "teardown 1",
                                  "teardown_session 0", "teardown_session 1"], lines
    assert lines[-1] == "global_teardown"
    results = json.loads(json_path.read_text())
    assert results["stop"] == "interrupted"
    # Scenarios in flight finished: nothing was cancelled, every request was counted.
    assert results["cancelled"] == 0 and results["failures"] == 0
    assert results["successes"] == fresh_molotov.target.requests("/delay/50")


def test_a_signal_during_a_fixture_still_runs_global_teardown(fresh_molotov):
    proc, _ = fresh_molotov.start("-d", "30", source="""
        import time
        import molotov

        @molotov.global_setup()
        def init(args):
            with open("{log}", "a") as f:
                f.write("global_setup\\n")
            molotov.request("{url}/delay/100")
            time.sleep(1)

        @molotov.scenario()
        async def run(session):
            pass

        @molotov.global_teardown()
        def end():
            with open("{log}", "a") as f:
                f.write("global_teardown\\n")
    """)
    stdout, stderr = interrupt(
        proc, lambda: fresh_molotov.target.wait_for(lambda stats: stats["requests"] >= 1))
    assert proc.returncode == 130, (stdout, stderr)
    assert fresh_molotov.lines() == ["global_setup", "global_teardown"]


def _read_until(stream, text: str, timeout: float = 20.0) -> str:
    """Reads ``stream`` (a pipe) until ``text`` appears; fails the test at the deadline."""
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while text.encode() not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                pytest.fail(f"{text!r} never came: {data!r}")
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                pytest.fail(f"the stream ended before {text!r}: {data!r}")
            data += chunk
    finally:
        sel.unregister(stream)
        sel.close()
    return data.decode()


def test_a_second_signal_cancels_the_scenarios_in_flight(fresh_molotov):
    proc, json_path = fresh_molotov.start("-w", "2", "-d", "60", source="""
        import molotov

        @molotov.scenario()
        async def stuck(session):
            try:
                async with session.get("http://localhost:8080/delay/30000") as resp:
                    pass
            finally:
                with open("{log}", "a") as f:
                    f.write("finally\\n")

        @molotov.teardown()
        def end(worker_id):
            with open("{log}", "a") as f:
                f.write("teardown\\n")
    """)
    try:
        fresh_molotov.target.wait_for(lambda stats: stats["paths"].get("/delay/30000", 0) >= 2)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        early = _read_until(proc.stdout, "Stopping")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert time.monotonic() - started < 10
    stdout = early + stdout
    assert proc.returncode == 130, (stdout, stderr)
    assert sorted(fresh_molotov.lines()) == ["finally", "finally", "teardown", "teardown"]
    results = json.loads(json_path.read_text())
    assert results["cancelled"] == 2 and results["failures"] == 0, results
    assert "*** Bye ***" in stdout
