"""Run every benchmark module (bench/bench_*.py) and print one line per figure.

``python -m bench WORD`` runs only the modules whose name contains WORD; a module
with ``EXPLICIT = True`` (a slow one, such as bench_install) runs only when named so.
"""
import importlib
import sys
import tempfile
from pathlib import Path

here = Path(__file__).parent
wanted = sys.argv[1] if len(sys.argv) > 1 else ""
for path in sorted(here.glob("bench_*.py")):
    if wanted not in path.stem:
        continue
    module = importlib.import_module(f"bench.{path.stem}")
    if getattr(module, "EXPLICIT", False) and not wanted:
        print(f"{path.stem}: skipped (slow; run it with `inv bench --only {path.stem.removeprefix('bench_')}`)")
        continue
    with tempfile.TemporaryDirectory() as tmp:
        for figure in module.run(Path(tmp)):
            print(figure.line(), flush=True)
