"""``-p N``: worker processes forked after ``global_setup``, counted as one run."""

import json
import time

from conftest import interrupt

MANY = """
import molotov

def log(line):
    with open("{log}", "a") as f:
        f.write(line + "\\n")

@molotov.global_setup()
def init(args):
    molotov.set_var("endpoint", "http://localhost:8080/")
    log("global_setup")

@molotov.setup()
async def init_worker(worker_id, args):
    log(f"setup {worker_id}")

@molotov.scenario()
async def hit(session):
    # The variable global_setup set is there in every process.
    async with session.get(molotov.get_var("endpoint")) as resp:
        assert resp.status == 200

@molotov.teardown()
def end_worker(worker_id):
    log(f"teardown {worker_id}")

@molotov.global_teardown()
def end_test():
    log("global_teardown")
"""


def test_processes_count_exactly_and_share_what_global_setup_set(fresh_molotov):
    result = fresh_molotov.run("-p", "3", "-w", "4", "-r", "25", "-c", source=MANY)
    assert result.code == 0, result
    assert "Forking 3 processes" in result.stdout, result
    assert result.results["successes"] == 300 and result.results["failures"] == 0, result
    assert result.results["processes"] == 3
    assert fresh_molotov.target.requests("/") == 300
    assert result.results["scenarios"]["hit"]["latency"]["count"] == 300
    lines = fresh_molotov.lines()
    assert lines.count("global_setup") == 1 and lines.count("global_teardown") == 1, lines
    assert lines[0] == "global_setup" and lines[-1] == "global_teardown", lines
    workers = sorted(int(line.split()[1]) for line in lines if line.startswith("setup "))
    assert workers == list(range(12)), "worker ids are unique across processes"
    assert sorted(line for line in lines if line.startswith("teardown ")) == sorted(
        f"teardown {w}" for w in range(12))


def test_a_signal_stops_every_process_with_exact_totals(fresh_molotov):
    proc, json_path = fresh_molotov.start("-p", "2", "-w", "2", "-d", "30", source=MANY)

    def ready():
        fresh_molotov.target.wait_for(lambda stats: stats["requests"] >= 100)
        # Every worker set up (and so will tear down) before the signal.
        fresh_molotov.wait_for_lines(
            proc, lambda lines: sum(line.startswith("setup ") for line in lines) == 4)

    stdout, stderr = interrupt(proc, ready)
    assert proc.returncode == 130, (stdout, stderr)
    results = json.loads(json_path.read_text())
    assert results["stop"] == "interrupted"
    assert results["successes"] + results["failures"] == fresh_molotov.target.requests("/")
    lines = fresh_molotov.lines()
    assert len([line for line in lines if line.startswith("teardown ")]) == 4, lines
    assert lines[-1] == "global_teardown", lines


def test_fail_fast_in_one_process_stops_the_others(fresh_molotov):
    started = time.monotonic()
    result = fresh_molotov.run("-p", "2", "-w", "2", "-d", "30", "-x", source="""
        import molotov

        @molotov.scenario()
        async def fails_on_worker_0(session):
            async with session.get("http://localhost:8080/") as resp:
                assert resp.status == 200
            assert molotov.get_context(session).worker_id != 0, "worker 0 fails"
    """)
    assert result.code == 4, result
    assert time.monotonic() - started < 15
    assert result.results["stop"] == "fail-fast"
    total = result.results["successes"] + result.results["failures"]
    assert total == fresh_molotov.target.requests("/")


def test_a_signal_during_global_setup_stops_the_run_before_any_process(fresh_molotov):
    slow = MANY.replace("import molotov\n", "import time\nimport molotov\n", 1).replace(
        '    log("global_setup")\n', '    log("global_setup")\n    time.sleep(1)\n', 1)
    proc, json_path = fresh_molotov.start("-p", "3", "-w", "2", "-d", "30", source=slow)
    stdout, stderr = interrupt(
        proc, lambda: fresh_molotov.wait_for_lines(proc, lambda lines: "global_setup" in lines))
    # global_setup finishes, no process is forked, global_teardown runs: a stop, not a kill.
    assert proc.returncode == 130, (stdout, stderr)
    assert "Forking" not in stdout, stdout
    assert fresh_molotov.lines() == ["global_setup", "global_teardown"]
    assert fresh_molotov.target.requests("/") == 0
    results = json.loads(json_path.read_text())
    assert results["stop"] == "interrupted"
    assert results["successes"] == 0 and results["failures"] == 0


def test_a_program_started_by_global_setup_gets_signals_as_usual(fresh_molotov):
    # What global_setup starts must not inherit a blocked SIGTERM: global_teardown can stop it.
    result = fresh_molotov.run("-p", "2", "-w", "1", "-r", "2", "-c", source="""
        import subprocess
        import molotov

        def log(line):
            with open("{log}", "a") as f:
                f.write(line + "\\n")

        @molotov.global_setup()
        def start(args):
            molotov.set_var("helper", subprocess.Popen(["sleep", "60"]))

        @molotov.scenario()
        async def hit(session):
            async with session.get("http://localhost:8080/") as resp:
                assert resp.status == 200

        @molotov.global_teardown()
        def stop():
            helper = molotov.get_var("helper")
            helper.terminate()
            log(f"helper ended: {helper.wait(timeout=10)}")
    """)
    assert result.code == 0, result
    assert fresh_molotov.lines() == ["helper ended: -15"], result
