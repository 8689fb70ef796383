// @ts-check
/**
 * The room page's session: one join after another with the same name, password and room
 * secret. It makes each `Call` and hands it to the page's other parts, shows the screen the
 * call's state asks for, and follows what the call says about us (our role, our hand, a host's
 * mute) and about the room's encryption. Like room.js it joins connection modules and UI
 * modules.
 */

import { Call } from "./call.js";
import { callEvents, CallEvent, CallState, E2EE_REQUIRED } from "./call-events.js";
import { fragmentWithoutInvitation, invitationFromFragment } from "./invitation.js";
import { JoinTiming } from "./join-timing.js";
import { LocalMediaEvent } from "./local-media.js";
import { memberSecretFromFragment } from "./member-link.js";
import { prepareMediaStack } from "./media.js";
import { PreparedReceiver } from "./prepared-receiver.js";
import { roomTitle } from "./slug.js";
import { find } from "./ui/dom.js";
import { EndScreen } from "./ui/end-screen.js";
import { PassphraseField } from "./ui/passphrase-field.js";
import { PasswordScreen } from "./ui/password-screen.js";
import { PrejoinView } from "./ui/prejoin.js";
import { ReconnectBanner } from "./ui/reconnect-banner.js";
import { showState } from "./ui/screens.js";
import { WaitingView } from "./ui/waiting-view.js";
import { WarmSocket } from "./warm-socket.js";

/** @typedef {import("./doorbell.js").Doorbell} Doorbell */
/** @typedef {import("./host-secrets.js").HostSecrets} HostSecrets */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./i18n.js").StringKey} StringKey */
/** @typedef {import("./room-call-view.js").CallView} CallView */
/** @typedef {import("./room-encryption.js").RoomEncryption} RoomEncryption */
/** @typedef {import("./room-host.js").HostTools} HostTools */
/** @typedef {import("./room-media.js").RoomMedia} RoomMedia */
/** @typedef {import("./room-preferences.js").RoomPreferences} RoomPreferences */
/** @typedef {import("./ui/controls.js").ControlBar} ControlBar */
/** @typedef {import("./ui/error-screen.js").ErrorScreen} ErrorScreen */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/** @type {ReadonlySet<string>} call states that show the end screen: a host's decision, not a fault */
const END_SCREEN_STATES = new Set([
  CallState.DENIED,
  CallState.REMOVED,
  CallState.ENDED,
  CallState.LOCKED,
]);

/** @type {Record<import("./room-state.js").Role, StringKey>} */
const ROLE_TOASTS = { host: "toast.roleHost", cohost: "toast.roleCohost", guest: "toast.roleGuest" };

/**
 * A part of the page that follows each new call.
 * @typedef {{attach: (call: Call, timing: JoinTiming) => void}} CallFollower
 */

/**
 * @typedef {{room: string, i18n: I18n, toasts: Toasts, preferences: RoomPreferences,
 *   doorbell: Doorbell, secrets: HostSecrets, encryption: RoomEncryption, media: RoomMedia,
 *   view: CallView, controls: ControlBar, host: HostTools, errors: ErrorScreen,
 *   followers: CallFollower[]}} RoomSessionDeps `followers` in the order they hear a call
 */

export class RoomSession {
  /** @type {Call | null} the call joined last */
  call = null;
  prejoin;
  #deps;
  #name = "";
  /** @type {string | null} the room password, once asked for */
  #password = null;
  #passphrase;
  #waiting;
  #end;
  #passwordScreen;
  #socket = new WarmSocket();
  /** @type {PreparedReceiver | null} */
  #receiver = null;
  #banner;
  /** @type {string | null} a host's invitation from the link: for the first join only */
  #invitation = takeInvitation();
  /** @type {string | null} a council member's personal link secret: for every join */
  #member = memberSecretFromFragment(location.hash);
  /** @type {{pass: string, group: number} | null} where our joins lead while there are groups */
  #breakout = null;

  /** @param {RoomSessionDeps} deps */
  constructor(deps) {
    const { i18n, room, media, preferences, encryption } = deps;
    this.#deps = deps;
    const status = find("#connection-status", HTMLElement);
    this.#banner = new ReconnectBanner(
      find("#banner-advice", HTMLElement),
      find("#banner-reload", HTMLButtonElement),
      (key) => (key === null ? silence(status) : i18n.bind(status, key)),
    );
    this.#passphrase = new PassphraseField(i18n);
    this.#passphrase.show(encryption.entry, null);
    this.prejoin = new PrejoinView(i18n, room, preferences.name, {
      onToggle: (source, on) => (on ? void media.switchOn(source) : media.local.close(source)),
      onDevice: (role, deviceId) => media.chooseDevice(role, deviceId),
      onJoin: (typed) => this.#joinAs(typed),
      onAboutToJoin: () => this.#getReady(),
    });
    this.prejoin.showRoom(roomTitle(room), this.#hostSecret() !== null && this.#member === null);
    // A member needs no name: the server takes the roster's.
    if (this.#member !== null) this.prejoin.showMember(i18n.t("council.memberName"));
    this.#waiting = new WaitingView(i18n, () => this.call?.leave());
    this.#end = new EndScreen(i18n, () => this.rejoin());
    this.#passwordScreen = new PasswordScreen(i18n, (typed) => {
      this.#password = typed;
      this.join();
    });
    find("#rejoin", HTMLButtonElement).addEventListener("click", () => this.rejoin());
    media.local.addEventListener(LocalMediaEvent.TRACK, (event) =>
      this.#localTrack(/** @type {CustomEvent} */ (event).detail),
    );
  }

  /**
   * The host secret to join with. Read once: the fragment's secret is kept in this browser for
   * reloads and later visits. Read again for every join: a hand-over may have given this
   * browser a new secret.
   */
  #hostSecret() {
    return this.#deps.secrets.forRoom(this.#deps.room, location.hash);
  }

  /**
   * A join is near: the socket opens and the browser sets up its WebRTC machinery, the
   * subscribe connection and the page's audio now, so that the click only sends `join`.
   */
  #getReady() {
    this.#socket.warm();
    prepareMediaStack();
    // Only for a link without encryption: an encrypting join may need other settings, and a
    // browser that cannot encrypt does not join at all.
    if (this.#deps.encryption.entry === null && !this.#receiver?.available) {
      this.#receiver = PreparedReceiver.make();
    }
    this.#deps.media.prepareAudio();
  }

  /** @param {string} typed the name from the pre-join view */
  #joinAs(typed) {
    const { preferences, doorbell, media } = this.#deps;
    this.#name = typed;
    if (this.#passphrase.asked) {
      this.prejoin.setBusy(true);
      void this.#takePassphrase().then((ready) => (ready ? this.join() : this.prejoin.setBusy(false)));
    } else {
      // The socket opens first; the rest of the click's work overlaps with its handshake.
      this.join();
    }
    // A member's placeholder name is not the person's own: it is not kept for other rooms.
    if (this.#member === null) preferences.name = typed;
    doorbell.unlock(media.unlockAudio());
  }

  /** The secret from the typed passphrase; false: none typed yet. */
  async #takePassphrase() {
    const typed = this.#passphrase.typed();
    if (typed === null) return false;
    await this.#deps.encryption.usePassphrase(typed);
    return true;
  }

  /** Joins again after leaving, and reopens what was on before. */
  rejoin() {
    // Devices start while the socket joins; their tracks reach the call as they come.
    this.join();
    this.#deps.media.reopen();
  }

  /** The breakout group we are in (0: the main room), while the room has groups. */
  get group() {
    return this.#breakout?.group ?? 0;
  }

  /**
   * Into a breakout group or back into the main room, with the same name, devices and tracks:
   * the call in the room we leave ends quietly, and a new one joins with our pass.
   * @param {string} pass
   * @param {number} group 0: the main room
   */
  moveTo(pass, group) {
    const previous = this.call;
    this.#breakout = { pass, group };
    // Its events are not ours any more: its end shows no "left" screen.
    this.call = null;
    previous?.leave();
    this.join({ moving: true });
  }

  /** The groups are over: later joins and resumes go the usual way. */
  forgetBreakout() {
    if (this.#breakout?.group === 0) {
      this.#breakout = null;
      this.call?.forgetBreakout();
    }
  }

  /** @param {{moving?: boolean}} [options] `moving`: between the main room and a group */
  join({ moving = false } = {}) {
    const { room, encryption, view, host, media, followers } = this.#deps;
    const timing = new JoinTiming();
    view.clear();
    this.prejoin.setBusy(true);
    if (!moving) showState(CallState.JOINING);
    const current = new Call({
      room,
      name: this.#name,
      timing,
      hostSecret: this.#hostSecret(),
      password: this.#password,
      invitation: this.#invitation,
      member: this.#member,
      encryption: encryption.startJoin(),
      breakout: this.#breakout,
    });
    // It lets in once: a later join (after leaving, a refusal, a password) goes the usual way.
    this.#invitation = null;
    this.call = current;
    host.attach(current);
    host.setRole("guest");
    const on = callEvents(current, () => this.call === current);
    on(CallEvent.STATE, (detail) => this.#showState(detail));
    on(CallEvent.WAITING, ({ officeHours }) => this.#waiting.setOfficeHours(officeHours));
    on(CallEvent.QUEUE_POSITION, ({ position, length }) => this.#waiting.setPosition(position, length));
    on(CallEvent.ROOM_UPDATED, ({ room: settings }) => this.#followEncryption(current, settings.e2ee));
    this.#followUs(on);
    for (const follower of followers) follower.attach(current, timing);
    current.start(
      { microphone: media.local.track("microphone"), camera: media.local.track("camera") },
      this.#socket.take(),
      this.#receiver,
    );
    this.#receiver = null;
  }

  /** @param {{state: string, code: string, message: string | null}} detail */
  #showState({ state, code, message }) {
    const { local } = this.#deps.media;
    if (state === CallState.ERROR && BREAKOUT_OVER_CODES.has(code) && this.#breakout !== null) {
      // The groups are over (or this one is not ours): into the main room the usual way.
      this.#breakout = null;
      this.join({ moving: true });
      return;
    }
    this.#banner.follow(state);
    if (state === CallState.ERROR && (code === E2EE_REQUIRED || code === "bad_name")) {
      // Back to the pre-join view: the person can put it right there.
      this.prejoin.setBusy(false);
      if (code === E2EE_REQUIRED) this.#passphrase.show(this.#deps.encryption.required, "e2ee.required");
      else this.prejoin.showNameProblem("error.bad_name");
      showState("prejoin");
      return;
    }
    if (state === CallState.ERROR) this.#deps.errors.show(code);
    else if (END_SCREEN_STATES.has(state)) {
      this.#end.show(code, message);
      showState(state);
    } else {
      showState(state);
      if (state === CallState.PASSWORD) this.#passwordScreen.show(code);
    }
    if (state === CallState.WAITING) this.#waiting.setPreview(local.track("camera"));
    if (state === CallState.LEFT || END_SCREEN_STATES.has(state)) local.closeAll();
    if (state !== CallState.JOINING) this.prejoin.setBusy(false);
  }

  /**
   * The server confirmed the room's `e2ee` setting.
   * @param {Call} current
   * @param {boolean} encrypted
   */
  #followEncryption(current, encrypted) {
    const { encryption, view } = this.#deps;
    const step = encryption.roomConfirmed({
      encrypted,
      host: view.own.isHost,
      alone: current.room.others.size === 0,
      encrypting: current.encrypted,
    });
    if (step === "switch_on") {
      // We came with the room secret: the room is to be encrypted for all who follow.
      current.host.changeSettings({ e2ee: true });
    } else if (step !== null) {
      history.replaceState(null, "", encryption.fragment(location.hash));
      current.setEncryption(encryption.session);
    }
  }

  /**
   * What the call says about us: who we are, our role and hand, and a host's word on our
   * microphone, camera and screen.
   * @param {import("./call-events.js").CallListener} on
   */
  #followUs(on) {
    const { i18n, toasts, view, controls, host, media } = this.#deps;
    const { own } = view;
    on(CallEvent.JOINED, ({ you }) => {
      const replaced = own.joined(you);
      if (replaced !== null) view.forget(replaced);
      view.showSelf();
      controls.set("hand", you.hand);
      host.setRole(you.role);
      view.showAlone();
      // A host muted us before we lost the socket: stay quiet, as the server still is.
      if (you.mutedByHost) media.local.close("microphone");
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (!participant.you) return;
      controls.set("hand", participant.hand);
      const { roleChanged, unmute } = own.updated(participant);
      view.showSelf();
      if (roleChanged) {
        host.setRole(participant.role);
        view.showAlone();
        toasts.show(ROLE_TOASTS[/** @type {import("./room-state.js").Role} */ (participant.role)]);
      }
      if (unmute) void media.switchOn("microphone");
    });
    on(CallEvent.MUTED_BY_HOST, () => {
      own.hostMuted();
      media.local.close("microphone");
      toasts.show("toast.mutedByHost");
    });
    on(CallEvent.UNMUTE_ALLOWED, () => toasts.show("toast.unmuteAllowed"));
    on(CallEvent.VIDEO_STOPPED, ({ source }) => {
      media.local.close(source);
      toasts.show(source === "screen" ? "toast.screenStopped" : "toast.cameraStopped");
    });
    on(CallEvent.NOTICE, ({ code, ref }) => {
      if (code === "unmute_not_allowed") own.unmuteRefused();
      // The server refused our screen share: ending it stops the publish retries too.
      if (code === "screen_share_not_allowed") media.local.close("screen");
      // A code this page has no words for still gets a sentence a person understands.
      // A room that could not be deleted is not deleted at all: nothing "holds now".
      const key = /** @type {StringKey} */ (
        code === "not_saved" && ref === "delete_room" ? "toast.notDeleted" : `toast.${code}`
      );
      toasts.show(i18n.has(key) ? key : "toast.unknown");
    });
  }

  /** Our own microphone or camera went on or off (or was switched). */
  #localTrack(/** @type {{source: "microphone" | "camera" | "screen", track: MediaStreamTrack | null}} */ { source, track }) {
    const { prejoin } = this;
    if (source === "microphone") prejoin.microphone.set(Boolean(track));
    else if (source === "camera") {
      prejoin.camera.set(Boolean(track));
      prejoin.setPreview(track);
      this.#waiting.setPreview(track);
    }
    this.#deps.controls.set(source, Boolean(track));
    void this.call?.setLocalTrack(source, track);
    this.#deps.view.showSelf();
  }
}

/** Refusals of a join with our pass after which the main room is joined without it. */
const BREAKOUT_OVER_CODES = new Set(["breakout_over", "not_your_group"]);

/**
 * The invitation in the page's address, taken out of it at once: it lets in only once, so a
 * reload, a bookmark or a copied address must not carry it.
 * @returns {string | null}
 */
function takeInvitation() {
  const invitation = invitationFromFragment(location.hash);
  if (invitation !== null) {
    const hash = fragmentWithoutInvitation(location.hash);
    history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
  }
  return invitation;
}

/**
 * Empties a live region, and keeps it empty when the language changes.
 * @param {HTMLElement} region
 */
function silence(region) {
  delete region.dataset.i18n;
  region.textContent = "";
}
