// @ts-check
/**
 * The viewer page (`/live/<key>`) and its hall view (`/live/<key>?halle`): a citizen watches a
 * public broadcast, a screen in a hall shows it all day. The connection is `LiveSession`; this
 * module shows what it says: one screen per phase (its heading takes the focus), who is on the
 * programme, the pictures and voices, a button for the sound where the browser held it back,
 * and a polite live region. Names are set as text only.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { LiveSession, LiveSessionEvent } from "./live-session.js";
import {
  keyFromPath,
  Phase,
  phaseAnnouncement,
  StageAnnouncer,
} from "./live-state.js";
import { LiveI18n } from "./live-strings.js";
import { find } from "./ui/dom.js";

/** @typedef {import("./live-state.js").LiveState} LiveState */
/** @typedef {import("./live-state.js").Stage} Stage */
/** @typedef {{camera: MediaStreamTrack, screen: MediaStreamTrack, audio: MediaStreamTrack[]}} Tracks */

/** The heading each phase's screen starts with. */
const SCREEN_HEADINGS = /** @type {Record<string, string>} */ ({
  [Phase.CONNECTING]: "connecting-title",
  [Phase.LIVE]: "live-title",
  [Phase.PAUSED]: "paused-title",
  [Phase.ENDED]: "ended-title",
  [Phase.UNKNOWN]: "unknown-title",
  [Phase.RECONNECTING]: "reconnecting-title",
  [Phase.BUSY]: "busy-title",
});
/** The hall view hides the pointer when it has not moved for this long. */
const CURSOR_IDLE_MS = 3_000;
/** A moment of silence in the live region, so that the same words are said again. */
const SAY_GAP_MS = 100;

function browserStorage() {
  try {
    return globalThis.localStorage;
  } catch {
    return null; // without storage the language choice is simply not remembered
  }
}

class LiveView {
  #i18n;
  #status = find("#live-status", HTMLElement);
  #programme = find("#programme", HTMLElement);
  #cameraSlot = find("#slot-camera", HTMLElement);
  #screenSlot = find("#slot-screen", HTMLElement);
  #cameraName = find("#name-camera", HTMLElement);
  #screenName = find("#name-screen", HTMLElement);
  #empty = find("#programme-empty", HTMLElement);
  #cameraVideo = find("#video-camera", HTMLVideoElement);
  #screenVideo = find("#video-screen", HTMLVideoElement);
  #sound = find("#sound", HTMLElement);
  #voices = /** @type {HTMLAudioElement[]} */ ([
    ...document.querySelectorAll("#programme-audio audio"),
  ]);
  #stageAnnouncer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #sayTimer;

  /** @param {LiveI18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
    this.#stageAnnouncer = new StageAnnouncer((key, args) => this.say(key, args));
    find("#sound-on", HTMLButtonElement).addEventListener("click", () => void this.#soundOn());
  }

  /**
   * @param {LiveState} state
   * @param {LiveState | null} before
   */
  show(state, before) {
    const body = document.body;
    body.dataset.state = state.phase;
    if (before !== null && before.phase !== state.phase) {
      document.getElementById(SCREEN_HEADINGS[state.phase])?.focus();
      const said = phaseAnnouncement(before.phase, state.phase);
      if (said) this.say(said);
    }
    if (state.phase === Phase.LIVE) {
      this.#stageAnnouncer.update(state.stage);
    } else {
      // After a pause or a gap, whoever is on stage is said again.
      this.#stageAnnouncer.reset();
    }
    this.#showStage(state.stage);
  }

  /** @param {Stage | null} stage */
  #showStage(stage) {
    const screen = stage?.screen ?? null;
    const camera = stage?.camera ?? null;
    const nobody = stage !== null && screen === null && camera === null;
    this.#programme.dataset.layout = screen !== null ? "screen" : "camera";
    this.#screenSlot.hidden = screen === null;
    // Before the server names anyone, the camera slot shows whatever it carries.
    this.#cameraSlot.hidden = nobody || (screen !== null && camera === null);
    this.#empty.hidden = !nobody;
    setName(this.#cameraName, camera);
    if (screen === null) {
      setName(this.#screenName, null);
    } else {
      // The name goes in as a placeholder's value: `apply` sets the result as text.
      this.#screenName.dataset.i18n = "live.screenOf";
      this.#screenName.dataset.i18nArgs = JSON.stringify({ name: screen });
      this.#i18n.apply(this.#screenName);
      this.#screenName.hidden = false;
    }
  }

  /**
   * Shows the programme's tracks, or nothing.
   * @param {Tracks | null} tracks
   */
  attach(tracks) {
    attachTrack(this.#cameraVideo, tracks?.camera ?? null);
    attachTrack(this.#screenVideo, tracks?.screen ?? null);
    this.#voices.forEach((voice, index) => attachTrack(voice, tracks?.audio[index] ?? null));
    if (tracks === null) return;
    void this.#play([this.#cameraVideo, this.#screenVideo]);
    void this.#tryVoices();
  }

  /**
   * Says `key` politely in the live region (also the same words twice in a row).
   * @param {string} key
   * @param {Record<string, string>} [args]
   */
  say(key, args) {
    clearTimeout(this.#sayTimer);
    this.#status.textContent = "";
    const text = this.#i18n.t(key, args);
    this.#sayTimer = setTimeout(() => {
      this.#status.textContent = text;
    }, SAY_GAP_MS);
  }

  /** @param {HTMLMediaElement[]} elements */
  async #play(elements) {
    const results = await Promise.allSettled(
      elements.filter((element) => element.srcObject !== null).map((element) => element.play()),
    );
    return results.every(
      (result) => result.status === "fulfilled" || result.reason?.name !== "NotAllowedError",
    );
  }

  /** Starts the voices; where the browser wants a click first, offers the button. */
  async #tryVoices() {
    const allowed = await this.#play(this.#voices);
    if (!allowed) this.#sound.hidden = false;
  }

  async #soundOn() {
    for (const voice of this.#voices) voice.muted = false;
    // The click itself lets the page play sound from now on.
    this.#sound.hidden = true;
    const allowed = await this.#play(this.#voices);
    if (!allowed) {
      this.#sound.hidden = false;
      return;
    }
    document.body.dataset.sound = "on";
  }
}

/**
 * @param {HTMLElement} element
 * @param {string | null} name shown as text, never as markup
 */
function setName(element, name) {
  delete element.dataset.i18n;
  delete element.dataset.i18nArgs;
  element.textContent = name ?? "";
  element.hidden = name === null;
}

/**
 * @param {HTMLMediaElement} element
 * @param {MediaStreamTrack | null} track
 */
function attachTrack(element, track) {
  if (track === null) {
    element.srcObject = null;
    return;
  }
  element.srcObject = new MediaStream([track]);
}

/** The hall view hides the pointer while nobody moves it, and keeps the screen awake. */
function hallView() {
  const body = document.body;
  body.dataset.view = "hall";
  body.classList.add("page-hall");
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let idle;
  const moved = () => {
    body.classList.remove("cursor-hidden");
    clearTimeout(idle);
    idle = setTimeout(() => body.classList.add("cursor-hidden"), CURSOR_IDLE_MS);
  };
  addEventListener("pointermove", moved, { passive: true });
  moved();
  const wakeLock = /** @type {any} */ (navigator).wakeLock;
  const stayAwake = () => {
    if (document.visibilityState !== "visible" || !wakeLock) return;
    wakeLock.request("screen").catch(() => {
      // A screen that sleeps is the hall's settings' business; the page works all the same.
    });
  };
  document.addEventListener("visibilitychange", stayAwake);
  stayAwake();
}

function main() {
  const storage = browserStorage();
  const i18n = new LiveI18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const hall = new URLSearchParams(location.search).has("halle");
  if (hall) hallView();

  const view = new LiveView(i18n);
  const key = keyFromPath(location.pathname);
  if (key === null) {
    view.show({ phase: Phase.UNKNOWN, watched: false, stage: null }, null);
    return;
  }
  const session = new LiveSession({ key });
  session.addEventListener(LiveSessionEvent.STATE, (event) => {
    const { state, before } = /** @type {CustomEvent} */ (event).detail;
    view.show(state, before);
  });
  session.addEventListener(LiveSessionEvent.TRACKS, (event) => {
    view.attach(/** @type {CustomEvent} */ (event).detail);
  });
  view.show(session.state, null);
  addEventListener("pagehide", () => session.stop());
  // Back from the browser's page cache the session is over: a fresh page watches anew.
  addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });
  session.start();
}

main();
