"""One broadcast, its viewers on two other nodes, in Chromium: three nodes on one Redis; a host
opens a room through node a and makes it public; two viewer pages open the viewer link through
nodes b and c, in a browser that grants neither camera nor microphone. Both decode the
programme, and each is served by the node it came through: the room's node serves neither,
it relays the programme to each of the two nodes once. When the room's node is killed, the
host's page and the viewer page come back by themselves, the broadcast with them: paused, on
the same link, until the host resumes it, and the viewer page decodes again without a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page
from support.node_cluster import NodeCluster, running_cluster

from klingel_bots.browser import PageOpener, ProbedPage, wait_until
from klingel_bots.host_page import (
    Toggle,
    join_as_host,
    open_host_tools,
    start_conference,
    switch,
)
from klingel_bots.metrics import parse_metrics
from klingel_bots.room_page import Person

pytestmark = pytest.mark.timeout(300)

PUBLIC = Toggle("Öffentlich übertragen")
RESUME = "Fortsetzen"
VIEWER_LINK = re.compile(r"/live/[A-Za-z0-9_-]{16,64}$")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NodeCluster]:
    with running_cluster(tmp_path) as started:
        yield started


async def shown_link(page: Page) -> str:
    link = page.locator("#host-panel #public-link")
    text = (await link.inner_text()).strip() if await link.is_visible() else ""
    return text if VIEWER_LINK.search(text) else ""


async def frames(page: Page) -> int:
    """Frames the page's programme video has decoded and shown so far."""
    count: int = await page.evaluate(
        "() => document.getElementById('video-camera').getVideoPlaybackQuality().totalVideoFrames"
    )
    return count


async def frames_grow(page: Page, since: int) -> bool:
    return await frames(page) > since + 5


def gauge(cluster: NodeCluster, node_id: str, name: str) -> float:
    samples = parse_metrics(cluster.nodes[node_id].get_text("/metrics"))
    return sum(sample.value for sample in samples if sample.name == name)


async def public_room(
    cluster: NodeCluster, open_page: PageOpener, node_id: str
) -> tuple[Person, str]:
    """Anna's room, made and joined through ``node_id``, held by node a, made public; her
    page and the viewer link's path."""
    created = await start_conference(open_page, cluster.nodes[node_id].base_url)
    anna = await join_as_host(created, "Anna")
    await switch(anna.page, PUBLIC, True)
    link = await wait_until(partial(shown_link, anna.page), message="the viewer link")
    assert await wait_until(cluster.holder, timeout=10, message="one holder") == "a"
    return anna, urlsplit(link).path


async def viewer_page(
    cluster: NodeCluster, open_page: PageOpener, node_id: str, path: str
) -> ProbedPage:
    """The viewer link opened through ``node_id``, in a browser without camera or microphone."""
    probed = await open_page(media_allowed=False)
    await probed.page.goto(cluster.nodes[node_id].base_url + path)
    return probed


async def test_a_broadcast_s_viewers_watch_through_two_other_nodes(
    cluster: NodeCluster, open_page: PageOpener
) -> None:
    _, path = await public_room(cluster, open_page, "a")
    viewers = [await viewer_page(cluster, open_page, node, path) for node in ("b", "c")]
    for viewer in viewers:
        await wait_until(
            partial(frames_grow, viewer.page, 0), timeout=30, message="the programme decoded"
        )
    for viewer in viewers:
        since = await frames(viewer.page)
        await wait_until(
            partial(frames_grow, viewer.page, since), timeout=15, message="frames still coming"
        )
    assert gauge(cluster, "a", "klingel_viewers_served_elsewhere") == 2
    for node_id in ("b", "c"):
        assert gauge(cluster, node_id, "klingel_viewers_of_other_nodes") == 1
        assert gauge(cluster, node_id, "klingel_programmes_from_other_nodes") == 1
        assert gauge(cluster, node_id, "klingel_sfu_rtp_forwarded_total") > 0


async def phase_is(page: Page, wanted: str) -> bool:
    found: str = await page.evaluate("() => document.body.dataset.state")
    return found == wanted


async def test_the_viewer_page_comes_back_when_the_room_s_node_is_lost(
    cluster: NodeCluster, open_page: PageOpener
) -> None:
    anna, path = await public_room(cluster, open_page, "b")
    viewer = await viewer_page(cluster, open_page, "c", path)
    await wait_until(partial(frames_grow, viewer.page, 0), timeout=30, message="the programme")
    await anna.page.wait_for_timeout(1500)  # a beat keeps the link for the next node

    cluster.nodes["a"].kill()
    # Both pages come back by themselves; the broadcast with them, paused, on the same link.
    await wait_until(
        partial(phase_is, viewer.page, "paused"), timeout=60, message="the viewer page paused"
    )
    assert urlsplit(await wait_until(partial(shown_link, anna.page), timeout=30)).path == path
    await open_host_tools(anna.page)
    await anna.page.get_by_role("button", name=RESUME, exact=True).click()
    await wait_until(partial(phase_is, viewer.page, "live"), timeout=30, message="live again")
    since = await frames(viewer.page)
    await wait_until(
        partial(frames_grow, viewer.page, since), timeout=30, message="the picture again"
    )
