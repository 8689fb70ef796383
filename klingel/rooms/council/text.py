"""What a person may type into the council mode: names, titles and motion texts.

Attributable contributions (requirement 5 of the notes, NRW DigiSiVO § 2 (4)) need names that
show as typed: no control, format (bidi overrides, zero-width) or separator characters that
could disguise one member as another in the minutes.
"""

from __future__ import annotations

import re
import unicodedata

from klingel.rooms.council.errors import CouncilCode, CouncilError

__all__ = ["clean_text", "parse_id"]

_FORBIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def clean_text(
    text: str, what: str, limit: int, *, lines: bool = False, empty: bool = False
) -> str:
    """``text`` stripped; refused if empty (unless ``empty``), longer than ``limit`` or holding
    forbidden characters. With ``lines``, line breaks are kept as "\\n"."""
    if lines:
        cleaned = "\n".join(line.strip() for line in text.strip().splitlines())
    else:
        cleaned = text.strip()
    if not cleaned and not empty:
        raise CouncilError(CouncilCode.BAD_TEXT, f"The {what} may not be empty.")
    if len(cleaned) > limit:
        raise CouncilError(CouncilCode.BAD_TEXT, f"The {what} has at most {limit} characters.")
    if any(char != "\n" and unicodedata.category(char) in _FORBIDDEN for char in cleaned):
        raise CouncilError(CouncilCode.BAD_TEXT, f"The {what} may not hold control characters.")
    return cleaned


def parse_id(text: str, what: str) -> str:
    """An identifier as configured: ASCII letters, digits and ``_.:-``, at most 64."""
    if _ID.fullmatch(text) is None:
        raise CouncilError(CouncilCode.BAD_TEXT, f"This {what} id is not allowed.")
    return text
