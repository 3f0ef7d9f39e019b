"""``molostart``: a project that runs as generated, made from flags or from answers on stdin,
never over existing files, with a Makefile that installs this molotov."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import molotov
from molotov import _quickstart as quickstart

from conftest import RUN_TIMEOUT, command, run_process

MOLOSTART = command("molostart", "molotov._quickstart")
FILES = ["Makefile", "loadtest.py", "molotov.json"]


def molostart(*args: str, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Runs molostart with ``stdin`` as its input (closed when None)."""
    return subprocess.run([*MOLOSTART, *args], cwd=cwd, input=stdin if stdin is not None else "",
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)


def test_flags_answer_every_question(tmp_path):
    done = molostart("--directory", "project", "--makefile", cwd=tmp_path)
    assert done.returncode == 0, done
    assert ">" not in done.stdout, "nothing is asked"
    assert sorted(p.name for p in (tmp_path / "project").iterdir()) == FILES
    assert "Go in 'project'" in done.stdout
    assert done.stdout.rstrip().endswith("Run 'make build' to get started...")


def test_answers_on_stdin_and_a_wrong_answer_is_asked_again(tmp_path):
    done = molostart(cwd=tmp_path, stdin="qs\nmaybe\nYES\n")
    assert done.returncode == 0, done
    assert done.stdout.count("> Create Makefile [y]: ") == 2
    assert done.stdout.count("Please answer y (yes) or n (no).") == 1
    assert sorted(p.name for p in (tmp_path / "qs").iterdir()) == FILES


def test_no_makefile_and_the_default_directory(tmp_path):
    done = molostart(cwd=tmp_path, stdin="\nN\n")
    assert done.returncode == 0, done
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loadtest.py", "molotov.json"]
    assert "Run 'molotov --config molotov.json smoke' to get started..." in done.stdout


def test_yes_takes_the_defaults_of_the_questions_left(tmp_path):
    done = molostart("--yes", cwd=tmp_path)
    assert done.returncode == 0, done
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES
    only_one = molostart("--yes", "--no-makefile", "--directory", "other", cwd=tmp_path)
    assert only_one.returncode == 0, only_one
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["loadtest.py", "molotov.json"]


def test_end_of_input_is_an_error_and_writes_nothing(tmp_path):
    done = molostart(cwd=tmp_path, stdin="")
    assert done.returncode == 2, done
    assert done.stderr.strip() == (
        'error: no answer to "Target directory" (standard input is closed): '
        "give --directory and --makefile/--no-makefile, or --yes")
    half = molostart("--directory", "d", cwd=tmp_path, stdin="")
    assert half.returncode == 2, half
    assert "Create Makefile" in half.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_files_stop_it_before_anything_is_written(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "molotov.json").write_text("mine")
    done = molostart("--directory", "project", "--makefile", cwd=tmp_path)
    assert done.returncode == 1, done
    assert done.stderr.strip() == "error: project/molotov.json already exists"
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["molotov.json"]
    assert (project / "molotov.json").read_text() == "mine"


def test_the_generated_smoke_test_runs_green_against_localhost_8080(tmp_path, fresh_molotov):
    done = molostart("--directory", "project", "--makefile", cwd=tmp_path)
    assert done.returncode == 0, done
    project = tmp_path / "project"
    assert 'http://localhost:8080' in (project / "loadtest.py").read_text()
    result = fresh_molotov.run("--config", "molotov.json", "smoke", cwd=project)
    assert result.code == 0, result
    assert result.results["failures"] == 0, result
    assert result.results["fixture_failures"] == [], result
    successes = result.results["successes"]
    for name in ("scenario_one", "scenario_two", "scenario_three"):
        assert result.scenario(name)["successes"] > 0, result
    # Each scenario run sends one request.
    assert fresh_molotov.target.requests("/") == successes > 0


def test_the_config_has_the_documented_tests():
    tests = json.loads(quickstart.render(makefile=False)["molotov.json"])["molotov"]["tests"]
    assert tests == {
        "big": {"duration": 60, "processes": 10, "workers": 100, "scenario": "loadtest.py"},
        "small": {"duration": 60, "scenario": "loadtest.py"},
        "smoke": {"duration": 1, "scenario": "loadtest.py"},
    }


def test_the_makefile_builds_a_venv_with_this_molotov_and_runs_the_test(tmp_path):
    done = molostart("--directory", ".", "--makefile", cwd=tmp_path)
    assert done.returncode == 0, done
    makefile = (tmp_path / "Makefile").read_text()
    assert "\nbuild:" in makefile and "\ntest: build" in makefile
    assert "$(BIN)/molotov --config molotov.json $(TESTNAME)" in makefile
    assert f"MOLOTOV_SPEC ?= {quickstart.install_spec()}\n" in makefile
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = run_process(["make", "-n", "test"], cwd=tmp_path)
    assert dry.returncode == 0, dry
    lines = dry.stdout.splitlines()
    assert "python3 -m venv venv" in lines
    assert f'venv/bin/python -m pip install "{quickstart.install_spec()}"' in lines
    assert "venv/bin/molotov --config molotov.json smoke" in lines
    other = run_process(["make", "-n", "test", "TESTNAME=big", "MOLOTOV_SPEC=molotov-rs==1.0"],
                        cwd=tmp_path)
    assert 'venv/bin/python -m pip install "molotov-rs==1.0"' in other.stdout.splitlines()
    assert "venv/bin/molotov --config molotov.json big" in other.stdout.splitlines()


@pytest.mark.parametrize("info, spec", [
    ({"url": "file:///work/molotov", "dir_info": {"editable": True}}, "/work/molotov"),
    ({"url": "file:///work/molotov", "dir_info": {}}, "/work/molotov"),
    ({"url": "file:///tmp/dist/molotov-0.1.0-cp311-cp311-linux_x86_64.whl", "archive_info": {}},
     "/tmp/dist/molotov-0.1.0-cp311-cp311-linux_x86_64.whl"),
    ({"url": "https://example.com/molotov-0.1.0.tar.gz", "archive_info": {}},
     "https://example.com/molotov-0.1.0.tar.gz"),
    ({"url": "https://github.com/example/molotov.git",
      "vcs_info": {"vcs": "git", "commit_id": "abc123", "requested_revision": "main"}},
     "git+https://github.com/example/molotov.git@abc123"),
    ({"url": "https://github.com/example/mono.git", "vcs_info": {"vcs": "git", "commit_id": "f00"},
      "subdirectory": "py"},
     "git+https://github.com/example/mono.git@f00#subdirectory=py"),
    ({"dir_info": {}}, None),
])
def test_the_install_spec_reproduces_where_molotov_came_from(info, spec):
    assert quickstart.spec_from_direct_url(info) == spec


def test_the_install_spec_falls_back_to_the_version():
    spec = quickstart.install_spec()
    assert spec, spec
    if "==" in spec:
        assert spec == f"molotov=={molotov.__version__}"


def test_make_special_characters_are_escaped():
    makefile = quickstart.render(makefile=True, spec="/srv/a$b#c")["Makefile"]
    assert "MOLOTOV_SPEC ?= /srv/a$$b\\#c\n" in makefile


def test_version(tmp_path):
    done = molostart("--version", cwd=tmp_path)
    assert done.returncode == 0, done
    assert done.stdout.strip() == molotov.__version__
