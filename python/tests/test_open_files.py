"""The open-file limit with a Python script: more workers than files is warned about before
the load starts, the run goes on, and the requests that found no file descriptor raise
``ClientOSError`` (their kind: ``files``), with totals that add up to what the server saw."""

import time

from conftest import MOLOTOV, Result, run_process

SCRIPT = """
import molotov

@molotov.scenario()
async def get(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200
"""


def run_limited(runner, limit: int, *args: str) -> Result:
    """``molotov ARGS script`` under an open-file limit of ``limit``, soft and hard alike (so
    that raising the soft limit to the hard one cannot undo it)."""
    script = runner.write(SCRIPT)
    json_path = runner.dir / "results.json"
    argv = ["--connect-to", runner.target.connect_to, "--json", str(json_path), *args, str(script)]
    start = time.monotonic()
    done = run_process(["sh", "-c", f'ulimit -n {limit} && exec "$0" "$@"', MOLOTOV, *argv],
                       cwd=runner.dir)
    return Result(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - start,
                  json_path)


def test_more_workers_than_files_warn_and_fail_as_client_os_error(fresh_molotov):
    result = run_limited(fresh_molotov, 128, "-w", "300", "-d", "1", "-c")
    assert result.code == 0, result
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: -w 300 needs about 350 open files; the limit is 128: "
                        "use -p 4 -w 75 or raise ulimit -n"], result
    assert "Traceback" not in result.stderr and "panic" not in result.stderr, result

    get = result.results["requests"]["GET /"]
    files = get["errors"].get("files", 0)
    assert files > 0, result.results
    assert set(get["errors"]) == {"files"}, get["errors"]
    assert result.scenario("get")["errors"] == {"ClientOSError": files}, result.results
    # Every response the target sent was counted; every run is a success or a failure.
    responses = get["statuses"]["200"]
    assert responses == fresh_molotov.target.requests("/") > 0
    assert (get["successes"], get["failures"]) == (responses, files)
    assert result.results["successes"] + result.results["failures"] == responses + files
    assert "ClientOSError" in result.stdout, result


def test_within_the_limit_there_is_no_warning(molotov):
    result = run_limited(molotov, 256, "-w", "4", "-r", "2", "-c")
    assert result.code == 0, result
    assert "warning:" not in result.stderr, result
    assert result.results["successes"] == 8, result
