from __future__ import annotations

from klingel.turn.credentials import CredentialIssuer, TurnSecret
from klingel.turn.ice_servers import TurnEndpoint, ice_server

CREDENTIALS = CredentialIssuer(TurnSecret("s" * 64)).issue(1_700_000_000)


def test_udp_and_tcp_without_a_certificate() -> None:
    server = ice_server(TurnEndpoint("turn.example.de"), CREDENTIALS)
    assert server.urls == (
        "turn:turn.example.de:3478?transport=udp",
        "turn:turn.example.de:3478?transport=tcp",
    )


def test_tls_when_coturn_has_a_certificate() -> None:
    server = ice_server(TurnEndpoint("turn.example.de", tls_port=443), CREDENTIALS)
    assert server.urls[-1] == "turns:turn.example.de:443?transport=tcp"


def test_ipv6_literal_is_bracketed() -> None:
    server = ice_server(TurnEndpoint("2001:db8::5"), CREDENTIALS)
    assert server.urls[0] == "turn:[2001:db8::5]:3478?transport=udp"


def test_json_carries_the_participants_credentials() -> None:
    as_json = ice_server(TurnEndpoint("turn.example.de"), CREDENTIALS).as_json()
    assert as_json["username"] == CREDENTIALS.username
    assert as_json["credential"] == CREDENTIALS.password
    assert isinstance(as_json["urls"], list) and len(as_json["urls"]) == 2
