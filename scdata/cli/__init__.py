"""The scdata command line: ``scdata`` and ``python -m scdata``."""

from .main import main

__all__ = ["main"]
