"""``moloslave REPO TEST``: a test of a git repository's ``molotov.json``, run with its
requirements installed, its environment set and its options turned into a command line, and
nothing left behind. The repositories are made by the tests; nothing touches the network."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import selectors
import shlex
import signal
import subprocess
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any, Optional

import pytest

import molotov
from molotov import _slave as slave

from conftest import BIN, MOLOTOV, RUN_TIMEOUT, command, git_repo, run_process

MOLOSLAVE = command("moloslave", "molotov._slave")
ROOT = Path(__file__).resolve().parent.parent.parent

#: A run that makes a virtualenv and installs into it: slow on a busy machine.
INSTALL_TIMEOUT = 240.0

HIT = textwrap.dedent("""
    import os

    import molotov

    @molotov.scenario()
    async def hit(session):
        async with session.get(os.environ.get("SERVER_URL", "http://localhost:8080")) as resp:
            assert resp.status == 200
""")


def wheel(directory: Path, name: str, version: str, source: str) -> Path:
    """A pure-Python wheel of the package ``name``, made by hand so pip needs no index."""
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: molotov-tests\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    made = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(made, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return made


def config(tests: dict[str, Any], **molotov_section: Any) -> dict[str, Any]:
    return {"molotov": {**molotov_section, "tests": tests}}


class Slave:
    """Runs moloslave with its own TMPDIR, to check it leaves nothing there."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.env = {"TMPDIR": str(self.tmp)}

    def run(self, *args: str, timeout: float = RUN_TIMEOUT, cwd: Optional[Path] = None,
            env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess:
        return run_process([*MOLOSLAVE, *args], timeout=timeout, cwd=cwd,
                           env={**self.env, **(env or {})})

    def left_behind(self) -> list[str]:
        return sorted(p.name for p in self.tmp.iterdir())


@pytest.fixture
def slave_runner(tmp_path: Path) -> Slave:
    return Slave(tmp_path)


def working_directory(stdout: str) -> Path:
    found = re.search(r"^Working directory is (.+)$", stdout, re.MULTILINE)
    assert found, stdout
    return Path(found.group(1))


def running_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("Running: ")]
    assert len(lines) == 1, stdout
    return lines[0]


def test_a_test_runs_with_its_requirements_environment_and_options(tmp_path, fresh_target,
                                                                    slave_runner):
    log, results = tmp_path / "log.txt", tmp_path / "results.json"
    tiny = wheel(tmp_path, "tinyreq", "1.0", 'VALUE = "installed from the requirements"\n')
    # A requirements file may still list Molotov 2.6: it must not replace this package.
    old = wheel(tmp_path, "molotov", "2.6", 'raise ImportError("Molotov 2.6 shadows the engine")\n')
    options = {"workers": 2, "max_runs": 3, "console": True, "verbose": 1,
               "statsd": False, "exception": False, "sizing": False,
               "connect_to": [fresh_target.connect_to], "json": str(results),
               "scenario": "load/loadtest.py"}
    repo = git_repo(tmp_path / "repo", {
        "molotov.json": config(
            {"other": {"max_runs": 100}, "hits": options},
            env={"SERVER_URL": "http://localhost:8080", "MOLOSLAVE_LOG": str(log)},
            requirements="requirements.txt",
        ),
        "requirements.txt": f"--no-index\n./wheels/{tiny.name}\n./wheels/{old.name}\n",
        f"wheels/{tiny.name}": tiny.read_bytes(),
        f"wheels/{old.name}": old.read_bytes(),
        "load/loadtest.py": HIT + textwrap.dedent("""
            import tinyreq

            @molotov.global_setup()
            def record(args):
                with open(os.environ["MOLOSLAVE_LOG"], "a") as f:
                    f.write(f"{tinyreq.VALUE}|{os.getcwd()}|{molotov.__file__}\\n")
        """),
    })
    done = slave_runner.run(str(repo), "hits", timeout=INSTALL_TIMEOUT)
    assert done.returncode == 0, done
    assert "Traceback" not in done.stderr, done
    # Booleans that are false are left out; the scenario comes last.
    expected = ["molotov", "--workers", "2", "--max-runs", "3", "--console", "--verbose",
                "--connect-to", fresh_target.connect_to, "--json", str(results), "load/loadtest.py"]
    assert running_line(done.stdout) == f"Running: {shlex.join(expected)}"
    assert fresh_target.stats()["paths"] == {"/": 6}
    assert json.loads(results.read_text())["successes"] == 6
    checkout = working_directory(done.stdout)
    value, cwd, module = log.read_text().splitlines()[0].split("|")
    assert value == "installed from the requirements"
    assert os.path.realpath(cwd) == os.path.realpath(checkout)
    # The engine is this package, whatever the virtualenv holds.
    assert module == molotov.__file__
    assert not checkout.exists()
    assert slave_runner.left_behind() == []


def test_without_requirements_it_runs_directly_and_passes_molotov_exit_code_on(tmp_path,
                                                                               slave_runner):
    failing = """
        import molotov

        @molotov.scenario()
        async def fails(session):
            assert False, "on purpose"
    """
    repo = git_repo(tmp_path / "repo", {
        "molotov.json": config({"once": {"max_runs": 1, "exception": True, "console": True}}),
        "loadtest.py": failing,
    })
    direct = run_process([MOLOTOV, "-r", "1", "-x", "-c", "loadtest.py"], cwd=repo)
    assert direct.returncode != 0, direct
    done = slave_runner.run(str(repo), "once")
    assert done.returncode == direct.returncode, done
    assert "Installing" not in done.stdout
    assert running_line(done.stdout) == "Running: molotov --max-runs 1 --exception --console loadtest.py"
    assert "SUCCESSES: 0 | FAILURES: 1" in done.stdout, done
    assert slave_runner.left_behind() == []


def test_relative_json_results_land_in_the_callers_directory(tmp_path, fresh_target, slave_runner):
    repo = git_repo(tmp_path / "repo", {
        "molotov.json": config({"smoke": {"max_runs": 2, "json": "results.json",
                                          "connect_to": fresh_target.connect_to}}),
        "loadtest.py": HIT,
    })
    caller = tmp_path / "caller"
    caller.mkdir()
    done = slave_runner.run(str(repo), "smoke", cwd=caller)
    assert done.returncode == 0, done
    results = json.loads((caller / "results.json").read_text())
    assert results["successes"] == 2
    assert slave_runner.left_behind() == []


def test_directory_keeps_the_checkout_and_config_names_another_file(tmp_path, fresh_target,
                                                                    slave_runner):
    repo = git_repo(tmp_path / "repo", {
        "ci/load.json": config({"smoke": {"max_runs": 2, "connect_to": fresh_target.connect_to}}),
        "loadtest.py": HIT,
    })
    keep = tmp_path / "keep"
    done = slave_runner.run("--directory", str(keep), "--config", "ci/load.json", str(repo), "smoke",
                            cwd=tmp_path)
    assert done.returncode == 0, done
    assert working_directory(done.stdout) == keep
    assert (keep / "loadtest.py").is_file()
    assert fresh_target.requests("/") == 2
    assert slave_runner.left_behind() == []


def test_a_relative_path_is_cloned_and_a_molotov_folder_in_it_shadows_nothing(tmp_path, slave_runner):
    git_repo(tmp_path / "repo", {
        # A repository may have a molotov folder (Molotov's has): the checkout is the child's
        # current directory, and must not shadow the package.
        "molotov/__init__.py": 'raise ImportError("the checkout shadows the engine")\n',
        "molotov.json": config({"one": {"single_run": True, "scenario": "empty.py"}}),
        "empty.py": """
            import molotov

            @molotov.scenario()
            async def nothing(session):
                pass
        """,
    })
    done = slave_runner.run("repo", "one", cwd=tmp_path)
    assert done.returncode == 0, done
    assert "shadows" not in done.stderr, done
    assert "SUCCESSES: 1 | FAILURES: 0" in done.stdout, done


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_molotov_gracefully_and_the_directory_is_removed(tmp_path, fresh_target,
                                                                        slave_runner, signum):
    repo = git_repo(tmp_path / "repo", {
        "molotov.json": config({"long": {"duration": 60, "console": True,
                                         "connect_to": [fresh_target.connect_to]}}),
        "loadtest.py": HIT,
    })
    proc = subprocess.Popen([*MOLOSLAVE, str(repo), "long"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env={**os.environ, **slave_runner.env, "PYTHONUNBUFFERED": "1"},
                            start_new_session=True)
    try:
        head = read_until(proc, "Running: ", timeout=RUN_TIMEOUT)
        fresh_target.wait_for(lambda stats: stats["requests"] > 0)
        os.kill(proc.pid, signum)
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert "*** Bye ***" in stdout, (head, stdout, stderr)
    assert "Traceback" not in stderr, stderr
    assert not working_directory(head).exists()
    assert slave_runner.left_behind() == []


def read_until(proc: subprocess.Popen, prefix: str, timeout: float) -> str:
    """What ``proc`` printed up to and including the first line starting with ``prefix``."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    text = ""
    deadline = time.monotonic() + timeout
    try:
        while not any(line.startswith(prefix) for line in text.splitlines()):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                pytest.fail(f"no line starting with {prefix!r} in {timeout}s: {text!r}")
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"moloslave exited before {prefix!r}: {text!r}")
            text += line
    finally:
        sel.close()
    return text


def bad_repo(tmp_path: Path, files: dict[str, Any]) -> str:
    return str(git_repo(tmp_path / "repo", {"loadtest.py": HIT, **files}))


@pytest.mark.parametrize("files, test, message", [
    (None, "smoke", "error: cannot clone "),
    ({"README": "no config\n"}, "smoke", "error: the repository has no molotov.json"),
    ({"molotov.json": "{not json"}, "smoke", "error: molotov.json is not valid JSON: "),
    ({"molotov.json": {"tests": {}}}, "smoke", 'error: molotov.json has no "molotov" object'),
    ({"molotov.json": config({"a": {}, "b": {}})}, "smoke",
     'error: no test named "smoke" in molotov.json (tests: a, b)'),
    ({"molotov.json": config({"smoke": {"wrokers": 2}})}, "smoke",
     'error: test "smoke" in molotov.json: "wrokers" is not a molotov option'),
    ({"molotov.json": config({"smoke": {"console": "yes"}})}, "smoke",
     'error: test "smoke" in molotov.json: "console" must be true or false, not "yes"'),
    ({"molotov.json": config({"smoke": {"env": {"A": "1"}}})}, "smoke",
     'error: test "smoke" in molotov.json: "env" is not a test option'),
    ({"molotov.json": config({"smoke": {}}, requirements="missing.txt")}, "smoke",
     "error: the requirements file missing.txt is not in the repository"),
    ({"molotov.json": config({"smoke": {}}, env=["A"])}, "smoke",
     'error: "molotov"."env" in molotov.json must be an object of strings'),
    ({"molotov.json": config({"smoke": {}}, env={"A=B": "1"})}, "smoke",
     'error: "molotov"."env" in molotov.json: "A=B" is not a variable name'),
    ({"molotov.json": config({"smoke": {}}, env={"A": "x\u0000y"})}, "smoke",
     'error: "molotov"."env".A in molotov.json holds a NUL character'),
], ids=["not-a-repo", "no-config", "bad-json", "no-molotov", "unknown-test", "unknown-option",
        "not-a-boolean", "env-in-a-test", "no-requirements-file", "env-not-an-object",
        "env-bad-name", "env-nul"])
def test_bad_input_is_one_error_line_and_exit_code_2(tmp_path, slave_runner, files, test, message):
    repo = str(tmp_path / "nowhere") if files is None else bad_repo(tmp_path, files)
    done = slave_runner.run(repo, test)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr, done
    assert done.stderr.splitlines() == [done.stderr.splitlines()[0]], done
    assert done.stderr.startswith(message), done
    assert "Running:" not in done.stdout
    assert slave_runner.left_behind() == []


def test_without_git_it_says_so(tmp_path, slave_runner):
    done = slave_runner.run(str(tmp_path), "smoke", env={"PATH": str(tmp_path)})
    assert done.returncode == 2, done
    assert done.stderr.strip() == "error: git is not installed (moloslave clones the test repository with it)"
    assert slave_runner.left_behind() == []


def test_a_failing_requirements_install_is_an_error(tmp_path, slave_runner):
    repo = bad_repo(tmp_path, {
        "molotov.json": config({"smoke": {}}, requirements="requirements.txt"),
        "requirements.txt": "--no-index\nno-such-package-anywhere\n",
    })
    done = slave_runner.run(repo, "smoke", timeout=INSTALL_TIMEOUT)
    assert done.returncode == 2, done
    assert done.stderr.splitlines()[-1] == (
        "error: installing requirements.txt failed (pip exited with code 1)"), done
    assert "Traceback" not in done.stderr
    assert slave_runner.left_behind() == []


def test_version_and_help(tmp_path):
    version = run_process([*MOLOSLAVE, "--version"], cwd=tmp_path)
    assert version.returncode == 0, version
    assert version.stdout.strip() == molotov.__version__
    usage = run_process([*MOLOSLAVE, "--help"], cwd=tmp_path)
    assert usage.returncode == 0, usage
    for option in ["--directory", "--config", "--python", "repo", "test"]:
        assert option in usage.stdout


def test_the_commands_are_declared_and_installed_when_the_package_was_rebuilt():
    tomllib = pytest.importorskip("tomllib")
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not run from a checkout")
    scripts = tomllib.loads(pyproject.read_text())["project"]["scripts"]
    assert scripts["moloslave"] == "molotov._slave:main"
    assert scripts["moloslate"] == "molotov._slave:main"
    for name in ("moloslave", "moloslate"):
        path = os.path.join(BIN, name)
        if os.access(path, os.X_OK):
            done = run_process([path, "--version"])
            assert done.stdout.strip() == molotov.__version__, done


# The conversion of a test's options, without running anything.

def test_options_become_long_options_in_order_with_the_scenario_last():
    test = {"scenario": "s.py", "verbose": 2, "console": True, "quiet": False, "workers": 3,
            "delay": 0.5, "use_extension": ["a.py", "b.py"], "single_mode": "-odd",
            "connect_to": "a:1:b:2"}
    assert slave.molotov_arguments(test) == [
        "--verbose", "--verbose", "--console", "--workers", "3", "--delay", "0.5",
        "--use-extension", "a.py", "--use-extension", "b.py", "--single-mode=-odd",
        "--connect-to", "a:1:b:2", "s.py"]


def test_every_option_of_molotov_config_is_known_and_the_scenario_defaults_to_loadtest():
    assert slave.molotov_arguments({}) == ["loadtest.py"]
    assert slave.molotov_arguments({"verbose": 0, "max_runs": 0}) == ["--max-runs", "0", "loadtest.py"]
    help_text = run_process([MOLOTOV, "--help"]).stdout
    for key, (option, _kind) in slave.OPTIONS.items():
        assert option in help_text, key


@pytest.mark.parametrize("test, message", [
    ({"workers": True}, '"workers" must be a number or a string, not true'),
    ({"workers": [1]}, '"workers" must be a number or a string, not [1]'),
    ({"verbose": -1}, '"verbose" must be a whole number, 0 or more, not -1'),
    ({"use_extension": [1]}, '"use_extension" must be a string or a list of strings, not [1]'),
    ({"scenario": 3}, '"scenario" must be a path or module name, not 3'),
    ({"requirements": "r.txt"}, '"requirements" is not a test option'),
])
def test_options_of_the_wrong_type_are_refused(test, message):
    with pytest.raises(slave.SlaveError) as raised:
        slave.molotov_arguments(test)
    assert str(raised.value).startswith(message)

