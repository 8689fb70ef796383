from __future__ import annotations

from klingel.sfu.speaker import SpeakerDetector, SpeakerSettings, parse_audio_level

LOUD, MEDIUM, QUIET, SILENT = 20, 35, 45, 127


def window(detector: SpeakerDetector[str], levels: dict[str, int], now: float) -> bool:
    for key, level in levels.items():
        for _ in range(15):
            detector.add_level(key, level)
    return detector.evaluate(now)


def test_a_speaker_emerges_after_the_hold_time() -> None:
    detector: SpeakerDetector[str] = SpeakerDetector()
    assert not window(detector, {"anna": LOUD, "ben": SILENT}, 0.3)
    assert detector.dominant is None
    changes = [window(detector, {"anna": LOUD, "ben": SILENT}, 0.3 * step) for step in (2, 3, 4)]
    assert changes.count(True) == 1
    assert detector.dominant == "anna"


def test_a_short_noise_does_not_take_over() -> None:
    detector: SpeakerDetector[str] = SpeakerDetector()
    for step in range(4):
        window(detector, {"anna": MEDIUM, "ben": SILENT}, step * 0.3)
    assert detector.dominant == "anna"
    assert not window(detector, {"anna": MEDIUM, "ben": LOUD}, 1.5)
    assert not window(detector, {"anna": MEDIUM, "ben": SILENT}, 1.8)
    assert detector.dominant == "anna"


def test_a_clearly_louder_voice_takes_over() -> None:
    detector: SpeakerDetector[str] = SpeakerDetector()
    for step in range(4):
        window(detector, {"anna": QUIET, "ben": SILENT}, step * 0.3)
    changed = [
        window(detector, {"anna": QUIET, "ben": LOUD}, 1.2 + step * 0.3) for step in range(4)
    ]
    assert any(changed)
    assert detector.dominant == "ben"


def test_similar_voices_do_not_flip_flop() -> None:
    detector: SpeakerDetector[str] = SpeakerDetector()
    for step in range(4):
        window(detector, {"anna": MEDIUM, "ben": SILENT}, step * 0.3)
    for step in range(10):
        window(detector, {"anna": MEDIUM, "ben": MEDIUM - 2}, 1.2 + step * 0.3)
    assert detector.dominant == "anna"


def test_silence_ends_the_highlight() -> None:
    detector = SpeakerDetector[str](SpeakerSettings(silence_timeout=1.0))
    for step in range(3):
        window(detector, {"anna": LOUD}, step * 0.3)
    assert detector.dominant == "anna"
    changes = [window(detector, {"anna": SILENT}, 0.9 + step * 0.3) for step in range(8)]
    assert changes.count(True) == 1
    assert detector.dominant is None


def test_removing_the_speaker_hands_over() -> None:
    detector: SpeakerDetector[str] = SpeakerDetector()
    for step in range(3):
        window(detector, {"anna": LOUD, "ben": MEDIUM}, step * 0.3)
    assert detector.dominant == "anna"
    detector.remove("anna")
    assert window(detector, {"ben": MEDIUM}, 1.0)
    assert detector.dominant == "ben"


def test_voice_activity_bit_is_not_part_of_the_level() -> None:
    assert parse_audio_level(0x80 | 30) == 30
    detector: SpeakerDetector[str] = SpeakerDetector()
    for step in range(3):
        window(detector, {"anna": 0x80 | LOUD}, step * 0.3)
    assert detector.dominant == "anna"
