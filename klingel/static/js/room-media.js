// @ts-check
/**
 * The room page's media side: our microphone, camera and screen, the devices chosen (kept for
 * the next visit), the level meter, the settings dialog, and the others' voices. Like room.js
 * it joins connection modules and UI modules.
 */

import { callEvents, CallEvent, CallState } from "./call-events.js";
import { LocalMedia, LocalMediaEvent } from "./local-media.js";
import { find } from "./ui/dom.js";
import { problemKey } from "./ui/invite.js";
import { LevelMeter } from "./ui/level-meter.js";
import { RemoteAudio } from "./ui/remote-audio.js";
import { SettingsDialog } from "./ui/settings.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./room-preferences.js").RoomPreferences} RoomPreferences */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */
/** @typedef {import("./ui/device-fields.js").DeviceRole} DeviceRole */

/**
 * @typedef {{
 *   showProblems: (problems: {microphone?: string, camera?: string}) => void,
 *   showDevices: (devices: MediaDeviceInfo[], chosen: Record<DeviceRole, string>) => void,
 * }} RoomMediaHandlers the pre-join view's part (the settings dialog follows by itself); once
 *   the page joined, a device's problem is a toast
 */

export class RoomMedia {
  local = new LocalMedia();
  #remoteAudio = new RemoteAudio(find("#remote-audio", HTMLElement));
  #speaker;
  #preferences;
  #toasts;
  #handlers;
  #settings;
  /** @type {AudioContext | null} */
  #audio = null;
  /** @type {LevelMeter | null} */
  #meter = null;
  /** @type {Call | null} */
  #call = null;
  /** Rejoining after leaving reopens what was on before. */
  #wanted = { microphone: true, camera: true };

  /**
   * @param {{i18n: I18n, toasts: Toasts, preferences: RoomPreferences}} deps
   * @param {RoomMediaHandlers} handlers
   */
  constructor({ i18n, toasts, preferences }, handlers) {
    this.#preferences = preferences;
    this.#toasts = toasts;
    this.#handlers = handlers;
    const { camera, microphone, speaker } = preferences.devices;
    this.local.devices.camera = camera;
    this.local.devices.microphone = microphone;
    this.#speaker = speaker;
    this.#settings = new SettingsDialog(
      find("#settings", HTMLDialogElement),
      find("#settings-devices", HTMLElement),
      i18n,
      (role, deviceId) => this.chooseDevice(role, deviceId),
    );
    // Browsers start audio only after a gesture; the first one anywhere will do for the meter.
    const unlock = () => this.unlockAudio();
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(type, unlock, { capture: true });
    }
    navigator.mediaDevices?.addEventListener("devicechange", () => void this.refreshDevices());
    this.local.addEventListener(LocalMediaEvent.TRACK, (event) => {
      const { source, track } = /** @type {CustomEvent} */ (event).detail;
      if (source === "microphone") this.#meter?.setTrack(track);
      if (this.#call?.state === CallState.JOINED) {
        this.#wanted.microphone = this.local.track("microphone") !== null;
        this.#wanted.camera = this.local.track("camera") !== null;
      }
    });
  }

  /** Opens what the page starts with, then lists the devices (names show once allowed). */
  start() {
    void this.local.open(this.#wanted).then(async (problems) => {
      this.#handlers.showProblems(problems);
      await this.refreshDevices();
    });
  }

  /** Devices start while the socket joins again; their tracks reach the call as they come. */
  reopen() {
    void this.local.open(this.#wanted);
  }

  /** Starts the page's audio (within a gesture) and returns it. */
  unlockAudio() {
    const audio = this.prepareAudio();
    if (audio.state === "suspended") void audio.resume();
    this.#remoteAudio.resume();
    return audio;
  }

  /**
   * Makes the page's audio and the pre-join level meter, still silent: Chromium takes
   * milliseconds to make an `AudioContext`, which need not fall on the click that joins.
   * Only `unlockAudio`, within a gesture, lets it play.
   */
  prepareAudio() {
    const audio = (this.#audio ??= new AudioContext());
    if (!this.#meter) {
      const meter = new LevelMeter(find("#prejoin-meter", HTMLElement), audio);
      this.#meter = meter;
      meter.setTrack(this.local.track("microphone"));
      // The meter is on the pre-join screen only: from the click on, it would draw unseen
      // through the join and the whole call.
      const follow = () => meter.pause(document.body.dataset.state !== "prejoin");
      new MutationObserver(follow).observe(document.body, {
        attributes: true,
        attributeFilter: ["data-state"],
      });
      follow();
    }
    return audio;
  }

  /** @param {"microphone" | "camera"} source */
  switchOn(source) {
    return this.local.openOne(source).catch((error) => {
      if (this.#call) this.#toasts.show(problemKey(source, error));
      else this.#handlers.showProblems({ [source]: error.problem ?? "failed" });
    });
  }

  /**
   * Music mode for our microphone (docs/music-mode.md): its speech processing goes off, or
   * back on, without a new offer; the publish connection follows in `Call.setMusic`.
   * @param {boolean} on
   */
  setMusicMode(on) {
    this.local.setMusicMode(on).catch((error) => this.#toasts.show(problemKey("microphone", error)));
  }

  /** @param {DeviceRole} role @param {string} deviceId */
  chooseDevice(role, deviceId) {
    if (role === "speaker") {
      this.#speaker = deviceId;
      void this.#remoteAudio.setSinkId(deviceId);
    } else {
      this.local
        .switchDevice(role, deviceId)
        .catch((error) => this.#toasts.show(problemKey(role, error)));
    }
    this.#preferences.devices = { ...this.local.devices, speaker: this.#speaker };
  }

  async refreshDevices() {
    const devices = await this.local.listDevices();
    const chosen = { ...this.local.devices, speaker: this.#speaker };
    this.#handlers.showDevices(devices, chosen);
    this.#settings.update(devices, chosen);
  }

  openSettings() {
    void this.refreshDevices();
    this.#settings.open();
  }

  /** Follows a new call (each join makes one): the others' voices, on the speaker chosen. */
  attach(/** @type {Call} */ call) {
    this.#call = call;
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.TRACK_ADDED, ({ stream, track }) => {
      if (stream.kind === "audio") this.#remoteAudio.add(stream.id, track);
    });
    on(CallEvent.TRACK_REMOVED, ({ stream }) => {
      if (stream.kind === "audio") this.#remoteAudio.remove(stream.id);
    });
    if (this.#speaker) void this.#remoteAudio.setSinkId(this.#speaker);
  }
}
