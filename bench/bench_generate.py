"""generate.app against `import invoke`; generate.function against pytest on its two test files."""
import shutil
import subprocess

from .common import PY, Figure, median_interleaved, wall

TESTS = [
    "tests/functions/unit/my_controller/test_unit_my_controller.py",
    "tests/functions/integration/my_controller/test_integration_my_controller.py",
]


def run(tmp):
    counter = iter(range(10**6))

    def gen_app():
        return wall([PY, "-m", "tight_tasks", "generate.app", f"app{next(counter)}"], cwd=tmp)

    app_time, baseline = median_interleaved(gen_app, lambda: wall([PY, "-c", "import invoke"], cwd=tmp))
    yield Figure("generate.app", app_time, 'python -c "import invoke"', baseline)

    subprocess.run([PY, "-m", "tight_tasks", "generate.app", "svc"], cwd=tmp, check=True, capture_output=True)
    app = tmp / "svc"

    def clean():
        shutil.rmtree(app / "app/functions/my_controller", ignore_errors=True)
        shutil.rmtree(app / "tests/functions/unit/my_controller", ignore_errors=True)
        shutil.rmtree(app / "tests/functions/integration/my_controller", ignore_errors=True)

    def gen_function():
        clean()
        return wall([PY, "-m", "tight_tasks", "generate.function", "my_controller"], cwd=app)

    def pytest_only():
        return wall([PY, "-m", "pytest", "--rootdir", str(app), *TESTS], cwd=app)

    subprocess.run([PY, "-m", "tight_tasks", "generate.function", "my_controller"], cwd=app, check=True,
                   capture_output=True)
    function_time, pytest_time = median_interleaved(gen_function, pytest_only)
    yield Figure("generate.function", function_time, "python -m pytest (same 2 files)", pytest_time, target=1.3)
