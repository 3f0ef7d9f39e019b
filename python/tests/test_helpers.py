"""Molotov's variables and helpers: ``set_var``/``get_var``, ``request``/``json_request``,
``get_context``, ``get_scenarios``."""

from conftest import refused_port


def test_set_var_and_get_var_share_values_between_fixtures_and_scenarios(molotov):
    result = molotov.run("-w", "2", "-r", "2", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            molotov.set_var("endpoint", "http://localhost:8080")
            assert molotov.get_var("missing") is None

        @molotov.scenario()
        async def run(session):
            counter = molotov.get_var("counter", factory=lambda: {"runs": 0})
            counter["runs"] += 1
            async with session.get(molotov.get_var("endpoint")) as resp:
                assert resp.status == 200

        @molotov.global_teardown()
        def end():
            with open("{log}", "w") as f:
                f.write(str(molotov.get_var("counter")["runs"]))
    """)
    assert result.code == 0, result
    assert molotov.log.read_text() == "4"


def test_request_and_json_request_work_in_global_setup(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            response = molotov.request("{url}/echo?a=1", "POST", data="hello")
            assert response["status"] == 200, response
            assert isinstance(response["content"], str)
            assert '"body":"hello"' in response["content"], response
            assert "application/json" in response["headers"]["content-type"], response
            parsed = molotov.json_request("{url}/echo", "PUT", json={"k": 1})
            assert parsed["status"] == 200
            assert parsed["content"]["method"] == "PUT"
            assert parsed["content"]["body"] == '{"k": 1}'
            failed = molotov.request("{url}/status/500")
            assert failed["status"] == 500
            with open("{log}", "w") as f:
                f.write("ok")

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result
    assert molotov.log.read_text() == "ok"


def test_request_session_options_set_headers(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            response = molotov.json_request(
                "{url}/echo", session_options={"headers": {"X-Opt": "1"}})
            assert response["content"]["headers"]["x-opt"] == "1", response

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result


def test_request_raises_aiohttp_exceptions(molotov):
    port = refused_port()
    result = molotov.run("-r", "1", source=f"""
        import aiohttp
        import molotov

        @molotov.global_setup()
        def init(args):
            try:
                molotov.request("http://127.0.0.1:{port}/")
            except aiohttp.ClientConnectionError:
                with open("{{log}}", "w") as f:
                    f.write("caught")

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result
    assert molotov.log.read_text() == "caught"


def test_request_in_global_setup_follows_connect_to(molotov):
    result = molotov.run("-r", "1", source="""
        import molotov

        @molotov.global_setup()
        def init(args):
            assert molotov.request("http://localhost:8080/")["status"] == 200

        @molotov.scenario()
        async def run(session):
            pass
    """)
    assert result.code == 0, result


def test_get_context_gives_worker_id_step_args_and_statsd(molotov):
    result = molotov.run("-w", "2", "-r", "2", source="""
        import molotov

        @molotov.setup_session()
        async def init(worker_id, session):
            context = molotov.get_context(session)
            context.attach("token", f"t{worker_id}")
            context.extra = "set directly"

        @molotov.scenario()
        async def run(session):
            context = molotov.get_context(session)
            assert context.token == f"t{context.worker_id}"
            assert context.extra == "set directly"
            assert context.statsd is None
            assert context.args.workers == 2
            with open("{log}", "a") as f:
                f.write(f"{context.worker_id} {context.step}\\n")
            assert molotov.get_context(object()) is None
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 4, result
    assert sorted(molotov.lines()) == ["0 1", "0 2", "1 1", "1 2"]


def test_get_scenarios_lists_the_registered_scenarios_sorted_by_name(molotov):
    result = molotov.run("-s", "b_second", "-r", "1", source="""
        import molotov

        @molotov.scenario(weight=3, delay=0.0)
        async def b_second(session):
            names = [s["name"] for s in molotov.get_scenarios()]
            assert names == ["a_first", "b_second"], names
            first = molotov.get_scenarios()[0]
            assert first["weight"] == 0.5 and first["func"] is a_first

        @molotov.scenario(weight=0.5)
        async def a_first(session):
            pass
    """)
    assert result.code == 0, result
    assert result.results["successes"] == 1, result
