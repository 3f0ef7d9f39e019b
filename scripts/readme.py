#!/usr/bin/env python3
"""Runs the shell commands of README.md as a new user would, so the README cannot drift.

Every fenced block marked ``sh`` is run with bash, from the repository's root, in order, in a
fresh virtualenv (on PATH, so ``pip install .`` and the Python ``molotov`` are the README's),
with these changes only, each to keep the test fast and off fixed ports:

- ``8080`` (the README's server port) becomes a free port picked for the run, and
  ``MOLOTOV_TARGET`` is set to that server;
- ``-d N`` becomes ``-d 1`` (the README's runs last seconds; one is enough to check them);
- after a line that starts a server in the background (``... &``), the block waits until the
  port accepts connections, and every process a block started is stopped when it ends.

A block must exit 0, and every load test it runs must end with successes and no failures
(``SUCCESSES: n | FAILURES: 0`` with n > 0, and no "every run is failing" line). Listings
preceded by ``<!-- listing: PATH -->`` must be the file at PATH, word for word.

Blocks whose first command is in SKIPPED are not run, for the reason given there.

    scripts/readme.py                # every block
    scripts/readme.py --list         # the blocks, numbered, and what would run
    scripts/readme.py --only 2       # block 2 alone
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Commands the test does not run, with why.
SKIPPED = {
    "scripts/check.sh": "it is the test command, which runs this test",
}

#: How long one block may take (the first release build included).
BLOCK_TIMEOUT = 1200


def blocks(text: str) -> list[tuple[str, str, int]]:
    """The fenced blocks of ``text``: (language, content, line number of the fence)."""
    found = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        found.append((fence.group(1), "\n".join(body), start + 1))
        i += 1
    return found


def listings(text: str) -> list[str]:
    """Mistakes in the listings that name their file."""
    mistakes = []
    for match in re.finditer(r"<!-- listing: (\S+) -->\n```\w*\n(.*?)\n```", text, re.S):
        path, listed = match.group(1), match.group(2)
        try:
            actual = (ROOT / path).read_text().rstrip("\n")
        except OSError as exc:
            mistakes.append(f"the listing of {path}: {exc}")
            continue
        if actual != listed:
            mistakes.append(f"the listing of {path} is not the file's content")
    return mistakes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def adapted(script: str, port: int) -> str:
    """The block as it is run (see the module's docstring)."""
    out = []
    for line in script.splitlines():
        line = line.replace("8080", str(port))
        line = re.sub(r"(?<=\s)(-d|--duration)(\s+|=)[0-9.]+", r"\1 1", line)
        out.append(line)
        command = line.split("#", 1)[0].rstrip()
        if command.endswith("&"):
            out.append(f"wait_for_port {port}")
    return "\n".join(out)


PRELUDE = """\
set -euo pipefail
wait_for_port() {
    for _ in $(seq 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "readme: nothing listens on port $1" >&2
    return 1
}
"""


def check_output(output: str) -> list[str]:
    """What is wrong in a block's output."""
    wrong = []
    for successes, failures in re.findall(r"SUCCESSES: (\d+) \| FAILURES: (\d+)", output):
        if int(successes) == 0 or int(failures) != 0:
            wrong.append(f"a load test ended with SUCCESSES: {successes} | FAILURES: {failures}")
    if re.search(r"every run is failing|Every run failed", output):
        wrong.append("a load test said every run was failing")
    return wrong


def run_block(number: int, script: str, env: dict[str, str]) -> list[str]:
    port = free_port()
    env = dict(env, MOLOTOV_TARGET=f"http://127.0.0.1:{port}")
    body = adapted(script, port)
    print(f"\n==> README block {number}:\n{body}\n", flush=True)
    # The output goes to a file, not a pipe: a server the block leaves in the background would
    # hold a pipe open after the block ended.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(["bash", "-c", PRELUDE + body], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            proc.wait(timeout=BLOCK_TIMEOUT)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        # The block's processes, servers started in the background included.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        proc.wait()
        log.seek(0)
        output = log.read()
    if timed_out:
        return [f"block {number} took more than {BLOCK_TIMEOUT} s\n{output}"]
    print(output[-6000:], flush=True)
    wrong = [] if proc.returncode == 0 else [f"exit code {proc.returncode}"]
    wrong += check_output(output)
    return [f"block {number}: {w}" for w in wrong]


def fresh_virtualenv(directory: Path) -> dict[str, str]:
    venv = directory / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade",
                    "pip"], check=True)
    env = dict(os.environ)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("MOLOTOV_TARGET", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the blocks and stop")
    parser.add_argument("--only", type=int, action="append", help="run block N (repeatable)")
    args = parser.parse_args()
    text = README.read_text()
    shell = [(content, line) for language, content, line in blocks(text) if language == "sh"]
    mistakes = listings(text)
    plan = []
    for number, (content, line) in enumerate(shell, 1):
        first = content.split("#", 1)[0].strip().split("\n")[0].strip()
        reason = next((why for command, why in SKIPPED.items() if first.startswith(command)), None)
        plan.append((number, content, line, reason))
    if args.list:
        for number, content, line, reason in plan:
            status = f"skipped: {reason}" if reason else "run"
            print(f"block {number} (README.md:{line}, {status}):\n{content}\n")
        return 0
    with tempfile.TemporaryDirectory(prefix="molotov-readme-") as directory:
        env = fresh_virtualenv(Path(directory))
        for number, content, _line, reason in plan:
            if reason or (args.only and number not in args.only):
                continue
            started = time.monotonic()
            mistakes += run_block(number, content, env)
            print(f"(block {number}: {time.monotonic() - started:.0f} s)", flush=True)
    if mistakes:
        print("\nThe README's commands do not work as written:", file=sys.stderr)
        for mistake in mistakes:
            print(f"- {mistake}", file=sys.stderr)
        return 1
    print("\nEvery command of the README ran as written.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
