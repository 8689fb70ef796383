// @ts-check
/**
 * The doorbell: a soft two-tone chime ("Palim Palim") when someone comes in, synthesised with
 * Web Audio. It keeps quiet for bursts (a class arriving at once) and rings at most once every
 * few seconds. Every chime that really started is counted in `document.body.dataset.chimesPlayed`.
 */

import { safeGet, safeSet } from "./i18n.js";

const STORAGE_KEY = "klingel.doorbell";
/** Joins closer together than this are one burst: the first may ring, the rest may not. */
const BURST_WINDOW_MS = 3_000;
/** A join waits this long for company before it rings: a burst's first join stays quiet too. */
const SETTLE_MS = 400;
const MIN_GAP_MS = 3_000;
/**
 * Someone ringing at the lobby always rings for hosts (they must answer each one); only rings
 * on top of each other are one chime.
 */
const LOBBY_GAP_MS = 1_000;

/** [frequency in Hz, start in s, length in s]: E5, then C5. */
const TONES = /** @type {const} */ ([
  [659.25, 0, 0.75],
  [523.25, 0.38, 0.95],
]);
const PEAK_GAIN = 0.12;

/**
 * Decides whether a join rings: pure timing, so it can be tested without sound.
 */
export class ChimePolicy {
  #lastJoin = -Infinity;
  #lastChime = -Infinity;
  #burst = false;

  /**
   * A join happened at `now` (ms). Returns whether it may ring after `SETTLE_MS`, if no other
   * join comes first.
   * @param {number} now
   */
  join(now) {
    this.#burst = now - this.#lastJoin < BURST_WINDOW_MS;
    this.#lastJoin = now;
    return !this.#burst;
  }

  /**
   * The settle time of the join at `joinedAt` is over: ring now?
   * @param {number} joinedAt
   * @param {number} now
   */
  settle(joinedAt, now) {
    if (this.#lastJoin !== joinedAt || this.#burst) return false;
    if (now - this.#lastChime < MIN_GAP_MS) return false;
    this.#lastChime = now;
    return true;
  }
}

export class Doorbell {
  /** @type {AudioContext | null} */
  #context = null;
  #policy = new ChimePolicy();
  #storage;
  #enabled;
  #lastLobbyRing = -Infinity;

  /** @param {Storage | null} storage where "off" is remembered */
  constructor(storage) {
    this.#storage = storage;
    this.#enabled = safeGet(storage, STORAGE_KEY) !== "off";
  }

  get enabled() {
    return this.#enabled;
  }

  /** @param {boolean} enabled */
  setEnabled(enabled) {
    this.#enabled = enabled;
    safeSet(this.#storage, STORAGE_KEY, enabled ? "on" : "off");
  }

  /**
   * Browsers start audio only after a gesture: call this from the join click.
   * @param {AudioContext} context
   */
  unlock(context) {
    this.#context = context;
    if (context.state === "suspended") void context.resume();
  }

  /** Someone new came in (not someone already there when we joined). */
  participantArrived() {
    const joinedAt = performance.now();
    if (!this.#policy.join(joinedAt)) return;
    setTimeout(() => {
      if (this.#policy.settle(joinedAt, performance.now()) && this.#enabled) this.ring();
    }, SETTLE_MS);
  }

  /** Someone rang at the lobby (we are a host): "Palim Palim". */
  lobbyRing() {
    const now = performance.now();
    if (!this.#enabled || now - this.#lastLobbyRing < LOBBY_GAP_MS) return;
    this.#lastLobbyRing = now;
    this.ring();
  }

  /** Plays the chime now; returns whether it started. */
  ring() {
    const context = this.#context;
    if (!context || context.state !== "running") return false;
    const start = context.currentTime + 0.02;
    const master = context.createGain();
    master.gain.value = PEAK_GAIN;
    master.connect(context.destination);
    for (const [frequency, offset, length] of TONES) {
      // A sine with a quiet triangle an octave up sounds like a small bell, not a beep.
      for (const [type, multiple, level] of /** @type {const} */ ([
        ["sine", 1, 1],
        ["triangle", 2, 0.18],
      ])) {
        const oscillator = context.createOscillator();
        oscillator.type = type;
        oscillator.frequency.value = frequency * multiple;
        const envelope = context.createGain();
        const t0 = start + offset;
        envelope.gain.setValueAtTime(0.0001, t0);
        envelope.gain.exponentialRampToValueAtTime(level, t0 + 0.02);
        envelope.gain.exponentialRampToValueAtTime(0.0001, t0 + length);
        oscillator.connect(envelope).connect(master);
        oscillator.start(t0);
        oscillator.stop(t0 + length + 0.05);
      }
    }
    const body = document.body;
    body.dataset.chimesPlayed = String(Number(body.dataset.chimesPlayed ?? "0") + 1);
    return true;
  }
}
