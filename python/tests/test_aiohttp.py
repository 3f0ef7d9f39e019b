"""aiohttp comes with molotov, as with Molotov 2.6: scripts use its helpers, catch its
exceptions and open their own ``aiohttp.ClientSession`` for side calls. And ``session.headers``
behaves as aiohttp's: once used, it is the whole set of headers sent.
"""

import importlib.metadata

import aiohttp

from molotov import _errors


def test_aiohttp_is_a_dependency_of_the_package():
    requires = importlib.metadata.requires("molotov") or []
    assert any(r.split(">")[0].split("=")[0].strip() == "aiohttp" for r in requires), requires


def test_molotov_exceptions_are_aiohttp_exceptions():
    assert issubclass(_errors.ClientError, aiohttp.ClientError)
    assert issubclass(_errors.ClientConnectorError, aiohttp.ClientConnectorError)
    assert issubclass(_errors.ServerTimeoutError, aiohttp.ServerTimeoutError)
    assert issubclass(_errors.ServerDisconnectedError, aiohttp.ServerDisconnectedError)
    assert issubclass(_errors.ClientPayloadError, aiohttp.ClientPayloadError)
    assert issubclass(_errors.ClientResponseError, aiohttp.ClientResponseError)
    assert issubclass(_errors.ContentTypeError, aiohttp.ContentTypeError)
    for kind, error in _errors.BY_KIND.items():
        assert issubclass(error, aiohttp.ClientError), kind


def test_a_script_with_aiohttp_helpers_and_its_own_client_session_runs(fresh_molotov):
    result = fresh_molotov.run("-r", "2", "-w", "1", source="""
        import socket

        import aiohttp
        import molotov

        API = "http://localhost:8080"
        # aiohttp's own session is not molotov's: it goes to the target's real address.
        REAL = "{url}"

        def refused():
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                return f"http://127.0.0.1:{sock.getsockname()[1]}/"

        @molotov.setup()
        async def init(worker_id, args):
            async with aiohttp.ClientSession() as side:
                async with side.get(REAL + "/status/298") as resp:
                    assert resp.status == 298
            return {"timeout": aiohttp.ClientTimeout(total=10)}

        @molotov.scenario()
        async def uses_aiohttp(session):
            form = aiohttp.FormData({"a": "1"})
            async with session.post(API + "/echo", data=form,
                                    auth=aiohttp.BasicAuth("user", "pass")) as resp:
                echoed = await resp.json()
            assert echoed["body"] == "a=1", echoed
            assert echoed["headers"]["authorization"].startswith("Basic "), echoed
            try:
                await session.get(refused(), timeout=aiohttp.ClientTimeout(total=5))
            except aiohttp.ClientError as error:
                assert isinstance(error, aiohttp.ClientConnectorError), repr(error)
            else:
                raise AssertionError("no error")
            async with aiohttp.ClientSession() as side:
                async with side.get(REAL + "/status/299") as resp:
                    assert resp.status == 299
                    assert (await resp.json())["status"] == 299
    """)
    assert result.code == 0 and result.results["successes"] == 2, result
    target = fresh_molotov.target
    assert (target.requests("/status/298"), target.requests("/status/299")) == (1, 2)
    assert target.requests("/echo") == 2
    # aiohttp's side calls are not molotov's requests: they are not in the statistics.
    assert "GET /status/299" not in result.results["requests"], result.results["requests"]


def test_session_headers_is_the_whole_set_sent_add_replace_delete(fresh_molotov):
    result = fresh_molotov.run("-r", "2", "-w", "1", source="""
        import molotov

        API = "http://localhost:8080"

        @molotov.setup()
        async def init(worker_id, args):
            return {"headers": {"X-Keep": "kept", "X-Drop": "dropped", "X-Replace": "old"}}

        @molotov.setup_session()
        async def edit(worker_id, session):
            del session.headers["X-Drop"]
            session.headers["X-Replace"] = "new"
            session.headers["X-Added"] = "added"
            session.headers.add("X-Twice", "one")
            session.headers.add("X-Twice", "two")

        @molotov.scenario()
        async def headers(session):
            async with session.get(API + "/echo") as resp:
                sent = (await resp.json())["headers"]
            assert "x-drop" not in sent, sent
            assert sent["x-keep"] == "kept" and sent["x-replace"] == "new", sent
            assert sent["x-added"] == "added" and sent["x-twice"] == "one, two", sent
            async with session.get(API + "/echo", headers={"X-Replace": "mine"}) as resp:
                sent = (await resp.json())["headers"]
            assert sent["x-replace"] == "mine" and sent["x-keep"] == "kept", sent
            session.headers.clear()
            async with session.get(API + "/echo") as resp:
                sent = (await resp.json())["headers"]
            assert not any(name.startswith("x-") for name in sent), sent
            assert sent["user-agent"] and sent["host"], sent
            session.headers["X-Keep"] = "kept"
            session.headers["X-Replace"] = "new"
            session.headers["X-Added"] = "added"
            session.headers.add("X-Twice", "one")
            session.headers.add("X-Twice", "two")
    """)
    assert result.code == 0 and result.results["successes"] == 2, result
    assert fresh_molotov.target.requests("/echo") == 6
