"""The installed package: importable, versioned, typed, with its two console scripts."""

import os
import re

import molotov

from conftest import MOLOTOV, TARGET, run_process


def test_molotov_imports_and_has_a_version():
    assert isinstance(molotov.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", molotov.__version__)


def test_the_package_is_marked_as_typed():
    assert os.path.isfile(os.path.join(os.path.dirname(molotov.__file__), "py.typed"))


def test_the_public_api_is_exported():
    for name in ["scenario", "scenario_picker", "global_setup", "setup", "setup_session",
                 "teardown_session", "teardown", "global_teardown", "events", "set_var",
                 "get_var", "request", "json_request", "get_context", "get_scenarios"]:
        assert callable(getattr(molotov, name)), name
        assert name in molotov.__all__


def test_console_scripts_are_installed_next_to_the_interpreter():
    assert os.access(MOLOTOV, os.X_OK)
    assert os.access(TARGET, os.X_OK)


def test_molotov_version_prints_the_package_version():
    done = run_process([MOLOTOV, "--version"])
    assert done.returncode == 0, done
    assert molotov.__version__ in done.stdout


def test_molotov_help_lists_molotov_options():
    done = run_process([MOLOTOV, "--help"])
    assert done.returncode == 0, done
    for option in ["--single-run", "--workers", "--max-runs", "--use-extension", "--uvloop",
                   "--connect-to", "--json"]:
        assert option in done.stdout


def test_molotov_target_version_and_help_work():
    version = run_process([TARGET, "--version"])
    assert version.returncode == 0, version
    assert molotov.__version__ in version.stdout
    help_ = run_process([TARGET, "--help"])
    assert help_.returncode == 0, help_
    assert "--port" in help_.stdout


def test_a_bad_option_is_a_usage_error_with_exit_code_2(tmp_path):
    done = run_process([MOLOTOV, "--no-such-option"], cwd=tmp_path)
    assert done.returncode == 2, done
