"""How an exception raised by a scenario or a fixture is reported: its kind (the class name,
counted in the statistics), a one-line message, and with ``-v`` the traceback of the user's
code (molotov's own frames are left out)."""

from __future__ import annotations

import linecache
import os
import traceback
from typing import Optional

_HERE = os.path.dirname(os.path.abspath(__file__))


def _user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(exc.__traceback__)
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_HERE)]


def describe(exc: BaseException, verbose: int) -> tuple[str, str, Optional[str]]:
    """``(kind, message, detail)`` for ``exc``."""
    kind = type(exc).__name__
    message = str(exc)
    frames = _user_frames(exc)
    if not message and frames:
        # A bare `assert`: the failing line says more than an empty message.
        last = frames[-1]
        line = (last.line or linecache.getline(last.filename, last.lineno)).strip()
        message = f"{line} ({os.path.basename(last.filename)}, line {last.lineno})"
    detail = None
    if verbose:
        lines = ["Traceback (most recent call last):\n"]
        lines.extend(traceback.format_list(frames))
        lines.extend(traceback.format_exception_only(type(exc), exc))
        detail = "".join(lines).rstrip("\n")
    return kind, message, detail
