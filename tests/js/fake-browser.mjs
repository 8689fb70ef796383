// Stand-ins for the browser's RTCPeerConnection, WebSocket and localStorage, enough to drive the
// client's connection modules under node: offers are SDP-like text that names each
// transceiver's mid, and every socket a test opens is kept so that the test can play the server.

/** `localStorage` in memory; `refuse` makes it throw as a browser that keeps nothing does. */
export class MemoryStorage {
  /** @type {Map<string, string>} */
  items = new Map();
  refuse = false;
  /** @param {string} key */
  getItem(key) {
    if (this.refuse) throw new DOMException("storage is switched off", "SecurityError");
    return this.items.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    if (this.refuse) throw new DOMException("storage is switched off", "SecurityError");
    this.items.set(key, value);
  }
  /** @param {string} key */
  removeItem(key) {
    if (this.refuse) throw new DOMException("storage is switched off", "SecurityError");
    this.items.delete(key);
  }
}

export class FakeTransceiver {
  /** @type {string | null} */
  mid = null;
  stopped = false;

  /**
   * @param {unknown} trackOrKind
   * @param {{direction?: string}} init
   */
  constructor(trackOrKind, init) {
    this.kind = typeof trackOrKind === "string" ? trackOrKind : "track";
    this.direction = init?.direction ?? "sendrecv";
    this.sender = {
      track: typeof trackOrKind === "string" ? null : trackOrKind,
      async replaceTrack(/** @type {unknown} */ track) {
        this.track = track;
      },
    };
    this.receiver = { track: { kind: this.kind, id: `remote-${Math.random()}` } };
  }

  stop() {
    this.stopped = true;
  }
}

export class FakePeerConnection extends EventTarget {
  /** @type {FakePeerConnection[]} */
  static made = [];
  /** @type {FakeTransceiver[]} */
  #transceivers = [];
  #nextMid = 0;
  /** @type {{type: string, sdp: string} | null} */
  localDescription = null;
  /** @type {{type: string, sdp: string} | null} */
  remoteDescription = null;
  signalingState = "stable";
  connectionState = "new";
  iceConnectionState = "new";

  /** @param {unknown} configuration */
  constructor(configuration) {
    super();
    this.configuration = configuration;
    FakePeerConnection.made.push(this);
  }

  getConfiguration() {
    return this.configuration;
  }

  /** @param {unknown} configuration */
  setConfiguration(configuration) {
    this.configuration = configuration;
  }

  /**
   * @param {unknown} trackOrKind
   * @param {{direction?: string}} init
   */
  addTransceiver(trackOrKind, init) {
    const transceiver = new FakeTransceiver(trackOrKind, init);
    this.#transceivers.push(transceiver);
    return transceiver;
  }

  getTransceivers() {
    return [...this.#transceivers];
  }

  /** how many offers it made */
  offersMade = 0;
  /** @type {FakeTransceiver[]} those that got their mid in the pending offer */
  #newInOffer = [];

  /** @type {FakeTransceiver[] | null} the transceivers of the offer made, until it is set */
  #offered = null;

  /** Like a browser, the offer describes the transceivers there are at the call. */
  async createOffer() {
    this.#offered = this.#transceivers.filter((t) => !t.stopped);
    await Promise.resolve();
    return { type: "offer", sdp: "v=0\r\n" };
  }

  /** @param {{type: string, sdp?: string}} [description] */
  async setLocalDescription(description) {
    if (description?.type === "rollback") {
      await Promise.resolve();
      // As in a browser: a transceiver first described by the offer taken back has no mid.
      for (const transceiver of this.#newInOffer.splice(0)) transceiver.mid = null;
      this.localDescription = null;
      this.signalingState = "stable";
      return;
    }
    // Like a browser with an empty operations chain, the offer is made of the transceivers
    // there are at the call; one added a moment later waits for the next offer.
    const live = (description ? this.#offered : null) ?? this.#transceivers.filter((t) => !t.stopped);
    this.#offered = null;
    await Promise.resolve();
    this.offersMade += 1;
    this.#newInOffer = live.filter((t) => t.mid === null);
    for (const transceiver of live) transceiver.mid ??= String(this.#nextMid++);
    const mids = live.map((t) => `a=mid:${t.mid} ${t.direction}`).join("\r\n");
    this.localDescription = { type: "offer", sdp: `v=0\r\n${mids}\r\n` };
    this.signalingState = "have-local-offer";
  }

  /** @param {{type: string, sdp: string}} description */
  async setRemoteDescription(description) {
    await Promise.resolve();
    this.#newInOffer = [];
    this.remoteDescription = description;
    this.signalingState = "stable";
  }

  /** how often an ICE restart was asked for */
  restarts = 0;

  restartIce() {
    this.restarts += 1;
  }

  close() {
    this.connectionState = "closed";
    this.signalingState = "closed";
  }

  /**
   * Lets the connection report a new state, as the browser would.
   * @param {string} state
   */
  reach(state) {
    this.connectionState = state;
    this.iceConnectionState = state;
    this.dispatchEvent(new Event("iceconnectionstatechange"));
    this.dispatchEvent(new Event("connectionstatechange"));
  }
}

export class FakeSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeSocket[]} */
  static opened = [];
  readyState = FakeSocket.CONNECTING;
  /** @type {any[]} what the client sent, parsed */
  sent = [];

  /** @param {URL | string} url */
  constructor(url) {
    super();
    this.url = String(url);
    FakeSocket.opened.push(this);
  }

  /** @param {string} data */
  send(data) {
    this.sent.push(JSON.parse(data));
  }

  /** @param {number} [code] */
  close(code) {
    this.readyState = FakeSocket.CLOSED;
    this.closeCode = code;
  }

  /** The server side: accept the connection. */
  accept() {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }

  /** The server side: the connection drops without a closing handshake. */
  drop() {
    this.readyState = FakeSocket.CLOSED;
    const event = new Event("close");
    Object.defineProperty(event, "code", { value: 1006 });
    this.dispatchEvent(event);
  }

  /** The server side: send one message. @param {object} message */
  deliver(message) {
    const event = new Event("message");
    Object.defineProperty(event, "data", { value: JSON.stringify(message) });
    this.dispatchEvent(event);
  }

  /** @param {string} type */
  sentOf(type) {
    return this.sent.filter((message) => message.type === type);
  }
}

/** Installs the fakes as the globals the client modules use, fresh for each test. */
export function installFakeBrowser() {
  FakePeerConnection.made = [];
  FakeSocket.opened = [];
  Object.assign(globalThis, { RTCPeerConnection: FakePeerConnection, WebSocket: FakeSocket });
}

/** Lets every pending promise callback run (the fakes resolve within a few microtasks). */
export async function settle() {
  for (let round = 0; round < 20; round += 1) await Promise.resolve();
}
