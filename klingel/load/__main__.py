"""``python -m klingel.load``: the ``klingel-load`` command."""

import sys

from klingel.load.cli import main

sys.exit(main())
