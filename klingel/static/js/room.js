// @ts-check
/**
 * The room page (`/r/<room>`): wires the pre-join view, local media, the call and the call's
 * views together. Nothing else imports both a connection module and a UI module.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { Call, CallEvent, CallState, E2EE_REQUIRED } from "./call.js";
import { Doorbell } from "./doorbell.js";
import { canEncrypt, E2eeEvent, E2eeSession } from "./e2ee/session.js";
import { HostSecrets } from "./host-secrets.js";
import { I18n, safeGet, safeSet } from "./i18n.js";
import { JoinStep, JoinTiming } from "./join-timing.js";
import { wantedLayers } from "./layers.js";
import { LocalMedia, LocalMediaEvent } from "./local-media.js";
import { encryptionStep, fragmentWithKey, RoomKey } from "./room-encryption.js";
import { HostTools } from "./room-host.js";
import { isHostRole } from "./room-state.js";
import { shortcutFor } from "./shortcuts.js";
import { roomFromPath, roomTitle } from "./slug.js";
import { AloneCard } from "./ui/alone-card.js";
import { ChatPanel } from "./ui/chat.js";
import { copyInvite, problemKey } from "./ui/invite.js";
import { ControlBar } from "./ui/controls.js";
import { E2eePanel } from "./ui/e2ee-panel.js";
import { find } from "./ui/dom.js";
import { EndScreen } from "./ui/end-screen.js";
import { LevelMeter } from "./ui/level-meter.js";
import { ParticipantList } from "./ui/participants.js";
import { PasswordScreen } from "./ui/password-screen.js";
import { PrejoinView } from "./ui/prejoin.js";
import { ReconnectBanner } from "./ui/reconnect-banner.js";
import { RemoteAudio } from "./ui/remote-audio.js";
import { showState } from "./ui/screens.js";
import { SettingsDialog } from "./ui/settings.js";
import { PANELS, SidePanels } from "./ui/side-panels.js";
import { ShortcutsDialog } from "./ui/shortcuts-dialog.js";
import { StoredPanel } from "./ui/stored-panel.js";
import { TileGrid } from "./ui/tiles.js";
import { Toasts } from "./ui/toasts.js";
import { WaitingView } from "./ui/waiting-view.js";

/** @typedef {import("./room-state.js").Participant} Participant */
/** @typedef {import("./i18n.js").StringKey} StringKey */

const NAME_KEY = "klingel.name";
const DEVICES_KEY = "klingel.devices";
/** The view chosen last in this browser: "tiles" or "speaker". */
const VIEW_KEY = "klingel.view";
/** Errors that mean: change something before trying again. */
const ERROR_TEXT = /** @type {Record<string, StringKey>} */ ({
  room_full: "error.room_full",
  server_full: "error.server_full",
  bad_room: "error.bad_room",
  unsupported_version: "error.unsupported_version",
  replaced: "error.replaced",
});
/** Call states that show the end screen: a host's decision, not a fault. */
const END_SCREEN_STATES = new Set([
  CallState.DENIED,
  CallState.REMOVED,
  CallState.ENDED,
  CallState.LOCKED,
]);

/** @type {Record<import("./room-state.js").Role, StringKey>} */
const ROLE_TOASTS = { host: "toast.roleHost", cohost: "toast.roleCohost", guest: "toast.roleGuest" };

function localStorageOrNull() {
  try {
    return globalThis.localStorage;
  } catch {
    return null;
  }
}

function main() {
  const storage = localStorageOrNull();
  const i18n = new I18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  const room = roomFromPath(location.pathname);
  const errorMessage = find("#error-message", HTMLElement);
  const errorRetry = find("#error-retry", HTMLButtonElement);
  /** @param {string} code */
  const showError = (code) => {
    i18n.bind(errorMessage, ERROR_TEXT[code] ?? "error.generic");
    errorRetry.hidden = code === "bad_room";
    i18n.bind(errorRetry, code === "unsupported_version" ? "error.reload" : "error.retry");
    showState(CallState.ERROR);
  };
  for (const id of ["#prejoin-language"]) {
    find(id, HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  }
  if (room === null) {
    showError("bad_room");
    return;
  }

  const local = new LocalMedia();
  const savedDevices = JSON.parse(safeGet(storage, DEVICES_KEY) ?? "{}");
  local.devices.camera = String(savedDevices.camera ?? "");
  local.devices.microphone = String(savedDevices.microphone ?? "");
  let speaker = String(savedDevices.speaker ?? "");
  const doorbell = new Doorbell(storage);
  const toasts = new Toasts(find("#toasts", HTMLElement), i18n);
  const remoteAudio = new RemoteAudio(find("#remote-audio", HTMLElement));
  /** Asks for each remote video in the size its tile shows it (or not at all, unseen). */
  const updateLayers = () => {
    const current = call;
    if (!current) return;
    const viewOf = (/** @type {string} */ id, /** @type {"camera" | "screen"} */ source) =>
      tiles.viewOf(id, source);
    current.setLayers(wantedLayers(current.room.streams.values(), viewOf, devicePixelRatio));
  };
  const tiles = new TileGrid(
    i18n,
    {
      stage: find("#stage", HTMLElement),
      grid: find("#grid", HTMLElement),
      presentation: find("#presentation", HTMLElement),
      pager: find("#pager", HTMLElement),
    },
    {
      mode: safeGet(storage, VIEW_KEY) === "speaker" ? "speaker" : "tiles",
      viewsChanged: updateLayers,
      // A pin shows the speaker view without changing the view chosen: unpinned, it returns.
      modeChanged: (mode) => controls.set("view", mode === "speaker"),
    },
  );
  const people = new ParticipantList(find("#people", HTMLElement), find("#people-title", HTMLElement), i18n);
  // End-to-end encryption: the room secret from the link's fragment or a typed passphrase.
  const roomKey = new RoomKey(location.hash);
  const passphraseField = find("#e2ee-passphrase", HTMLElement);
  const passphraseInput = find("#e2ee-passphrase-input", HTMLInputElement);
  const e2eeMessage = find("#e2ee-message", HTMLElement);
  const e2eePanel = new E2eePanel(
    {
      badge: find("#e2ee-badge", HTMLButtonElement),
      dialog: find("#e2ee-dialog", HTMLDialogElement),
      code: find("#e2ee-code", HTMLElement),
      peers: find("#e2ee-peers", HTMLElement),
    },
    i18n,
  );
  const storedPanel = new StoredPanel(
    find("#stored-dialog", HTMLDialogElement),
    find("#stored-body", HTMLElement),
    i18n,
    () => {
      const current = call;
      const host = isHostRole(self?.role ?? "guest");
      return {
        room,
        names: [
          ...(self ? [self.name] : []),
          ...(current ? [...current.room.others.values()].map((other) => other.name) : []),
        ],
        lobby: host && current ? current.lobby.length : null,
        hasPassword: Boolean(hostTools.settings?.hasPassword),
        encrypted: e2eePanel.encrypting,
      };
    },
  );
  /** @type {E2eeSession | null} */
  let session = null;
  /** @param {import("./i18n.js").StringKey | null} why */
  const askPassphrase = (why) => {
    passphraseField.hidden = false;
    if (why) i18n.bind(e2eeMessage, why);
  };
  const refuseUnencryptable = () => {
    i18n.bind(e2eeMessage, "e2ee.unsupported");
    find("#join", HTMLButtonElement).disabled = true;
  };
  if (roomKey.marked && !canEncrypt()) refuseUnencryptable();
  else if (roomKey.wantsPassphrase) askPassphrase(null);
  /** A new session for each join; the panel follows it. */
  const startSession = () => {
    session?.close();
    session = null;
    e2eePanel.show({ encrypting: false, code: "", peers: 0 });
    if (!roomKey.secret) return null;
    const made = new E2eeSession(roomKey.secret);
    session = made;
    made.addEventListener(E2eeEvent.CHANGE, async () => {
      const code = await made.safetyCode();
      if (session !== made) return;
      e2eePanel.show({ encrypting: made.encrypting, code, peers: made.peers.length });
      storedPanel.refresh();
      document.body.dataset.e2eeKeyIndex = String(made.keyIndex ?? "");
    });
    return made;
  };
  /** The secret from the typed passphrase, if the room wants one; false: none typed yet. */
  const takePassphrase = async () => {
    if (passphraseField.hidden) return true;
    const typed = passphraseInput.value;
    if (!typed) {
      askPassphrase("e2ee.passphraseHint");
      passphraseInput.focus();
      return false;
    }
    await roomKey.usePassphrase(typed, room);
    return true;
  };
  const secrets = new HostSecrets(storage);
  // Read once: the fragment's secret is kept in this browser for reloads and later visits.
  // Read again for every join: a hand-over may have given this browser a new secret.
  const hostSecret = () => secrets.forRoom(room, location.hash);
  const creator = hostSecret() !== null;
  /** @type {string | null} the room password, once asked for */
  let password = null;
  /** Whether we asked to be heard again after a host muted us. */
  let unmuteAsked = false;
  /** @type {AudioContext | null} */
  let audio = null;
  /** @type {LevelMeter | null} */
  let meter = null;
  /** @type {Call | null} */
  let call = null;
  /** @type {Participant | null} */
  let self = null;
  let name = "";

  // Browsers start audio only after a gesture; the first one anywhere will do for the meter.
  const unlockAudio = () => {
    audio ??= new AudioContext();
    if (audio.state === "suspended") void audio.resume();
    if (!meter) {
      meter = new LevelMeter(find("#prejoin-meter", HTMLElement), audio);
      meter.setTrack(local.track("microphone"));
    }
    remoteAudio.resume();
    return audio;
  };
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, unlockAudio, { capture: true });
  }

  const rememberDevices = () =>
    safeSet(storage, DEVICES_KEY, JSON.stringify({ ...local.devices, speaker }));
  /** @param {import("./ui/device-fields.js").DeviceRole} role @param {string} deviceId */
  const chooseDevice = (role, deviceId) => {
    if (role === "speaker") {
      speaker = deviceId;
      void remoteAudio.setSinkId(deviceId);
    } else {
      local.switchDevice(role, deviceId).catch((error) => toasts.show(problemKey(role, error)));
    }
    rememberDevices();
  };
  const settings = new SettingsDialog(
    find("#settings", HTMLDialogElement),
    find("#settings-devices", HTMLElement),
    i18n,
    chooseDevice,
  );
  /** @param {"microphone" | "camera"} source */
  const switchOn = (source) =>
    local.openOne(source).catch((error) => {
      if (call) toasts.show(problemKey(source, error));
      else prejoin.showProblems({ [source]: error.problem ?? "failed" });
    });

  const prejoin = new PrejoinView(i18n, room, safeGet(storage, NAME_KEY) ?? "", {
    onToggle: (source, on) => (on ? void switchOn(source) : local.close(source)),
    onDevice: chooseDevice,
    onJoin: (typed) => {
      name = typed;
      if (!passphraseField.hidden) {
        prejoin.setBusy(true);
        void takePassphrase().then((ready) => (ready ? join() : prejoin.setBusy(false)));
      } else {
        // The socket opens first; the rest of the click's work overlaps with its handshake.
        join();
      }
      safeSet(storage, NAME_KEY, name);
      doorbell.unlock(unlockAudio());
    },
  });
  prejoin.showRoom(roomTitle(room), creator);

  const refreshDevices = async () => {
    const devices = await local.listDevices();
    const chosen = { ...local.devices, speaker };
    prejoin.setDevices(devices, chosen);
    settings.update(devices, chosen);
  };
  navigator.mediaDevices?.addEventListener("devicechange", () => void refreshDevices());

  const chat = new ChatPanel(
    {
      panel: find("#chat-panel", HTMLElement),
      log: find("#chat-log", HTMLElement),
      lines: find("#chat-lines", HTMLElement),
      empty: find("#chat-empty", HTMLElement),
      form: find("#chat-form", HTMLFormElement),
      input: find("#chat-input", HTMLTextAreaElement),
    },
    i18n,
    {
      send: (text) => {
        const sent = call?.sendChat(text) ?? false;
        if (!sent) toasts.show("chat.notSent");
        return sent;
      },
      onUnread: (count) => controls.setUnread(count),
    },
  );
  const panels = new SidePanels(
    {
      chat,
      people: find("#people-panel", HTMLElement),
      host: find("#host-panel", HTMLElement),
      narrow: matchMedia("(max-width: 700px)"),
    },
    () => {
      for (const which of PANELS) controls.set(which, panels.isOpen(which));
      tiles.layout();
    },
  );
  /**
   * Closes a panel from inside it (its close button, Escape) and gives the focus back to the
   * control that opened it, or to "Mehr" where that control is folded away.
   * @param {import("./ui/side-panels.js").Panel} which
   */
  const closePanel = (which) => {
    panels.show(which, false);
    controls.focus(which);
  };
  for (const which of PANELS) {
    find(`#${which}-close`, HTMLButtonElement).addEventListener("click", () => closePanel(which));
  }

  const controls = new ControlBar(find("#controls", HTMLElement), i18n, {
    onToggle: (toggle, on) => {
      if (toggle === "microphone" && on && self?.mutedByHost) {
        // Only the server knows whether we may: it says so with our update or a refusal.
        unmuteAsked = call?.requestUnmute() ?? false;
      } else if (toggle === "microphone" || toggle === "camera") {
        if (on) void switchOn(toggle);
        else local.close(toggle);
      } else if (toggle === "screen") {
        const forbidden = hostTools.settings?.screenShareAllowed === false;
        if (on && forbidden && !isHostRole(self?.role ?? "guest")) {
          toasts.show("toast.screen_share_not_allowed");
        } else if (on) local.openScreen().catch(() => toasts.show("problem.screen.failed"));
        else local.close("screen");
      } else if (toggle === "hand") {
        if (call?.setHand(on)) controls.set("hand", on);
      } else if (toggle === "chat" || toggle === "people" || toggle === "host") {
        panels.show(toggle, on);
        // The chat puts the focus in its field; the others on their heading.
        if (on && toggle !== "chat") document.getElementById(`${toggle}-title`)?.focus();
      } else if (toggle === "doorbell") {
        doorbell.setEnabled(on);
        controls.set("doorbell", on);
      } else if (toggle === "view") {
        const mode = on ? "speaker" : "tiles";
        safeSet(storage, VIEW_KEY, mode);
        tiles.setMode(mode);
        controls.set("view", mode === "speaker");
      }
    },
    onAction: (action) => {
      if (action === "invite") void copyInvite(room, toasts, roomKey.inviteFragment(session !== null));
      else if (action === "stored") storedPanel.open();
      else if (action === "settings") {
        void refreshDevices();
        settings.open();
      } else if (action === "language") i18n.toggle();
      else if (action === "shortcuts") shortcuts.open();
      else if (action === "leave") call?.leave();
    },
  });
  const shortcuts = new ShortcutsDialog(
    {
      dialog: find("#shortcuts-dialog", HTMLDialogElement),
      list: find("#shortcut-list", HTMLElement),
      enabled: find("#shortcuts-enabled", HTMLInputElement),
    },
    i18n,
    storage,
  );
  const inCall = () => call?.state === CallState.JOINED || call?.state === CallState.RECONNECTING;
  document.addEventListener("keydown", (event) => {
    if (!inCall() || document.querySelector("dialog[open]")) return;
    if (event.key === "Escape") {
      // The innermost thing open closes first: the "Mehr" sheet closes itself.
      const open = panels.open();
      if (controls.moreOpen) controls.closeMore(true);
      else if (open.length > 0) closePanel(open[open.length - 1]);
      return;
    }
    if (!shortcuts.enabled) return;
    const action = shortcutFor(event);
    if (!action) return;
    event.preventDefault();
    if (action === "help") shortcuts.open();
    else controls.toggles.get(action)?.button.click();
  });
  controls.set("doorbell", doorbell.enabled);
  controls.set("view", tiles.mode === "speaker");
  const hostTools = new HostTools({
    i18n,
    room,
    toasts,
    doorbell,
    controls,
    people,
    secrets,
    closePanel: () => {
      if (panels.isOpen("host")) panels.show("host", false);
    },
  });
  const waiting = new WaitingView(i18n, () => call?.leave());
  const endScreen = new EndScreen(i18n, () => {
    join();
    void local.open(wanted);
  });
  const passwordScreen = new PasswordScreen(i18n, (typed) => {
    password = typed;
    join();
  });
  controls.allowScreenShare(Boolean(navigator.mediaDevices?.getDisplayMedia));

  const banner = new ReconnectBanner(
    find("#banner-advice", HTMLElement),
    find("#banner-reload", HTMLButtonElement),
  );

  // Whoever is alone in the call is told so, with the link at hand.
  const alone = new AloneCard(find("#alone-card", HTMLElement), find("#alone-host", HTMLElement), () =>
    copyInvite(room, toasts, roomKey.inviteFragment(session !== null)),
  );
  const showAlone = () =>
    alone.show(Boolean(call && self) && call?.room.others.size === 0, isHostRole(self?.role ?? "guest"));

  /** Our own tiles and list entry follow our local tracks at once, not the server's echo. */
  const showSelf = () => {
    if (!self) return;
    self = {
      ...self,
      audio: local.track("microphone") !== null,
      video: local.track("camera") !== null,
      screen: local.track("screen") !== null,
    };
    tiles.upsert(self);
    people.upsert(self);
    tiles.setTrack(self.id, "camera", local.track("camera"));
    tiles.setTrack(self.id, "screen", local.track("screen"));
  };

  local.addEventListener(LocalMediaEvent.TRACK, (event) => {
    const { source, track } = /** @type {CustomEvent} */ (event).detail;
    if (source === "microphone") {
      prejoin.microphone.set(Boolean(track));
      meter?.setTrack(track);
    } else if (source === "camera") {
      prejoin.camera.set(Boolean(track));
      prejoin.setPreview(track);
      waiting.setPreview(track);
    }
    controls.set(source, Boolean(track));
    void call?.setLocalTrack(source, track);
    showSelf();
  });

  const join = () => {
    const timing = new JoinTiming();
    tiles.clear();
    people.clear();
    self = null;
    alone.show(false, false);
    prejoin.setBusy(true);
    showState(CallState.JOINING);
    const encryption = startSession();
    const current = new Call({
      room,
      name,
      timing,
      hostSecret: hostSecret(),
      password,
      encryption,
    });
    /** @type {boolean | null} the room's `e2ee` as last confirmed */
    let roomEncrypted = null;
    call = current;
    unmuteAsked = false;
    hostTools.attach(current);
    hostTools.setRole("guest");
    /** @param {string} type @param {(detail: any) => void} handler */
    const on = (type, handler) =>
      current.addEventListener(type, (event) => {
        if (call === current) handler(/** @type {CustomEvent} */ (event).detail);
      });
    on(CallEvent.STATE, ({ state, code, message }) => {
      banner.follow(state);
      if (state === CallState.ERROR && code === E2EE_REQUIRED) {
        prejoin.setBusy(false);
        if (canEncrypt()) askPassphrase("e2ee.required");
        else refuseUnencryptable();
        showState("prejoin");
        return;
      }
      if (state === CallState.ERROR && code === "bad_name") {
        prejoin.setBusy(false);
        prejoin.showNameProblem("error.bad_name");
        showState("prejoin");
        return;
      }
      if (state === CallState.ERROR) showError(code);
      else if (END_SCREEN_STATES.has(state)) {
        endScreen.show(code, message);
        showState(state);
      } else {
        showState(state);
        if (state === CallState.PASSWORD) passwordScreen.show(code);
      }
      if (state === CallState.WAITING) waiting.setPreview(local.track("camera"));
      if (state === CallState.LEFT || END_SCREEN_STATES.has(state)) local.closeAll();
      if (state !== CallState.JOINING) prejoin.setBusy(false);
    });
    on(CallEvent.WAITING, ({ officeHours }) => waiting.setOfficeHours(officeHours));
    on(CallEvent.ROOM_UPDATED, ({ room: settings }) => {
      const before = roomEncrypted;
      roomEncrypted = settings.e2ee;
      const step = encryptionStep({
        encrypted: settings.e2ee,
        before,
        haveSession: session !== null,
        host: isHostRole(self?.role ?? "guest"),
        alone: current.room.others.size === 0,
        encrypting: current.encrypted,
        canEncrypt: canEncrypt(),
      });
      if (step === "switch_on") {
        // We came with the room secret: the room is to be encrypted for all who follow.
        current.host.changeSettings({ e2ee: true });
      } else if (step === "new_key" || step === "drop_key") {
        // A host (we, alone) switched it on: a new room secret, in our link only; or off.
        if (step === "new_key") roomKey.renew();
        else roomKey.drop();
        history.replaceState(null, "", fragmentWithKey(location.hash, roomKey.key));
        current.setEncryption(startSession());
      }
    });
    on(CallEvent.QUEUE_POSITION, ({ position, length }) => waiting.setPosition(position, length));
    on(CallEvent.MUTED_BY_HOST, () => {
      if (self) self = { ...self, mutedByHost: true };
      local.close("microphone");
      toasts.show("toast.mutedByHost");
    });
    on(CallEvent.UNMUTE_ALLOWED, () => toasts.show("toast.unmuteAllowed"));
    on(CallEvent.VIDEO_STOPPED, ({ source }) => {
      local.close(source);
      toasts.show(source === "screen" ? "toast.screenStopped" : "toast.cameraStopped");
    });
    on(CallEvent.JOINED, ({ you }) => {
      if (self && self.id !== you.id) {
        tiles.remove(self.id);
        people.remove(self.id);
      }
      self = { ...you, you: true };
      showSelf();
      controls.set("hand", you.hand);
      hostTools.setRole(you.role);
      showAlone();
      // A host muted us before we lost the socket: stay quiet, as the server still is.
      if (you.mutedByHost) local.close("microphone");
    });
    for (const type of [
      CallEvent.PARTICIPANT_ADDED,
      CallEvent.PARTICIPANT_UPDATED,
      CallEvent.PARTICIPANT_REMOVED,
      CallEvent.LOBBY,
      CallEvent.ROOM_UPDATED,
    ]) {
      // After the handlers below: the panel shows what they made of the change.
      current.addEventListener(type, () => queueMicrotask(() => storedPanel.refresh()));
    }
    on(CallEvent.PARTICIPANT_ADDED, ({ participant, arrived }) => {
      tiles.upsert(participant);
      people.upsert(participant);
      hostTools.peopleChanged();
      showAlone();
      if (arrived) {
        doorbell.participantArrived();
        toasts.show("toast.joined", { name: participant.name });
      }
    });
    on(CallEvent.PARTICIPANT_UPDATED, ({ participant }) => {
      if (participant.you) {
        controls.set("hand", participant.hand);
        const before = self;
        if (self) {
          const { name, hand, role, mutedByHost } = participant;
          self = { ...self, name, hand, role, mutedByHost };
        }
        showSelf();
        if (before && before.role !== participant.role) {
          hostTools.setRole(participant.role);
          showAlone();
          toasts.show(ROLE_TOASTS[participant.role]);
        }
        if (before?.mutedByHost && !participant.mutedByHost && unmuteAsked) {
          unmuteAsked = false;
          void switchOn("microphone");
        }
        return;
      }
      const before = people.get(participant.id);
      tiles.upsert(participant);
      people.upsert(participant);
      if (participant.hand && before && !before.hand) {
        toasts.show("toast.hand", { name: participant.name });
      }
      hostTools.peopleChanged();
    });
    on(CallEvent.PARTICIPANT_REMOVED, ({ id }) => {
      const gone = people.nameOf(id);
      tiles.remove(id);
      people.remove(id);
      hostTools.peopleChanged();
      showAlone();
      if (gone) toasts.show("toast.left", { name: gone });
    });
    on(CallEvent.TRACK_ADDED, ({ stream, track }) => {
      if (stream.kind === "audio") {
        remoteAudio.add(stream.id, track);
        return;
      }
      const video = tiles.setTrack(
        stream.participant,
        stream.source === "screen" ? "screen" : "camera",
        track,
      );
      updateLayers();
      if (video && !timing.has(JoinStep.FIRST_FRAME) && "requestVideoFrameCallback" in video) {
        video.requestVideoFrameCallback(() => timing.mark(JoinStep.FIRST_FRAME));
      }
    });
    on(CallEvent.TRACK_REMOVED, ({ stream }) => {
      if (stream.kind === "audio") remoteAudio.remove(stream.id);
      else tiles.setTrack(stream.participant, stream.source === "screen" ? "screen" : "camera", null);
    });
    on(CallEvent.CHAT, (line) => {
      chat.add(line);
      if (!chat.open && !line.mine) {
        const text = line.text.length > 120 ? `${line.text.slice(0, 119)}…` : line.text;
        toasts.show("toast.chat", { name: line.name, text });
      }
    });
    // The speaker view follows the speaker; the tiles' new sizes then change their layers.
    on(CallEvent.ACTIVE_SPEAKER, ({ id }) => tiles.setActiveSpeaker(id));
    on(CallEvent.NOTICE, ({ code }) => {
      if (code === "unmute_not_allowed") unmuteAsked = false;
      // The server refused our screen share: ending it stops the publish retries too.
      if (code === "screen_share_not_allowed") local.close("screen");
      // A code this page has no words for still gets a sentence a person understands.
      const key = /** @type {StringKey} */ (`toast.${code}`);
      toasts.show(i18n.has(key) ? key : "toast.unknown");
    });
    if (speaker) void remoteAudio.setSinkId(speaker);
    current.start({ microphone: local.track("microphone"), camera: local.track("camera") });
  };

  /** Rejoining after leaving reopens what was on before. */
  const wanted = { microphone: true, camera: true };
  find("#rejoin", HTMLButtonElement).addEventListener("click", () => {
    // Devices start while the socket joins; their tracks reach the call as they come.
    join();
    void local.open(wanted);
  });
  errorRetry.addEventListener("click", () => {
    if (errorMessage.dataset.i18n === "error.unsupported_version") location.reload();
    else join();
  });
  local.addEventListener(LocalMediaEvent.TRACK, () => {
    if (call?.state === CallState.JOINED) {
      wanted.microphone = local.track("microphone") !== null;
      wanted.camera = local.track("camera") !== null;
    }
  });
  addEventListener("pagehide", () => call?.leave());

  void local.open(wanted).then(async (problems) => {
    prejoin.showProblems(problems);
    await refreshDevices();
  });
}

main();
