"""``molostart``: creates a load-test project to start from.

It asks for the target directory and whether to write a Makefile (or takes both from
``--directory`` and ``--makefile``/``--no-makefile``; ``--yes`` takes the defaults), then
writes ``loadtest.py``, ``molotov.json`` and the ``Makefile``. They run as generated with this
package: ``molotov --config molotov.json smoke`` against ``http://localhost:8080``.

The Makefile installs *this* molotov, not Molotov 2.6 from PyPI: its ``MOLOTOV_SPEC`` is where
the running package was installed from, read from its PEP 610 ``direct_url.json`` (a local
directory, a wheel, a git commit), or ``molotov==VERSION`` when it came from an index.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import __version__

#: Exit codes: files in the way (as Molotov 2.6), and no answer to a question.
EXIT_EXISTS = 1
EXIT_BAD_INPUT = 2

_LOADTEST = '''\
"""A Molotov load test made by molostart: replace the example scenarios with your own.

Run it with `molotov --config molotov.json smoke` (or `make test`); `molotov --help` lists
the options, and molotov.json holds named sets of them.
"""

import json

from molotov import get_context, global_setup, global_teardown, scenario, setup, teardown

# The service under test.
_API = "http://localhost:8080"


@global_setup()
def init_test(args):
    """Called once, before any worker starts (args: the command-line options)."""


@setup()
async def init_worker(worker_num, args):
    """Called by each worker before it opens its session; returns the session's options."""
    return {"headers": {"SomeHeader": "1"}}


@teardown()
def end_worker(worker_num):
    """Called by each worker when it is done."""


@global_teardown()
def end_test():
    """Called once, after every worker is done."""


# The weights make scenario_one run about 40% of the time, the other two 30% each.
@scenario(weight=40)
async def scenario_one(session):
    async with session.get(_API) as resp:
        # The statsd client when molotov runs with --statsd, None otherwise.
        statsd = get_context(session).statsd
        if statsd is not None:
            statsd.increment("scenario_one")
        res = await resp.json()
        assert res["result"] == "OK"
        assert resp.status == 200


@scenario(weight=30)
async def scenario_two(session):
    async with session.get(_API) as resp:
        assert resp.status == 200


@scenario(weight=30)
async def scenario_three(session):
    somedata = json.dumps({"OK": 1})
    async with session.post(_API, data=somedata) as resp:
        assert resp.status == 200
'''

_CONFIG: dict[str, Any] = {
    "molotov": {
        "tests": {
            "big": {"duration": 60, "processes": 10, "workers": 100, "scenario": "loadtest.py"},
            "small": {"duration": 60, "scenario": "loadtest.py"},
            "smoke": {"duration": 1, "scenario": "loadtest.py"},
        }
    }
}

_MAKEFILE = """\
# Made by molostart (molotov {version}).
#   make build   creates ./venv and installs molotov in it
#   make test    runs the $(TESTNAME) test of molotov.json (make test TESTNAME=big)
#   make clean   removes ./venv
# MOLOTOV_SPEC is what pip installs: where the molotov that ran molostart came from.

PYTHON ?= python3
TESTNAME ?= smoke
MOLOTOV_SPEC ?= {spec}
VENV = venv
BIN = $(VENV)/bin

.PHONY: build test clean

build: $(BIN)/molotov

$(BIN)/molotov:
\t$(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install "$(MOLOTOV_SPEC)"

test: build
\t$(BIN)/molotov --config molotov.json $(TESTNAME)

clean:
\trm -rf $(VENV)
"""


def spec_from_direct_url(info: dict[str, Any]) -> Optional[str]:
    """A pip requirement for what a PEP 610 ``direct_url.json`` describes: a directory or a
    local archive by path, a remote archive by URL, a VCS checkout by URL and commit."""
    url = info.get("url")
    if not isinstance(url, str) or not url:
        return None
    subdirectory = info.get("subdirectory")
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        spec = f"{vcs.get('vcs', 'git')}+{url}"
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        if revision:
            spec += f"@{revision}"
        if isinstance(subdirectory, str) and subdirectory:
            spec += f"#subdirectory={subdirectory}"
        return spec
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        path = urllib.request.url2pathname(parts.path)
        if isinstance(subdirectory, str) and subdirectory:
            path = os.path.join(path, subdirectory)
        return path
    return url


def install_spec() -> str:
    """What pip should install to get this molotov (see the module's doc)."""
    try:
        distribution = importlib.metadata.distribution("molotov")
    except importlib.metadata.PackageNotFoundError:
        return f"molotov=={__version__}"
    raw = distribution.read_text("direct_url.json")
    if raw:
        try:
            info = json.loads(raw)
        except ValueError:
            info = None
        if isinstance(info, dict):
            spec = spec_from_direct_url(info)
            if spec:
                return spec
    return f"molotov=={distribution.version}"


def _make_value(text: str) -> str:
    """``text`` as the value of a make variable: ``$`` and ``#`` are special there."""
    return text.replace("$", "$$").replace("#", "\\#")


def render(makefile: bool, spec: Optional[str] = None) -> dict[str, str]:
    """The files to write, by name, in the order they are written."""
    files: dict[str, str] = {}
    if makefile:
        files["Makefile"] = _MAKEFILE.format(version=__version__,
                                             spec=_make_value(spec or install_spec()))
    files["loadtest.py"] = _LOADTEST
    files["molotov.json"] = json.dumps(_CONFIG, indent=4) + "\n"
    return files


class QuickstartError(Exception):
    """Bad input or files in the way: one ``error:`` line, and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def check_free(directory: str, names: list[str]) -> None:
    """Fails if any of the files is already in ``directory``: molostart overwrites nothing."""
    existing = [os.path.join(directory, name) for name in names
                if os.path.lexists(os.path.join(directory, name))]
    if existing:
        verb = "already exists" if len(existing) == 1 else "already exist"
        raise QuickstartError(f"{' and '.join(existing)} {verb}", EXIT_EXISTS)


def write(directory: str, files: dict[str, str]) -> None:
    """Writes ``files`` into ``directory`` (made if missing), or nothing at all if any of them
    already exists."""
    check_free(directory, list(files))
    try:
        os.makedirs(directory, exist_ok=True)
        for name, content in files.items():
            print(f"...writing '{name}' in '{directory}'")
            with open(os.path.join(directory, name), "x", encoding="utf-8") as file:
                file.write(content)
    except OSError as exc:
        raise QuickstartError(f"cannot write in {directory}: {exc.strerror or exc}", EXIT_EXISTS) from None


@dataclass
class Answers:
    """What the project looks like."""

    directory: str
    makefile: bool


def _ask(question: str, default: str, read: Callable[[str], str]) -> str:
    try:
        answer = read(f"> {question} [{default}]: ").strip()
    except EOFError:
        print()
        raise QuickstartError(
            f"no answer to \"{question}\" (standard input is closed): "
            "give --directory and --makefile/--no-makefile, or --yes", EXIT_BAD_INPUT) from None
    return answer or default


def _yes_no(question: str, default: bool, read: Callable[[str], str]) -> bool:
    while True:
        answer = _ask(question, "y" if default else "n", read).lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        print("Please answer y (yes) or n (no).")


def answers(args: argparse.Namespace, read: Callable[[str], str] = input) -> Answers:
    """The answers: flags first, then the defaults with ``--yes``, then questions."""
    directory: Optional[str] = args.directory
    makefile: Optional[bool] = args.makefile
    if args.yes:
        directory = "." if directory is None else directory
        makefile = True if makefile is None else makefile
    if directory is None or makefile is None:
        print("Answer a few questions to get started...")
    if directory is None:
        directory = _ask("Target directory", ".", read)
    if makefile is None:
        makefile = _yes_no("Create Makefile", True, read)
    return Answers(os.path.expanduser(directory), makefile)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="molostart",
        description="Create a molotov load test: loadtest.py, molotov.json and a Makefile. "
                    "Asks for what the options do not say.")
    parser.add_argument("--directory", metavar="DIR", help="where to write the files (default: .)")
    parser.add_argument("--makefile", action=argparse.BooleanOptionalAction, default=None,
                        help="write a Makefile (default: yes)")
    parser.add_argument("-y", "--yes", action="store_true",
                        help="take the default of every question the options do not answer")
    parser.add_argument("--version", action="version", version=__version__)
    return parser


def run(argv: list[str], read: Callable[[str], str] = input) -> int:
    """molostart's command line; returns the exit code."""
    args = _parser().parse_args(argv)
    print("**** Molotov Quickstart ****")
    print()
    try:
        chosen = answers(args, read)
        files = render(chosen.makefile)
        check_free(chosen.directory, list(files))
        print("Generating Molotov test...")
        write(chosen.directory, files)
    except QuickstartError as exc:
        sys.stdout.flush()
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print()
        print("error: interrupted", file=sys.stderr)
        return 130
    print()
    print("All done. Happy breaking!")
    print(f"Go in '{chosen.directory}'")
    if chosen.makefile:
        print("Run 'make build' to get started...")
    else:
        print("Run 'molotov --config molotov.json smoke' to get started...")
    return 0


def main() -> None:
    """The ``molostart`` command."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
