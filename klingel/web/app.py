"""The Starlette application: pages, the small HTTP API, metrics and the signaling socket."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from klingel.cluster.at_rest import SecretsAtRest
from klingel.cluster.directory import NodeDirectory
from klingel.cluster.node import ClusterNode
from klingel.cluster.on_air import BroadcastsOnAir
from klingel.cluster.programme_link import LINK_PATH
from klingel.cluster.seal import ForwardingSeal
from klingel.config import Settings
from klingel.ids import RoomId
from klingel.rooms.abuse import JOIN_LIMIT, AddressLimits, address_key
from klingel.rooms.creation import RoomCreation, RoomCreationRefused
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit
from klingel.rooms.registry import Registry
from klingel.rooms.reserved import ReservedNames
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import MediaBackend, ProgrammeRelayBackend
from klingel.store import StoreError
from klingel.web.brand import brand_routes
from klingel.web.council_api import council_routes
from klingel.web.hosts import ServedHosts
from klingel.web.hub import SignalingHub
from klingel.web.json_requests import NO_STORE, read_limited_body, refusal_of_origin
from klingel.web.metrics import render_metrics
from klingel.web.node_routing import NodeRouting
from klingel.web.programme_links import ProgrammeLinks
from klingel.web.relayed_programmes import RelayedProgrammes
from klingel.web.security import SecurityHeadersMiddleware
from klingel.web.signaling import SignalingEndpoint, SocketPolicy
from klingel.web.static import not_found_handler, static_routes

__all__ = ["JOIN_LIMIT", "ROOM_CREATION_LIMIT", "create_app"]

logger = logging.getLogger(__name__)

ROOM_CREATION_LIMIT = RateLimit(rate=1.0, burst=20.0)
"""``POST /api/rooms`` per client address."""
STATS_TIMEOUT_SECONDS = 3.0
UNUSED_ROOMS_SWEEP_SECONDS = 3600.0
"""How often standing rooms unused for too long are looked for (and once at start-up)."""
MAX_CREATE_BODY_BYTES = 1024


class _Api:
    def __init__(
        self,
        settings: Settings,
        media: MediaBackend,
        hub: SignalingHub,
        served: ServedHosts,
        standing: StandingRooms,
        reserved: ReservedNames,
    ) -> None:
        self._settings = settings
        self._media = media
        self._hub = hub
        self._served = served
        self._room_creations = KeyedRateLimiter(ROOM_CREATION_LIMIT)
        self._creation = RoomCreation(hub.registry, standing, reserved, settings.max_standing_rooms)
        self.programme_relay: tuple[ProgrammeLinks, RelayedProgrammes] | None = None

    async def create_room(self, request: Request) -> Response:
        """A new room and its two secrets, which only this answer ever carries."""
        refused = refusal_of_origin(self._served, request)
        if refused is not None:
            return refused
        address = address_key(request.client.host if request.client else "")
        if not self._room_creations.take(address, time.monotonic()):
            return JSONResponse({"error": "rate_limited"}, status_code=429)
        body = await read_limited_body(request, MAX_CREATE_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "too_large"}, status_code=413)
        try:
            created = await self._creation.create(body, time.monotonic(), address)
        except RoomCreationRefused as refusal:
            return JSONResponse({"error": refusal.code}, status_code=refusal.status)
        return JSONResponse(created.to_dict(), headers=NO_STORE)

    async def privacy(self, request: Request) -> Response:
        """The figures of this server that its privacy texts name (how long rooms stand)."""
        return JSONResponse({"unusedRoomDays": self._settings.unused_room_days})

    async def health(self, request: Request) -> Response:
        try:
            async with asyncio.timeout(STATS_TIMEOUT_SECONDS):
                workers = len(await self._media.stats())
        except Exception as error:
            logger.warning("SFU statistics unavailable: %s", type(error).__name__)
            workers = 0
        if workers == 0:
            return JSONResponse({"status": "unavailable", "workers": 0}, status_code=503)
        return JSONResponse({"status": "ok", "workers": workers})

    async def metrics(self, request: Request) -> Response:
        try:
            async with asyncio.timeout(STATS_TIMEOUT_SECONDS):
                workers = list(await self._media.stats())
        except Exception as error:
            logger.warning("SFU statistics unavailable: %s", type(error).__name__)
            workers = []
        registry = self._hub.registry
        gauges: list[tuple[str, str, int]] = []
        if self.programme_relay is not None:
            links, relayed = self.programme_relay
            gauges = [
                (
                    "viewers_served_elsewhere",
                    "Viewers of broadcasts held here whom other nodes serve.",
                    links.viewer_count,
                ),
                (
                    "viewers_of_other_nodes",
                    "Viewers of other nodes' broadcasts served here.",
                    relayed.viewer_count,
                ),
                (
                    "programmes_from_other_nodes",
                    "Broadcasts of other nodes whose programme comes here.",
                    relayed.programme_count,
                ),
            ]
        text = render_metrics(workers, registry.room_count, registry.participant_count, gauges)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")


async def _expire_detached(hub: SignalingHub, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await hub.expire_detached()
        except Exception as error:  # keep sweeping: one fault must not keep ghosts forever
            logger.error("Removing timed-out participants failed: %s", type(error).__name__)
            logger.debug("Fault details", exc_info=True)


async def _delete_unused_rooms(standing: StandingRooms, unused_days: int, interval: float) -> None:
    """Standing rooms unused for too long, and councils' minutes kept long enough."""
    while True:
        sweeps: tuple[tuple[Callable[[], Awaitable[int]], str], ...] = (
            (functools.partial(standing.delete_unused, unused_days), "unused standing rooms"),
            (standing.councils.delete_old_minutes, "old council minutes"),
        )
        for work, what in sweeps:
            try:
                await work()
            except StoreError as error:  # keep going: the next sweep may succeed
                logger.error("Deleting %s failed: %s", what, error.code)
            except Exception as error:
                logger.error("Deleting %s failed: %s", what, type(error).__name__)
                logger.debug("Fault details", exc_info=True)
        await asyncio.sleep(interval)


def _cluster_node(
    settings: Settings,
    standing: StandingRooms,
    registry: Registry,
    hub: SignalingHub,
    seal: ForwardingSeal,
) -> ClusterNode | None:
    """This server's node among the town's nodes on one Redis, if it is one (``--node-url``)."""
    store = standing.redis_store
    if settings.node_url is None or store is None:
        return None

    directory = NodeDirectory(store)
    on_air = BroadcastsOnAir(directory, SecretsAtRest(standing.digester), seal)
    hub.broadcasting.keep_on_air(on_air)

    def live_broadcasts() -> list[tuple[str, RoomId, str]]:
        return on_air.announcements(
            (room.id, room.broadcast.key) for room in registry.rooms() if room.broadcast is not None
        )

    return ClusterNode(
        directory,
        settings.node_id,
        settings.node_url,
        held_rooms=lambda: [room.id for room in registry.rooms()],
        live_broadcasts=live_broadcasts,
        load=lambda: registry.participant_count + registry.room_count,
        move_room=hub.moves.move_room,
        movable_rooms=hub.moves.movable_rooms,
        may_move=hub.moves.may_move,
    )


def _programme_relay(
    settings: Settings,
    media: MediaBackend,
    node: ClusterNode | None,
    hub: SignalingHub,
    seal: ForwardingSeal,
) -> tuple[ProgrammeLinks, RelayedProgrammes] | None:
    """With several nodes: a broadcast's viewers are served by the nodes they came through."""
    if node is None or settings.node_url is None or not isinstance(media, ProgrammeRelayBackend):
        return None
    bind_ip = settings.sfu.bind_ip
    wildcard = bind_ip in ("0.0.0.0", "::")
    host = (urlsplit(settings.node_url).hostname or bind_ip) if wildcard else bind_ip
    media.enable_node_relay(seal.node_relay_key(), host)
    directory = node.directory

    async def node_url(node_id: str) -> str | None:
        """A live node's URL; None for a node that is gone or drains (it takes nothing new)."""
        try:
            states = await directory.nodes()
        except StoreError:
            return None
        live = (state for state in states if state.node_id == node_id and not state.draining)
        return next((state.url for state in live), None)

    links = ProgrammeLinks(media, seal, node.node_id, node_url, hub.broadcasting.viewers_lost)
    hub.broadcasting.serve_on_nodes(links)
    return links, RelayedProgrammes(media, seal)


def create_app(settings: Settings, media: MediaBackend, standing: StandingRooms) -> Starlette:
    """The whole web side; the lifespan starts and stops ``media`` and closes ``standing``
    (opened by the caller, so that a store that cannot be opened stops the start before the
    server runs)."""
    registry = Registry(
        settings.room_capacity,
        settings.resume_grace_seconds,
        max_rooms=settings.max_rooms,
        passes=standing.passes,
    )
    reserved = ReservedNames(settings.reserved_names)
    hub = SignalingHub(
        registry,
        media,
        standing,
        turn=settings.turn,
        reserved=reserved,
        max_viewers=settings.max_viewers,
    )
    served = ServedHosts(settings.served_host_names())
    api = _Api(settings, media, hub, served, standing, reserved)
    seal = ForwardingSeal(standing.digester)
    node = _cluster_node(settings, standing, registry, hub, seal)
    programme_relay = _programme_relay(settings, media, node, hub, seal)
    api.programme_relay = programme_relay
    sweep_interval = min(1.0, settings.resume_grace_seconds / 4)
    signaling = SignalingEndpoint(
        hub,
        AddressLimits(settings.connections_per_address),
        SocketPolicy(
            join_seconds=settings.join_timeout_seconds,
            idle_seconds=settings.idle_timeout_seconds,
            rate_limited_close_seconds=settings.rate_limited_close_seconds,
        ),
        served,
        None if node is None else NodeRouting(node, seal, standing.passes),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        media.on_event(hub.on_media_event)
        await media.start()
        logger.info(
            "Pages of these host names may use the API and the signaling socket: %s",
            ", ".join([*served.names, "localhost and loopback addresses"]),
        )
        if settings.turn is not None:
            logger.info("Joined participants get TURN credentials for the relay")
        if node is not None:
            await node.start()
        sweepers = [
            asyncio.create_task(_expire_detached(hub, sweep_interval)),
            asyncio.create_task(
                _delete_unused_rooms(
                    standing, settings.unused_room_days, UNUSED_ROOMS_SWEEP_SECONDS
                )
            ),
        ]
        try:
            yield
        finally:
            for sweeper in sweepers:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if node is not None:
                await node.stop()
            hub.close_all()
            if programme_relay is not None:
                await programme_relay[0].close()
            try:
                await media.stop()
            finally:
                await standing.close()  # after the writes under way
            logger.info("Klingel stopped")

    routes: list[BaseRoute] = [
        Route("/api/rooms", api.create_room, methods=["POST"]),
        Route("/api/privacy", api.privacy, methods=["GET", "HEAD"]),
        Route("/healthz", api.health, methods=["GET"]),
        WebSocketRoute("/ws", signaling.serve),
        *council_routes(standing.councils, served),
    ]
    if programme_relay is not None:
        routes.append(WebSocketRoute(LINK_PATH, programme_relay[1].serve))
    if settings.metrics:
        routes.append(Route("/metrics", api.metrics, methods=["GET"]))
    routes.extend(brand_routes(settings.brands))
    routes.extend(static_routes())
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={404: not_found_handler},
        lifespan=lifespan,
    )
