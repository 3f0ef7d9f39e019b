"""Test infrastructure: the bundled target server and a runner of the ``molotov`` command.

Everything runs over loopback against ``molotov-target --port 0``; scripts are written for
``http://localhost:8080`` (as Molotov's are) and reach the target through ``--connect-to``.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

BIN = os.path.dirname(sys.executable)
MOLOTOV = os.path.join(BIN, "molotov")
TARGET = os.path.join(BIN, "molotov-target")
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples" / "python"


def command(script: str, module: str) -> list[str]:
    """The console script ``script`` next to the interpreter, or ``python -m module`` when the
    package was installed before the script was declared (an editable install not redone)."""
    path = os.path.join(BIN, script)
    if os.access(path, os.X_OK):
        return [path]
    return [sys.executable, "-m", module]


def refused_port() -> int:
    """A loopback port nobody listens on: bound, read, released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git_repo(path: Path, files: dict[str, Any]) -> Path:
    """A git repository at ``path`` with ``files`` (name: text, bytes, or an object written as
    JSON) committed, for ``moloslave`` to clone; skips the test where git is not installed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    path.mkdir(parents=True)
    for name, content in files.items():
        file = path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        elif isinstance(content, str):
            file.write_text(textwrap.dedent(content))
        else:
            file.write_text(json.dumps(content, indent=2))

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, stdout=subprocess.DEVNULL)

    git("init", "--quiet")
    git("config", "user.name", "molotov tests")
    git("config", "user.email", "tests@molotov.invalid")
    git("config", "commit.gpgsign", "false")
    git("add", "--all", "--force")
    git("commit", "--quiet", "--message", "load test")
    return path


#: Generous limit for one molotov run: the machine may be busy.
RUN_TIMEOUT = 60.0


#: A scenario picker for scripts of one scenario per behaviour, run with ``-w N -r 1``:
#: worker ``i`` runs the ``i``-th scenario (by name), so each one has its own session and a
#: scenario that fails or hangs does not hold the others up.
PICK_OWN = """
@molotov.scenario_picker()
def _one_scenario_per_worker(worker_id, step_id):
    return [s["name"] for s in molotov.get_scenarios()][worker_id]
"""


class Target:
    """A running ``molotov-target``."""

    def __init__(self, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [TARGET, "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        line = _read_line(self.proc, timeout=20.0)
        prefix = "molotov-target listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"unexpected first line of molotov-target: {line!r}")
        self.url = line[len(prefix):].strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def stats(self) -> dict[str, Any]:
        """``GET /stats``: ``{"requests", "connections", "paths"}`` (not counting itself)."""
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def requests(self, path: Optional[str] = None) -> int:
        stats = self.stats()
        if path is None:
            return stats["requests"]
        return stats["paths"].get(path, 0)

    def wait_for(self, condition: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        """Polls ``/stats`` until ``condition(stats)`` holds; fails the test at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if condition(stats):
                return stats
            if time.monotonic() > deadline:
                pytest.fail(f"the target never reached the expected state: {stats}")
            time.sleep(0.02)

    @property
    def connect_to(self) -> str:
        return f"localhost:8080:127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    """The first line ``proc`` prints, within ``timeout`` seconds."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise RuntimeError(f"molotov-target printed no address in {timeout}s: {data!r}")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"molotov-target exited: {data!r}")
            data += chunk
    finally:
        sel.close()
    return data.decode().splitlines()[0]


@pytest.fixture(scope="session")
def target():
    """One target for the whole session: use deltas or :func:`fresh_target` for counts."""
    server = Target()
    yield server
    server.stop()


@pytest.fixture
def tls_target():
    """A target serving HTTPS with a self-signed certificate."""
    server = Target("--tls")
    yield server
    server.stop()


@pytest.fixture
def fresh_target():
    """A target of one's own, whose counts start at zero."""
    server = Target()
    yield server
    server.stop()


@dataclass
class Result:
    """A finished ``molotov`` run."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    elapsed: float
    json_path: Optional[Path] = None
    _results: Any = field(default=None, repr=False)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def results(self) -> dict[str, Any]:
        """The ``--json`` results."""
        if self._results is None:
            assert self.json_path is not None, "run without --json"
            assert self.json_path.exists(), f"no --json results were written\n{self}"
            self._results = json.loads(self.json_path.read_text())
        return self._results

    def scenario(self, name: str) -> dict[str, Any]:
        return self.results["scenarios"].get(name, {"successes": 0, "failures": 0, "errors": {}})

    def error_lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith("error:")]

    def __str__(self) -> str:
        return (
            f"$ molotov {' '.join(self.args)}\nexit code {self.code} after {self.elapsed:.2f}s\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )

    __repr__ = __str__


def run_process(cmd: list[str], timeout: float = RUN_TIMEOUT, cwd: Optional[Path] = None,
                env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Runs ``cmd`` with output captured; kills it (and fails the test) at the timeout."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env["PYTHONUNBUFFERED"] = "1"
    if env:
        full_env.update(env)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        cwd=cwd, env=full_env, text=True, start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{cmd} did not finish in {timeout}s\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


class Molotov:
    """Writes scripts into a temporary directory and runs ``molotov`` on them."""

    def __init__(self, tmp_path: Path, target: Target) -> None:
        self.dir = tmp_path
        self.target = target
        self.log = tmp_path / "calls.log"

    def write(self, source: str, name: str = "loadtest.py") -> Path:
        """Writes ``source`` (dedented) as ``name``; ``{log}`` is the path of a log file,
        ``{url}`` the target's real address."""
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(source).replace("{log}", str(self.log)).replace("{url}", self.target.url)
        path.write_text(text)
        return path

    def lines(self) -> list[str]:
        """The lines the scripts appended to ``{log}``."""
        if not self.log.exists():
            return []
        return self.log.read_text().splitlines()

    def wait_for_lines(self, proc: subprocess.Popen, condition: Callable[[list[str]], bool],
                       timeout: float = 20.0) -> list[str]:
        """Waits until the lines of ``{log}`` satisfy ``condition``, while ``proc`` runs."""
        deadline = time.monotonic() + timeout
        while not condition(lines := self.lines()):
            assert proc.poll() is None, f"molotov ended early; the log: {lines}"
            assert time.monotonic() < deadline, f"timed out; the log: {lines}"
            time.sleep(0.02)
        return lines

    def run(self, *args: str, source: Optional[str] = None, json_results: bool = True,
            connect: bool = True, timeout: float = RUN_TIMEOUT, env: Optional[dict[str, str]] = None,
            cwd: Optional[Path] = None) -> Result:
        """Runs ``molotov [--connect-to ...] [--json FILE] ARGS [script]``; with ``source``,
        the script is written as ``loadtest.py`` and appended to the arguments."""
        argv = []
        if connect:
            argv += ["--connect-to", self.target.connect_to]
        json_path = None
        if json_results:
            json_path = self.dir / "results.json"
            if json_path.exists():
                json_path.unlink()
            argv += ["--json", str(json_path)]
        argv += list(args)
        if source is not None:
            argv.append(str(self.write(source)))
        start = time.monotonic()
        done = run_process([MOLOTOV, *argv], timeout=timeout, cwd=cwd or self.dir, env=env)
        return Result(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - start,
                      json_path)

    def start(self, *args: str, source: Optional[str] = None) -> tuple[subprocess.Popen, Path]:
        """Starts ``molotov`` in the background (for signals); returns it and its --json path."""
        json_path = self.dir / "results.json"
        argv = ["--connect-to", self.target.connect_to, "--json", str(json_path), *args]
        if source is not None:
            argv.append(str(self.write(source)))
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [MOLOTOV, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, cwd=self.dir, env=env, text=True, start_new_session=True,
        )
        return proc, json_path


def interrupt(proc: subprocess.Popen, when: Callable[[], object],
              signum: int = signal.SIGINT, timeout: float = 20.0) -> tuple[str, str]:
    """Calls ``when`` (which waits for the moment), sends ``signum`` to ``proc`` and returns its
    stdout and stderr once it ended; kills it if anything fails on the way."""
    try:
        when()
        proc.send_signal(signum)
        return proc.communicate(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise


@pytest.fixture
def molotov(tmp_path, target) -> Molotov:
    """A runner aimed at the session's target."""
    return Molotov(tmp_path, target)


@pytest.fixture
def fresh_molotov(tmp_path, fresh_target) -> Molotov:
    """A runner aimed at a target of the test's own (exact counts)."""
    return Molotov(tmp_path, fresh_target)
