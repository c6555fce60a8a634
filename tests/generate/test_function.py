"""generate.function end to end: files, its tests run and pass, refusals, honest failures."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import clean_env

FUNCTION_FILES = [
    "app/functions/my_controller/__init__.py",
    "app/functions/my_controller/handler.py",
    "tests/functions/unit/my_controller/test_unit_my_controller.py",
    "tests/functions/integration/my_controller/test_integration_my_controller.py",
    "tests/functions/integration/my_controller/expectations/test_get_method.yml",
    "tests/functions/integration/my_controller/placebos/.gitkeep",
]


@pytest.fixture
def app_dir(tight, tmp_path):
    assert tight("generate.app", "my_service", cwd=tmp_path).returncode == 0
    return tmp_path / "my_service"


def test_function_generated_and_its_tests_pass(tight, app_dir):
    result = tight("generate.function", "my_controller", cwd=app_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert result.stdout.strip().endswith("Successfully generated function and tests!")
    for relative in FUNCTION_FILES:
        assert (app_dir / relative).is_file(), relative
    handler = (app_dir / "app/functions/my_controller/handler.py").read_text()
    for method in ("get", "post", "put", "patch", "options", "delete"):
        assert f"@lambda_proxy.{method}\ndef {method}_handler(*args, **kwargs):" in handler


def test_app_index_serves_the_function(tight, app_dir):
    assert tight("generate.function", "my_controller", cwd=app_dir).returncode == 0
    code = textwrap.dedent("""
        import json, app_index
        response = app_index.my_controller({"httpMethod": "GET"}, {})
        print(response["statusCode"], json.loads(response["body"]))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=app_dir, capture_output=True, text=True,
                         env=clean_env(NAME="my-service", STAGE="dev"), check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "200 {'hello': 'world'}"


def test_existing_function_refused_untouched(tight, app_dir):
    assert tight("generate.function", "my_controller", cwd=app_dir).returncode == 0
    handler = app_dir / "app/functions/my_controller/handler.py"
    handler.write_text(handler.read_text() + "# mine\n")
    again = tight("generate.function", "my_controller", cwd=app_dir)
    assert again.returncode == 1 and "--force" in again.stderr
    assert handler.read_text().endswith("# mine\n")
    forced = tight("generate.function", "my_controller", "--force", cwd=app_dir)
    assert forced.returncode == 0, forced.stdout
    assert not handler.read_text().endswith("# mine\n")


@pytest.mark.parametrize("name", ["my-controller", "class", "../x", "9x"])
def test_bad_function_name_writes_nothing(tight, app_dir, name):
    before = sorted(p.relative_to(app_dir) for p in app_dir.rglob("*"))
    result = tight("generate.function", name, cwd=app_dir)
    assert result.returncode == 2
    assert "Python identifier" in result.stderr
    assert sorted(p.relative_to(app_dir) for p in app_dir.rglob("*")) == before


def test_unsupported_function_type(tight, app_dir):
    result = tight("generate.function", "f", "--type", "kinesis", cwd=app_dir)
    assert result.returncode == 2 and "lambda_proxy, sqs, schedule, s3, dynamodb_stream or authorizer" in result.stderr
    assert not (app_dir / "app/functions/f").exists()


def test_failing_tests_are_reported_honestly(tight, app_dir):
    # An app-wide fixture that breaks the generated integration test.
    (app_dir / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture
        def app():
            return object()
    """))
    result = tight("generate.function", "my_controller", cwd=app_dir)
    assert result.returncode == 1
    assert "1 failed" in result.stdout
    assert "Successfully generated" not in result.stdout
    assert "tests failed" in result.stderr
    assert (app_dir / "app/functions/my_controller/handler.py").is_file()


def test_app_tasks_py_composes_tight(tight, app_dir):
    """Plain `inv` in the app: tight's tasks beside the app's own, with tight.yml settings."""
    tasks = app_dir / "tasks.py"
    tasks.write_text(tasks.read_text() + textwrap.dedent('''

        @task
        def runtime(c):
            """Print the runtime from tight.yml."""
            from tight_tasks.config import settings
            print("runtime=" + settings(c)["runtime"])


        ns.add_task(runtime)
    '''))
    (app_dir / "tight.yml").write_text((app_dir / "tight.yml").read_text().replace("python3.12", "python3.13"))
    inv = [sys.executable, "-c", "import sys; from invoke.main import program; sys.argv[0] = 'inv'; program.run()"]
    listing = subprocess.run([*inv, "--list"], cwd=app_dir, capture_output=True, text=True, env=clean_env(), check=False)
    assert listing.returncode == 0, listing.stderr
    for name in ("generate.function", "pip.install", "dynamo.rundb", "env.show", "local.serve", "local.invoke",
                 "deploy.template", "test", "runtime"):
        assert name in listing.stdout
    invoked = subprocess.run([*inv, "local.invoke", "nope", "--no-db"], cwd=app_dir, capture_output=True,
                             text=True, env=clean_env(), check=False)
    assert (invoked.returncode, invoked.stderr) == (1, "No function 'nope' in app/functions (functions: none).\n")
    shown = subprocess.run([*inv, "runtime"], cwd=app_dir / "app", capture_output=True, text=True, env=clean_env(), check=False)
    assert shown.stdout.strip() == "runtime=python3.13", shown.stderr
    env = subprocess.run([*inv, "generate.env"], cwd=app_dir, capture_output=True, text=True, env=clean_env(), check=False)
    assert env.stdout.strip() == "{CI: false, NAME: my-service, STAGE: dev}", env.stderr


@pytest.mark.parametrize("name", ["os", "sys", "lambda_app"])
def test_names_app_index_binds_are_refused(tight, app_dir, name):
    """`app_index.os` is the os module: a function named os would be generated with failing tests and be
    unreachable on Lambda."""
    import ast

    from tight_tasks.naming import APP_INDEX_NAMES

    tree = ast.parse((app_dir / "app_index.py").read_text())
    bound = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    bound |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    assert {n for n in bound if not n.startswith("_")} == set(APP_INDEX_NAMES)
    result = tight("generate.function", name, cwd=app_dir)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"Invalid function name {name!r}: app_index.py uses it for itself, so Lambda's "
                             f"handler app_index.{name} could not reach the function; pick another name "
                             f"(e.g. {name}_api).\n")
    assert not (app_dir / "app" / "functions" / name).exists()
