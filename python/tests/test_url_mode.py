"""The one-URL mode of the ``molotov`` command (``molotov http://host/path``), ``molotov``
alone, and a run where every run fails."""

import json

from conftest import MOLOTOV, run_process


def test_a_url_is_loaded_with_exact_counts_and_a_histogram(fresh_molotov):
    target = fresh_molotov.target
    result = fresh_molotov.run("-w", "3", "-r", "10", "-c", f"{target.url}/", connect=False)
    assert result.code == 0, result
    assert target.requests("/") == 30
    assert "Response time histogram:" in result.stdout, result
    assert "SUCCESSES: 30 | FAILURES: 0" in result.stdout
    assert result.results["requests"]["GET /"]["statuses"] == {"200": 30}


def test_method_headers_and_body_reach_the_server(fresh_molotov):
    target = fresh_molotov.target
    result = fresh_molotov.run("-w", "1", "-r", "1", "-c", "-vv", "-m", "PATCH", "-H", "X-A: b",
                               "--body", '{"k": [1]}', f"{target.url}/echo", connect=False)
    assert result.code == 0, result
    echoed = next(json.loads(line) for line in result.stdout.splitlines()
                  if line.startswith("{") and '"method"' in line)
    assert echoed["method"] == "PATCH"
    assert echoed["headers"]["x-a"] == "b"
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["body"] == '{"k": [1]}'


def test_molotov_alone_prints_a_short_usage_and_exits_2(tmp_path):
    done = run_process([MOLOTOV], cwd=tmp_path)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "usage: molotov" in done.stderr and "http://" in done.stderr, done.stderr


def test_molotov_alone_runs_loadtest_py_when_there_is_one(molotov):
    molotov.write("""
        import molotov

        @molotov.global_setup()
        def init(args):
            raise RuntimeError("loadtest.py was loaded")

        @molotov.scenario()
        async def one(session):
            pass
    """)
    # No argument at all: Molotov's default script, as Molotov 2.6 runs it.
    done = run_process([MOLOTOV], cwd=molotov.dir)
    assert done.returncode == 3, done
    assert "loadtest.py was loaded" in done.stdout + done.stderr
    assert "usage:" not in done.stderr


def test_a_run_where_every_run_fails_says_so_once(molotov):
    result = molotov.run("-w", "2", "-d", "3", "-c", source="""
        import molotov

        @molotov.scenario()
        async def refused(session):
            async with session.get("http://127.0.0.1:1/") as resp:
                pass
    """)
    assert result.code == 0, result
    assert result.stdout.count("every run is failing: ClientConnectorError:") == 1, result
    assert "Every run failed: ClientConnectorError:" in result.stdout
    assert "-f 1" in result.stdout
