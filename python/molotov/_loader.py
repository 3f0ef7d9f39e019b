"""Imports a load-test script and its extensions, by path or by module name, as Molotov does,
turning every way that can fail into one clear line (file, line, what went wrong)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType

from ._api import MolotovError, _registry


class LoadError(Exception):
    """A script or extension could not be loaded; the message says where and why."""


def _location(exc: BaseException, path: str | None) -> str:
    """The deepest frame of the traceback that is in the user's file (or any user file)."""
    if isinstance(exc, SyntaxError):
        where = exc.filename or path or "?"
        return f"{where}, line {exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    here = os.path.dirname(os.path.abspath(__file__))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(here)
            and "importlib" not in f.filename]
    if path is not None:
        mine = [f for f in user if os.path.abspath(f.filename) == os.path.abspath(path)]
        user = mine or user
    if not user:
        return path or "?"
    frame = user[-1]
    return f"{frame.filename}, line {frame.lineno}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load(target: str, name: str) -> ModuleType:
    """Imports ``target``: an existing file path is executed as module ``name`` with its
    directory on ``sys.path`` (so it can import its neighbours); anything else is imported as
    a module name."""
    if os.path.exists(target):
        path = os.path.abspath(target)
        if os.path.isdir(path):
            raise LoadError(f"cannot load {target!r}: it is a directory, not a Python file")
        directory = os.path.dirname(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise LoadError(f"cannot load {target!r}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except MolotovError as exc:
            raise LoadError(f"{exc}") from None
        except Exception as exc:  # noqa: BLE001 - any error in user code is reported
            raise LoadError(f"cannot load {target} ({_location(exc, path)}): {_describe(exc)}") from None
        return module
    if target.endswith(".py") or os.sep in target:
        raise LoadError(f"cannot import {target!r}: no such file")
    try:
        module = importlib.import_module(target)
    except MolotovError as exc:
        raise LoadError(f"{exc}") from None
    except ModuleNotFoundError as exc:
        if exc.name and target.startswith(exc.name):
            raise LoadError(f"cannot import {target!r}: no such file or module") from None
        raise LoadError(f"cannot import {target!r} ({_location(exc, None)}): {_describe(exc)}") from None
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"cannot import {target!r} ({_location(exc, None)}): {_describe(exc)}") from None
    directory = os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or "."))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    return module


def load_all(script: str, extensions: list[str]) -> None:
    """Loads the extensions, then the script; the registry then holds what they define."""
    _registry.reset()
    for index, extension in enumerate(extensions):
        load(extension, f"molotov_extension_{index}")
    load(script, "loadtest")
    if not _registry.scenarios:
        raise LoadError(f"no scenario found in {script}: decorate a coroutine with @molotov.scenario")
