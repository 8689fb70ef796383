"""The fuzz tests drive the SFU with the raw test peer of the integration tests."""

from __future__ import annotations

import sys
from pathlib import Path

# The test folders are not packages: make the integration tests' support module importable
# when only this folder is collected.
_INTEGRATION = str(Path(__file__).parent.parent / "integration")
if _INTEGRATION not in sys.path:
    sys.path.append(_INTEGRATION)
