"""Molotov's decorators and helpers: what a load-test script imports.

The decorators only record functions in a registry; the Rust engine reads it after the script
(and its extensions) are imported, and runs everything. Mistakes are reported when the script
is imported, with the file and line of the decorated function.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "MolotovError",
    "scenario",
    "scenario_picker",
    "global_setup",
    "setup",
    "setup_session",
    "teardown_session",
    "teardown",
    "global_teardown",
    "events",
    "get_scenarios",
    "set_var",
    "get_var",
]


class MolotovError(Exception):
    """A load-test script uses molotov the wrong way."""


class _Registry:
    """Everything the imported scripts registered."""

    def __init__(self) -> None:
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.fixtures: dict[str, Callable[..., Any]] = {}
        self.events: list[Callable[..., Any]] = []
        self.vars: dict[str, Any] = {}

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


_registry = _Registry()


def _where(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    if code is None:
        return repr(func)
    return f"{func.__qualname__} ({code.co_filename}, line {code.co_firstlineno})"


def _check(func: Any, what: str, coroutine: bool) -> None:
    if not callable(func):
        raise MolotovError(f"@{what} decorates a function, not {func!r}")
    is_coroutine = inspect.iscoroutinefunction(func)
    if coroutine and not is_coroutine:
        raise MolotovError(f"@{what} needs a coroutine (async def): {_where(func)}")
    if not coroutine and is_coroutine:
        raise MolotovError(f"@{what} needs a plain function, not a coroutine: {_where(func)}")


def scenario(weight: Any = 1, delay: float = 0.0, name: Optional[str] = None) -> Any:
    """Registers a coroutine as a scenario: ``@scenario``, ``@scenario()``, ``@scenario(40)``,
    ``@scenario(weight=40, delay=0.5, name="home")``.

    The coroutine receives the worker's session. ``weight`` sets how often it is picked
    relative to the others (0 leaves it out); ``delay`` is a pause after each successful run.
    """
    if callable(weight) and not isinstance(weight, (int, float)):
        # Used bare: @scenario
        return scenario()(weight)

    def _scenario(func: F) -> F:
        _check(func, "scenario", coroutine=True)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise MolotovError(f"@scenario weight must be a number >= 0, not {weight!r}: {_where(func)}")
        if not isinstance(delay, (int, float)) or delay < 0:
            raise MolotovError(f"@scenario delay must be a number of seconds >= 0, not {delay!r}: {_where(func)}")
        scenario_name = name if name is not None else func.__name__
        if scenario_name in _registry.scenarios:
            previous = _registry.scenarios[scenario_name]["func"]
            raise MolotovError(
                f"two scenarios are named {scenario_name!r}: {_where(previous)} and {_where(func)}"
            )
        _registry.scenarios[scenario_name] = {
            "name": scenario_name,
            "weight": weight,
            "delay": float(delay),
            "func": func,
            "args": (),
            "kw": {},
        }
        return func

    return _scenario


def get_scenarios() -> list[dict[str, Any]]:
    """The registered scenarios, sorted by name."""
    return [_registry.scenarios[k] for k in sorted(_registry.scenarios)]


def _fixture(kind: str, coroutine: bool) -> Callable[..., Any]:
    def decorator(*args: Any) -> Any:
        def register(func: F) -> F:
            _check(func, kind, coroutine)
            if kind in _registry.fixtures:
                raise MolotovError(
                    f"there can be only one @{kind}: {_where(_registry.fixtures[kind])} and {_where(func)}"
                )
            _registry.fixtures[kind] = func
            return func

        if len(args) == 1 and callable(args[0]):
            # Used bare: @setup
            return register(args[0])
        if args:
            raise MolotovError(f"@{kind}() takes no arguments")
        return register

    decorator.__name__ = kind
    decorator.__doc__ = f"Registers the {kind} fixture."
    return decorator


scenario_picker = _fixture("scenario_picker", coroutine=False)
global_setup = _fixture("global_setup", coroutine=False)
setup = _fixture("setup", coroutine=True)
setup_session = _fixture("setup_session", coroutine=True)
teardown_session = _fixture("teardown_session", coroutine=True)
teardown = _fixture("teardown", coroutine=False)
global_teardown = _fixture("global_teardown", coroutine=False)


def events(*args: Any) -> Any:
    """Registers a coroutine ``async def handler(event, **info)`` called for every event."""

    def register(func: F) -> F:
        _check(func, "events", coroutine=True)
        _registry.events.append(func)
        return func

    if len(args) == 1 and callable(args[0]):
        return register(args[0])
    if args:
        raise MolotovError("@events() takes no arguments")
    return register


def set_var(name: str, value: Any) -> None:
    """Sets a variable shared by every fixture and scenario."""
    _registry.vars[name] = value


def get_var(name: str, factory: Optional[Callable[[], Any]] = None) -> Any:
    """The variable ``name``; if it is not set and ``factory`` is given, sets it to
    ``factory()`` first. ``None`` if it is not set."""
    if name not in _registry.vars and factory is not None:
        _registry.vars[name] = factory()
    return _registry.vars.get(name)
