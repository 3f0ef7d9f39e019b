"""Molotov's events: which are sent, with what arguments, and what a handler must be."""

import pytest

from conftest import Molotov, refused_port


EVENTS = """
    import asyncio
    import molotov

    SENT = {}

    def log(*words):
        with open("{log}", "a") as f:
            f.write(" ".join(str(w) for w in words) + "\\n")

    @molotov.events()
    async def record(event, **info):
        if event == "sending_request":
            assert set(info) == {"session", "request"}, info
            SENT[id(info["request"])] = info["request"]
            log(event, info["request"].method, info["request"].url,
                info["session"] is SESSION.get("s"))
        elif event == "response_received":
            assert set(info) == {"session", "request", "response"}, info
            same = SENT.pop(id(info["request"]), None) is info["request"]
            log(event, info["response"].status, same, info["session"] is SESSION.get("s"))
        elif event == "current_workers":
            assert set(info) == {"workers"}, info
            log(event, info["workers"])
        elif event in ("scenario_start", "scenario_success"):
            assert set(info) == {"scenario", "wid"}, info
            log(event, info["scenario"]["name"], info["wid"])
        elif event == "scenario_failure":
            assert set(info) == {"scenario", "exception", "wid"}, info
            log(event, info["scenario"]["name"], type(info["exception"]).__name__,
                info["exception"], info["wid"])
        else:
            log("unknown", event)

    SESSION = {}

    @molotov.setup_session()
    async def keep(worker_id, session):
        SESSION["s"] = session

    @molotov.scenario_picker()
    def pick(worker_id, step):
        return "good" if step % 2 else "bad"

    @molotov.scenario()
    async def good(session):
        async with session.get("http://localhost:8080/status/201") as resp:
            assert resp.status == 201

    @molotov.scenario()
    async def bad(session):
        await asyncio.sleep(0.25)
        raise ValueError("nope")
"""


@pytest.fixture(scope="module")
def events_run(tmp_path_factory, target):
    runner = Molotov(tmp_path_factory.mktemp("events"), target)
    # 4 runs, two of which sleep 0.25 s; plus -d so that current_workers (every second) fires.
    result = runner.run("-d", "1.3", source=EVENTS)
    return result, runner.lines()


def _events(events_run, name):
    return [line.split(" ", 1)[1] for line in events_run[1] if line.split(" ", 1)[0] == name]


def test_events_receive_only_molotov_event_names(events_run):
    result, lines = events_run
    assert result.code == 0, result
    assert not [line for line in lines if line.startswith("unknown")], lines


def test_sending_request_event_gets_the_session_and_the_request(events_run):
    sent = _events(events_run, "sending_request")
    assert sent and all(s == "GET http://localhost:8080/status/201 True" for s in sent), sent


def test_response_received_event_gets_the_same_request_object_and_the_response(events_run):
    received = _events(events_run, "response_received")
    assert received and all(r == "201 True True" for r in received), received
    assert len(received) == len(_events(events_run, "sending_request"))


def test_scenario_start_and_success_events_get_the_scenario_dict_and_the_worker_id(events_run):
    starts = _events(events_run, "scenario_start")
    successes = _events(events_run, "scenario_success")
    assert "good 0" in starts and "bad 0" in starts, starts
    assert successes and set(successes) == {"good 0"}, successes


def test_scenario_failure_event_gets_the_scenario_the_exception_and_the_worker_id(events_run):
    failures = _events(events_run, "scenario_failure")
    assert failures and set(failures) == {"bad ValueError nope 0"}, failures


def test_current_workers_event_tells_the_number_of_workers(events_run):
    workers = _events(events_run, "current_workers")
    assert workers and set(workers) == {"1"}, events_run[1]


def test_request_events_after_a_failed_request_get_the_new_request(molotov):
    port = refused_port()
    result = molotov.run("-r", "3", source=f"""
        import molotov

        @molotov.events()
        async def record(event, **info):
            if event in ("sending_request", "response_received"):
                with open("{{log}}", "a") as f:
                    f.write(event + " " + str(info["request"].url) + "\\n")

        @molotov.scenario()
        async def fail_then_succeed(session):
            try:
                await session.get("http://127.0.0.1:{port}/refused")
            except Exception:
                pass
            resp = await session.get("http://localhost:8080/echo?second")
            assert resp.status == 200
    """)
    assert result.results["successes"] == 3, result
    refused, second = f"http://127.0.0.1:{port}/refused", "http://localhost:8080/echo?second"
    assert molotov.lines() == [f"sending_request {refused}", f"sending_request {second}",
                               f"response_received {second}"] * 3


def test_an_event_handler_must_be_a_coroutine(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.events()
        def handler(event, **info):
            pass

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 2, result
    assert "handler" in result.error_lines()[0]
