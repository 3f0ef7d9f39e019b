"""What a Python script prints appears where it was printed among molotov's own lines, through
a pipe (the line console), whether Python's stdout is buffered or not, in one process and in
the processes of ``-p``."""

import os
import subprocess

from conftest import MOLOTOV, RUN_TIMEOUT

CHATTY = """
import sys
import molotov

@molotov.global_setup()
def init(args):
    print("print: global_setup")

@molotov.setup()
async def setup(worker_id, args):
    print(f"print: setup {worker_id}")
    print(f"stderr: setup {worker_id}", file=sys.stderr)

@molotov.scenario()
async def chatty(session):
    print("print: scenario")
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200

@molotov.teardown()
def teardown(worker_id):
    print(f"print: teardown {worker_id}")

@molotov.global_teardown()
def done():
    print("print: global_teardown", end="")
"""


def run_piped(molotov, *args):
    """``molotov ARGS`` with stdout and stderr into one pipe, and Python's stdout left as a
    pipe makes it (block-buffered), not unbuffered as the other tests have it."""
    script = molotov.write(CHATTY)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONPATH")}
    done = subprocess.run(
        [MOLOTOV, "--connect-to", molotov.target.connect_to, *args, str(script)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        cwd=molotov.dir, env=env, text=True, timeout=RUN_TIMEOUT,
    )
    return done.returncode, done.stdout


def in_order(output, expected):
    lines = output.splitlines()
    at = 0
    for text in expected:
        found = next((i for i in range(at, len(lines)) if lines[i].startswith(text)), None)
        assert found is not None, f"{text!r} missing or out of order:\n{output}"
        at = found + 1


def test_prints_appear_in_their_place_among_molotovs_lines(molotov):
    code, output = run_piped(molotov, "-w", "1", "-r", "2", "-c")
    assert code == 0, output
    in_order(output, [
        "**** Molotov v",
        "print: global_setup",
        "Preparing 1 worker...",
        "[W:0] Starting",
        "print: setup 0",
        "[W:0] Setting up session",
        "[W:0] Running scenarios",
        "print: scenario",
        "print: scenario",
        "[W:0] Done!",
        "print: teardown 0",
        # Printed without a newline: it ends the run's prints on a line of its own.
        "print: global_teardown",
        "Ran for ",
        "SUCCESSES: 2 | FAILURES: 0",
    ])
    in_order(output, ["[W:0] Starting", "stderr: setup 0", "[W:0] Setting up session"])
    assert output.count("print: scenario") == 2, output


def test_prints_of_each_process_are_in_order_and_labelled(molotov):
    code, output = run_piped(molotov, "-w", "1", "-r", "2", "-c", "-p", "2")
    assert code == 0, output
    pids = {line.split("]", 1)[0] for line in output.splitlines() if line.startswith("[P:")}
    assert len(pids) == 2, output
    for pid in pids:
        own = "\n".join(line[len(pid) + 2:] for line in output.splitlines() if line.startswith(pid + "] "))
        in_order(own, ["Preparing 1 worker...", "print: setup", "[W:", "print: scenario",
                       "print: scenario", "print: teardown"])
    in_order(output, ["print: global_setup", "Forking 2 processes", "print: global_teardown",
                      "SUCCESSES: 4 | FAILURES: 0"])
