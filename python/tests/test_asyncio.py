"""asyncio inside scenarios and async fixtures: the engine drives the coroutines, and the
asyncio loop it runs serves timers, tasks, threads and other libraries' sockets.

One molotov run holds one scenario per behaviour, each on a worker of its own.
"""

import sys
import textwrap

import pytest

from conftest import PICK_OWN, Molotov

PRELUDE = """
import asyncio
import concurrent.futures
import sys
import threading
import time

import molotov

API = "http://localhost:8080"
HOST, PORT = "127.0.0.1", {port}
"""

SCENARIOS = {
    "asyncio_sleep_waits": """
        start = time.monotonic()
        await asyncio.sleep(0.05)
        await asyncio.sleep(0)
        assert time.monotonic() - start >= 0.045
    """,
    "gather_runs_coroutines_concurrently": """
        async def nap(value):
            await asyncio.sleep(0.3)
            return value
        start = time.monotonic()
        assert await asyncio.gather(nap(1), nap(2), nap(3)) == [1, 2, 3]
        # One after the other would take 0.9 s.
        assert time.monotonic() - start < 0.8
    """,
    "gather_runs_session_requests_concurrently": """
        start = time.monotonic()
        responses = await asyncio.gather(
            *[session.get(API + "/delay/400") for _ in range(3)])
        assert [r.status for r in responses] == [200, 200, 200]
        # One after the other would take 1.2 s.
        assert time.monotonic() - start < 1.0
    """,
    "gather_of_coroutines_making_requests": """
        async def fetch(path):
            async with session.get(API + path) as resp:
                return (await resp.json())["path"]
        paths = await asyncio.gather(fetch("/echo?1"), fetch("/echo?2"))
        assert paths == ["/echo", "/echo"]
    """,
    "gather_with_return_exceptions_collects_errors": """
        async def boom():
            raise KeyError("k")
        results = await asyncio.gather(boom(), asyncio.sleep(0, "ok"), return_exceptions=True)
        assert isinstance(results[0], KeyError) and results[1] == "ok"
    """,
    "wait_for_returns_in_time": """
        assert await asyncio.wait_for(asyncio.sleep(0.01, "done"), timeout=2) == "done"
        resp = await asyncio.wait_for(session.get(API + "/"), timeout=5)
        assert resp.status == 200
    """,
    "wait_for_times_out": """
        start = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.sleep(3), timeout=0.05)
        except asyncio.TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
        try:
            await asyncio.wait_for(session.get(API + "/delay/2000"), timeout=0.05)
        except asyncio.TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
        assert time.monotonic() - start < 1.5
    """,
    "create_task_runs_in_the_background": """
        events = []
        async def background():
            await asyncio.sleep(0.01)
            events.append("task")
            return 42
        task = asyncio.create_task(background())
        events.append("main")
        assert await task == 42
        assert events == ["main", "task"]
    """,
    "a_task_can_send_requests": """
        async def fetch():
            async with session.get(API + "/echo") as resp:
                return (await resp.json())["method"]
        assert await asyncio.create_task(fetch()) == "GET"
    """,
    "a_task_can_be_cancelled": """
        task = asyncio.create_task(asyncio.sleep(10))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        assert task.cancelled()
    """,
    "asyncio_timeout_times_out_a_slow_request": """
        if sys.version_info < (3, 11):
            return
        start = time.monotonic()
        try:
            async with asyncio.timeout(0.1):
                async with session.get(API + "/delay/2000") as resp:
                    pass
        except TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
        assert time.monotonic() - start < 1.5
        # The session still works afterwards.
        async with session.get(API + "/") as resp:
            assert resp.status == 200
    """,
    "asyncio_timeout_times_out_a_sleep": """
        if sys.version_info < (3, 11):
            return
        start = time.monotonic()
        try:
            async with asyncio.timeout(0.1):
                await asyncio.sleep(3)
        except TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
        assert time.monotonic() - start < 1.5
    """,
    "asyncio_timeout_lets_a_fast_block_finish": """
        if sys.version_info < (3, 11):
            return
        async with asyncio.timeout(5):
            async with session.get(API + "/") as resp:
                assert resp.status == 200
            await asyncio.sleep(0.01)
    """,
    "to_thread_runs_in_another_thread": """
        def work():
            time.sleep(0.02)
            return threading.get_ident()
        assert await asyncio.to_thread(work) != threading.get_ident()
    """,
    "run_in_executor_uses_the_default_and_given_executors": """
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, sum, [1, 2, 3]) == 6
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert await loop.run_in_executor(pool, pow, 2, 10) == 1024
    """,
    "queue_passes_items_between_tasks": """
        queue = asyncio.Queue()
        async def producer():
            for i in range(5):
                await queue.put(i)
                await asyncio.sleep(0)
            await queue.put(None)
        asyncio.create_task(producer())
        items = []
        while (item := await queue.get()) is not None:
            items.append(item)
        assert items == [0, 1, 2, 3, 4]
    """,
    "events_locks_and_futures_work": """
        loop = asyncio.get_running_loop()
        event, lock = asyncio.Event(), asyncio.Lock()
        loop.call_later(0.01, event.set)
        await asyncio.wait_for(event.wait(), 2)
        async with lock:
            future = loop.create_future()
            loop.call_soon(future.set_result, "x")
            assert await future == "x"
    """,
    "open_connection_talks_to_the_target": """
        reader, writer = await asyncio.open_connection(HOST, PORT)
        writer.write(b"GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        assert status.startswith(b"HTTP/1.1 200"), status
        writer.close()
        await writer.wait_closed()
    """,
    "a_request_can_be_a_task_and_be_cancelled": """
        task = asyncio.create_task(session.get(API + "/delay/2000"))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        assert task.cancelled()
        resp = await asyncio.create_task(session.get(API + "/"))
        assert resp.status == 200
    """,
    "asyncio_wait_first_completed_with_requests": """
        start = time.monotonic()
        fast = asyncio.ensure_future(session.get(API + "/delay/10"))
        slow = asyncio.ensure_future(session.get(API + "/delay/2000"))
        done, pending = await asyncio.wait([fast, slow], return_when=asyncio.FIRST_COMPLETED)
        assert done == {fast} and pending == {slow}
        slow.cancel()
        assert fast.result().status == 200
        assert time.monotonic() - start < 1.5
    """,
    "as_completed_yields_requests_in_completion_order": """
        order = []
        for next_done in asyncio.as_completed([session.get(API + "/delay/150"),
                                               session.get(API + "/echo")]):
            order.append((await next_done).url.path)
        assert order == ["/echo", "/delay/150"], order
    """,
    "shield_protects_a_request": """
        resp = await asyncio.shield(session.get(API + "/"))
        assert resp.status == 200
    """,
    "asyncio_timeout_cancels_a_gather_of_requests": """
        if sys.version_info < (3, 11):
            return
        start = time.monotonic()
        try:
            async with asyncio.timeout(0.1):
                await asyncio.gather(session.get(API + "/delay/2000"),
                                     session.get(API + "/delay/2000"))
        except TimeoutError:
            pass
        else:
            raise AssertionError("no timeout")
        assert time.monotonic() - start < 1.5
    """,
    "taskgroup_runs_requests_and_coroutines": """
        if sys.version_info < (3, 11):
            return
        async with asyncio.TaskGroup() as group:
            request = group.create_task(session.get(API + "/"))
            nap = group.create_task(asyncio.sleep(0.01, "slept"))
        assert request.result().status == 200 and nap.result() == "slept"
    """,
    "context_variables_follow_into_tasks": """
        import contextvars
        var = contextvars.ContextVar("var")
        var.set("mine")
        async def read():
            return var.get()
        assert await asyncio.create_task(read()) == "mine"
    """,
    "async_generators_and_comprehensions_work": """
        async def numbers():
            for i in range(3):
                await asyncio.sleep(0)
                yield i
        assert [i async for i in numbers()] == [0, 1, 2]
    """,
    "a_thread_can_wake_the_loop": """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        threading.Thread(target=loop.call_soon_threadsafe, args=(future.set_result, 7)).start()
        assert await asyncio.wait_for(future, 5) == 7
    """,
    "current_task_is_there": """
        assert asyncio.current_task() is not None
        assert asyncio.get_running_loop() is session.loop
    """,
}


def _script(port: int) -> str:
    parts = [PRELUDE.replace("{port}", str(port))]
    parts.append(PICK_OWN)
    for name, body in SCENARIOS.items():
        parts.append(f"\n@molotov.scenario()\nasync def {name}(session):\n"
                     + textwrap.indent(textwrap.dedent(body), "    "))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def asyncio_run(tmp_path_factory, target):
    runner = Molotov(tmp_path_factory.mktemp("asyncio"), target)
    path = runner.write(_script(target.port), "asyncio_script.py")
    # Each scenario on a worker of its own (see PICK_OWN); one that hangs is cancelled at
    # the deadline, and only its own test fails.
    return runner.run("-w", str(len(SCENARIOS)), "-r", "1", "-v", "-d", "20",
                      "--force-shutdown", str(path))


def test_the_asyncio_script_runs_every_scenario_once(asyncio_run):
    assert asyncio_run.code == 0, asyncio_run
    total = asyncio_run.results["successes"] + asyncio_run.results["failures"]
    assert total == len(SCENARIOS), asyncio_run


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_asyncio_behaviour(asyncio_run, name):
    if ("asyncio_timeout" in name or "taskgroup" in name) and sys.version_info < (3, 11):
        pytest.skip("asyncio.timeout and TaskGroup need Python 3.11")
    entry = asyncio_run.scenario(name)
    if entry["successes"] != 1:
        index = asyncio_run.output.find(f"{name}:")
        detail = asyncio_run.output[index:index + 1500] if index >= 0 else asyncio_run.output[-3000:]
        pytest.fail(f"scenario {name} did not succeed: {entry}\n{detail}")


def test_async_fixtures_can_use_asyncio(molotov):
    result = molotov.run("-r", "1", source="""
        import asyncio
        import molotov

        async def nap(value):
            await asyncio.sleep(0.01)
            return value

        @molotov.setup()
        async def init(worker_id, args):
            values = await asyncio.gather(nap("a"), nap("b"))
            header = await asyncio.wait_for(asyncio.to_thread(lambda: "-".join(values)), 5)
            return {"headers": {"X-From-Setup": header}}

        @molotov.setup_session()
        async def init_session(worker_id, session):
            async with session.get("http://localhost:8080/echo") as resp:
                session.seen = (await resp.json())["headers"]["x-from-setup"]
            session.task_result = await asyncio.create_task(nap("task"))

        @molotov.scenario()
        async def run(session):
            assert session.seen == "a-b"
            assert session.task_result == "task"

        @molotov.teardown_session()
        async def end(worker_id, session):
            await asyncio.sleep(0.01)
            await asyncio.gather(session.get("http://localhost:8080/"), nap(1))
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 1, result


def test_event_handlers_can_await(molotov):
    result = molotov.run("-r", "2", source="""
        import asyncio
        import molotov

        @molotov.events()
        async def slow_handler(event, **info):
            if event == "scenario_success":
                await asyncio.sleep(0.01)
                with open("{log}", "a") as f:
                    f.write(event + "\\n")

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result
    assert molotov.lines() == ["scenario_success", "scenario_success"]


def test_debug_turns_on_asyncio_debug_mode(molotov):
    result = molotov.run("--debug", "-r", "1", source="""
        import asyncio
        import molotov

        @molotov.scenario()
        async def debug(session):
            assert asyncio.get_running_loop().get_debug()
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 1, result


def test_without_debug_asyncio_debug_mode_is_off(molotov):
    result = molotov.run("-r", "1", source="""
        import asyncio
        import molotov

        @molotov.scenario()
        async def debug(session):
            assert not asyncio.get_running_loop().get_debug()
    """)
    assert result.results["successes"] == 1, result


def test_uvloop_without_uvloop_installed_is_a_usage_error(molotov, tmp_path):
    # A module that fails to import hides an installed uvloop.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "uvloop.py").write_text("raise ImportError('no uvloop here')\n")
    result = molotov.run("--uvloop", "-r", "1", json_results=False, env={"PYTHONPATH": str(shim)},
                         source="""
        import molotov

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 2, result
    errors = result.error_lines()
    assert len(errors) == 1 and "uvloop" in errors[0], result


def test_uvloop_runs_the_scripts_asyncio_calls(molotov):
    pytest.importorskip("uvloop")
    result = molotov.run("--uvloop", "-w", "2", "-r", "3", source="""
        import asyncio
        import molotov

        API = "http://localhost:8080"

        @molotov.scenario()
        async def everything(session):
            loop = asyncio.get_running_loop()
            assert "uvloop" in type(loop).__mro__[1].__module__, type(loop).__mro__
            await asyncio.sleep(0.01)
            responses = await asyncio.gather(session.get(API), session.get(API))
            assert [r.status for r in responses] == [200, 200]
            assert await asyncio.to_thread(lambda: 7) == 7
            try:
                async with asyncio.timeout(0.05):
                    await asyncio.sleep(3)
            except TimeoutError:
                pass
            else:
                raise AssertionError("no timeout")
            host, port = "{url}".split("//")[1].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            assert (await reader.readline()).startswith(b"HTTP/1.1 200")
            writer.close()
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 6, result
    assert result.elapsed < 30, result


def test_an_aiohttp_client_session_of_the_script_works_in_a_scenario(molotov):
    result = molotov.run("-r", "2", source="""
        import aiohttp
        import molotov

        @molotov.scenario()
        async def own_session(session):
            async with aiohttp.ClientSession() as own:
                async with own.get("{url}/echo?own") as resp:
                    assert resp.status == 200
                    assert (await resp.json())["query"] == "own"
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 2, result


def test_asyncio_run_works_in_global_setup_and_global_teardown(molotov):
    result = molotov.run("-r", "1", source="""
        import asyncio
        import molotov

        async def answer():
            await asyncio.sleep(0.01)
            return 42

        @molotov.global_setup()
        def init(args):
            assert asyncio.run(answer()) == 42

        @molotov.scenario()
        async def run(session):
            await asyncio.sleep(0)

        @molotov.global_teardown()
        def end():
            with open("{log}", "w") as f:
                f.write(str(asyncio.run(answer())))
    """)
    assert result.code == 0, result
    assert molotov.log.read_text() == "42"
