"""Shims only: generated apps and the pytest plugin's entry point import ``tight.core.*``.

The code lives in :mod:`tight.dev`; each module here makes its old name the same module object.
"""
