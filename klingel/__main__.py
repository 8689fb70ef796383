"""``python -m klingel``."""

import sys

from klingel.cli import main

sys.exit(main())
