"""molotov: Molotov load tests on a Rust engine.

Write scenarios as in Molotov (``@scenario`` coroutines receiving an aiohttp-like session,
fixtures, events, helpers) and run them with the ``molotov`` command.
"""

from ._api import (
    MolotovError,
    events,
    get_scenarios,
    get_var,
    global_setup,
    global_teardown,
    scenario,
    scenario_picker,
    set_var,
    setup,
    setup_session,
    teardown,
    teardown_session,
)
from ._helpers import get_context, json_request, request
from ._bodies import PayloadRequest as _PayloadRequest
from ._molotov import Pending as _Pending
from ._molotov import __version__

# A request (`session.get(...)`) is a coroutine for asyncio, as aiohttp's are: it can be
# given to asyncio.create_task() and TaskGroup.create_task().
import collections.abc as _abc  # noqa: E402

_abc.Coroutine.register(_Pending)
_abc.Coroutine.register(_PayloadRequest)

__all__ = [
    "MolotovError",
    "__version__",
    "events",
    "get_context",
    "get_scenarios",
    "get_var",
    "global_setup",
    "global_teardown",
    "json_request",
    "request",
    "scenario",
    "scenario_picker",
    "set_var",
    "setup",
    "setup_session",
    "teardown",
    "teardown_session",
]
