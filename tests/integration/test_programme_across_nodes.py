"""One broadcast's viewers spread over several nodes: three real ``klingel serve`` nodes (two
SFU workers each, each in a network namespace of its own on an address of its own) on a real
``redis-server``; a host publishes through the node that holds the
room, synthetic viewers (aiortc, decoding) watch through the other two. Each viewer's
programme is served by the node it came through, relayed there from the room's worker over
the sealed relay between nodes; a node that goes away takes only its own viewers with it. The
programme link opens only with a node's seal made for it, and a bad frame closes it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.node_cluster import NODE_IDS, NodeCluster, running_cluster
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from klingel.cluster.programme_link import LINK_PATH
from klingel.cluster.seal import FORWARDED_HEADER, PROGRAMME_LINK, ForwardingSeal
from klingel.protocol.broadcast import BroadcastCommand, BroadcastState
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel.store import SecretDigester
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.metrics import parse_metrics
from klingel_bots.viewer import ProgrammeViewer

pytestmark = pytest.mark.timeout(240)

CAMERA, AUDIO = PROGRAMME_SLOTS[0].stream_id, PROGRAMME_SLOTS[2].stream_id


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NodeCluster]:
    with running_cluster(tmp_path, workers=2, own_namespaces=True) as started:
        yield started


def gauges(cluster: NodeCluster, node_id: str) -> dict[str, float]:
    """A node's own gauges and its workers' forwarded packets, summed (``/metrics``)."""
    values: dict[str, float] = {}
    for sample in parse_metrics(cluster.nodes[node_id].get_text("/metrics")):
        values[sample.name] = values.get(sample.name, 0.0) + sample.value
    return values


async def public_host(cluster: NodeCluster, test_media: Path) -> tuple[ProtocolClient, str, str]:
    """A host publishing in a new public room; the room's node and the viewer key."""
    base = cluster.nodes["a"].base_url
    async with httpx.AsyncClient(base_url=base) as http:
        created = (await http.post("/api/rooms", json={"name": "Neujahrsempfang"})).json()
    host = ProtocolClient(base, created["room"], "Bürgermeisterin Koch")
    await host.join(host_secret=created["hostSecret"])
    await host.publish_file(test_media)
    await host.send(BroadcastCommand("start"))
    state = await host.wait_for(BroadcastState, lambda s: s.viewer_key is not None)
    assert state.viewer_key is not None
    holder = cluster.holder()
    assert holder is not None
    return host, holder, state.viewer_key


async def watching(cluster: NodeCluster, node_id: str, key: str) -> ProgrammeViewer:
    """A viewer through ``node_id``, once that node finds the broadcast (its holder announces
    it with its next beat)."""

    async def attempt() -> ProgrammeViewer | None:
        viewer = ProgrammeViewer(cluster.nodes[node_id].base_url, key)
        try:
            await viewer.watch()
        except Exception:
            await viewer.close()
            return None
        return viewer

    viewer: ProgrammeViewer = await wait_until(
        attempt, timeout=15, message=f"a viewer let in through {node_id}"
    )
    return viewer


async def test_viewers_are_served_by_the_nodes_they_came_through(
    cluster: NodeCluster, test_media: Path
) -> None:
    host, holder, key = await public_host(cluster, test_media)
    first, second = [node_id for node_id in NODE_IDS if node_id != holder]
    viewers = [
        await watching(cluster, first, key),
        await watching(cluster, first, key),  # the second goes to the node's other worker
        await watching(cluster, second, key),
    ]
    try:
        counts = [await viewer.wait_receiving([CAMERA, AUDIO]) for viewer in viewers]
        later = [
            await viewer.wait_receiving({slot: seen[slot] for slot in (CAMERA, AUDIO)})
            for viewer, seen in zip(viewers, counts, strict=True)
        ]
        assert all(
            now[CAMERA].frames > seen[CAMERA].frames
            for now, seen in zip(later, counts, strict=True)
        )

        held, one, other = (gauges(cluster, node_id) for node_id in (holder, first, second))
        assert held["klingel_viewers_served_elsewhere"] == 3
        assert (
            one["klingel_viewers_of_other_nodes"],
            one["klingel_programmes_from_other_nodes"],
        ) == (2, 1)
        assert (
            other["klingel_viewers_of_other_nodes"],
            other["klingel_programmes_from_other_nodes"],
        ) == (1, 1)
        # the viewers' packets leave the nodes they came through, not the room's node
        assert one["klingel_sfu_rtp_forwarded_total"] > 0
        assert other["klingel_sfu_rtp_forwarded_total"] > 0
        assert held["klingel_sfu_rtp_forwarded_total"] == 0, "the host alone subscribes to nobody"
        # once per node: what the room's node sent is what each of the two took
        assert held["klingel_sfu_relayed_to_nodes_total"] > 0
        for node in (one, other):
            assert node["klingel_sfu_relayed_from_nodes_total"] > 0

        # A viewer leaves: its node keeps the programme for the other one, then drops it.
        await viewers.pop(0).close()
        await wait_until(
            lambda: gauges(cluster, first)["klingel_viewers_of_other_nodes"] == 1,
            timeout=10,
            message="the viewer gone from its node",
        )
        await viewers.pop(0).close()
        await wait_until(
            lambda: gauges(cluster, first)["klingel_programmes_from_other_nodes"] == 0,
            timeout=10,
            message="the programme dropped with its last viewer",
        )

        # A node that drains takes nothing new: a viewer through it is served by the room's node.
        assert cluster.admin("drain", first).returncode == 0
        await asyncio.sleep(1.5)  # its next beat has heard it
        viewers.append(await watching(cluster, first, key))
        await viewers[-1].wait_receiving([CAMERA, AUDIO])
        assert gauges(cluster, first)["klingel_viewers_of_other_nodes"] == 0
        assert gauges(cluster, holder)["klingel_viewers_served_elsewhere"] == 1

        # The node of the remaining viewer goes away: the room's node notices the link's end;
        # the meeting goes on.
        cluster.nodes[second].kill()
        await wait_until(
            lambda: gauges(cluster, holder)["klingel_viewers_served_elsewhere"] == 0,
            timeout=15,
            message="the viewers of the lost node forgotten",
        )
        assert host.publish_state == "connected"
    finally:
        await asyncio.gather(*(viewer.close() for viewer in viewers))
        await host.close()


async def test_only_a_node_s_seal_for_the_link_opens_it_and_a_bad_frame_closes_it(
    cluster: NodeCluster,
) -> None:
    node = cluster.nodes["b"]
    assert node.data_dir is not None
    seal = ForwardingSeal(SecretDigester.open(node.data_dir))
    url = node.base_url.replace("http", "ws") + LINK_PATH
    for headers in (
        {},
        {FORWARDED_HEADER: "garbage"},
        {FORWARDED_HEADER: seal.seal("", "a")},  # a passed-on socket's seal
        {FORWARDED_HEADER: ForwardingSeal(SecretDigester(bytes(32))).seal("", "a", PROGRAMME_LINK)},
    ):
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, additional_headers=headers)
        assert refused.value.response.status_code == 403
    link = await connect(
        url, additional_headers={FORWARDED_HEADER: seal.seal("", "a", PROGRAMME_LINK)}
    )
    # a valid request for a room nobody relays answers, and changes nothing
    await link.send(json.dumps({"id": 1, "op": "close", "room": "gibt-es-nicht"}))
    assert json.loads(await link.recv()) == {"id": 1}
    await link.send('{"id": 2, "op": "watch", "room": "x", "subscriptions": [["0", ["x"]]]}')
    with pytest.raises(ConnectionClosed) as closed:
        await link.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert gauges(cluster, "b")["klingel_programmes_from_other_nodes"] == 0
    assert node.is_running()
