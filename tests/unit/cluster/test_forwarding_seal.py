"""The seal on a socket one node passes on: it names the citizen's address, only a node with
the town's key makes one, and it is good for a short while."""

from __future__ import annotations

import pytest
from support.clock import Clock

from klingel.cluster.seal import PROGRAMME_LINK, SEAL_SECONDS, ForwardingSeal, Sealed
from klingel.store import SecretDigester

KEY = SecretDigester(bytes(range(32)))
NOW = 1_750_000_000.0


def test_a_seal_names_the_address_to_a_node_with_the_same_key() -> None:
    wall = Clock(NOW)
    header = ForwardingSeal(KEY, wall).seal("2001:db8::7", "node-b")
    wall.now += SEAL_SECONDS
    assert ForwardingSeal(KEY, wall).open(header) == Sealed("2001:db8::7", "node-b")


def test_a_seal_opens_only_for_what_it_was_made_for() -> None:
    seal = ForwardingSeal(KEY, Clock(NOW))
    link = seal.seal("", "node-b", PROGRAMME_LINK)
    assert seal.open(link) is None
    assert seal.open(link, PROGRAMME_LINK) == Sealed("", "node-b")
    assert seal.open(seal.seal("192.0.2.4", "node-b"), PROGRAMME_LINK) is None


def test_a_stale_seal_or_one_of_another_key_is_refused() -> None:
    wall = Clock(NOW)
    header = ForwardingSeal(KEY, wall).seal("192.0.2.4", "node-b")
    other = ForwardingSeal(SecretDigester(bytes(32)), wall)
    assert other.open(header) is None
    wall.now += SEAL_SECONDS + 1
    assert ForwardingSeal(KEY, wall).open(header) is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda header: header.replace("192.0.2.4", "192.0.2.5"),
        lambda header: header.replace("node-b", "node-c"),
        lambda header: header.replace("node-b", "node;b"),
        lambda header: header.rsplit(";", 1)[0],
        lambda header: header + ";x",
        lambda header: "",
        lambda header: "a" * 100 + header[9:],
        lambda header: header.replace(";", ";-", 1),
        lambda header: header[:-2] + "ä",
    ],
)
def test_a_changed_or_malformed_seal_is_refused(forge: object) -> None:
    seal = ForwardingSeal(KEY, Clock(NOW))
    header = seal.seal("192.0.2.4", "node-b")
    assert callable(forge)
    assert seal.open(forge(header)) is None
