"""The media path fails and comes back: the pages restart ICE and media flows again.

The test drops every UDP datagram to and from the SFU's ports with an nftables rule inside the
test's own network namespace (signaling over TCP keeps working), then lifts it.
"""

from __future__ import annotations

import subprocess
import time

from playwright.async_api import Browser, Page

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.room_page import join_room, wait_state
from klingel_bots.server_process import ServerProcess

TABLE = "klingel_media_path_test"


def block_udp(ports: tuple[int, int]) -> None:
    low, high = ports
    rules = f"""
table inet {TABLE} {{
  chain out {{
    type filter hook output priority 0; policy accept;
    udp dport {low}-{high} drop
    udp sport {low}-{high} drop
  }}
}}
"""
    subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True)


def unblock_udp() -> None:
    subprocess.run(
        ["nft", "delete", "table", "inet", TABLE], check=False, stderr=subprocess.DEVNULL
    )


async def ice_ufrags(page: Page) -> list[str]:
    """The local ICE username fragment of every peer connection the page made."""
    ufrags: list[str] = await page.evaluate(
        """() => (window.__klingelPeerConnections || [])
            .filter((pc) => pc.signalingState !== "closed" && pc.localDescription)
            .map((pc) => (/a=ice-ufrag:(\\S+)/.exec(pc.localDescription.sdp) || [])[1])"""
    )
    return ufrags


async def test_lost_media_path_recovers_by_ice_restart(
    browser: Browser, server: str, server_process: ServerProcess, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        ben = await join_room(opener, server, room_name, "Ben")
        await wait_media_flowing(anna.page, video=1, audio=1)
        await wait_media_flowing(ben.page, video=1, audio=1)
        before = set(await ice_ufrags(anna.page))

        block_udp(server_process.udp_ports)
        try:
            await wait_state(anna.page, "reconnecting", timeout=20)

            async def restarted() -> bool:
                now = set(await ice_ufrags(anna.page))
                return bool(now) and not now & before

            # Both of Anna's connections renegotiate with new ICE credentials.
            await wait_until(restarted, timeout=30, message="Anna's pages restarted ICE")
        finally:
            unblock_udp()
        returned = time.monotonic()

        await wait_media_flowing(anna.page, video=1, audio=1, timeout=30)
        await wait_media_flowing(ben.page, video=1, audio=1, timeout=30)
        await wait_state(anna.page, "joined", timeout=30)
        print(f"media back {time.monotonic() - returned:.1f} s after the path returned")
    finally:
        unblock_udp()
        await opener.close_all()
