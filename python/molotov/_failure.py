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
        detail = "".join(_chain(exc)).rstrip("\n")
    return kind, message, detail


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _chain(exc: BaseException) -> list[str]:
    """The traceback of ``exc`` and of its causes, oldest first, as Python prints them, with
    molotov's own frames left out."""
    blocks: list[list[str]] = []
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines = ["Traceback (most recent call last):\n"] if current.__traceback__ else []
        lines.extend(traceback.format_list(_user_frames(current)))
        lines.extend(traceback.format_exception_only(type(current), current))
        if link:
            lines.append(link)
        blocks.append(lines)
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    return [line for block in reversed(blocks) for line in block]
