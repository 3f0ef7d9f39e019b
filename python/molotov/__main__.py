"""The ``molotov`` command: Molotov's command line, on the Rust engine."""

from __future__ import annotations

import signal
import sys

from . import _molotov


def _line_buffered() -> None:
    """Has ``print()`` write each line out at once, even to a pipe or a file.

    molotov shows what a script prints in its place among its own lines (it reads stdout and
    stderr as they are written); a block-buffered ``sys.stdout`` would hold prints back until
    the buffer fills or the process ends.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(line_buffering=True)
            except (ValueError, OSError):
                pass


def main() -> None:
    """Runs ``molotov`` with ``sys.argv`` and exits with its status."""
    _line_buffered()
    # The engine handles Ctrl-C itself (graceful stop, then abort): Python's own handler
    # would raise KeyboardInterrupt inside the scenarios instead.
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        status = _molotov.main(["molotov", *sys.argv[1:]])
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.stdout.flush()
    sys.exit(status)


def target() -> None:
    """The ``molotov-target`` command: the bundled test server."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_molotov.target_main(["molotov-target", *sys.argv[1:]]))


def report() -> None:
    """The ``molotov-report`` command: merges results files, writes reports, checks thresholds."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_molotov.report_main(["molotov-report", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
