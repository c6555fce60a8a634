"""Moved to :mod:`tight.dev.env`; this name stays for apps that import it."""
import sys

from tight.dev import env

sys.modules[__name__] = env
