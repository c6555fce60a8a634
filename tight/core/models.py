"""Moved to :mod:`tight.dev.models`; this name stays for apps that import it."""
import sys

from tight.dev import models

sys.modules[__name__] = models
