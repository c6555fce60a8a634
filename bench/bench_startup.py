"""`tight --list` start-up time against `python -c "import invoke"`."""
from pathlib import Path

from .common import PY, Figure, median_interleaved, wall


def run(tmp):
    script = Path(PY).parent / "tight"
    command = [str(script)] if script.exists() else [PY, "-m", "tight_tasks"]
    listing, baseline = median_interleaved(
        lambda: wall([*command, "--list"], cwd=tmp),
        lambda: wall([PY, "-c", "import invoke"], cwd=tmp),
    )
    yield Figure("tight --list", listing, 'python -c "import invoke"', baseline, target=1.15)
