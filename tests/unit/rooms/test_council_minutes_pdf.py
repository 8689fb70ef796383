"""The minutes as PDF, read back with pypdf: German headings, names, the votes with their
results and the rule, the times in Berlin, the digest of the JSON, the signature lines and
"Seite n von m"; English on request; typed text drawn as the text it is; a clear error when
the fonts are missing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.council_script import HOSTILE_NAME, scripted_session

from klingel.rooms.council.minutes import build_minutes, minutes_digest, minutes_json
from klingel.rooms.council.minutes_model import Minutes
from klingel.rooms.council.minutes_pdf import FontMissingError, minutes_pdf


def minutes(extra: int = 0) -> tuple[Minutes, str]:
    script = scripted_session(extra)
    built = build_minutes(script.prepared, script.session)
    return built, minutes_digest(minutes_json(built))


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text with its whitespace made single spaces and its dashes plain."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text().replace("\N{EN DASH}", "-") for page in reader.pages]
    return [" ".join(text.split()) for text in texts]


def test_the_german_minutes_hold_every_part() -> None:
    built, digest = minutes()
    pages = pages_of(minutes_pdf(built, digest))
    text = " ".join(pages)
    for heading in (
        "Niederschrift",
        "Anwesenheit",
        "Beschlussfähigkeit",
        "Tagesordnung",
        "Abstimmungen",
        "Befangenheit",
        "Wortmeldungen",
        "Störungen und Unterbrechungen",
    ):
        assert heading in text, heading
    for name in ("Anna Müller (Freie Wähler), Vorsitz", "Bernd Öztürk (SPD)", "Carla Weiß"):
        assert name in text, name
    # Session data; times in Berlin (UTC+1 in December).
    assert "Gemeinderat Bühl" in text and "Rathaus, Großer Saal" in text
    assert "Datum 10.12.2026" in text and "Eröffnet 12:00:10" in text
    assert "Geschlossen 12:05:00" in text
    # Attendance: in the hall, remote with picture and sound live, absent.
    assert "im Saal: 12:00:01 - 12:02:00" in text
    assert "Bild und Ton live: 12:00:25 - 12:02:01, 12:02:10 - 12:02:21" in text
    assert "nicht anwesend" in text
    assert "12:02:01 Änderung: 2 gezählt, 3 nötig (gesetzlich 5) - nicht beschlussfähig" in text
    # The agenda and the public switch.
    assert "TOP 2 Grundstücksverkauf (nichtöffentlich)" in text
    assert "Öffentlichkeit ausgeschlossen" in text and "Öffentlichkeit wiederhergestellt" in text
    # The roll call by name, the bias, the rule; the vote by post.
    assert "Art: namentlich" in text
    assert "Ergebnis: angenommen - Ja 2, Nein 1, Enthaltung 0" in text
    assert "Stimmen: Anna Müller: Ja; Carla Weiß: Nein; Dora Schäfer: Ja" in text
    assert "Wegen Befangenheit ausgeschlossen: Bernd Öztürk (SPD)" in text
    assert "Geänderte Stimmen: 12:01:33 Dora Schäfer (Grüne): Ja (zuvor Nein)" in text
    assert "Mehrheitsregel: Einfache Mehrheit der abgegebenen Stimmen" in text
    assert "wird nachträglich per Brief durchgeführt" in text
    assert "TOP 1: Bernd Öztürk (SPD) - Befangenheit festgestellt" in text
    # Speakers, faults and the pause.
    assert "Bernd Öztürk (SPD), 12:00:40 - 12:00:50; Geschäftsordnungsantrag" in text
    assert "Leitung eines Mitglieds: Dora Schäfer (Grüne) - Verbindung verloren" in text
    assert "Störung auf Seite des Servers - Medienserver neu gestartet" in text
    assert "12:02:40 - 12:03:40 Unterbrechung: Technische Störung {pages}" in text
    # The digest, the signatures, the pages.
    assert f"Prüfsumme (SHA-256) der JSON-Datei: {digest}" in text
    last = pages[-1]
    assert last.index("Prüfsumme") < last.index("Vorsitz Schriftführung")
    for number, page in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in page


def test_a_long_roster_and_a_long_motion_fill_pages_that_count_up() -> None:
    built, digest = minutes(extra=60)
    pages = pages_of(minutes_pdf(built, digest))
    assert len(pages) >= 3
    assert f"Seite 1 von {len(pages)}" in pages[0]
    assert f"Seite {len(pages)} von {len(pages)}" in pages[-1]
    text = " ".join(pages)
    assert "Mitglied Nummer 59 (Liste)" in text
    assert "Haushaltssatzungxxx" in text  # the word too wide for a line is broken, not lost


def test_english_on_request() -> None:
    built, digest = minutes()
    pages = pages_of(minutes_pdf(built, digest, "en"))
    text = " ".join(pages)
    for words in ("Minutes", "Attendance", "Agenda", "Votes", "Bias", "Speakers"):
        assert words in text, words
    assert "Result: adopted - Yes 2, No 1, Abstain 0" in text
    assert "Majority rule: Simple majority of the votes cast" in text
    assert f"SHA-256 checksum of the JSON file: {digest}" in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    with pytest.raises(ValueError):
        minutes_pdf(built, digest, "fr")  # type: ignore[arg-type]


def test_typed_text_is_drawn_as_the_text_it_is() -> None:
    built, digest = minutes()
    pdf = minutes_pdf(built, digest)
    text = " ".join(pages_of(pdf))
    # No page alias, template or markup reads a name, a faction, a motion or a reason.
    assert "Eve {nb} {page} <b>Kühn</b> **x**" in text
    assert "{counted} Liste" in text
    assert 'Der Rat {pages} beschließt: <script>alert("x")</script> ) Tj ET' in text
    assert ") /JS (alert) %PDF-1.4" in text
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf
    assert HOSTILE_NAME.split()[0] == "Eve"


def test_the_same_minutes_give_the_same_pdf() -> None:
    built, digest = minutes()
    assert minutes_pdf(built, digest) == minutes_pdf(built, digest)


def test_missing_fonts_are_named(tmp_path: Path) -> None:
    built, digest = minutes()
    with pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        minutes_pdf(built, digest, fonts=tmp_path)
