// @ts-check
/**
 * The room page's view of the call: everyone's tiles and the list of people, ourselves
 * included, the hint while we are alone, who arrived, left or raised a hand, and the layer each
 * remote video is asked for. Like room.js it joins connection modules and UI modules.
 */

import { callEvents, CallEvent } from "./call-events.js";
import { JoinStep } from "./join-timing.js";
import { wantedLayers } from "./layers.js";
import { OwnParticipant } from "./own-participant.js";
import { AloneCard } from "./ui/alone-card.js";
import { find } from "./ui/dom.js";
import { ParticipantList } from "./ui/participants.js";
import { TileGrid } from "./ui/tiles.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./doorbell.js").Doorbell} Doorbell */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./join-timing.js").JoinTiming} JoinTiming */
/** @typedef {import("./local-media.js").LocalMedia} LocalMedia */
/** @typedef {import("./stage-plan.js").ViewMode} ViewMode */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * @typedef {{i18n: I18n, toasts: Toasts, doorbell: Doorbell, local: LocalMedia, mode: ViewMode,
 *   quiet?: () => boolean}} CallViewDeps `mode`: the view chosen last; `quiet`: people come
 *   and go in numbers now (breakout groups): no chime and no note for each, and no "alone" card
 * @typedef {{modeChanged: (mode: ViewMode) => void, peopleChanged: () => void,
 *   invite: () => void}} CallViewHandlers `modeChanged`: the view shown changed (a pin shows
 *   the speaker view); `peopleChanged`: someone came, went or changed; `invite` copies the link
 */

export class CallView {
  own = new OwnParticipant();
  tiles;
  people;
  #deps;
  #handlers;
  #alone;
  /** @type {Call | null} */
  #call = null;

  /** @param {CallViewDeps} deps @param {CallViewHandlers} handlers */
  constructor(deps, handlers) {
    const { i18n, mode } = deps;
    this.#deps = deps;
    this.#handlers = handlers;
    this.tiles = new TileGrid(
      i18n,
      {
        stage: find("#stage", HTMLElement),
        grid: find("#grid", HTMLElement),
        presentation: find("#presentation", HTMLElement),
        pager: find("#pager", HTMLElement),
      },
      { mode, viewsChanged: () => this.updateLayers(), modeChanged: handlers.modeChanged },
    );
    this.people = new ParticipantList(find("#people", HTMLElement), find("#people-title", HTMLElement), i18n);
    // Whoever is alone in the call is told so, with the link at hand.
    this.#alone = new AloneCard(find("#alone-card", HTMLElement), find("#alone-host", HTMLElement), handlers.invite);
  }

  /** A new join: nobody shown, not even us. */
  clear() {
    this.tiles.clear();
    this.people.clear();
    this.own.reset();
    this.#alone.show(false, false);
  }

  /** Our own tiles and list entry follow our local tracks at once, not the server's echo. */
  showSelf() {
    const { local } = this.#deps;
    const self = this.own.withTracks({
      audio: local.track("microphone") !== null,
      video: local.track("camera") !== null,
      screen: local.track("screen") !== null,
    });
    if (!self) return;
    this.tiles.upsert(self);
    this.people.upsert(self);
    this.tiles.setTrack(self.id, "camera", local.track("camera"));
    this.tiles.setTrack(self.id, "screen", local.track("screen"));
  }

  /** @param {string} id whom to show no more (ourselves under an id the server replaced) */
  forget(id) {
    this.tiles.remove(id);
    this.people.remove(id);
  }

  showAlone() {
    const call = this.#call;
    // While the room is split into groups, being alone is no reason to invite anyone.
    const alone = Boolean(call && this.own.participant) && call?.room.others.size === 0;
    this.#alone.show(alone && !this.#deps.quiet?.(), this.own.isHost);
  }

  /** Asks for each remote video in the size its tile shows it (or not at all, unseen). */
  updateLayers() {
    const call = this.#call;
    if (!call) return;
    const viewOf = (/** @type {string} */ id, /** @type {"camera" | "screen"} */ source) =>
      this.tiles.viewOf(id, source);
    call.setLayers(wantedLayers(call.room.streams.values(), viewOf, devicePixelRatio));
  }

  /**
   * Follows a new call (each join makes one); our own entry follows the session.
   * @param {Call} call
   * @param {JoinTiming} timing the join's steps: the first remote frame is one
   */
  attach(call, timing) {
    this.#call = call;
    const { tiles, people } = this;
    const { toasts, doorbell } = this.#deps;
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.PARTICIPANT_ADDED, ({ participant, arrived }) => {
      tiles.upsert(participant);
      people.upsert(participant);
      this.#handlers.peopleChanged();
      this.showAlone();
      if (arrived && !this.#deps.quiet?.()) {
        doorbell.participantArrived();
        toasts.show("toast.joined", { name: participant.name });
      }
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (participant.you) return;
      const before = people.get(participant.id);
      tiles.upsert(participant);
      people.upsert(participant);
      if (participant.hand && before && !before.hand) {
        toasts.show("toast.hand", { name: participant.name });
      }
      this.#handlers.peopleChanged();
    });
    on(CallEvent.PARTICIPANT_REMOVED, ({ id }) => {
      const gone = people.nameOf(id);
      this.forget(id);
      this.#handlers.peopleChanged();
      this.showAlone();
      if (gone && !this.#deps.quiet?.()) toasts.show("toast.left", { name: gone });
    });
    on(CallEvent.TRACK_ADDED, ({ stream, track }) => {
      if (stream.kind === "audio") return;
      const video = tiles.setTrack(stream.participant, stream.source === "screen" ? "screen" : "camera", track);
      this.updateLayers();
      if (video && !timing.has(JoinStep.FIRST_FRAME) && "requestVideoFrameCallback" in video) {
        video.requestVideoFrameCallback(() => {
          timing.mark(JoinStep.FIRST_FRAME);
          call.pictureShown();
        });
      }
    });
    on(CallEvent.TRACK_REMOVED, ({ stream }) => {
      if (stream.kind !== "audio") {
        tiles.setTrack(stream.participant, stream.source === "screen" ? "screen" : "camera", null);
      }
    });
    // The speaker view follows the speaker; the tiles' new sizes then change their layers.
    on(CallEvent.ACTIVE_SPEAKER, ({ id }) => tiles.setActiveSpeaker(id));
  }
}
