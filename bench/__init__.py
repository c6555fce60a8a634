"""Benchmarks: `inv bench` (or `python -m bench [FILTER]`).

Each benchmark module defines ``run()`` yielding ``Figure`` objects. A figure
is the median of several runs next to a baseline measured in the same run.
"""
