"""The session a scenario gets is an aiohttp ``ClientSession`` look-alike.

One molotov run holds one scenario per behaviour, each on a worker of its own; each test checks that
its scenario succeeded, and shows the scenario's failure lines when it did not. The target's
``/echo`` returns what it received: method, path, query, headers and body.
"""

import textwrap

import pytest

from conftest import PICK_OWN, Molotov, refused_port

PRELUDE = """
import asyncio
import json
from urllib.parse import parse_qsl

import aiohttp
import molotov

API = "http://localhost:8080"
REFUSED = "http://127.0.0.1:{refused}/"


async def echo(resp):
    assert resp.status == 200, resp.status
    return await resp.json()
"""

SCENARIOS = {
    # --- methods -----------------------------------------------------------------------
    "every_method_works_as_async_with": """
        for method in ["get", "post", "put", "patch", "delete", "options"]:
            async with getattr(session, method)(API + "/echo") as resp:
                assert (await echo(resp))["method"] == method.upper()
        async with session.head(API + "/echo") as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with session.request("PUT", API + "/echo") as resp:
            assert (await echo(resp))["method"] == "PUT"
    """,
    "every_method_can_be_awaited": """
        for method in ["get", "post", "put", "patch", "delete", "options"]:
            resp = await getattr(session, method)(API + "/echo")
            assert (await echo(resp))["method"] == method.upper()
        resp = await session.head(API + "/echo")
        assert resp.status == 200
        resp = await session.request("patch", API + "/echo")
        assert (await echo(resp))["method"] == "PATCH"
    """,
    "awaiting_a_request_twice_is_an_error": """
        request = session.get(API + "/")
        assert (await request).status == 200
        try:
            await request
        except RuntimeError:
            return
        raise AssertionError("awaited twice")
    """,
    # --- request arguments -------------------------------------------------------------
    "params_dict_becomes_the_query_string": """
        async with session.get(API + "/echo", params={"a": "1", "b": "x y&z"}) as resp:
            body = await echo(resp)
        assert parse_qsl(body["query"]) == [("a", "1"), ("b", "x y&z")], body["query"]
    """,
    "params_list_of_pairs_keeps_repeated_keys": """
        async with session.get(API + "/echo?z=0", params=[("a", "1"), ("a", "2")]) as resp:
            body = await echo(resp)
        assert parse_qsl(body["query"]) == [("z", "0"), ("a", "1"), ("a", "2")], body["query"]
    """,
    "headers_argument_is_sent": """
        async with session.get(API + "/echo", headers={"X-One": "1", "User-Agent": "me"}) as resp:
            body = await echo(resp)
        assert body["headers"]["x-one"] == "1"
        assert body["headers"]["user-agent"] == "me"
    """,
    "json_argument_sends_a_json_body": """
        async with session.post(API + "/echo", json={"a": [1, 2]}) as resp:
            body = await echo(resp)
        assert json.loads(body["body"]) == {"a": [1, 2]}
        assert body["headers"]["content-type"].startswith("application/json")
    """,
    "data_dict_sends_a_form": """
        async with session.post(API + "/echo", data={"name": "a b", "x": "1"}) as resp:
            body = await echo(resp)
        assert parse_qsl(body["body"]) == [("name", "a b"), ("x", "1")], body
        assert body["headers"]["content-type"] == "application/x-www-form-urlencoded"
    """,
    "data_str_is_sent_as_is": """
        async with session.post(API + "/echo", data='{"raw": true}') as resp:
            body = await echo(resp)
        assert body["body"] == '{"raw": true}'
        assert body["headers"]["content-length"] == str(len('{"raw": true}'))
    """,
    "data_bytes_are_sent_as_is": """
        async with session.put(API + "/echo", data=b"\\x01\\x02abc") as resp:
            body = await echo(resp)
        assert body["body"].endswith("abc") and len(body["body"]) == 5, body
        assert body["headers"]["content-length"] == "5"
    """,
    "formdata_with_simple_fields_is_sent_as_a_form": """
        form = aiohttp.FormData()
        form.add_field("user", "bob")
        form.add_field("pass", "s3cret")
        async with session.post(API + "/echo", data=form) as resp:
            body = await echo(resp)
        assert parse_qsl(body["body"]) == [("user", "bob"), ("pass", "s3cret")], body
    """,
    "cookies_argument_is_sent": """
        async with session.get(API + "/echo", cookies={"flavour": "choc"}) as resp:
            body = await echo(resp)
        assert "flavour=choc" in body["headers"]["cookie"]
    """,
    "allow_redirects_false_returns_the_redirect": """
        async with session.get(API + "/redirect/1", allow_redirects=False) as resp:
            assert resp.status == 302, resp.status
            assert resp.headers["Location"] == "/"
    """,
    "redirects_are_followed_with_their_history": """
        async with session.get(API + "/redirect/2") as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [302, 302]
            assert str(resp.url) == API + "/"
    """,
    "timeout_number_times_a_request_out": """
        try:
            async with session.get(API + "/delay/2000", timeout=0.05):
                pass
        except asyncio.TimeoutError:
            return
        raise AssertionError("no timeout")
    """,
    "timeout_clienttimeout_times_a_request_out": """
        try:
            async with session.get(API + "/delay/2000", timeout=aiohttp.ClientTimeout(total=0.05)):
                pass
        except aiohttp.ServerTimeoutError:
            return
        raise AssertionError("no timeout")
    """,
    "auth_basicauth_is_sent": """
        async with session.get(API + "/basic-auth/u/p", auth=aiohttp.BasicAuth("u", "p")) as resp:
            assert resp.status == 200, resp.status
        async with session.get(API + "/basic-auth/u/p", auth=aiohttp.BasicAuth("u", "bad")) as resp:
            assert resp.status == 401, resp.status
    """,
    "auth_tuple_is_sent": """
        async with session.get(API + "/basic-auth/u/p", auth=("u", "p")) as resp:
            assert resp.status == 200, resp.status
    """,
    "ssl_false_is_accepted": """
        async with session.get(API + "/", ssl=False) as resp:
            assert resp.status == 200
    """,
    "a_yarl_url_can_be_requested": """
        import yarl
        async with session.get(yarl.URL(API + "/echo")) as resp:
            assert (await echo(resp))["path"] == "/echo"
    """,
    # --- the response ------------------------------------------------------------------
    "response_url_is_a_yarl_url_as_in_aiohttp": """
        async with session.get(API + "/echo?q=a%20b") as resp:
            assert resp.url.path == "/echo"
            assert resp.url.query_string == "q=a b"
            assert str(resp.url) == API + "/echo?q=a%20b"
    """,
    "response_has_status_reason_url_and_content_type": """
        async with session.get(API + "/status/404") as resp:
            assert resp.status == 404
            assert resp.reason == "Not Found"
            assert str(resp.url) == API + "/status/404"
            assert resp.content_type == "application/json"
            assert not resp.ok
    """,
    "response_headers_are_case_insensitive": """
        async with session.get(API + "/") as resp:
            assert resp.headers["content-type"] == resp.headers["Content-Type"]
            assert resp.headers.get("CONTENT-TYPE") == "application/json"
            assert resp.headers.get("x-missing") is None
            assert resp.headers.get("x-missing", "dflt") == "dflt"
            assert "Content-Length" in resp.headers
    """,
    "response_headers_getall_returns_every_value": """
        async with session.get(API + "/cookies/set?a=1&b=2") as resp:
            values = resp.headers.getall("Set-Cookie")
            assert len(values) == 2 and values[0].startswith("a=1"), values
            assert resp.headers.getall("x-missing", []) == []
    """,
    "response_body_reads_as_text_json_and_bytes": """
        async with session.get(API + "/") as resp:
            assert await resp.text() == '{"result": "OK"}'
            assert await resp.json() == {"result": "OK"}
            assert await resp.read() == b'{"result": "OK"}'
            assert resp.release() is None or await resp.release() is None
    """,
    "response_cookies_are_the_cookies_it_set": """
        async with session.get(API + "/cookies/set?a=1&b=2") as resp:
            assert resp.cookies["a"].value == "1"
            assert resp.cookies["b"].value == "2"
    """,
    "raise_for_status_raises_a_client_response_error": """
        async with session.get(API + "/status/500") as resp:
            try:
                resp.raise_for_status()
            except aiohttp.ClientResponseError as error:
                assert error.status == 500
                return
        raise AssertionError("did not raise")
    """,
    "raise_for_status_does_nothing_on_success": """
        async with session.get(API + "/status/204") as resp:
            assert resp.raise_for_status() is None
    """,
    # --- the session -------------------------------------------------------------------
    "cookies_set_by_the_server_are_kept_in_the_cookie_jar": """
        session.cookie_jar.clear()
        assert len(session.cookie_jar) == 0
        async with session.get(API + "/cookies/set?jar=1") as resp:
            assert resp.status == 200
        assert len(session.cookie_jar) == 1
        assert {c.key: c.value for c in session.cookie_jar} == {"jar": "1"}
        async with session.get(API + "/cookies") as resp:
            assert (await resp.json()) == {"jar": "1"}
    """,
    "cookie_jar_update_cookies_and_clear": """
        session.cookie_jar.clear()
        session.cookie_jar.update_cookies({"added": "yes"})
        assert len(session.cookie_jar) == 1
        async with session.get(API + "/echo") as resp:
            assert "added=yes" in (await echo(resp))["headers"]["cookie"]
        session.cookie_jar.clear()
        assert len(session.cookie_jar) == 0
        async with session.get(API + "/echo") as resp:
            assert "cookie" not in (await echo(resp))["headers"]
    """,
    "session_headers_and_loop_are_there": """
        assert isinstance(dict(session.headers), dict)
        assert session.loop is asyncio.get_running_loop()
    """,
    # --- errors ------------------------------------------------------------------------
    "a_refused_connection_raises_client_connection_error": """
        try:
            async with session.get(REFUSED):
                pass
        except aiohttp.ClientConnectionError as error:
            assert isinstance(error, aiohttp.ClientConnectorError), type(error)
            assert isinstance(error, OSError)
            return
        raise AssertionError("no error")
    """,
}


def _script() -> str:
    parts = [PRELUDE]
    parts.append(PICK_OWN)
    for name, body in SCENARIOS.items():
        parts.append(f"\n@molotov.scenario()\nasync def {name}(session):\n"
                     + textwrap.indent(textwrap.dedent(body), "    "))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def session_run(tmp_path_factory, target):
    runner = Molotov(tmp_path_factory.mktemp("session"), target)
    source = _script().replace("{refused}", str(refused_port()))
    path = runner.write(source, "session_script.py")
    # Each scenario on a worker of its own (see PICK_OWN); one that hangs is cancelled at
    # the deadline, and only its own test fails.
    return runner.run("-w", str(len(SCENARIOS)), "-r", "1", "-v", "-d", "20",
                      "--force-shutdown", str(path))


def test_the_session_script_runs_every_scenario_once(session_run):
    assert session_run.results["successes"] + session_run.results["failures"] == len(SCENARIOS), session_run


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_session_behaviour(session_run, name):
    entry = session_run.scenario(name)
    if entry["successes"] != 1:
        lines = [line for line in session_run.output.splitlines() if name in line]
        index = session_run.output.find(f"{name}:")
        detail = session_run.output[index:index + 1500] if index >= 0 else session_run.output[-3000:]
        pytest.fail(f"scenario {name} did not succeed: {entry}\n" + "\n".join(lines) + "\n" + detail)


def test_session_close_is_awaitable_and_marks_it_closed(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.scenario()
        async def close(session):
            async with session.get("http://localhost:8080/") as resp:
                assert resp.status == 200
            assert not session.closed
            await session.close()
            assert session.closed
    """)
    assert result.code == 0 and result.results["successes"] == 1, result


def test_an_uncaught_connection_error_is_a_failure_counted_by_exception_class(molotov):
    port = refused_port()
    result = molotov.run("-r", "2", source=f"""
        import molotov

        @molotov.scenario()
        async def refused(session):
            async with session.get("http://127.0.0.1:{port}/") as resp:
                pass
    """)
    assert result.code == 0, result
    assert result.scenario("refused") == {**result.scenario("refused"), "successes": 0, "failures": 2}
    assert result.scenario("refused")["errors"] == {"ClientConnectorError": 2}, result
    assert "SUCCESSES: 0 | FAILURES: 2" in result.stdout


def test_an_uncaught_raise_for_status_is_counted_as_client_response_error(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.scenario()
        async def server_error(session):
            async with session.get("http://localhost:8080/status/503") as resp:
                resp.raise_for_status()
    """)
    assert result.scenario("server_error")["errors"] == {"ClientResponseError": 1}, result
    assert "503" in result.stdout


def test_raise_for_status_argument_raises_on_error_statuses(molotov):
    result = molotov.run("-r", "1", source="""
        import aiohttp
        import molotov

        @molotov.scenario()
        async def strict(session):
            try:
                await session.get("http://localhost:8080/status/502", raise_for_status=True)
            except aiohttp.ClientResponseError as error:
                assert error.status == 502
            else:
                raise AssertionError("no error")
    """)
    assert result.results["successes"] == 1, result


def test_an_unknown_request_argument_is_a_type_error(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.scenario()
        async def typo(session):
            try:
                await session.get("http://localhost:8080/", paramz={"a": 1})
            except TypeError as error:
                assert "paramz" in str(error)
            else:
                raise AssertionError("accepted")
    """)
    assert result.results["successes"] == 1, result


def test_session_headers_hold_the_setup_headers_case_insensitively(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"headers": {"X-Setup": "from setup"}}

        @molotov.scenario()
        async def headers(session):
            assert session.headers.get("X-Setup") == "from setup", dict(session.headers)
            assert session.headers["x-setup"] == "from setup"
    """)
    assert result.results["successes"] == 1, result


def test_changes_to_session_headers_are_sent_with_later_requests(molotov):
    result = molotov.run("-r", "2", source="""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"headers": {"X-Setup": "1"}}

        @molotov.setup_session()
        async def login(worker_id, session):
            session.headers["Authorization"] = "Bearer token"
            session.headers.update({"X-Other": "2"})

        @molotov.scenario()
        async def uses_token(session):
            async with session.get("http://localhost:8080/echo") as resp:
                headers = (await resp.json())["headers"]
            assert headers["authorization"] == "Bearer token", headers
            assert headers["x-other"] == "2" and headers["x-setup"] == "1", headers
            async with session.get("http://localhost:8080/echo",
                                   headers={"Authorization": "override"}) as resp:
                headers = (await resp.json())["headers"]
            assert headers["authorization"] == "override", headers
    """)
    assert result.results["successes"] == 2, result


def test_json_on_a_non_json_response_raises_content_type_error(molotov):
    result = molotov.run("-r", "1", source="""
        import aiohttp
        import molotov

        @molotov.scenario()
        async def not_json(session):
            async with session.get("http://localhost:8080/bytes/10") as resp:
                assert resp.content_type == "application/octet-stream"
                try:
                    await resp.json()
                except aiohttp.ContentTypeError:
                    pass
                else:
                    raise AssertionError("no error")
                assert len(await resp.read()) == 10
    """)
    assert result.results["successes"] == 1, result


def test_ssl_false_skips_verification_for_one_request_or_the_whole_session(tmp_path, tls_target):
    runner = Molotov(tmp_path, tls_target)
    result = runner.run("-r", "1", json_results=False, connect=False, source=f"""
        import molotov
        import ssl

        URL = "{tls_target.url}/"

        @molotov.scenario()
        async def lenient_requests(session):
            async with session.get(URL, ssl=False) as resp:
                assert resp.status == 200
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            async with session.get(URL, ssl=context) as resp:
                assert resp.status == 200
            try:
                await session.get(URL)
            except Exception as exc:
                assert type(exc).__name__ == "ClientSSLError", repr(exc)
            else:
                raise AssertionError("the self-signed certificate was accepted")
    """)
    assert result.code == 0, result
    assert "SUCCESSES: 1 | FAILURES: 0" in result.stdout, result
    whole = runner.run("-r", "2", json_results=False, connect=False, source=f"""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {{"ssl": False}}

        @molotov.scenario()
        async def lenient_session(session):
            async with session.get("{tls_target.url}/") as resp:
                assert resp.status == 200
    """)
    assert whole.code == 0, whole
    assert "SUCCESSES: 2 | FAILURES: 0" in whole.stdout, whole
