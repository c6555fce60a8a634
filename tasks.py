"""Development tasks of the tight-cli repository: inv test | inv lint | inv bench."""
import shlex
import sys

from invoke import task


@task(help={"k": "Only run tests matching this expression (pytest -k).", "x": "Stop at the first failure."})
def test(c, k=None, x=False):
    """Run the whole test suite (python -m pytest)."""
    args = [sys.executable, "-m", "pytest"]
    if k:
        args += ["-k", k]
    if x:
        args.append("-x")
    c.run(shlex.join(args), pty=False)


@task
def lint(c):
    """ruff check over the code, tests and benchmarks."""
    c.run(f"{sys.executable} -m ruff check tight_tasks tight tests bench tasks.py")


@task(help={"only": "Run only benchmarks whose module name contains this text."})
def bench(c, only=None):
    """Run every benchmark in bench/ and print median, baseline and ratio."""
    args = [sys.executable, "-m", "bench"]
    if only:
        args.append(only)
    c.run(shlex.join(args))
