"""``python -m scdata.sandbox``: run the emulator in the foreground (see :func:`main`)."""

from __future__ import annotations

import sys

from scdata.sandbox.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
