"""Scripts and extensions load as Molotov loads them; every way loading can fail is one
``error:`` line and exit code 2."""


SCENARIO = """
import molotov

@molotov.scenario()
async def hello(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200
"""

EXTENSION = """
import molotov

@molotov.events()
async def on_event(event, **info):
    if event == "scenario_start":
        with open("{log}", "a") as f:
            f.write("{tag} " + info["scenario"]["name"] + "\\n")
"""


def _only_error_line(result):
    assert result.code == 2, result
    errors = result.error_lines()
    assert len(errors) == 1, result
    assert "Traceback" not in result.output, result
    return errors[0]


def test_a_script_loads_by_path(molotov):
    path = molotov.write(SCENARIO, "by_path.py")
    result = molotov.run("-r", "2", str(path), cwd=molotov.dir.parent)
    assert result.code == 0, result
    assert result.scenario("hello")["successes"] == 2, result


def test_a_script_loads_by_module_name_from_pythonpath(molotov):
    molotov.write(SCENARIO, "my_load_module.py")
    elsewhere = molotov.dir / "elsewhere"
    elsewhere.mkdir()
    result = molotov.run("-r", "1", "my_load_module", cwd=elsewhere,
                         env={"PYTHONPATH": str(molotov.dir)})
    assert result.code == 0, result
    assert result.scenario("hello")["successes"] == 1, result


def test_a_dotted_module_name_loads_from_a_package(molotov):
    molotov.write("", "pkg/__init__.py")
    molotov.write(SCENARIO, "pkg/scenarios.py")
    result = molotov.run("-r", "1", "pkg.scenarios", env={"PYTHONPATH": str(molotov.dir)})
    assert result.code == 0, result
    assert result.scenario("hello")["successes"] == 1, result


def test_loadtest_py_in_the_current_directory_is_the_default_script(molotov):
    molotov.write(SCENARIO, "loadtest.py")
    result = molotov.run("-r", "1")
    assert result.code == 0, result
    assert result.scenario("hello")["successes"] == 1, result


def test_a_script_can_import_a_module_next_to_it(molotov):
    molotov.write("""
        API = "http://localhost:8080"

        def check(status):
            assert status == 200
    """, "project/mylib.py")
    path = molotov.write("""
        import molotov
        from mylib import API, check

        @molotov.scenario()
        async def with_lib(session):
            async with session.get(API) as resp:
                check(resp.status)
    """, "project/example9.py")
    elsewhere = molotov.dir / "elsewhere"
    elsewhere.mkdir()
    result = molotov.run("-r", "1", str(path), cwd=elsewhere)
    assert result.code == 0, result
    assert result.scenario("with_lib")["successes"] == 1, result


def test_an_extension_adds_its_events_and_the_script_still_runs(molotov):
    ext = molotov.write(EXTENSION.replace("{tag}", "ext"), "ext.py")
    script = molotov.write(SCENARIO, "script.py")
    result = molotov.run("-r", "2", "--use-extension", str(ext), str(script))
    assert result.code == 0, result
    assert result.scenario("hello")["successes"] == 2, result
    assert molotov.lines() == ["ext hello", "ext hello"]


def test_an_extension_can_define_fixtures(molotov):
    ext = molotov.write("""
        import molotov

        @molotov.setup()
        async def init(worker_id, args):
            return {"headers": {"X-Ext": "on"}}

        @molotov.global_teardown()
        def end():
            with open("{log}", "a") as f:
                f.write("extension teardown\\n")
    """, "fixtures_ext.py")
    script = molotov.write("""
        import molotov

        @molotov.scenario()
        async def uses_header(session):
            async with session.get("http://localhost:8080/echo") as resp:
                assert (await resp.json())["headers"]["x-ext"] == "on"
    """, "script.py")
    result = molotov.run("-r", "1", "--use-extension", str(ext), str(script))
    assert result.code == 0, result
    assert result.scenario("uses_header")["successes"] == 1, result
    assert molotov.lines() == ["extension teardown"]


def test_several_extensions_are_all_active(molotov):
    first = molotov.write(EXTENSION.replace("{tag}", "first"), "first.py")
    second = molotov.write(EXTENSION.replace("{tag}", "second"), "second.py")
    script = molotov.write(SCENARIO, "script.py")
    result = molotov.run("-r", "1", "--use-extension", str(first),
                         "--use-extension", str(second), str(script))
    assert result.code == 0, result
    assert sorted(molotov.lines()) == ["first hello", "second hello"]


def test_an_extension_loads_by_module_name(molotov):
    molotov.write(EXTENSION.replace("{tag}", "module"), "ext_module.py")
    script = molotov.write(SCENARIO, "script.py")
    result = molotov.run("-r", "1", "--use-extension", "ext_module", str(script),
                         env={"PYTHONPATH": str(molotov.dir)})
    assert result.code == 0, result
    assert molotov.lines() == ["module hello"]


def test_a_missing_extension_is_a_usage_error(molotov):
    script = molotov.write(SCENARIO, "script.py")
    result = molotov.run("-r", "1", "--use-extension", "no_such_ext.py", str(script),
                         json_results=False)
    assert "no_such_ext.py" in _only_error_line(result)


def test_a_syntax_error_is_one_error_line_with_file_and_line(molotov):
    path = molotov.write("""
        import molotov

        @molotov.scenario()
        async def broken(session):
            x = (
    """, "broken.py")
    line = _only_error_line(molotov.run("-r", "1", str(path), json_results=False))
    assert "broken.py" in line and "line 6" in line and "SyntaxError" in line, line


def test_an_exception_at_import_is_one_error_line_with_file_and_line(molotov):
    path = molotov.write("""
        import molotov

        raise RuntimeError("bad config")
    """, "raises.py")
    line = _only_error_line(molotov.run("-r", "1", str(path), json_results=False))
    assert "raises.py" in line and "line 4" in line and "bad config" in line, line


def test_a_missing_module_import_is_one_error_line_naming_it(molotov):
    path = molotov.write("""
        import molotov
        import no_such_module_for_molotov
    """, "imports.py")
    line = _only_error_line(molotov.run("-r", "1", str(path), json_results=False))
    assert "no_such_module_for_molotov" in line and "imports.py" in line, line


def test_a_missing_script_is_a_usage_error(molotov):
    line = _only_error_line(molotov.run("-r", "1", "does_not_exist.py", json_results=False))
    assert "does_not_exist.py" in line


def test_a_missing_module_name_is_a_usage_error(molotov):
    line = _only_error_line(molotov.run("-r", "1", "does_not_exist_module", json_results=False))
    assert "does_not_exist_module" in line


def test_a_script_without_scenario_is_a_usage_error(molotov):
    path = molotov.write("import molotov\n", "empty.py")
    line = _only_error_line(molotov.run("-r", "1", str(path), json_results=False))
    assert "no scenario" in line


def test_a_script_with_only_weight_0_scenarios_is_a_usage_error(molotov):
    path = molotov.write("""
        import molotov

        @molotov.scenario(weight=0)
        async def off(session):
            pass
    """, "zero.py")
    line = _only_error_line(molotov.run("-r", "1", str(path), json_results=False))
    assert "no scenario" in line


def test_a_directory_is_not_a_script(molotov):
    (molotov.dir / "adir").mkdir()
    line = _only_error_line(molotov.run("-r", "1", str(molotov.dir / "adir"), json_results=False))
    assert "adir" in line
