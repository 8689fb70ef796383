// @ts-check
/**
 * One page's part in an end-to-end encrypted meeting (docs/e2ee.md). It holds this page's ECDH
 * key pair and media key, announces the public key signed with the room secret, hands our
 * media key to every participant whose key verifies (wrapped for them alone), makes a new
 * media key whenever someone leaves, and feeds the transform worker. The server only relays
 * its opaque messages. No DOM.
 */

import {
  deriveRoomKeys,
  exportPublicKey,
  fromBase64,
  mediaKey,
  newKeyPair,
  pairKey,
  safetyCode,
  signPublicKey,
  toBase64,
  unwrapMediaKey,
  verifyPublicKey,
  wrapMediaKey,
} from "./keys.js";

export const E2eeEvent = Object.freeze({
  /** detail: `{encrypting, peers}`: whether all we send is encrypted; whose keys we hold. */
  CHANGE: "change",
});

/** How long a new media key is handed out before we send with it. */
const KEY_SWITCH_DELAY_MS = 1_000;
/** Wrapped keys per message: a message's data stays below the server's 4 KiB. */
const KEYS_PER_MESSAGE = 20;

/**
 * Which transform API this browser has, if any.
 * @returns {"script-transform" | "encoded-streams" | null}
 */
export function transformApi() {
  if (typeof globalThis.RTCRtpScriptTransform === "function") return "script-transform";
  const sender = globalThis.RTCRtpSender?.prototype;
  if (sender && "createEncodedStreams" in sender) return "encoded-streams";
  return null;
}

/** Whether this browser can take part in an encrypted meeting. */
export function canEncrypt() {
  return transformApi() !== null && Boolean(globalThis.crypto?.subtle) && typeof Worker === "function";
}

/** @param {unknown} value @returns {string} */
function encodeMessage(value) {
  return toBase64(new TextEncoder().encode(JSON.stringify(value)));
}

/** @param {string} data @returns {any} */
function decodeMessage(data) {
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64(data)));
  } catch {
    return null;
  }
}

/**
 * @typedef {{publicKey: Uint8Array, pair: CryptoKey}} Peer
 * @typedef {{index: number, raw: Uint8Array}} MediaKey
 * @typedef {(to: string | null, data: string) => boolean} Send
 */

export class E2eeSession extends EventTarget {
  #api;
  #secret;
  /** @type {Send} */
  #send = () => false;
  /** @type {Promise<void>} */
  #ready;
  /** @type {import("./keys.js").RoomKeys | null} */
  #room = null;
  /** @type {CryptoKeyPair | null} */
  #keyPair = null;
  /** @type {Uint8Array | null} */
  #publicKey = null;
  /** @type {string | null} */
  #me = null;
  /** @type {Map<string, Peer>} verified participants by id */
  #peers = new Map();
  /** @type {MediaKey | null} the key our frames are encrypted with */
  #active = null;
  /** @type {MediaKey | null} a newer key being handed out */
  #next = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #switchTimer;
  #senders = 0;
  #failed = false;
  #closed = false;
  /** @type {Promise<void>} keeps received messages in order */
  #inbox = Promise.resolve();
  worker;

  /**
   * @param {Uint8Array} secret the room secret (32 bytes)
   */
  constructor(secret) {
    super();
    const api = transformApi();
    if (!api) throw new Error("this browser cannot encrypt media");
    this.#api = api;
    this.#secret = secret;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.#ready = this.#prepare();
    const probe = /** @type {any} */ (globalThis).__klingelE2eeProbe;
    if (probe && typeof probe === "object") this.#startProbe(probe);
  }

  async #prepare() {
    this.#room = await deriveRoomKeys(this.#secret);
    this.#keyPair = await newKeyPair();
    this.#publicKey = await exportPublicKey(this.#keyPair.publicKey);
    await this.#install(this.#newMediaKey(0));
  }

  /** Resolves once keys exist; the first frames wait for nothing else. */
  ready() {
    return this.#ready;
  }

  /** @param {Send} send how a key message goes to the server */
  connect(send) {
    this.#send = send;
  }

  /** `RTCPeerConnection` settings the transform API needs. */
  peerConfiguration() {
    return this.#api === "encoded-streams" ? { encodedInsertableStreams: true } : {};
  }

  /**
   * Encrypts everything this sender sends from now on.
   * @param {RTCRtpSender} sender
   * @param {"audio" | "video"} kind
   */
  attachSender(sender, kind) {
    this.#attach(sender, { role: "send", kind });
    this.#senders += 1;
    this.#changed();
  }

  /**
   * Decrypts what this receiver gets with `participant`'s keys; anything else is dropped.
   * @param {RTCRtpReceiver} receiver
   * @param {"audio" | "video"} kind
   * @param {string} participant
   */
  attachReceiver(receiver, kind, participant) {
    this.#attach(receiver, { role: "receive", kind, participant });
  }

  /**
   * @param {RTCRtpSender | RTCRtpReceiver} endpoint
   * @param {{role: "send" | "receive", kind: "audio" | "video", participant?: string}} options
   */
  #attach(endpoint, options) {
    try {
      if (this.#api === "script-transform") {
        endpoint.transform = new RTCRtpScriptTransform(this.worker, options);
        return;
      }
      const { readable, writable } = /** @type {any} */ (endpoint).createEncodedStreams();
      this.worker.postMessage({ type: "streams", readable, writable, options }, [readable, writable]);
    } catch (error) {
      this.#failed = true;
      this.#changed();
      throw error;
    }
  }

  /**
   * We are in the room as `id` (again, after a resume or a new join): everyone gets our
   * public key, and answers with theirs and their media key.
   * @param {string} id
   */
  async joined(id) {
    if (this.#me !== id) this.#peers.clear();
    this.#me = id;
    await this.#ready;
    if (this.#closed) return;
    await this.#hello(null, false);
    this.#changed();
  }

  /**
   * A key message the server relayed from `from`.
   * @param {string} from
   * @param {string} data
   */
  receive(from, data) {
    this.#inbox = this.#inbox.then(() => this.#handle(from, data)).catch((error) => {
      console.debug("klingel: a key message was not usable", error);
    });
    return this.#inbox;
  }

  /**
   * Someone left: they keep no key to what follows. Everyone left gets a new media key of
   * ours, and we send with it once they have had time to take it.
   * @param {string} id
   */
  async participantLeft(id) {
    if (!this.#peers.delete(id)) return;
    this.worker.postMessage({ type: "forget", participant: id });
    this.#changed();
    const last = this.#next ?? this.#active;
    const next = this.#newMediaKey(((last?.index ?? 0) + 1) % 256);
    this.#next = next;
    await this.#handOut(next, [...this.#peers.keys()]);
    clearTimeout(this.#switchTimer);
    this.#switchTimer = setTimeout(() => {
      if (this.#next === next) void this.#install(next);
    }, KEY_SWITCH_DELAY_MS);
  }

  /** The index of the key our frames are encrypted with now (for tests and the panel). */
  get keyIndex() {
    return this.#active?.index ?? null;
  }

  /** Whether everything we send is encrypted and we hold our key. */
  get encrypting() {
    return !this.#closed && !this.#failed && this.#active !== null && this.#me !== null;
  }

  /** Ids of the participants whose public keys verified and with whom we share keys. */
  get peers() {
    return [...this.#peers.keys()];
  }

  /** The safety code of the keys we know now (see `keys.js`). */
  async safetyCode() {
    await this.#ready;
    const room = /** @type {import("./keys.js").RoomKeys} */ (this.#room);
    const keys = [/** @type {Uint8Array} */ (this.#publicKey)];
    for (const peer of this.#peers.values()) keys.push(peer.publicKey);
    return safetyCode(room.safety, keys);
  }

  close() {
    this.#closed = true;
    clearTimeout(this.#switchTimer);
    this.worker.terminate();
    this.#changed();
  }

  /** @param {number} index */
  #newMediaKey(index) {
    return { index, raw: crypto.getRandomValues(new Uint8Array(32)) };
  }

  /** @param {MediaKey} key our frames are encrypted with it from now on */
  async #install(key) {
    this.worker.postMessage({ type: "send_key", index: key.index, key: await mediaKey(key.raw) });
    this.#active = key;
    if (this.#next === key) this.#next = null;
    this.#changed();
  }

  /**
   * @param {string | null} to
   * @param {boolean} reply
   */
  async #hello(to, reply) {
    const room = /** @type {import("./keys.js").RoomKeys} */ (this.#room);
    const publicKey = /** @type {Uint8Array} */ (this.#publicKey);
    const mac = await signPublicKey(room.auth, /** @type {string} */ (this.#me), publicKey);
    this.#send(to, encodeMessage({ t: "hello", pub: toBase64(publicKey), mac: toBase64(mac), reply }));
  }

  /**
   * @param {string} from
   * @param {string} data
   */
  async #handle(from, data) {
    await this.#ready;
    if (this.#closed || this.#me === null || from === this.#me) return;
    const message = decodeMessage(data);
    if (message?.t === "hello") await this.#takeHello(from, message);
    else if (message?.t === "keys") await this.#takeKeys(from, message);
  }

  /**
   * @param {string} from
   * @param {any} message
   */
  async #takeHello(from, message) {
    const room = /** @type {import("./keys.js").RoomKeys} */ (this.#room);
    const keyPair = /** @type {CryptoKeyPair} */ (this.#keyPair);
    if (typeof message.pub !== "string" || typeof message.mac !== "string") return;
    const publicKey = fromBase64(message.pub);
    // Without the room secret nobody can sign a key, so the server cannot put in one of its own.
    if (!(await verifyPublicKey(room.auth, from, publicKey, fromBase64(message.mac)))) {
      console.warn("klingel: a public key did not verify; ignoring it");
      return;
    }
    const me = /** @type {string} */ (this.#me);
    const pair = await pairKey(keyPair.privateKey, publicKey, room.pairSalt, me, from);
    this.#peers.set(from, { publicKey, pair });
    if (message.reply !== true) await this.#hello(from, true);
    const keys = [this.#active, this.#next].filter((key) => key !== null);
    for (const key of /** @type {MediaKey[]} */ (keys)) await this.#handOut(key, [from]);
    this.#changed();
  }

  /**
   * @param {string} from
   * @param {any} message
   */
  async #takeKeys(from, message) {
    const peer = this.#peers.get(from);
    const me = /** @type {string} */ (this.#me);
    const index = message.i;
    if (!peer || !Number.isInteger(index) || index < 0 || index > 255) return;
    const wrapped = typeof message.k?.[me] === "string" ? fromBase64(message.k[me]) : null;
    if (!wrapped) return;
    const raw = await unwrapMediaKey(peer.pair, wrapped, from, me, index);
    if (!raw) return;
    const key = await mediaKey(raw);
    this.worker.postMessage({ type: "receive_key", participant: from, index, key });
  }

  /**
   * @param {MediaKey} key
   * @param {string[]} recipients
   */
  async #handOut(key, recipients) {
    const me = /** @type {string} */ (this.#me);
    for (let start = 0; start < recipients.length; start += KEYS_PER_MESSAGE) {
      const batch = recipients.slice(start, start + KEYS_PER_MESSAGE);
      /** @type {Record<string, string>} */
      const wrapped = {};
      for (const id of batch) {
        const peer = this.#peers.get(id);
        if (peer) wrapped[id] = toBase64(await wrapMediaKey(peer.pair, key.raw, me, id, key.index));
      }
      const ids = Object.keys(wrapped);
      if (ids.length === 0) continue;
      this.#send(ids.length === 1 ? ids[0] : null, encodeMessage({ t: "keys", i: key.index, k: wrapped }));
    }
  }

  #changed() {
    this.dispatchEvent(
      new CustomEvent(E2eeEvent.CHANGE, {
        detail: { encrypting: this.encrypting, peers: this.peers, keyIndex: this.keyIndex },
      }),
    );
  }

  /** A test turns this on before the page loads: frames we encrypted, before and after. */
  /** @param {any} probe */
  #startProbe(probe) {
    probe.samples ??= [];
    probe.rearm = () => this.worker.postMessage({ type: "probe" });
    this.worker.postMessage({ type: "probe" });
    this.worker.addEventListener("message", (event) => {
      const message = event.data;
      if (message?.type !== "probe") return;
      probe.samples.push({ plain: toBase64(message.plain), sealed: toBase64(message.sealed) });
    });
  }
}
