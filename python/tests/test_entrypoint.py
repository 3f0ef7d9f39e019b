"""``docker/entrypoint.sh``, the container's entry point, run outside a container: it checks
TEST_REPO and TEST_NAME and hands over to ``moloslave``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import molotov

from conftest import BIN, RUN_TIMEOUT, git_repo, run_process

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"

pytestmark = pytest.mark.skipif(not ENTRYPOINT.is_file(), reason="docker/entrypoint.sh is not there")


def path_with_moloslave(tmp_path: Path) -> str:
    """A PATH where ``moloslave`` is found: the console script next to the interpreter, or a
    stand-in running ``python -m molotov._slave`` when the package predates the script."""
    directories = [BIN]
    if not os.access(os.path.join(BIN, "moloslave"), os.X_OK):
        shims = tmp_path / "shims"
        shims.mkdir()
        shim = shims / "moloslave"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m molotov._slave "$@"\n')
        shim.chmod(0o755)
        directories.insert(0, str(shims))
    return os.pathsep.join([*directories, os.environ.get("PATH", "")])


def test_the_entrypoint_is_executable():
    assert os.access(ENTRYPOINT, os.X_OK)


def test_it_runs_the_named_test_of_the_repository(tmp_path, fresh_target):
    repo = git_repo(tmp_path / "repo", {
        "molotov.json": {"molotov": {"tests": {
            "smoke": {"max_runs": 4, "console": True, "connect_to": fresh_target.connect_to},
        }}},
        "loadtest.py": """
            import molotov

            @molotov.scenario()
            async def hit(session):
                async with session.get("http://localhost:8080/") as resp:
                    assert resp.status == 200
        """,
    })
    done = run_process([str(ENTRYPOINT)], cwd=tmp_path, env={
        "PATH": path_with_moloslave(tmp_path), "TEST_REPO": str(repo), "TEST_NAME": "smoke"})
    assert done.returncode == 0, done
    assert "Running: molotov --max-runs 4 --console" in done.stdout, done
    assert "SUCCESSES: 4 | FAILURES: 0" in done.stdout, done
    assert fresh_target.requests("/") == 4


def test_its_arguments_go_to_moloslave(tmp_path):
    done = run_process([str(ENTRYPOINT), "--version"], cwd=tmp_path, env={
        "PATH": path_with_moloslave(tmp_path), "TEST_REPO": "x", "TEST_NAME": "y"})
    assert done.returncode == 0, done
    assert done.stdout.strip() == molotov.__version__


def test_an_unknown_test_is_moloslave_error(tmp_path):
    repo = git_repo(tmp_path / "repo", {"molotov.json": {"molotov": {"tests": {"smoke": {}}}}})
    done = run_process([str(ENTRYPOINT)], cwd=tmp_path, env={
        "PATH": path_with_moloslave(tmp_path), "TEST_REPO": str(repo), "TEST_NAME": "big"})
    assert done.returncode == 2, done
    assert done.stderr.strip() == 'error: no test named "big" in molotov.json (tests: smoke)'


@pytest.mark.parametrize("env, missing", [
    ({}, "TEST_REPO and TEST_NAME"),
    ({"TEST_NAME": "smoke"}, "TEST_REPO"),
    ({"TEST_REPO": "https://example.com/repo.git"}, "TEST_NAME"),
    ({"TEST_REPO": "", "TEST_NAME": "smoke"}, "TEST_REPO"),
])
def test_missing_variables_are_an_error_with_exit_code_2(tmp_path, env, missing):
    # Only the variables given: none inherited from the environment running the tests.
    path = {"PATH": os.path.dirname(shutil.which("sh") or "/bin/sh")}
    done = subprocess.run([str(ENTRYPOINT)], cwd=tmp_path, env={**path, **env}, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT, check=False)
    assert done.returncode == 2, done
    assert done.stderr.startswith(f"error: {missing} must be set"), done
    assert done.stdout == ""
