"""Words and layout of the minutes' PDF: the page writer the sections draw with
(``minutes_pdf``). Every text is drawn with ``cell`` as plain text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from klingel.rooms.council.minutes_model import MemberRecord, Minutes, moment
from klingel.rooms.council.minutes_text import Language

__all__ = ["DASH", "FAMILY", "LINE", "SIZE", "TIME_ZONE", "MinutesPage", "local_time"]

TIME_ZONE = ZoneInfo("Europe/Berlin")
FAMILY = "DejaVu"
SIZE = 10
DASH = "\N{EN DASH}"
LINE = 5.0
_LABEL_WIDTH = 55.0


class MinutesPage:
    """Writes the minutes' lines onto ``pdf`` in ``language``."""

    def __init__(
        self, pdf: FPDF, labels: dict[str, str], language: Language, minutes: Minutes
    ) -> None:
        self.pdf = pdf
        self.t = labels
        self.language: Language = language
        self.minutes = minutes
        self.names: dict[str, MemberRecord] = {m.id: m for m in minutes.members}
        session = minutes.session
        start = local_time(
            session.opened_at if session.opened_at is not None else session.starts_at
        )
        self.day: date | None = None if start is None else start.date()
        self._widths: dict[tuple[str, str, float], dict[str, float]] = {}

    # --- words ------------------------------------------------------------------------

    def name(self, member: str | None) -> str:
        found = None if member is None else self.names.get(member)
        if found is None:
            return member or ""
        return f"{found.name} ({found.faction})" if found.faction else found.name

    def date(self, at: float | None) -> str:
        local = None if at is None else local_time(at)
        if local is None:
            return DASH
        return local.strftime("%d.%m.%Y" if self.language == "de" else "%Y-%m-%d")

    def clock(self, at: float | None, *, until: bool = False) -> str:
        """A time of the day; another day's with its date. ``until``: None is the end."""
        if at is None:
            return self.t["until_end"] if until else DASH
        local = local_time(at)
        if local is None:
            return DASH
        text = local.strftime("%H:%M:%S")
        return text if local.date() == self.day else f"{self.date(at)} {text}"

    def span(self, start: float, end: float | None) -> str:
        return f"{self.clock(start)} {DASH} {self.clock(end, until=True)}"

    def item(self, number: str | None) -> str:
        return self.t["no_item"] if number is None else f"{self.t['item']} {number}"

    # --- layout -----------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.pdf.get_y() > self.pdf.h - 50:
            self.pdf.add_page()
        self.pdf.ln(4)
        self.block(text, size=13, height=7, bold=True)
        self.pdf.ln(1)

    def block(
        self,
        text: str,
        *,
        size: float = SIZE,
        height: float = LINE,
        bold: bool = False,
        indent: float = 0.0,
    ) -> None:
        """``text`` as it is, left-aligned, in rows that fit the page (one per line break)."""
        style = "B" if bold else ""
        self.pdf.set_font(FAMILY, style, size)
        width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin - indent
        for row in self.wrap(text, width - 2 * self.pdf.c_margin):
            self.pdf.set_x(self.pdf.l_margin + indent)
            self.pdf.cell(width, height, row, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def line(self, text: str, *, bold: bool = False, indent: float = 0.0) -> None:
        self.block(text, bold=bold, indent=indent)

    def pair(self, label: str, value: str) -> None:
        self.pdf.set_font(FAMILY, "B", SIZE)
        self.pdf.cell(_LABEL_WIDTH, LINE, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.block(value, indent=_LABEL_WIDTH)

    def wrap(self, text: str, limit: float) -> list[str]:
        """``text`` broken into rows no wider than ``limit`` in the current font: at spaces,
        and a word wider than a row between its characters.

        fpdf2's own ``multi_cell`` measures each row anew for every character it adds, which
        is slow for the long lists of names a large council's minutes hold; this measures
        each character once."""
        space = self.width(" ")
        rows: list[str] = []
        for paragraph in text.split("\n"):
            row: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                width = self.width(word)
                if row and used + space + width > limit:
                    rows.append(" ".join(row))
                    row, used = [], 0.0
                if not row and width > limit:
                    *whole, word = self.split_word(word, limit)
                    rows.extend(whole)
                    width = self.width(word)
                used += width + (space if row else 0.0)
                row.append(word)
            rows.append(" ".join(row))
        return rows

    def split_word(self, word: str, limit: float) -> list[str]:
        pieces: list[str] = []
        piece, used = "", 0.0
        for char in word:
            width = self.width(char)
            if piece and used + width > limit:
                pieces.append(piece)
                piece, used = "", 0.0
            piece += char
            used += width
        pieces.append(piece)
        return pieces

    def width(self, text: str) -> float:
        """The width of ``text`` in the current font, from each character's width."""
        font = (self.pdf.font_family, self.pdf.font_style, self.pdf.font_size_pt)
        widths = self._widths.setdefault(font, {})
        total = 0.0
        for char in text:
            width = widths.get(char)
            if width is None:
                width = widths[char] = self.pdf.get_string_width(char)
            total += width
        return total

    def lines(self, texts: Iterable[str]) -> None:
        written = False
        for text in texts:
            self.line(text)
            written = True
        if not written:
            self.line(self.t["none"])


def local_time(at: float) -> datetime | None:
    """``at`` in the town's time; None beyond what a datetime holds."""
    when = moment(at)
    try:
        return None if when is None else when.astimezone(TIME_ZONE)
    except (OverflowError, ValueError):
        return None
