"""``python -m expdecay``: the command line (see :mod:`expdecay.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
