"""Run every benchmark module (bench/bench_*.py) and print one line per figure."""
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
    with tempfile.TemporaryDirectory() as tmp:
        for figure in module.run(Path(tmp)):
            print(figure.line(), flush=True)
