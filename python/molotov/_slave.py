"""``moloslave REPO TEST`` (alias ``moloslate``): runs a load test straight from a git repository.

The repository carries a ``molotov.json`` (the file ``molotov --config`` reads)::

    {"molotov": {"env": {"NAME": "value"}, "requirements": "requirements.txt",
                 "tests": {"TEST": {"duration": 10, "workers": 5, "scenario": "loadtest.py"}}}}

moloslave clones REPO, reads the file, installs ``requirements`` (if any) into a fresh
virtualenv, sets the ``env`` variables and runs ``molotov`` with the options of ``tests[TEST]``
turned back into a command line, from the checkout. It exits with molotov's exit code.

How the requirements become importable: molotov runs in a child process of *this* interpreter
(the one that has molotov and its Rust engine, whatever Python the virtualenv was made with).
The child imports ``molotov`` first, then puts the virtualenv's site-packages (with their
``.pth`` files) at the front of ``sys.path``. So the requirements win over the packages this
interpreter already has, except molotov itself: a requirements file that pins Molotov 2.6
cannot replace the engine running the test.

Everything moloslave makes goes into one temporary directory (the checkout, unless
``--directory`` says where to keep it, and the virtualenv), removed when it ends: after a
success, a failure, an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import shlex
import shutil
import signal
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, Optional

#: The exit code for bad input (a repository, a config file, an option), as for usage errors.
EXIT_BAD_INPUT = 2


class SlaveError(Exception):
    """Bad input or a failed step: its message is printed as one ``error:`` line."""


class _Terminated(BaseException):
    """SIGTERM arrived before molotov started: stop, cleaning up on the way out."""


class _Kind(enum.Enum):
    """How a test option becomes command-line arguments."""

    FLAG = "true or false"
    COUNT = "a whole number, 0 or more"
    VALUE = "a number or a string"
    LIST = "a string or a list of strings"


def _option_table() -> dict[str, tuple[str, _Kind]]:
    """The options a test may set, by their Molotov name (as in ``molotov --config``), with the
    long option they become: the engine's own table, derived from its command line, so no
    option is listed twice. ``scenario`` is the positional argument, always given last."""
    from . import _molotov

    kinds = {"flag": _Kind.FLAG, "count": _Kind.COUNT, "value": _Kind.VALUE, "list": _Kind.LIST}
    return {key: (option, kinds[kind]) for key, option, kind in _molotov.option_table()}


OPTIONS: dict[str, tuple[str, _Kind]] = _option_table()

DEFAULT_SCENARIO = "loadtest.py"


@dataclass
class Plan:
    """What ``molotov.json`` asks for one test."""

    #: molotov's arguments (without the program name).
    argv: list[str]
    #: Environment variables to set for the run.
    env: dict[str, str] = field(default_factory=dict)
    #: The requirements file to install, relative to the checkout.
    requirements: Optional[str] = None


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _option_arguments(key: str, value: Any) -> list[str]:
    """The arguments for one test option; :class:`SlaveError` for an unknown key or a value of
    the wrong type (molotov itself checks the values' ranges)."""
    if key not in OPTIONS:
        if key in ("env", "requirements"):
            raise SlaveError(f"{_quoted(key)} is not a test option: it belongs in \"molotov\", next to \"tests\"")
        raise SlaveError(f"{_quoted(key)} is not a molotov option")
    option, kind = OPTIONS[key]
    wrong = SlaveError(f"{_quoted(key)} must be {kind.value}, not {json.dumps(value)}")
    if kind is _Kind.FLAG:
        if not isinstance(value, bool):
            raise wrong
        # Unlike Molotov 2.6, `false` means the flag is left out.
        return [option] if value else []
    if kind is _Kind.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise wrong
        return [option] * value
    if kind is _Kind.LIST:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, str) for item in items):
            raise wrong
        return [argument for item in items for argument in _with_value(option, item)]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise wrong
    if key == "json":
        # The results outlive the checkout: a relative path is the caller's, not the
        # temporary directory's.
        return _with_value(option, os.path.abspath(str(value)))
    return _with_value(option, str(value))


def _with_value(option: str, value: str) -> list[str]:
    # `--delay=-1` keeps a value that starts with a dash from reading as an option.
    return [f"{option}={value}"] if value.startswith("-") else [option, value]


def molotov_arguments(test: dict[str, Any]) -> list[str]:
    """Turns a test's options back into molotov's command line: options in the file's order,
    then the scenario (``loadtest.py`` when the test names none)."""
    arguments: list[str] = []
    scenario = DEFAULT_SCENARIO
    for key, value in test.items():
        if key == "scenario":
            if not isinstance(value, str) or not value:
                raise SlaveError(f"\"scenario\" must be a path or module name, not {json.dumps(value)}")
            scenario = value
            continue
        arguments += _option_arguments(key, value)
    return [*arguments, scenario]


def read_plan(path: Path, shown: str, name: str) -> Plan:
    """Reads the config file at ``path`` (``shown`` in messages) and returns test ``name``'s
    :class:`Plan`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SlaveError(f"the repository has no {shown}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaveError(f"cannot read {shown}: {exc}") from None
    try:
        root = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SlaveError(f"{shown} is not valid JSON: {exc}") from None
    config = root.get("molotov") if isinstance(root, dict) else None
    if not isinstance(config, dict):
        raise SlaveError(f"{shown} has no \"molotov\" object")
    tests = config.get("tests")
    if not isinstance(tests, dict):
        raise SlaveError(f"{shown} has no \"molotov\".\"tests\" object")
    test = tests.get(name)
    if not isinstance(test, dict):
        raise SlaveError(f"no test named {_quoted(name)} in {shown} (tests: {', '.join(tests) or 'none'})")
    try:
        argv = molotov_arguments(test)
    except SlaveError as exc:
        raise SlaveError(f"test {_quoted(name)} in {shown}: {exc}") from None
    return Plan(argv=argv, env=_environment(config.get("env"), shown),
                requirements=_requirements(config.get("requirements"), shown))


def _environment(value: Any, shown: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SlaveError(f"\"molotov\".\"env\" in {shown} must be an object of strings")
    env: dict[str, str] = {}
    for key, item in value.items():
        if not key or "=" in key or "\0" in key:
            raise SlaveError(f"\"molotov\".\"env\" in {shown}: {json.dumps(key)} is not a variable name")
        if not isinstance(item, (str, int, float)):
            raise SlaveError(f"\"molotov\".\"env\".{key} in {shown} must be a string, not {json.dumps(item)}")
        # Numbers and booleans as JSON writes them, as `molotov --config` does.
        text = item if isinstance(item, str) else json.dumps(item)
        if "\0" in text:
            raise SlaveError(f"\"molotov\".\"env\".{key} in {shown} holds a NUL character")
        env[key] = text
    return env


def _requirements(value: Any, shown: str) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SlaveError(f"\"molotov\".\"requirements\" in {shown} must be a file name, not {json.dumps(value)}")
    return value


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no message"
    return lines[-1].removeprefix("fatal: ").removeprefix("error: ")


def clone(repo: str, checkout: Path) -> None:
    """``git clone REPO CHECKOUT`` (a URL or a local path), quietly; never asks for a password."""
    git = shutil.which("git")
    if git is None:
        raise SlaveError("git is not installed (moloslave clones the test repository with it)")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    done = subprocess.run([git, "clone", "--quiet", "--", repo, str(checkout)], env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SlaveError(f"cannot clone {repo}: {_last_line(done.stderr)}")


#: Asks a virtualenv's interpreter where its packages go, and its version.
_WHERE = ("import json, sys, sysconfig; print(json.dumps([sysconfig.get_path('purelib'), "
          "sysconfig.get_path('platlib'), '%d.%d' % sys.version_info[:2]]))")


def install(python: str, venv: Path, checkout: Path, requirements: str) -> list[str]:
    """Makes a virtualenv at ``venv`` with ``python``, installs ``requirements`` into it from
    the checkout, and returns its site-packages directories."""
    if not (checkout / requirements).is_file():
        raise SlaveError(f"the requirements file {requirements} is not in the repository")
    print(f"Installing {requirements} in a virtualenv", flush=True)
    try:
        made = subprocess.run([python, "-m", "venv", str(venv)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=False)
    except OSError as exc:
        raise SlaveError(f"cannot run {python}: {exc.strerror or exc}") from None
    if made.returncode != 0:
        raise SlaveError(f"cannot create a virtualenv with {python}: {_last_line(made.stderr + made.stdout)}")
    venv_python = str(venv / "bin" / "python")
    where = subprocess.run([venv_python, "-c", _WHERE], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, check=False)
    try:
        purelib, platlib, version = json.loads(where.stdout)
    except (ValueError, TypeError):
        raise SlaveError(f"the virtualenv made with {python} does not work: {_last_line(where.stderr)}") from None
    ours = "%d.%d" % sys.version_info[:2]
    if version != ours:
        print(f"warning: the virtualenv has Python {version} but molotov runs on {ours}: "
              "requirements with compiled code may not import", file=sys.stderr, flush=True)
    pip = subprocess.run([venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "-r", requirements], cwd=checkout, stdin=subprocess.DEVNULL, check=False)
    if pip.returncode != 0:
        raise SlaveError(f"installing {requirements} failed (pip exited with code {pip.returncode})")
    return list(dict.fromkeys([purelib, platlib]))


def _signalled_by_terminal() -> bool:
    """Whether a SIGINT most likely came from the terminal's Ctrl-C, which the kernel sends to
    the whole foreground process group, molotov included (so it must not be relayed twice)."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except (AttributeError, OSError, ValueError):
            continue
    return False


class _Relay:
    """While molotov runs: SIGTERM, and a SIGINT that did not come from the terminal (``kill``,
    ``docker stop``, ``docker run`` without ``-t``), are passed on to it; molotov stops
    gracefully, and moloslave cleans up once it has exited. A signal that arrives before the
    child exists is passed on as soon as it does."""

    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.pending: list[int] = []

    def __call__(self, signum: int, _frame: Optional[FrameType]) -> None:
        if signum == signal.SIGINT and _signalled_by_terminal():
            return
        if self.process is None:
            self.pending.append(signum)
        else:
            self.process.send_signal(signum)

    def started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        for signum in self.pending:
            process.send_signal(signum)
        self.pending.clear()


@contextmanager
def _relaying_signals(relay: _Relay) -> Iterator[None]:
    previous = {signum: signal.signal(signum, relay) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


#: The child's program (``python -c``): off ``sys.path`` goes the current directory (the
#: checkout, which may hold a ``molotov`` folder of its own) before anything is imported.
_BOOTSTRAP = (
    "import sys\n"
    "if not getattr(sys.flags, 'safe_path', False):\n"
    "    del sys.path[0]\n"
    "from molotov._slave import molotov_with_sites\n"
    "molotov_with_sites()\n"
)


def molotov_with_sites() -> None:
    """The child process: ``python -c BOOTSTRAP SITES ARG...`` runs ``molotov ARG...`` with the
    directories of SITES (joined by ``os.pathsep``) first on ``sys.path``."""
    # This package first, so nothing in the virtualenv can stand in for it.
    from . import __main__ as entry

    before = list(sys.path)
    for directory in sys.argv[1].split(os.pathsep):
        if directory:
            site.addsitedir(directory)
    added = [path for path in sys.path if path not in before]
    sys.path[:] = added + before
    sys.argv[:] = ["molotov", *sys.argv[2:]]
    entry.main()


def run_molotov(argv: list[str], checkout: Path, env: dict[str, str], sites: list[str]) -> int:
    """Runs ``molotov ARGV`` from the checkout and returns its exit code (128 + N when it was
    killed by signal N)."""
    relay = _Relay()
    with _relaying_signals(relay):
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, os.pathsep.join(sites), *argv],
            cwd=checkout, env={**os.environ, **env},
        )
        relay.started(process)
        code = process.wait()
    return 128 - code if code < 0 else code


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a test of a git repository's molotov.json, with its requirements "
                    "installed in a fresh virtualenv and its environment variables set.",
    )
    parser.add_argument("repo", help="git repository to clone: a URL or a local path")
    parser.add_argument("test", help="name of the test to run (a key of molotov.tests)")
    parser.add_argument("--directory", metavar="DIR",
                        help="clone into DIR and keep it (default: a temporary directory, removed at the end)")
    parser.add_argument("--config", default="molotov.json", metavar="FILE",
                        help="config file, relative to the repository (default: molotov.json)")
    parser.add_argument("--python", default=sys.executable, metavar="PY",
                        help="interpreter the virtualenv is made with (default: the one running moloslave)")
    parser.add_argument("--version", action="version", version=_version())
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def _terminate(_signum: int, _frame: Optional[FrameType]) -> NoReturn:
    raise _Terminated


def run(argv: list[str], prog: str = "moloslave") -> int:
    """moloslave's command line; returns the exit code."""
    args = _parser(prog).parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    scratch = Path(tempfile.mkdtemp(prefix="moloslave-"))
    try:
        checkout = Path(os.path.abspath(args.directory)) if args.directory else scratch / "repo"
        print(f"Working directory is {checkout}", flush=True)
        clone(args.repo, checkout)
        plan = read_plan(checkout / args.config, args.config, args.test)
        sites: list[str] = []
        if plan.requirements is not None:
            sites = install(args.python, scratch / "venv", checkout, plan.requirements)
        print(f"Running: {shlex.join(['molotov', *plan.argv])}", flush=True)
        return run_molotov(plan.argv, checkout, plan.env, sites)
    except SlaveError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr, flush=True)
        return 128 + signal.SIGINT
    except _Terminated:
        print("error: terminated", file=sys.stderr, flush=True)
        return 128 + signal.SIGTERM
    finally:
        # A signal now would leave the directory half removed: finish first.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        shutil.rmtree(scratch, ignore_errors=True)
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    """The ``moloslave`` and ``moloslate`` commands."""
    name = os.path.basename(sys.argv[0])
    sys.exit(run(sys.argv[1:], prog=name if name in ("moloslave", "moloslate") else "moloslave"))


if __name__ == "__main__":
    main()
