"""Molotov's Python API: decorators, fixtures and their order, mistakes at import time (events:
``test_events.py``; variables and helpers: ``test_helpers.py``)."""

import json

import pytest

from conftest import Molotov


# --- @scenario ---------------------------------------------------------------------------

DECORATOR_FORMS = """
    import molotov

    @molotov.scenario
    async def bare(session):
        pass

    @molotov.scenario()
    async def called(session):
        pass

    @molotov.scenario(100)
    async def positional_weight(session):
        pass

    @molotov.scenario(weight=5)
    async def keyword_weight(session):
        pass

    @molotov.scenario(name="renamed")
    async def original_name(session):
        pass

    @molotov.scenario(weight=0)
    async def never(session):
        raise AssertionError("a weight-0 scenario ran")
"""


@pytest.fixture(scope="module")
def decorator_run(tmp_path_factory, target):
    return Molotov(tmp_path_factory.mktemp("forms"), target).run("--single-run", source=DECORATOR_FORMS)


def test_scenario_decorator_works_without_parentheses(decorator_run):
    assert decorator_run.scenario("bare")["successes"] == 1, decorator_run


def test_scenario_decorator_works_with_empty_parentheses(decorator_run):
    assert decorator_run.scenario("called")["successes"] == 1, decorator_run


def test_scenario_decorator_accepts_a_positional_weight(decorator_run):
    assert decorator_run.scenario("positional_weight")["successes"] == 1, decorator_run


def test_scenario_decorator_accepts_a_weight_keyword(decorator_run):
    assert decorator_run.scenario("keyword_weight")["successes"] == 1, decorator_run


def test_scenario_name_keyword_renames_the_scenario(decorator_run):
    assert decorator_run.scenario("renamed")["successes"] == 1, decorator_run
    assert "original_name" not in decorator_run.results["scenarios"]


def test_a_weight_0_scenario_is_left_out_with_a_warning(decorator_run):
    assert decorator_run.code == 0, decorator_run
    assert "never" not in decorator_run.results["scenarios"]
    assert "never" in decorator_run.output and "weight of 0" in decorator_run.output


def test_weights_set_how_often_each_scenario_is_picked(molotov):
    result = molotov.run("-r", "400", source="""
        import molotov

        @molotov.scenario(90)
        async def often(session):
            pass

        @molotov.scenario(weight=10)
        async def rarely(session):
            pass
    """)
    assert result.code == 0, result
    often, rarely = result.scenario("often")["successes"], result.scenario("rarely")["successes"]
    assert often + rarely == 400
    # 10% expected (40): far from both 0 and an even split.
    assert 10 <= rarely <= 90, (often, rarely)


def test_a_tiny_fractional_weight_is_not_a_weight_of_0(molotov):
    result = molotov.run("-s", "tiny", "-r", "1", source="""
        import molotov

        @molotov.scenario(weight=0.0001)
        async def tiny(session):
            pass

        @molotov.scenario(weight=2.5)
        async def big(session):
            pass
    """)
    assert result.code == 0, result
    assert "weight of 0" not in result.output, result
    assert result.scenario("tiny")["successes"] == 1, result


def test_scenario_delay_pauses_after_each_run(molotov):
    result = molotov.run("-r", "3", source="""
        import time
        import molotov

        @molotov.scenario(delay=0.1)
        async def slow(session):
            with open("{log}", "a") as f:
                f.write(f"{time.monotonic()}\\n")
    """)
    assert result.code == 0, result
    starts = [float(line) for line in molotov.lines()]
    assert len(starts) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(gap >= 0.095 for gap in gaps), gaps
    assert result.elapsed >= 0.3


# --- @scenario_picker ----------------------------------------------------------------------

def test_scenario_picker_chooses_each_run_from_worker_id_and_step(molotov):
    result = molotov.run("-w", "2", "-r", "3", source="""
        import molotov

        @molotov.scenario_picker()
        def pick(worker_id, step_id):
            with open("{log}", "a") as f:
                f.write(f"{worker_id} {step_id}\\n")
            return "even" if step_id % 2 == 0 else "odd"

        @molotov.scenario()
        async def odd(session):
            pass

        @molotov.scenario()
        async def even(session):
            pass
    """)
    assert result.code == 0, result
    calls = sorted(tuple(map(int, line.split())) for line in molotov.lines())
    assert calls == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
    assert result.scenario("odd")["successes"] == 4
    assert result.scenario("even")["successes"] == 2


# --- fixtures ------------------------------------------------------------------------------

LIFECYCLE = """
    import molotov

    def log(*words):
        with open("{log}", "a") as f:
            f.write(" ".join(str(w) for w in words) + "\\n")

    @molotov.global_setup()
    def init_test(args):
        log("global_setup", type(args).__name__, args.workers, args.max_runs)

    @molotov.setup()
    async def init_worker(worker_id, args):
        log("setup", worker_id, args.workers)
        return {}

    @molotov.setup_session()
    async def init_session(worker_id, session):
        log("setup_session", worker_id, molotov.get_context(session).worker_id)

    @molotov.scenario()
    async def run(session):
        log("scenario", molotov.get_context(session).worker_id)

    @molotov.teardown_session()
    async def end_session(worker_id, session):
        log("teardown_session", worker_id, molotov.get_context(session).worker_id)

    @molotov.teardown()
    def end_worker(worker_id):
        log("teardown", worker_id)

    @molotov.global_teardown()
    def end_test():
        log("global_teardown")
"""


def test_fixtures_run_in_molotov_order_with_their_arguments(molotov):
    result = molotov.run("-r", "2", source=LIFECYCLE)
    assert result.code == 0, result
    assert molotov.lines() == [
        "global_setup Namespace 1 2",
        "setup 0 1",
        "setup_session 0 0",
        "scenario 0",
        "scenario 0",
        "teardown_session 0 0",
        "teardown 0",
        "global_teardown",
    ]


def test_per_worker_fixtures_run_once_for_each_worker_in_order(molotov):
    result = molotov.run("-w", "3", "-r", "2", source=LIFECYCLE)
    assert result.code == 0, result
    lines = molotov.lines()
    assert lines[0] == "global_setup Namespace 3 2"
    assert lines[-1] == "global_teardown"
    for worker in range(3):
        mine = [line for line in lines if line.split()[1:2] == [str(worker)]]
        assert mine == [
            f"setup {worker} 3",
            f"setup_session {worker} {worker}",
            f"scenario {worker}",
            f"scenario {worker}",
            f"teardown_session {worker} {worker}",
            f"teardown {worker}",
        ], lines


def test_global_setup_receives_molotov_args(molotov):
    result = molotov.run("-w", "2", "-r", "1", "--delay", "0", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            with open("{log}", "w") as f:
                f.write(repr({k: getattr(args, k) for k in (
                    "workers", "max_runs", "duration", "verbose", "quiet", "exception",
                    "fail", "single_run", "single_mode", "ramp_up", "delay", "processes")}))

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result
    args = eval(molotov.log.read_text())  # noqa: S307 - our own repr
    assert args["workers"] == 2
    assert args["max_runs"] == 1
    assert args["processes"] == 1
    assert args["verbose"] == 0
    assert args["quiet"] is False and args["exception"] is False and args["single_run"] is False
    assert args["fail"] is None and args["single_mode"] is None


def test_setup_headers_and_cookies_reach_the_server(molotov):
    result = molotov.run("-r", "1", source="""
        import json
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"headers": {"X-Worker": str(worker_id), "X-Test": "yes"},
                    "cookies": {"session_id": "abc"}}

        @molotov.scenario()
        async def echo(session):
            async with session.get("http://localhost:8080/echo") as resp:
                seen = await resp.json()
            with open("{log}", "w") as f:
                json.dump(seen["headers"], f)
    """)
    assert result.code == 0, result
    headers = json.loads(molotov.log.read_text())
    assert headers["x-worker"] == "0"
    assert headers["x-test"] == "yes"
    assert "session_id=abc" in headers["cookie"]


def test_setup_auth_basicauth_authenticates_every_request(molotov):
    result = molotov.run("-r", "1", source="""
        import aiohttp
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"auth": aiohttp.BasicAuth("u", "p")}

        @molotov.scenario()
        async def login(session):
            async with session.get("http://localhost:8080/basic-auth/u/p") as resp:
                assert resp.status == 200, resp.status
    """)
    assert result.code == 0, result
    assert result.scenario("login")["successes"] == 1, result


def test_setup_timeout_makes_slow_requests_fail_with_a_timeout(molotov):
    result = molotov.run("-r", "1", source="""
        import asyncio
        import aiohttp
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"timeout": aiohttp.ClientTimeout(total=0.05)}

        @molotov.scenario()
        async def slow(session):
            try:
                async with session.get("http://localhost:8080/delay/8000") as resp:
                    pass
            except asyncio.TimeoutError:
                raise
            raise AssertionError("no timeout")
    """)
    assert result.code == 0, result
    assert result.scenario("slow")["failures"] == 1, result
    assert list(result.scenario("slow")["errors"]) == ["ServerTimeoutError"]
    assert result.elapsed < 5, result


def test_setup_base_url_resolves_relative_urls(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"base_url": "http://localhost:8080"}

        @molotov.scenario()
        async def relative(session):
            async with session.get("/echo?x=1") as resp:
                body = await resp.json()
            assert body["path"] == "/echo" and body["query"] == "x=1", body
    """)
    assert result.code == 0, result
    assert result.scenario("relative")["successes"] == 1, result


def test_setup_returning_something_else_than_a_dict_is_a_fixture_failure(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return 42

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 3, result
    assert "dict" in result.output


def test_setup_session_can_set_attributes_on_the_session_and_use_its_loop(molotov):
    result = molotov.run("-r", "2", source="""
        import asyncio
        import molotov

        @molotov.setup_session()
        async def init(worker_id, session):
            assert session.loop is asyncio.get_running_loop()
            future = session.loop.create_future()
            session.loop.call_soon(future.set_result, "from the loop")
            session.marker = await future

        @molotov.scenario()
        async def run(session):
            assert session.marker == "from the loop"

        @molotov.teardown_session()
        async def end(worker_id, session):
            assert session.marker == "from the loop"
            assert not session.closed
    """)
    assert result.code == 0, result
    assert result.scenario("run")["successes"] == 2, result


def test_a_failing_global_setup_stops_before_any_scenario_with_exit_code_3(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            raise Exception("BAM")

        @molotov.scenario()
        async def run(session):
            with open("{log}", "a") as f:
                f.write("ran\\n")
    """)
    assert result.code == 3, result
    assert "BAM" in result.output
    assert molotov.lines() == []


def test_a_failing_setup_still_runs_the_teardowns_and_exits_3(molotov):
    result = molotov.run("-r", "5", source="""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            raise RuntimeError("no token")

        @molotov.scenario()
        async def run(session):
            pass

        @molotov.teardown()
        def end(worker_id):
            with open("{log}", "a") as f:
                f.write("teardown\\n")

        @molotov.global_teardown()
        def end_test():
            with open("{log}", "a") as f:
                f.write("global_teardown\\n")
    """)
    assert result.code == 3, result
    assert "no token" in result.output
    assert molotov.lines() == ["teardown", "global_teardown"]
    assert result.results["fixture_failures"][0]["fixture"] == "setup"


# --- mistakes at import time ---------------------------------------------------------------

MISTAKES = {
    "a_non_coroutine_scenario": ("""
        @molotov.scenario()
        def not_async(session):
            pass
    """, "not_async"),
    "a_coroutine_global_setup": ("""
        @molotov.global_setup()
        async def init(args):
            pass
    """, "init"),
    "a_non_coroutine_setup": ("""
        @molotov.setup()
        def init(worker_id, args):
            return {}
    """, "init"),
    "duplicate_scenario_names": ("""
        @molotov.scenario(name="same")
        async def first(session):
            pass

        @molotov.scenario(name="same")
        async def second(session):
            pass
    """, "same"),
    "a_fixture_defined_twice": ("""
        @molotov.teardown()
        def end_one(worker_id):
            pass

        @molotov.teardown()
        def end_two(worker_id):
            pass
    """, "end_two"),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_an_import_time_mistake_is_one_error_line_with_exit_code_2(molotov, mistake):
    body, name = MISTAKES[mistake]
    script = molotov.write("import molotov\n" + __import__("textwrap").dedent(body) + """
@molotov.scenario(name="other")
async def other_scenario(session):
    pass
""", "mistake.py")
    result = molotov.run("-r", "1", str(script), json_results=False)
    assert result.code == 2, result
    errors = result.error_lines()
    assert len(errors) == 1, result
    assert "mistake.py" in errors[0] and name in errors[0], errors
    assert "Traceback" not in result.output
