"""The ``molotov`` command: Molotov's command line, on the Rust engine."""

from __future__ import annotations

import signal
import sys

from . import _molotov


def main() -> None:
    """Runs ``molotov`` with ``sys.argv`` and exits with its status."""
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


if __name__ == "__main__":
    main()
