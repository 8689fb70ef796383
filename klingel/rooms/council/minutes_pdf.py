"""The minutes (Niederschrift) as a PDF for signature, with fpdf2 and the DejaVu fonts of
Debian's ``fonts-dejavu-core`` (docs/council.md, Minutes).

German by default, English on request; times in the town's time (Europe/Berlin). The SHA-256
of the JSON file is printed at the end, above the lines for the chair's and the clerk's
signatures, so a signed paper names the one JSON file it belongs to. What a person typed
(names, titles, motions, reasons) is only ever drawn as plain text: no markup, no page-number
alias, no template reads it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from klingel.rooms.council.minutes_layout import (
    DASH,
    FAMILY,
    LINE,
    SIZE,
    TIME_ZONE,
    MinutesPage,
)
from klingel.rooms.council.minutes_model import Minutes, PresenceRecord, VoteRecord, moment
from klingel.rooms.council.minutes_text import LABELS, Language, detail_text, rule_text

__all__ = ["BOLD_FONT", "FONT_DIR", "REGULAR_FONT", "FontMissingError", "minutes_pdf"]

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR_FONT = "DejaVuSans.ttf"
BOLD_FONT = "DejaVuSans-Bold.ttf"


class FontMissingError(RuntimeError):
    """The DejaVu fonts are not installed (Debian: ``apt-get install fonts-dejavu-core``)."""


def minutes_pdf(
    minutes: Minutes, digest: str, language: Language = "de", *, fonts: Path = FONT_DIR
) -> bytes:
    """The minutes as PDF; ``digest``: the SHA-256 (hex) of their JSON file."""
    if language not in LABELS:
        raise ValueError(f"no minutes in language {language!r}")
    regular, bold = fonts / REGULAR_FONT, fonts / BOLD_FONT
    missing = [str(path) for path in (regular, bold) if not path.is_file()]
    if missing:
        raise FontMissingError(
            f"The minutes need the DejaVu fonts ({', '.join(missing)} missing): "
            "install Debian's fonts-dejavu-core."
        )
    # Drawn twice: the first time counts the pages that "page n of m" names.
    counted = _render(minutes, digest, language, regular, bold, pages=0)
    return bytes(_render(minutes, digest, language, regular, bold, counted.pages_count).output())


class _Document(FPDF):
    def __init__(self, footer: str, page_label: str, pages: int) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer = footer
        self._page_label = page_label
        self._pages = pages

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        width = (self.w - self.l_margin - self.r_margin) / 2
        self.cell(width, 5, self._footer, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pages = str(self._pages) if self._pages else "?"
        label = self._page_label.format(page=self.page_no(), pages=pages)
        self.cell(width, 5, label, align="R")


def _render(
    minutes: Minutes, digest: str, language: Language, regular: Path, bold: Path, pages: int
) -> _Document:
    labels = LABELS[language]
    session = minutes.session
    pdf = _Document(f"{labels['title']} {session.session_id}", labels["page"], pages)
    pdf.str_alias_nb_pages = ""  # no alias: "{nb}" in a typed name stays "{nb}"
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(f"{labels['title']} {session.body_id} {session.session_id}")
    pdf.set_lang(language)
    last = session.closed_at if session.closed_at is not None else session.opened_at
    created = moment(last if last is not None else session.starts_at)
    pdf.set_creation_date(created or datetime.fromtimestamp(0, TIME_ZONE))
    pdf.add_page()
    _Sections(pdf, labels, language, minutes).write(digest)
    return pdf


class _Sections(MinutesPage):
    """The parts of the minutes in their order, then the digest and the signatures."""

    def write(self, digest: str) -> None:
        self.session()
        self.attendance()
        self.quorum()
        self.agenda()
        self.votes()
        self.bias()
        self.speakers()
        self.disruptions()
        self.closing(digest)

    def session(self) -> None:
        t, s = self.t, self.minutes.session
        self.block(t["title"], size=20, height=10, bold=True)
        self.block(s.body_name, size=14, height=7, bold=True)
        self.block(s.title, size=12, height=6)
        self.pdf.ln(3)
        self.pair(t["body"], f"{s.body_name} ({s.body_id})")
        self.pair(t["session_id"], s.session_id)
        self.pair(t["date"], self.date(s.opened_at if s.opened_at is not None else s.starts_at))
        self.pair(t["starts_at"], f"{self.date(s.starts_at)} {self.clock(s.starts_at)}")
        if s.place:
            self.pair(t["place"], s.place)
        self.pair(t["opened"], self.clock(s.opened_at))
        self.pair(t["closed"], t["draft"] if s.closed_at is None else self.clock(s.closed_at))
        self.pair(t["legal_size"], str(s.legal_size))
        rule = t[f"quorum_rule_{s.quorum_rule}"]
        self.pair(t["quorum_needed"], f"{s.quorum_needed} ({rule})")
        self.pdf.ln(1)
        self.line(t["times_note"])

    def attendance(self) -> None:
        self.heading(self.t["attendance"])
        for member in self.minutes.members:
            role = f", {self.t['chair']}" if member.role == "chair" else ""
            self.line(self.name(member.id) + role, bold=True)
            stretches = [p for p in self.minutes.attendance if p.member == member.id]
            for presence in stretches:
                self.line(self.presence(presence), indent=5)
            if not stretches:
                self.line(self.t["absent"], indent=5)

    def presence(self, presence: PresenceRecord) -> str:
        text = f"{self.t[presence.place]}: {self.span(presence.joined_at, presence.left_at)}"
        if presence.place == "hall":
            return text
        if not presence.live:
            return f"{text}; {self.t['never_live']}"
        live = ", ".join(self.span(span.start, span.end) for span in presence.live)
        return f"{text}; {self.t['live']}: {live}"

    def quorum(self) -> None:
        self.heading(self.t["quorum"])
        t = self.t
        self.lines(
            f"{self.clock(q.at)} {t['occasion_' + q.occasion].format(vote=q.vote_id)}: "
            f"{t['counted_of'].format(counted=q.counted, needed=q.needed, legal=q.legal_size)}"
            f" {DASH} {t['reached'] if q.reached else t['not_reached']}"
            for q in self.minutes.quorum
        )

    def agenda(self) -> None:
        t = self.t
        self.heading(t["agenda"])
        for item in self.minutes.items:
            public = t["public"] if item.public else t["non_public"]
            self.line(f"{self.item(item.number)} {item.title} ({public})", bold=True)
            for index, motion in enumerate(item.motions, start=1):
                self.line(f"{t['motion']} {index}: {motion}", indent=5)
        self.pdf.ln(2)
        self.line(t["calls"], bold=True)
        calls = []
        for call in self.minutes.calls:
            text = f"{self.clock(call.at)} {self.item(call.item)} {t['called']} "
            text += f"({t['public'] if call.public else t['non_public']})"
            if call.public_changed:
                text += f"; {t['public_resumed'] if call.public else t['public_stopped']}"
            calls.append(text)
        self.lines(calls)

    def votes(self) -> None:
        self.heading(self.t["votes"])
        if not self.minutes.votes:
            self.line(self.t["none"])
        for vote in self.minutes.votes:
            self.vote(vote)

    def vote(self, vote: VoteRecord) -> None:
        t = self.t
        self.pdf.ln(1)
        motion = f"{self.item(vote.item)}, {t['motion']} {vote.motion + 1}"
        self.line(f"{t['vote']} {vote.vote_id} {DASH} {motion}", bold=True)
        self.line(vote.motion_text, indent=5)
        times = f"{t['closed_at']} {self.clock(vote.closed_at)}"
        if vote.opened_at is not None:
            times = f"{t['opened_at']} {self.clock(vote.opened_at)}, {times}"
        self.line(f"{t['kind']}: {t['kind_' + vote.kind]}; {times}", indent=5)
        self.line(f"{t['eligible']}: {vote.eligible_count}", indent=5)
        if vote.biased:
            biased = ", ".join(self.name(m) for m in vote.biased)
            self.line(f"{t['biased_excluded']}: {biased}", indent=5)
        counts = vote.counts
        result = f"{t['result']}: {t['outcome_' + vote.outcome]}"
        if vote.outcome != "by_post":
            result += (
                f" {DASH} {t['yes']} {counts.yes}, {t['no']} {counts.no}, "
                f"{t['abstain']} {counts.abstain}"
            )
            hall = vote.hall
            if hall.yes or hall.no or hall.abstain:
                result += (
                    f" ({t['hall_counts']}: {t['yes']} {hall.yes}, {t['no']} {hall.no}, "
                    f"{t['abstain']} {hall.abstain})"
                )
        self.line(result, indent=5)
        if vote.ballots:
            ballots = "; ".join(f"{b.name}: {t[b.choice]}" for b in vote.ballots)
            self.line(f"{t['ballots']}: {ballots}", indent=5)
        voted = {b.member for b in vote.ballots}
        silent = [self.name(m) for m in vote.eligible if m not in voted]
        if silent:
            self.line(f"{t['no_ballot']}: {', '.join(silent)}", indent=5)
        changes = [
            f"{self.clock(b.at)} {self.name(b.member)}: {t[b.choice]} "
            f"({t['changed_from']} {t[b.before]})"
            for b in vote.ballot_log
            if b.before is not None
        ]
        if changes:
            self.line(f"{t['ballot_changes']}: {'; '.join(changes)}", indent=5)
        if vote.outcome != "by_post":
            self.line(f"{t['rule']}: {rule_text(vote.rule, self.language)}", indent=5)

    def bias(self) -> None:
        t = self.t
        self.heading(t["bias"])
        self.lines(
            f"{self.clock(b.at)} {self.item(b.item)}: {self.name(b.member)} {DASH} "
            f"{t['bias_marked'] if b.marked else t['bias_lifted']}"
            for b in sorted(self.minutes.bias, key=lambda b: (_item_key(b.item), b.at))
        )

    def speakers(self) -> None:
        t = self.t
        self.heading(t["speakers"])
        entries = []
        for turn in self.minutes.speakers:
            text = f"{self.item(turn.item)}: {self.name(turn.member)}, "
            text += self.span(turn.started_at, turn.ended_at)
            if turn.point_of_order:
                text += f"; {t['point_of_order']}"
            if turn.limit is not None:
                text += f"; {t['limit'].format(seconds=round(turn.limit))}"
            entries.append(text)
        self.lines(entries)

    def disruptions(self) -> None:
        t = self.t
        self.heading(t["disruptions"])
        entries: list[tuple[float, str]] = []
        for fault in self.minutes.faults:
            text = f"{self.clock(fault.at)} {t['fault_' + fault.side]}"
            if fault.member is not None:
                text += f": {self.name(fault.member)}"
            if fault.detail:
                text += f" {DASH} {detail_text(fault.detail, self.language)}"
            text += f" ({t['remote_counted'].format(count=fault.remote_counted)})"
            entries.append((fault.at, text))
        for pause in self.minutes.pauses:
            end = t["not_resumed"] if pause.resumed_at is None else self.clock(pause.resumed_at)
            text = f"{self.clock(pause.at)} {DASH} {end} {t['pause']}: {pause.reason}"
            entries.append((pause.at, text))
        self.lines(text for _, text in sorted(entries, key=lambda entry: entry[0]))

    def closing(self, digest: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 75:
            pdf.add_page()
        pdf.ln(8)
        self.line(self.t["digest"], bold=True)
        self.line(digest)
        pdf.ln(22)
        width = (pdf.w - pdf.l_margin - pdf.r_margin - 20) / 2
        y = pdf.get_y()
        for index, label in enumerate((self.t["signature_chair"], self.t["signature_clerk"])):
            x = pdf.l_margin + index * (width + 20)
            pdf.line(x, y, x + width, y)
            pdf.set_xy(x, y + 1)
            pdf.set_font(FAMILY, "", SIZE)
            pdf.cell(width, LINE, label)


def _item_key(number: str) -> tuple[str, ...]:
    return tuple(part.zfill(4) for part in number.split("."))
