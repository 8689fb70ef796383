"""The words of the minutes' PDF, in German (the record a town signs) and English.

Templates hold only our own placeholders; what a person typed is passed into them as a value
and drawn as text, never read as a template or markup.
"""

from __future__ import annotations

from typing import Literal

from klingel.rooms.council.votes import MAJORITY_RULE

__all__ = ["LABELS", "Language", "detail_text", "rule_text"]

Language = Literal["de", "en"]

LABELS: dict[Language, dict[str, str]] = {
    "de": {
        "title": "Niederschrift",
        "body": "Gremium",
        "session_id": "Sitzung",
        "session_title": "Titel",
        "date": "Datum",
        "starts_at": "Einberufen auf",
        "place": "Ort",
        "opened": "Eröffnet",
        "closed": "Geschlossen",
        "draft": "noch nicht geschlossen (Entwurf)",
        "legal_size": "Gesetzliche Mitgliederzahl",
        "quorum_needed": "Beschlussfähig ab",
        "quorum_rule_at_least_half": "mindestens die Hälfte",
        "quorum_rule_more_than_half": "mehr als die Hälfte",
        "times_note": "Alle Zeiten in Ortszeit (Europe/Berlin).",
        "attendance": "Anwesenheit",
        "hall": "im Saal",
        "remote": "zugeschaltet",
        "until_end": "bis zum Schluss",
        "live": "Bild und Ton live",
        "never_live": "Bild und Ton nie zugleich live (nicht mitgezählt)",
        "absent": "nicht anwesend",
        "chair": "Vorsitz",
        "quorum": "Beschlussfähigkeit",
        "occasion_opened": "bei der Eröffnung",
        "occasion_changed": "Änderung",
        "occasion_vote": "nach Abstimmung {vote}",
        "counted_of": "{counted} gezählt, {needed} nötig (gesetzlich {legal})",
        "reached": "beschlussfähig",
        "not_reached": "nicht beschlussfähig",
        "agenda": "Tagesordnung",
        "item": "TOP",
        "public": "öffentlich",
        "non_public": "nichtöffentlich",
        "motion": "Beschlussvorschlag",
        "calls": "Aufruf der Tagesordnungspunkte",
        "called": "aufgerufen",
        "public_stopped": "Öffentlichkeit ausgeschlossen, öffentliche Übertragung angehalten",
        "public_resumed": "Öffentlichkeit wiederhergestellt, öffentliche Übertragung fortgesetzt",
        "votes": "Abstimmungen",
        "vote": "Abstimmung",
        "kind": "Art",
        "kind_open": "offen",
        "kind_roll_call": "namentlich",
        "kind_secret": "geheim",
        "outcome_adopted": "angenommen",
        "outcome_rejected": "abgelehnt",
        "outcome_by_post": "geheime Abstimmung, wird nachträglich per Brief durchgeführt",
        "yes": "Ja",
        "no": "Nein",
        "abstain": "Enthaltung",
        "eligible": "Stimmberechtigt",
        "biased_excluded": "Wegen Befangenheit ausgeschlossen",
        "result": "Ergebnis",
        "hall_counts": "davon im Saal per Handzeichen gezählt",
        "ballots": "Stimmen",
        "no_ballot": "Stimmberechtigt ohne namentliche Stimme",
        "ballot_changes": "Geänderte Stimmen",
        "changed_from": "zuvor",
        "rule": "Mehrheitsregel",
        "opened_at": "geöffnet",
        "closed_at": "geschlossen",
        "bias": "Befangenheit",
        "bias_marked": "Befangenheit festgestellt",
        "bias_lifted": "Befangenheit aufgehoben",
        "none": "keine",
        "speakers": "Wortmeldungen",
        "point_of_order": "Geschäftsordnungsantrag",
        "limit": "Redezeit {seconds} s",
        "no_item": "vor dem ersten Punkt",
        "disruptions": "Störungen und Unterbrechungen",
        "fault_member": "Störung der Leitung eines Mitglieds",
        "fault_server": "Störung auf Seite des Servers",
        "remote_counted": "zu dieser Zeit {count} zugeschaltete Mitglieder gezählt",
        "pause": "Unterbrechung",
        "not_resumed": "nicht fortgesetzt",
        "digest": "Prüfsumme (SHA-256) der JSON-Datei:",
        "signature_chair": "Vorsitz",
        "signature_clerk": "Schriftführung",
        "page": "Seite {page} von {pages}",
    },
    "en": {
        "title": "Minutes",
        "body": "Body",
        "session_id": "Session",
        "session_title": "Title",
        "date": "Date",
        "starts_at": "Convened for",
        "place": "Place",
        "opened": "Opened",
        "closed": "Closed",
        "draft": "not closed yet (draft)",
        "legal_size": "Legal number of members",
        "quorum_needed": "Quorum",
        "quorum_rule_at_least_half": "at least half",
        "quorum_rule_more_than_half": "more than half",
        "times_note": "All times are local (Europe/Berlin).",
        "attendance": "Attendance",
        "hall": "in the hall",
        "remote": "remote",
        "until_end": "until the end",
        "live": "picture and sound live",
        "never_live": "picture and sound never both live (not counted)",
        "absent": "absent",
        "chair": "chair",
        "quorum": "Quorum",
        "occasion_opened": "at the opening",
        "occasion_changed": "change",
        "occasion_vote": "after vote {vote}",
        "counted_of": "{counted} counted, {needed} needed (legal size {legal})",
        "reached": "quorate",
        "not_reached": "not quorate",
        "agenda": "Agenda",
        "item": "Item",
        "public": "public",
        "non_public": "non-public",
        "motion": "Motion",
        "calls": "Items called",
        "called": "called",
        "public_stopped": "public excluded, public output stopped",
        "public_resumed": "public readmitted, public output resumed",
        "votes": "Votes",
        "vote": "Vote",
        "kind": "Kind",
        "kind_open": "open",
        "kind_roll_call": "roll call",
        "kind_secret": "secret",
        "outcome_adopted": "adopted",
        "outcome_rejected": "rejected",
        "outcome_by_post": "secret vote, to be held by post afterwards",
        "yes": "Yes",
        "no": "No",
        "abstain": "Abstain",
        "eligible": "Eligible",
        "biased_excluded": "Excluded for bias",
        "result": "Result",
        "hall_counts": "of which counted by hand in the hall",
        "ballots": "Ballots",
        "no_ballot": "Eligible without a ballot by name",
        "ballot_changes": "Changed ballots",
        "changed_from": "before",
        "rule": "Majority rule",
        "opened_at": "opened",
        "closed_at": "closed",
        "bias": "Bias",
        "bias_marked": "marked biased",
        "bias_lifted": "bias lifted",
        "none": "none",
        "speakers": "Speakers",
        "point_of_order": "point of order",
        "limit": "speaking time {seconds} s",
        "no_item": "before the first item",
        "disruptions": "Faults and pauses",
        "fault_member": "Fault on a member's line",
        "fault_server": "Fault on the server's side",
        "remote_counted": "{count} remote members counted at the time",
        "pause": "Pause",
        "not_resumed": "not resumed",
        "digest": "SHA-256 checksum of the JSON file:",
        "signature_chair": "Chair",
        "signature_clerk": "Clerk",
        "page": "Page {page} of {pages}",
    },
}

_RULES: dict[Language, dict[str, str]] = {
    "de": {
        MAJORITY_RULE: (
            "Einfache Mehrheit der abgegebenen Stimmen: angenommen, wenn die Ja-Stimmen die "
            "Nein-Stimmen überwiegen; Enthaltungen zählen nicht als abgegebene Stimmen; bei "
            "Stimmengleichheit ist der Antrag abgelehnt (BW GemO § 37 (6), NRW GO § 50 (1))."
        ),
    },
    "en": {},
}

_DETAILS: dict[Language, dict[str, str]] = {
    "de": {
        "connection lost": "Verbindung verloren",
        "media server restarted": "Medienserver neu gestartet",
    },
    "en": {},
}


def rule_text(rule: str, language: Language) -> str:
    """The majority rule a result states, in ``language`` where we have it."""
    return _RULES[language].get(rule, rule)


def detail_text(detail: str, language: Language) -> str:
    """A fault's detail as the server words it, in ``language`` where we have it."""
    return _DETAILS[language].get(detail, detail)
