#!/usr/bin/env python3
"""`-p 2` against `-p 1`: client CPU per scenario run, and what the parent process costs.

The same load (10 workers in all: `-p 1 -w 10` and `-p 2 -w 5`; and the same command line with
`-p 2` added, `-p 2 -w 10`, as `-w` is per process) runs against molotov-target on
core 0, with every load generator process on core 1, so the CPU time per scenario run (user + sys
of the whole process tree, divided by the requests the target counted) compares the two layouts
directly. Rounds alternate the layouts; medians are printed with every round.

Two processes sharing one core cost more per request than one process (the scheduler, and
caches refilled after each switch: 512 KB of L2 per core here), whoever wrote them. So the same
round also runs two yardsticks on that core: wrk `-t1 -c10` and `-t2 -c10`, and two independent
`-p 1 -w 5` runs at once (two processes with none of the `-p` machinery: no parent, no pipes,
no merging). `-p 2` against the latter is the cost of the machinery itself.

Then `-p 2 -w 5` runs with the dashboard in a 120x40 pseudo-terminal at the default refresh,
and with `-q`: the parent's own CPU time (it merges the processes' statistics and draws) is read
from /proc while the processes run, and printed as a share of the tree's total; its start-up
before forking (for Python: the interpreter and the script's imports, which the processes
inherit instead of paying again) is printed apart.

Targets (issue 4): `-p 2` within 10% of `-p 1` per run; the parent under 2% of the total.

Usage: python3 bench/processes.py [--rounds 5] [--duration 5] [--python]
`--python` also runs the seed's quickstart (examples/python/example2.py) through the package
installed by bench/python.py (bench/.work/ours; run that once first).
"""

import fcntl
import os
import shlex
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time

from measure import ROOT, RELEASE, build
from measure import child_cpu, measure, require, round_options, start_target

PYTHON_MOLOTOV = os.path.join(ROOT, "bench", ".work", "ours", "bin", "molotov")
SCRIPT = os.path.join(ROOT, "examples", "python", "example2.py")
TICK = os.sysconf("SC_CLK_TCK")


def own_cpu(pid):
    """CPU seconds (user + sys) of process `pid` itself, all its threads, children excluded."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces; the fields after it are fixed.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def measure_parent(cmd, env, terminal):
    """Runs `cmd` on core 1 (on a pseudo-terminal when `terminal`); returns the parent's share,
    in percent of the whole tree's CPU, while the processes run, and for its start-up."""
    before_cpu = child_cpu()
    master = slave = None
    if terminal:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        io = {"stdin": slave, "stdout": slave, "stderr": slave}
    else:
        io = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen(["taskset", "-c", "1", *cmd], env=env, start_new_session=True, **io)
    drain = None
    if terminal:
        os.close(slave)
        drain = threading.Thread(target=drain_terminal, args=(master,), daemon=True)
        drain.start()
    # The parent's CPU once its processes are forked (before that it starts up: for Python,
    # the interpreter and the script's imports, which the processes then inherit), and at the end.
    forked = parent = None
    while proc.poll() is None:
        try:
            parent = own_cpu(proc.pid)
            if forked is None and has_children(proc.pid):
                forked = parent
        except (OSError, IndexError, ValueError):
            pass
        time.sleep(0.05)
    if drain is not None:
        drain.join(timeout=5)
        os.close(master)
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited with {proc.returncode}")
    cpu = child_cpu() - before_cpu
    if forked is None or parent is None:
        sys.exit(f"error: could not follow the parent process of {' '.join(cmd)}")
    return (parent - forked) / cpu * 100, forked / cpu * 100


def has_children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return bool(children.read().strip())


def drain_terminal(master):
    """Reads what is drawn, as a terminal would, until the program closes it."""
    while True:
        try:
            if not os.read(master, 65536):
                return
        except OSError:
            return


def main():
    parser = round_options(__doc__)
    parser.add_argument("--python", action="store_true")
    opts = parser.parse_args()
    require("taskset", "cargo")
    build()
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    host_port = url.split("//", 1)[1]
    tools = {"Rust (hello)": ([os.path.join(RELEASE, "examples", "hello")], dict(os.environ, MOLOTOV_TARGET=url + "/"))}
    if opts.python:
        if not os.path.exists(PYTHON_MOLOTOV):
            sys.exit("error: run bench/python.py once first (it installs bench/.work/ours)")
        tools["Python (example2.py)"] = (
            [PYTHON_MOLOTOV, "--connect-to", f"localhost:8080:{host_port}", SCRIPT], None)
    duration = ["-d", str(opts.duration)]
    verdicts = []
    try:
        for tool, (base, env) in tools.items():
            # wrk split the same way (one event loop, or two threads on the same core) shows
            # what sharing one core between two event loops costs by itself.
            wrk = f"-d{opts.duration}s"
            # Two independent runs sharing the core: what two processes cost with none of the
            # -p machinery (no parent, no pipes, no merging).
            alone = " ".join(shlex.quote(a) for a in [*base, "-p", "1", "-w", "5", "-q", *duration])
            layouts = {"wrk -t1 -c10": ["wrk", "-t1", "-c10", wrk, url + "/"],
                       "wrk -t2 -c10": ["wrk", "-t2", "-c10", wrk, url + "/"],
                       "-p 1 -w 10 -q": [*base, "-p", "1", "-w", "10", "-q", *duration],
                       "-p 2 -w 5 -q": [*base, "-p", "2", "-w", "5", "-q", *duration],
                       # The same command line with -p 2 added (-w is per process).
                       "-p 2 -w 10 -q": [*base, "-p", "2", "-w", "10", "-q", *duration],
                       "2 x (-p 1 -w 5 -q) at once": ["sh", "-c", f"{alone} & {alone} & wait"]}
            cpu = {name: [] for name in layouts}
            rate = {name: [] for name in layouts}
            for _ in range(opts.rounds):
                for name, cmd in layouts.items():
                    c, r = measure(cmd, url, env)
                    cpu[name].append(round(c, 2))
                    rate[name].append(r)
            print(f"\n{tool}")
            print(f"{'layout':<28} {'CPU us/run':>11} {'runs/s':>10}  each round (us/run)")
            medians = {}
            for name in layouts:
                medians[name] = statistics.median(cpu[name])
                print(f"{name:<28} {medians[name]:>11.2f} {statistics.median(rate[name]):>10.0f}  {cpu[name]}")
            ratio = medians["-p 2 -w 5 -q"] / medians["-p 1 -w 10 -q"]
            split = medians["wrk -t2 -c10"] / medians["wrk -t1 -c10"]
            shared = medians["2 x (-p 1 -w 5 -q) at once"] / medians["-p 1 -w 10 -q"]
            machinery = medians["-p 2 -w 5 -q"] / medians["2 x (-p 1 -w 5 -q) at once"]
            same = medians["-p 2 -w 10 -q"] / medians["-p 1 -w 10 -q"]
            for reading, value in (("the same command with -p 2 added, -w 10 per process", same),
                                   ("the same total workers, -p 2 -w 5", ratio)):
                ok = value <= 1.10
                verdicts.append((f"{tool}: -p 2 / -p 1, {reading}", ok))
                print(f"-p 2 / -p 1 CPU per run, {reading}: {value:.3f}x -> "
                      f"{'PASS' if ok else 'FAIL'} (target <= 1.10x)")
            print(f"  what sharing one core costs by itself: wrk -t2 / -t1 {split:.3f}x, "
                  f"two independent runs / one {shared:.3f}x")
            print(f"  -p 2 -w 5 / two independent runs (the cost of the -p machinery): {machinery:.3f}x")

            shares = {"dashboard (pty 120x40)": [], "-q": []}
            startup = {name: [] for name in shares}
            for _ in range(opts.rounds):
                for name in shares:
                    terminal = name != "-q"
                    args = ["-p", "2", "-w", "5", *duration] + ([] if terminal else ["-q"])
                    share, started = measure_parent([*base, *args], env, terminal)
                    shares[name].append(round(share, 2))
                    startup[name].append(round(started, 2))
            for name, values in shares.items():
                share = statistics.median(values)
                ok = share < 2.0
                verdicts.append((f"{tool}: the parent's share, {name}", ok))
                print(f"parent's share of the CPU while the processes run, -p 2, {name}: {share:.2f}% "
                      f"{values} -> {'PASS' if ok else 'FAIL'} (target < 2%); its start-up before "
                      f"forking: {statistics.median(startup[name]):.2f}%")
    finally:
        target.terminate()
        target.wait()
    missed = [what for what, ok in verdicts if not ok]
    print("\nall targets met" if not missed else "\ntargets missed:\n  " + "\n  ".join(missed))


if __name__ == "__main__":
    main()
