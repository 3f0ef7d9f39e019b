"""The dashboard for Python scripts, in a real terminal: ``molotov`` runs in a tmux pane, read
back with ``capture-pane`` and driven with ``send-keys``. Needs tmux (``scripts/check.sh``
installs it)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import MOLOTOV

PRINTS = """
import sys
import molotov

@molotov.setup()
async def init_worker(worker_id, args):
    print(f"hello from worker {worker_id}")
    print(f"warning <{worker_id}> & co", file=sys.stderr)

@molotov.scenario(weight=80)
async def home(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200

failed = []

@molotov.scenario(weight=20)
async def bad(session):
    # Fails once per process, so the error pane keeps what the script printed in view.
    async with session.get("http://localhost:8080/status/500") as resp:
        if not failed:
            failed.append(resp.status)
            assert resp.status == 200, f"<{resp.status}> & co"
"""


class Pane:
    """A private tmux server with one 120x40 pane running a shell command."""

    def __init__(self, tmp_path: Path, command: str) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is needed (scripts/check.sh installs it)")
        self.socket = str(tmp_path / "tmux.sock")
        self.stty = tmp_path / "stty"
        script = f"{command}; echo EXIT=$?; stty -a > {shlex.quote(str(self.stty))}; sleep 600"
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", script)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                              text=True, timeout=20)
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J")

    def alternate(self) -> bool:
        return self.tmux("display-message", "-p", "#{alternate_on}").strip() == "1"

    def wait_for(self, what: str, condition: Callable[[str], bool], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.tmux("kill-server")


def counter(screen: str, label: str) -> int:
    found = re.search(re.escape(label) + r"\s*(\d+)", screen)
    return int(found.group(1)) if found else -1


def in_pane(screen: str, text: str) -> bool:
    return any(line.startswith("│") and text in line for line in screen.splitlines())


@pytest.mark.parametrize("processes", ["1", "2"])
def test_python_scripts_get_the_dashboard_with_their_prints_in_the_panes(tmp_path, fresh_molotov, processes):
    molotov = fresh_molotov
    script = molotov.write(PRINTS)
    command = " ".join(shlex.quote(a) for a in [
        MOLOTOV, "--connect-to", molotov.target.connect_to, "-w", "2", "-p", processes,
        "-d", "60", "--console-update", "1", str(script),
    ])
    pane = Pane(tmp_path, f"cd {shlex.quote(str(tmp_path))} && {command}")
    try:
        # The panes scroll: each must have been seen in its pane at some point. Errors are
        # text, whatever characters they hold.
        prints = ["hello from worker 1", "warning <1> & co", "AssertionError: <500> & co"]
        seen: set[str] = set()

        def all_seen(screen: str) -> bool:
            seen.update(p for p in prints if in_pane(screen, p))
            return len(seen) == len(prints)

        pane.wait_for("the script's prints and its error in the panes", all_seen)
        assert pane.alternate()
        before = counter(pane.screen(), "SUCCESS:")
        pane.wait_for("the counters moving and the scenario table", lambda s: (
            counter(s, "SUCCESS:") > before
            and counter(s, "FAILED:") == int(processes)
            and f"PROCESSES: {processes}" in s
            and f"WORKERS: {2 * int(processes)}" in s
            and re.search(r"│bad +\d+", s) is not None
            and re.search(r"│home +\d+", s) is not None
        ))
        pane.tmux("send-keys", "C-c")
        end = pane.wait_for("the exit", lambda s: "EXIT=" in s)
        assert "EXIT=130" in end, end
        assert not pane.alternate()
        stty = pane.stty.read_text().split()
        assert "-icanon" not in stty and "-echo" not in stty, stty
        assert "SUCCESSES: " in end and "*** Bye ***" in end, end
        ok, failed = counter(end, "SUCCESSES:"), counter(end, "FAILURES:")
        assert ok + failed == molotov.target.requests(), end
    finally:
        pane.kill()
