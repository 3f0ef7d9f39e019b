"""What a failing scenario does: a counted failure, by exception class, with the failing line
in the console and, with ``-v``, the traceback of the user's code."""

import os

import pytest

FAILING = """import molotov

def lookup(data):
    return data["missing"]

@molotov.scenario()
async def bare_assert(session):
    x = 2
    assert x == 1

@molotov.scenario()
async def assert_with_message(session):
    assert False, "the status was wrong"

@molotov.scenario()
async def key_error(session):
    lookup({})

@molotov.scenario()
async def chained(session):
    try:
        lookup({})
    except KeyError as error:
        raise ValueError("wrapped") from error

@molotov.scenario()
async def passes(session):
    pass
"""


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory, target):
    from conftest import Molotov
    runner = Molotov(tmp_path_factory.mktemp("failing"), target)
    runner.write(FAILING, "failing.py")
    return runner.run("--single-run", str(runner.dir / "failing.py"))


@pytest.fixture(scope="module")
def verbose_run(tmp_path_factory, target):
    from conftest import Molotov
    runner = Molotov(tmp_path_factory.mktemp("verbose"), target)
    runner.write(FAILING, "failing.py")
    return runner.run("--single-run", "-v", str(runner.dir / "failing.py"))


def test_failures_do_not_change_the_exit_code_without_f(failing_run):
    assert failing_run.code == 0, failing_run


def test_the_summary_counts_successes_and_failures(failing_run):
    assert "SUCCESSES: 1 | FAILURES: 4" in failing_run.stdout, failing_run
    assert failing_run.results["successes"] == 1
    assert failing_run.results["failures"] == 4


def test_an_assert_is_a_failure_counted_as_assertion_error(failing_run):
    assert failing_run.scenario("bare_assert")["errors"] == {"AssertionError": 1}
    assert failing_run.scenario("assert_with_message")["errors"] == {"AssertionError": 1}


def test_any_exception_is_a_failure_counted_by_its_class_name(failing_run):
    assert failing_run.scenario("key_error")["errors"] == {"KeyError": 1}
    assert failing_run.scenario("chained")["errors"] == {"ValueError": 1}


def test_a_bare_assert_shows_the_failing_line(failing_run):
    lines = [line for line in failing_run.stdout.splitlines() if "bare_assert" in line]
    assert any("assert x == 1" in line and "failing.py" in line and "line 9" in line
               for line in lines), failing_run


def test_an_assert_message_is_shown(failing_run):
    assert "the status was wrong" in failing_run.stdout, failing_run


def test_without_v_no_traceback_is_shown(failing_run):
    assert "Traceback" not in failing_run.output, failing_run


def test_with_v_the_traceback_of_the_script_is_shown(verbose_run):
    out = verbose_run.stdout
    assert "Traceback (most recent call last):" in out, verbose_run
    path = os.path.join(str(verbose_run.json_path.parent), "failing.py")
    assert f'File "{path}", line 4, in lookup' in out, verbose_run
    assert 'return data["missing"]' in out
    assert f'File "{path}", line 17, in key_error' in out


def test_with_v_the_traceback_leaves_out_molotov_frames(verbose_run):
    package = os.path.dirname(__import__("molotov").__file__)
    frames = [line for line in verbose_run.output.splitlines() if line.strip().startswith("File ")]
    assert frames, verbose_run
    assert not [f for f in frames if package in f or "_molotov" in f], frames


def test_with_v_the_causes_of_an_exception_are_shown(verbose_run):
    out = verbose_run.stdout
    out = out[out.index("Failure! chained"):]
    out = out[:out.index("[W:0]", 1)]
    assert "The above exception was the direct cause of the following exception:" in out
    assert out.index("KeyError: 'missing'") < out.rindex("ValueError: wrapped"), verbose_run


def test_f_exits_1_when_enough_scenarios_failed(molotov):
    result = molotov.run("--single-run", "-f", "4", source=FAILING)
    assert result.code == 1, result


def test_f_exits_0_when_fewer_scenarios_failed(molotov):
    result = molotov.run("--single-run", "-f", "5", source=FAILING)
    assert result.code == 0, result


def test_a_failing_event_handler_is_reported_and_the_run_goes_on(molotov):
    result = molotov.run("-r", "3", source="""
        import molotov

        @molotov.events()
        async def broken(event, **info):
            if event == "scenario_success":
                raise RuntimeError("handler broke")

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 3, result
    assert "handler broke" in result.output


def test_a_failing_teardown_is_reported_with_exit_code_3(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.scenario()
        async def run(session):
            pass

        @molotov.teardown()
        def end(worker_id):
            raise OSError("teardown broke")

        @molotov.global_teardown()
        def end_test():
            with open("{log}", "w") as f:
                f.write("still ran")
    """)
    assert result.code == 3, result
    assert "teardown broke" in result.output
    assert molotov.log.read_text() == "still ran"
