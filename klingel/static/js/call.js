// @ts-check
/**
 * One participation in a room: the signaling client, the two media connections and the room's
 * state, kept consistent through reconnects, resumes and media resets. It speaks in events about
 * people and tracks, so the UI never sees a message or a peer connection. No DOM.
 */

import {
  ConnectionEvent,
  Publisher,
  Subscriber,
  SubscriberEvent,
  prepareMediaStack,
} from "./media.js";
import { SignalingClient, SignalingEvent, SignalingState } from "./protocol.js";
import { CallEvent, CallState, E2EE_REQUIRED, endStateFor } from "./call-events.js";
import { CouncilCommands } from "./council-commands.js";
import { toCouncilState, toHeld } from "./council-state.js";
import { HostCommands } from "./host-commands.js";
import { POLL_COMMANDS, PollCommands, toPoll } from "./poll-state.js";
import { LayerRequests } from "./layers.js";
import { toBroadcastState } from "./broadcast-state.js";
import { QUESTION_COMMANDS, toInbox } from "./questions-state.js";
import { isReaction } from "./reactions.js";
import { toBreakoutsState } from "./breakouts-state.js";
import { RoomState, toRoomSettings } from "./room-state.js";

/** The longest the call view waits for the subscribe answer to be applied before it is drawn. */
const VIEW_HOLD_MAX_MS = 400;

/** The longest our publish connection waits for the first picture of the others. */
const PUBLISH_WAIT_MS = 1_000;

/** Refusals a person can understand and act on. */
const NOTICE_CODES = new Set([
  "media_unavailable",
  "internal",
  "rate_limited",
  "not_host",
  "not_waiting",
  "not_allowed",
  "screen_share_not_allowed",
  "chat_not_allowed",
  "unmute_not_allowed",
  "password_too_short",
  "not_saved",
  "breakouts_running",
  "no_breakouts",
  "breakouts_not_here",
  "unknown_participant",
]);

/** @typedef {import("./reactions.js").Reaction} Reaction */
/** @typedef {import("./media.js").TrackSource} TrackSource */
/** @typedef {import("./media.js").RemoteStream} RemoteStream */
/** @typedef {import("./join-timing.js").JoinTiming} JoinTiming */
/** @typedef {import("./prepared-receiver.js").PreparedReceiver} PreparedReceiver */

/** @typedef {import("./room-state.js").RoomSettings} RoomSettings */
/** @typedef {{id: string, name: string}} LobbyEntry */
/**
 * What the call needs of an end-to-end encrypted meeting (`E2eeSession`).
 * @typedef {import("./media.js").MediaEncryption & {
 *   connect(send: (to: string | null, data: string) => boolean): void,
 *   joined(id: string): Promise<void>,
 *   receive(from: string, data: string): Promise<void>,
 *   participantLeft(id: string): Promise<void>,
 * }} CallEncryption
 */

export { CallEvent, CallState, E2EE_REQUIRED, callEvents, endStateFor } from "./call-events.js";

export class Call extends EventTarget {
  room = new RoomState();
  /** @type {RoomSettings | null} the room's settings, once joined */
  settings = null;
  /** @type {LobbyEntry[]} who waits in the lobby (known to hosts only) */
  lobby = [];
  #signaling;
  /** @type {Publisher | null} */
  #publisher = null;
  /** Music mode for our microphone (docs/music-mode.md), also for a publisher made later. */
  #music = false;
  /** @type {Subscriber | null} */
  #subscriber = null;
  /** @type {RTCIceServer[]} */
  #iceServers = [];
  /** @type {Map<TrackSource, MediaStreamTrack>} */
  #local = new Map();
  /** @type {Map<string, RemoteStream>} streams whose track the UI has */
  #live = new Map();
  /** @type {string} one of `CallState` */
  #state = CallState.JOINING;
  #ended = false;
  /**
   * Whether the first subscribe answer is applied. Until then the call stays `joining`:
   * drawing the call view takes the main thread, which the offer and the answer each need
   * for a moment before the browser can connect.
   */
  #offersOut = false;
  /** @type {(() => void) | null} what `joined` has to show once the subscribe answer is in */
  #heldView = null;
  /** @type {{type: string, detail: unknown}[]} the call's events while `#heldView` waits */
  #heldEvents = [];
  /** @type {() => void} */
  #pictureShown = () => {};
  /** @type {JoinTiming | null} */
  #timing;
  /** @type {LayerRequests} */
  #layers;
  /** @type {CallEncryption | null} */
  #encryption = null;
  /** @type {PreparedReceiver | null} the subscribe connection made ahead, until used */
  #prepared = null;
  /** Held outside a council item: no media connections until we are let back. */
  #outside = false;

  /**
   * @param {{room: string, name: string, origin?: string, timing?: JoinTiming | null,
   *   hostSecret?: string | null, password?: string | null, invitation?: string | null,
   *   member?: string | null, encryption?: CallEncryption | null,
   *   breakout?: {pass: string, group: number} | null}} options
   *   `timing` records the steps of this join on the performance timeline; `encryption`
   *   encrypts all media end to end (and is required in a room that says so).
   */
  constructor(options) {
    super();
    this.#timing = options.timing ?? null;
    this.#signaling = new SignalingClient(options);
    this.#setEncryption(options.encryption ?? null);
    /** What hosts and co-hosts may ask of the room; the server refuses everyone else. */
    this.host = new HostCommands((message) => this.#signaling.send(message));
    this.#layers = new LayerRequests((message) => this.#signaling.send(message));
    /** What members of a council (and its chair) ask of the session; the server checks. */
    this.council = new CouncilCommands((message) => this.#signaling.send(message));
    /** Polls: hosts and co-hosts start, close and remove them; everyone votes. */
    this.polls = new PollCommands((message) => this.#signaling.send(message));
    const on = (/** @type {string} */ type, /** @type {(detail: any) => void} */ handler) =>
      this.#signaling.addEventListener(type, (event) =>
        handler(/** @type {CustomEvent} */ (event).detail),
      );
    on(SignalingEvent.STATE, () => this.#updateState());
    on(SignalingEvent.JOINED, (message) => this.#joined(message));
    on(SignalingEvent.FATAL, ({ code, message }) =>
      this.#end(endStateFor(code), code, message || null),
    );
    on(SignalingEvent.ERROR, (message) => this.#refused(message));
    on(SignalingEvent.PARTICIPANT_JOINED, (m) => this.#participantChanged(m.participant, true));
    on(SignalingEvent.PARTICIPANT_UPDATED, (m) => this.#participantChanged(m.participant, false));
    on(SignalingEvent.PARTICIPANT_LEFT, (m) => this.#participantLeft(String(m.id)));
    on(SignalingEvent.STREAM_ADDED, (m) => this.room.addStream(m.stream) && this.#resubscribe());
    on(SignalingEvent.STREAM_REMOVED, (m) => {
      this.#layers.forget(String(m.id));
      if (this.room.removeStream(m.id)) this.#resubscribe();
    });
    on(SignalingEvent.CHAT, (m) => this.#chat(m));
    on(SignalingEvent.BREAKOUTS, (m) => this.#emit(CallEvent.BREAKOUTS, { state: toBreakoutsState(m) }));
    on(SignalingEvent.BREAKOUT_MESSAGE, (m) => {
      if (typeof m.name === "string" && typeof m.text === "string") {
        this.#emit(CallEvent.BREAKOUT_MESSAGE, { name: m.name, text: m.text });
      }
    });
    on(SignalingEvent.REACTION, (m) => {
      if (typeof m.from === "string" && isReaction(m.reaction)) {
        this.#emit(CallEvent.REACTION, { from: m.from, reaction: m.reaction, mine: m.from === this.room.you?.id });
      }
    });
    on(SignalingEvent.ACTIVE_SPEAKER, (m) => {
      this.room.activeSpeaker = typeof m.id === "string" ? m.id : null;
      this.#emit(CallEvent.ACTIVE_SPEAKER, { id: this.room.activeSpeaker });
    });
    on(SignalingEvent.PUBLISH_LAYERS, (m) => this.#publishLayers(m));
    on(SignalingEvent.MEDIA_RESET, () => this.#startMedia());
    on(SignalingEvent.WAITING, (m) => {
      this.#updateState();
      this.#emit(CallEvent.WAITING, { officeHours: m.officeHours === true });
    });
    on(SignalingEvent.QUEUE_POSITION, (m) =>
      this.#emit(CallEvent.QUEUE_POSITION, {
        position: Number(m.position),
        length: Number(m.length),
      }),
    );
    on(SignalingEvent.LOBBY, (m) => {
      this.lobby = (Array.isArray(m.waiting) ? m.waiting : []).map(
        (/** @type {any} */ entry) => ({ id: String(entry?.id), name: String(entry?.name) }),
      );
      this.#emit(CallEvent.LOBBY, { waiting: this.lobby });
    });
    on(SignalingEvent.LOBBY_RING, (m) => this.#emit(CallEvent.LOBBY_RING, { id: String(m.id) }));
    on(SignalingEvent.ROOM_UPDATED, (m) => this.#roomUpdated(m.room));
    on(SignalingEvent.MUTED_BY_HOST, () => this.#emit(CallEvent.MUTED_BY_HOST, {}));
    on(SignalingEvent.UNMUTE_ALLOWED, () => this.#emit(CallEvent.UNMUTE_ALLOWED, {}));
    on(SignalingEvent.MUSIC_BY_HOST, (m) => this.#emit(CallEvent.MUSIC_BY_HOST, { on: m.on === true }));
    on(SignalingEvent.HOST_SECRETS, (m) => {
      if (typeof m.secret === "string" && typeof m.cohostSecret === "string") {
        this.#emit(CallEvent.HOST_SECRETS, { secret: m.secret, cohostSecret: m.cohostSecret });
      }
    });
    on(SignalingEvent.PASSWORD_GUESSING, () => this.#emit(CallEvent.PASSWORD_GUESSING, {}));
    on(SignalingEvent.BROADCAST_STATE, (m) =>
      this.#emit(CallEvent.BROADCAST_STATE, { state: toBroadcastState(m) }),
    );
    on(SignalingEvent.QUESTIONS, (m) => this.#emit(CallEvent.QUESTIONS, { inbox: toInbox(m) }));
    on(SignalingEvent.POLL, (m) => {
      const poll = toPoll(m);
      if (poll) this.#emit(CallEvent.POLL, { poll });
    });
    on(SignalingEvent.POLL_REMOVED, (m) => this.#emit(CallEvent.POLL_REMOVED, { id: String(m.id) }));
    on(SignalingEvent.COUNCIL_STATE, (m) => {
      // Nobody held outside hears the session: a state means we are in (a resumed socket may
      // have missed the word that let us back).
      this.#letBack();
      this.#emit(CallEvent.COUNCIL_STATE, { state: toCouncilState(m) });
    });
    on(SignalingEvent.COUNCIL_HELD, (m) => {
      const held = toHeld(m);
      if (held.held) this.#hold();
      else this.#letBack();
      this.#emit(CallEvent.COUNCIL_HELD, held);
    });
    on(SignalingEvent.E2EE, (m) => {
      if (typeof m.from === "string" && typeof m.data === "string") {
        void this.#encryption?.receive(m.from, m.data);
      }
    });
    on(SignalingEvent.VIDEO_STOPPED, (m) => {
      if (m.source === "camera" || m.source === "screen") {
        this.#emit(CallEvent.VIDEO_STOPPED, { source: m.source });
      }
    });
  }

  get state() {
    return this.#state;
  }

  /**
   * Joins with these local tracks (either may be absent: watching and listening is fine).
   * @param {{microphone?: MediaStreamTrack | null, camera?: MediaStreamTrack | null}} tracks
   * @param {WebSocket | null} [socket] a signaling socket opened ahead, to join on
   * @param {PreparedReceiver | null} [receiver] a subscribe connection made ahead, for the
   *   first one; the call closes it if it goes unused
   */
  start(tracks, socket = null, receiver = null) {
    for (const source of /** @type {const} */ (["microphone", "camera"])) {
      const track = tracks[source];
      if (track) this.#local.set(source, track);
    }
    this.#prepared = receiver;
    this.#signaling.connect(socket);
    // While the socket opens and the server joins us, not when the offers are due.
    prepareMediaStack();
  }

  /** The page shows a picture of the others now: our own media can go out without slowing it. */
  pictureShown() {
    this.#pictureShown();
  }

  /**
   * Sends `track` as `source` from now on, or stops sending it (`null`).
   * @param {TrackSource} source
   * @param {MediaStreamTrack | null} track
   */
  async setLocalTrack(source, track) {
    if (track) this.#local.set(source, track);
    else this.#local.delete(source);
    if (source !== "screen") this.#sendMediaState();
    await this.#publisher?.setTrack(source, track);
  }

  /**
   * @param {string} text
   * @returns {boolean} whether it went out
   */
  sendChat(text) {
    return this.#signaling.send({ type: "chat", text });
  }

  /**
   * @param {Reaction} reaction
   * @returns {boolean} whether it went out
   */
  react(reaction) {
    return this.#signaling.send({ type: "react", reaction });
  }

  /**
   * Music mode for our microphone: the others are told (`music`), and the publish connection
   * asks the SFU for stereo at a high bitrate with its next offer (made now if it runs).
   * @param {boolean} on
   * @returns {boolean} whether the message went out
   */
  setMusic(on) {
    this.#music = on;
    this.#publisher?.setMusic(on);
    return this.#signaling.send({ type: "music", on });
  }

  /**
   * Where this call's joins lead while the room has breakout groups (our pass and the group,
   * 0: the main room); null once they are over: a resume goes the usual way again.
   */
  get breakout() {
    return this.#signaling.breakout;
  }

  forgetBreakout() {
    this.#signaling.breakout = null;
  }

  /** @param {boolean} raised */
  setHand(raised) {
    return this.#signaling.send({ type: "hand", raised });
  }

  /** @param {boolean} shown whether the public may see and hear us when the room is public */
  setPublicConsent(shown) {
    return this.#signaling.send({ type: "public_consent", shown });
  }

  /** Asks to be heard again after a host muted us (`unmute_not_allowed` if not allowed). */
  requestUnmute() {
    return this.#signaling.send({ type: "unmute" });
  }

  /**
   * The simulcast layer we want of each remote video stream (`null`: paused); streams left out
   * keep what the server was told last. Sent a little later, with the changes only.
   * @param {ReadonlyMap<string, number | null>} wanted by stream id
   */
  setLayers(wanted) {
    if (!this.#ended) this.#layers.want(wanted);
  }

  /** Whether our media is encrypted end to end in this call. */
  get encrypted() {
    return this.#encryption !== null;
  }

  /**
   * Turns end-to-end encryption on (or off, `null`) while nobody else is in the room: both
   * media connections are made anew, with or without the transforms.
   * @param {CallEncryption | null} encryption
   */
  setEncryption(encryption) {
    this.#setEncryption(encryption);
    const you = this.room.you;
    if (!you || this.#ended) return;
    if (encryption) void encryption.joined(you.id);
    // Held outside a council item, the media start once we are let back.
    if (!this.#outside) this.#startMedia();
  }

  /** @param {CallEncryption | null} encryption */
  #setEncryption(encryption) {
    this.#encryption = encryption;
    encryption?.connect((to, data) => this.#signaling.send({ type: "e2ee", to, data }));
  }

  leave() {
    this.#layers.close();
    this.#signaling.leave();
    this.#end(CallState.LEFT, null, null);
  }

  /** @param {any} value */
  #roomUpdated(value) {
    if (!value || typeof value !== "object") return;
    this.settings = toRoomSettings(value);
    this.#emit(CallEvent.ROOM_UPDATED, { room: this.settings });
  }

  /** @param {any} message */
  #joined(message) {
    this.#showHeldView();
    if (message.room?.e2ee === true && !this.#encryption) {
      // Not one frame of ours may go out in the clear, and nothing of theirs can be shown.
      this.#signaling.leave();
      this.#end(CallState.ERROR, E2EE_REQUIRED, null);
      return;
    }
    // Only our own TURN relay, with credentials of our own; an empty list means no relay.
    this.#iceServers = Array.isArray(message.iceServers) ? message.iceServers : [];
    const { added, updated, removed } = this.room.reset(message);
    // A new session on the server holds nobody outside; it says so again if it does.
    if (message.resumed !== true) this.#outside = false;
    // Media first, so that the browser makes the offers while the people below are added.
    // A resumed session keeps its media connections; a new one starts them afresh; someone
    // held outside has none until let back.
    if (this.#outside) this.#updateState();
    else if (message.resumed === true && this.#subscriber) {
      // Both connections keep running; fresh TURN credentials are for their next ICE restart.
      this.#subscriber.setIceServers(this.#iceServers);
      this.#publisher?.setIceServers(this.#iceServers);
      this.#resubscribe();
      this.#layers.resumed();
    } else this.#startMedia();
    if (this.room.you) void this.#encryption?.joined(this.room.you.id);
    // After the subscribe offer: the server takes one message after another, and what the
    // others learn from this one is not what this person waits for.
    const sent = this.#subscriber?.offerSent() ?? Promise.resolve();
    void sent.then(() => {
      if (!this.#ended) this.#sendMediaState();
    });
    const show = () => {
      for (const id of removed) this.#emit(CallEvent.PARTICIPANT_REMOVED, { id });
      for (const participant of added) {
        this.#emit(CallEvent.PARTICIPANT_ADDED, { participant, arrived: false });
      }
      for (const participant of updated) {
        this.#emit(CallEvent.PARTICIPANT_UPDATED, { participant });
      }
      this.#emit(CallEvent.JOINED, {
        you: this.room.you,
        room: message.room,
        resumed: message.resumed === true,
      });
      this.#roomUpdated(message.room);
      this.#updateState();
    };
    const subscriber = this.#subscriber;
    if (message.resumed === true || !subscriber) show();
    else {
      // Drawing the people takes the main thread for tens of milliseconds, which the subscribe
      // offer and its answer each need for a moment: they go first, and the browser connects
      // while the call view is drawn. The call's events until then wait, in their order; a
      // slow answer holds them up no longer than a moment.
      this.#heldView = show;
      const shown = () => this.#showHeldView();
      const timer = setTimeout(shown, VIEW_HOLD_MAX_MS);
      void subscriber.offerAnswered().then(() => {
        clearTimeout(timer);
        shown();
      });
    }
  }

  #showHeldView() {
    const show = this.#heldView;
    if (!show) return;
    this.#heldView = null;
    show();
    for (const { type, detail } of this.#heldEvents.splice(0)) this.#emit(type, detail);
  }

  /** Both media connections end, and every track they brought. */
  #closeMedia() {
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#publisher = null;
    this.#subscriber = null;
    for (const stream of this.#live.values()) this.#emit(CallEvent.TRACK_REMOVED, { stream });
    this.#live.clear();
    this.#layers.reset();
  }

  /** Held outside a council item: the server closed our media; we stay without until let back. */
  #hold() {
    if (this.#ended) return;
    this.#outside = true;
    this.#closeMedia();
    this.#updateState();
  }

  /** Let back in: publish and subscribe anew, as after a `media_reset`. */
  #letBack() {
    if (!this.#outside) return;
    this.#outside = false;
    if (!this.#ended) this.#startMedia();
  }

  #startMedia() {
    const recovering = this.#subscriber !== null;
    this.#closeMedia();
    // The subscriber goes first: what the others send is what a person waits to see.
    const prepared = this.#prepared;
    this.#prepared = null;
    const subscriber = new Subscriber(
      this.#signaling,
      this.#iceServers,
      this.#timing,
      this.#encryption,
      prepared?.take(this.#encryption?.peerConfiguration() ?? {}, this.#iceServers) ?? null,
    );
    this.#subscriber = subscriber;
    this.#watch(subscriber, recovering);
    subscriber.addEventListener(SubscriberEvent.TRACK, (event) => {
      const { stream, track } = /** @type {CustomEvent} */ (event).detail;
      this.#live.set(stream.id, stream);
      this.#emit(CallEvent.TRACK_ADDED, { stream, track });
    });
    subscriber.addEventListener(SubscriberEvent.TRACK_ENDED, (event) => {
      const { stream } = /** @type {CustomEvent} */ (event).detail;
      if (this.#live.delete(stream.id)) this.#emit(CallEvent.TRACK_REMOVED, { stream });
    });
    subscriber.setStreams(this.room.streams.values());
    const answered = subscriber.offerAnswered();
    // What the others send is what a person waits to see. The publish connection takes the
    // main thread for tens of milliseconds (its transceivers, encoders and offer), which the
    // subscribe connection needs for its answer, its connection events and the first
    // picture: it is made once the page shows a picture of the others, at once if there is
    // none to wait for, and after a second at the latest. The others see us a moment later.
    // Tracks that change meanwhile are in `#local` and go into its first offer.
    const shown = new Promise((resolve) => {
      this.#pictureShown = resolve;
    });
    void answered.then(async () => {
      if (subscriber.receivesVideo()) {
        let timer;
        await Promise.race([shown, new Promise((r) => (timer = setTimeout(r, PUBLISH_WAIT_MS)))]);
        clearTimeout(timer);
      }
      if (this.#subscriber !== subscriber || this.#ended) return;
      const publisher = new Publisher(
        this.#signaling,
        this.#iceServers,
        this.#timing,
        this.#encryption,
      );
      publisher.setMusic(this.#music);
      this.#publisher = publisher;
      this.#watch(publisher, recovering);
      publisher.setTracks(this.#local);
    });
    if (!this.#offersOut) {
      void answered.then(() => {
        this.#offersOut = true;
        this.#updateState();
      });
    }
    this.#updateState();
  }

  /**
   * @param {Publisher | Subscriber} connection
   * @param {boolean} recovering
   */
  #watch(connection, recovering) {
    if (recovering) connection.markRecovering();
    connection.addEventListener(ConnectionEvent.STATE, () => this.#updateState());
  }

  #resubscribe() {
    this.#subscriber?.setStreams(this.room.streams.values());
  }

  /**
   * @param {any} value
   * @param {boolean} arrived
   */
  #participantChanged(value, arrived) {
    if (!value || typeof value !== "object") return;
    const { participant, isNew } = this.room.upsert(value);
    if (isNew) this.#emit(CallEvent.PARTICIPANT_ADDED, { participant, arrived });
    else this.#emit(CallEvent.PARTICIPANT_UPDATED, { participant });
  }

  /** @param {string} id */
  #participantLeft(id) {
    void this.#encryption?.participantLeft(id);
    const hadStreams = this.room.remove(id).length > 0;
    this.#emit(CallEvent.PARTICIPANT_REMOVED, { id });
    if (hadStreams) this.#resubscribe();
  }

  /**
   * Layers of our camera nobody receives need not be encoded. A message about a stream of an
   * earlier publish connection finds no sender and changes nothing; a new connection starts
   * with every layer on.
   * @param {any} message
   */
  #publishLayers(message) {
    if (typeof message.stream !== "string" || !Array.isArray(message.layers)) return;
    const layers = message.layers.map((/** @type {unknown} */ layer) => layer !== false);
    void this.#publisher?.setWantedLayers(message.stream, layers);
  }

  /** @param {any} message */
  #chat(message) {
    this.#emit(CallEvent.CHAT, {
      id: String(message.id),
      from: String(message.from),
      name: String(message.name),
      text: String(message.text),
      ts: Number(message.ts),
      mine: message.from === this.room.you?.id,
    });
  }

  /** @param {any} message */
  #refused(message) {
    const code = String(message.code);
    if (message.ref === "set_layers") this.#layers.refused();
    // The questions inbox says these in its own words, next to the question they are about.
    if (QUESTION_COMMANDS.has(message.ref)) {
      this.#emit(CallEvent.QUESTION_REFUSED, { code, ref: String(message.ref) });
      return;
    }
    if (POLL_COMMANDS.has(message.ref)) {
      this.#emit(CallEvent.POLL_REFUSED, { code, ref: String(message.ref) });
      return;
    }
    if (message.ref === "council") this.#emit(CallEvent.COUNCIL_REFUSED, { code });
    // Held outside, the rest waits: the page shows why; a chat line gets a word.
    else if (code === "held") {
      if (message.ref === "chat") this.#emit(CallEvent.NOTICE, { code, ref: message.ref });
    } else if (NOTICE_CODES.has(code)) this.#emit(CallEvent.NOTICE, { code, ref: message.ref });
    // A stream can vanish while our subscribe is on its way; the retry asks for the rest.
    else if (code === "unknown_stream") console.debug("klingel: a stream was gone", message.ref);
    else console.warn("klingel: the server refused a message", code, message.ref);
  }

  #sendMediaState() {
    this.#signaling.send({
      type: "media_state",
      audio: this.#local.has("microphone"),
      video: this.#local.has("camera"),
    });
  }

  /**
   * @param {string} state
   * @param {string | null} code
   * @param {string | null} message a host's note (for `denied`)
   */
  #end(state, code, message) {
    if (this.#ended) return;
    this.#showHeldView();
    this.#ended = true;
    this.#layers.close();
    this.#prepared?.close();
    this.#prepared = null;
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#publisher = null;
    this.#subscriber = null;
    this.#state = state;
    this.#emit(CallEvent.STATE, { state, code, message });
  }

  #updateState() {
    if (this.#ended) return;
    const signaling = this.#signaling.state;
    /** @type {string} */
    let state = CallState.RECONNECTING;
    if (signaling === SignalingState.CONNECTING || signaling === SignalingState.IDLE) {
      state = CallState.JOINING;
    } else if (signaling === SignalingState.WAITING) {
      state = CallState.WAITING;
    } else if (
      signaling === SignalingState.JOINED &&
      (this.#publisher?.healthy ?? true) &&
      (this.#subscriber?.healthy ?? true)
    ) {
      const firstOffersPending = this.#state === CallState.JOINING && !this.#offersOut;
      state = firstOffersPending ? CallState.JOINING : CallState.JOINED;
    }
    if (state === this.#state) return;
    this.#state = state;
    this.#emit(CallEvent.STATE, { state, code: null, message: null });
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    if (this.#heldView) {
      this.#heldEvents.push({ type, detail });
      return;
    }
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
