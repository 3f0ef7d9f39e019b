"""Molotov's helpers: synchronous requests for fixtures, and the per-session context."""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _molotov

#: The run's ``--connect-to`` rules (set when a run loads its script), for :func:`request`.
_connect_to: list[str] = []


def request(endpoint: str, verb: str = "GET", session_options: Optional[dict[str, Any]] = None,
            **options: Any) -> dict[str, Any]:
    """Sends a request and waits for the response: ``{"content": str, "status": int,
    "headers": dict}``. For fixtures that are not coroutines (``global_setup``); it fires no
    events and is not counted in the statistics."""
    return _molotov.request(endpoint, verb, session_options, options, _connect_to)


def json_request(endpoint: str, verb: str = "GET", session_options: Optional[dict[str, Any]] = None,
                 **options: Any) -> dict[str, Any]:
    """Like :func:`request`, with ``content`` parsed as JSON."""
    response = request(endpoint, verb, session_options, **options)
    response["content"] = json.loads(response["content"])
    return response


def get_context(session: Any) -> Any:
    """The context of a worker's session: ``worker_id``, ``step``, ``args``, ``statsd``, and
    any attribute set on it (``attach(name, value)`` sets one). ``None`` for other objects."""
    return getattr(session, "_molotov_context", None)
