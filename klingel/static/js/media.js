// @ts-check
/**
 * The two one-way media connections of a participant (docs/protocol.md): `Publisher` sends our
 * microphone, camera and screen; `Subscriber` receives the other participants' streams. No DOM.
 */

import { JoinStep } from "./join-timing.js";
import { OneWayConnection } from "./one-way-connection.js";
import { MUSIC_OFFER, SPEECH_OFFER, STEREO_RECEIVING, withOpusParameters } from "./opus-sdp.js";

export { ConnectionEvent } from "./one-way-connection.js";

/** @typedef {"microphone" | "camera" | "screen"} TrackSource */
/** @typedef {import("./join-timing.js").JoinTiming} JoinTiming */
/** @typedef {import("./one-way-connection.js").Requester} Requester */
/** @typedef {import("./prepared-receiver.js").TakenReceiver} TakenReceiver */
/** @typedef {{id: string, participant: string, kind: "audio" | "video", source: TrackSource}} RemoteStream */
/**
 * What the connections need of an end-to-end encrypted meeting (`E2eeSession`).
 * @typedef {{peerConfiguration(): Record<string, unknown>,
 *   attachSender(sender: RTCRtpSender, kind: "audio" | "video"): void,
 *   attachReceiver(receiver: RTCRtpReceiver, kind: "audio" | "video", participant: string): void,
 * }} MediaEncryption
 */

export const SubscriberEvent = Object.freeze({
  /** detail: `{stream, track}`: a remote stream now arrives on `track`. */
  TRACK: "track",
  /** detail: `{stream}`: that stream's track has ended. */
  TRACK_ENDED: "track_ended",
});

/** The server takes at most this many stream requests in one `subscribe`. */
export const MAX_SUBSCRIBED_STREAMS = 100;

/**
 * The only codecs of an encrypted meeting: their frames keep a fixed clear prefix the SFU can
 * read (docs/e2ee.md). H.264 would need a prefix that follows its NAL units.
 */
const ENCRYPTED_CODECS = new Set(["video/vp8", "video/rtx", "audio/opus"]);

/**
 * Offers only the codecs an encrypted meeting uses.
 * @param {RTCRtpTransceiver} transceiver
 * @param {"audio" | "video"} kind
 */
function keepEncryptedCodecs(transceiver, kind) {
  const codecs = (globalThis.RTCRtpReceiver?.getCapabilities?.(kind)?.codecs ?? []).filter((codec) =>
    ENCRYPTED_CODECS.has(codec.mimeType.toLowerCase()),
  );
  if (codecs.length > 0) transceiver.setCodecPreferences?.(codecs);
}

/**
 * @typedef {{mimeType: string, clockRate: number, channels?: number, sdpFmtpLine?: string}}
 *   CodecCapability
 */

/**
 * The codecs the SFU forwards (klingel/sfu/sdp.py), as a receiving transceiver should offer
 * them: audio Opus; video VP8 and one constrained-baseline H.264 (packetization-mode 1), each
 * with its retransmissions (`rtx`). Every other codec would only make the subscribe offer
 * larger: Chromium describes about twenty for each video section (5 KB), and a room of thirty
 * would no longer fit in one signaling frame. Empty when none of them is there.
 * @template {CodecCapability} C
 * @param {readonly C[]} codecs `RTCRtpReceiver.getCapabilities(kind).codecs`, in the
 *   browser's order of preference
 * @param {"audio" | "video"} kind
 * @returns {C[]}
 */
export function forwardedCodecs(codecs, kind) {
  /** @param {C} codec */
  const mime = (codec) => codec.mimeType.toLowerCase();
  if (kind === "audio") return codecs.filter((codec) => mime(codec) === "audio/opus");
  const h264 = codecs.find((codec) => mime(codec) === "video/h264" && isBaselineH264(codec));
  const kept = codecs.filter(
    (codec) => mime(codec) === "video/vp8" || codec === h264 || mime(codec) === "video/rtx",
  );
  // Retransmissions alone are no codec.
  return kept.some((codec) => mime(codec) !== "video/rtx") ? kept : [];
}

/**
 * Constrained baseline (`42e0..`) in packetization mode 1: the H.264 the SFU picks first, and
 * the one every browser decodes.
 * @param {CodecCapability} codec
 */
function isBaselineH264(codec) {
  const parameters = new Map(
    (codec.sdpFmtpLine ?? "").split(";").map((item) => {
      const [key, value = ""] = item.trim().toLowerCase().split("=");
      return [key, value];
    }),
  );
  return (
    parameters.get("packetization-mode") === "1" &&
    (parameters.get("profile-level-id") ?? "").startsWith("42e0")
  );
}

/**
 * A subscribe offer that lets the browser decode two Opus channels: Chromium decodes stereo
 * only when its own description's Opus parameters say `stereo=1`.
 * @param {string} sdp
 */
export function receivingStereo(sdp) {
  return withOpusParameters(sdp, STEREO_RECEIVING);
}

/**
 * Narrows a receiving transceiver to the forwarded codecs, where the browser lets us; else it
 * offers all of them, as before.
 * @param {RTCRtpTransceiver} transceiver
 * @param {"audio" | "video"} kind
 */
export function receiveForwardedCodecs(transceiver, kind) {
  const capabilities = receiverCodecs(kind);
  if (!capabilities || typeof transceiver.setCodecPreferences !== "function") return;
  const codecs = forwardedCodecs(capabilities, kind);
  if (codecs.length === 0) return;
  try {
    transceiver.setCodecPreferences(codecs);
  } catch (error) {
    // Only the offer's size is at stake.
    console.debug("klingel: codec preferences not taken", error);
  }
}

/** @type {WeakMap<object, Map<string, RTCRtpCodec[] | undefined>>} */
const codecsAsked = new WeakMap();

/**
 * What the browser can receive of `kind`, asked once per page: each question costs Chromium
 * about a millisecond of the main thread, once per transceiver of every subscribe offer.
 * @param {"audio" | "video"} kind
 */
function receiverCodecs(kind) {
  const receiver = globalThis.RTCRtpReceiver;
  if (!receiver) return undefined;
  let known = codecsAsked.get(receiver);
  if (!known) codecsAsked.set(receiver, (known = new Map()));
  if (!known.has(kind)) known.set(kind, receiver.getCapabilities?.(kind)?.codecs);
  return known.get(kind);
}

/**
 * Has the browser set up its WebRTC machinery now, while nothing waits for it. The first
 * WebRTC call of a page does that (Chromium: 5-70 ms of the main thread, most of it asking
 * which codecs the machine has); made during a join, it would hold up the subscribe offer.
 * Opens no port and no device.
 */
export function prepareMediaStack() {
  try {
    receiverCodecs("video");
    receiverCodecs("audio");
  } catch (error) {
    // Only a head start is lost: the first connection sets it up as before.
    console.debug("klingel: WebRTC not prepared ahead", error);
  }
}

/** @type {Record<TrackSource, "audio" | "video">} */
const KIND_OF_SOURCE = { microphone: "audio", camera: "video", screen: "video" };

/**
 * The camera in three sizes, smallest first (layer 0 = `q`), so each subscriber can receive the
 * one that fits its tile. Browsers leave out the largest ones for small captures.
 * @type {readonly RTCRtpEncodingParameters[]}
 */
export const CAMERA_LAYERS = Object.freeze([
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: "f", maxBitrate: 1_500_000 },
]);

/**
 * The encodings of a simulcast sender with `active` set as `layers` says (`layers[i]` for
 * encoding `i`, smallest first), or `null` when nothing changes. A sender of one encoding is
 * never touched, the smallest layer is never switched off (a newcomer starts with it), and a
 * layer the list does not name stays on.
 * @param {readonly RTCRtpEncodingParameters[]} encodings
 * @param {readonly boolean[]} layers
 * @returns {RTCRtpEncodingParameters[] | null}
 */
export function encodingsForLayers(encodings, layers) {
  if (encodings.length <= 1) return null;
  let changed = false;
  const next = encodings.map((encoding, index) => {
    const active = index === 0 || layers[index] !== false;
    if ((encoding.active ?? true) === active) return encoding;
    changed = true;
    return { ...encoding, active };
  });
  return changed ? next : null;
}

/**
 * @typedef {Pick<RTCRtpSender, "getParameters" | "setParameters">} ParameterizedSender
 */

/**
 * Switches the simulcast encodings of one sender on and off, one `setParameters` at a time
 * (each must start from the parameters the one before left): wishes that come while one is
 * being applied are merged into one more, so the sender always ends in the last wish.
 */
export class LayerSwitch {
  #sender;
  /** @type {readonly boolean[]} */
  #layers = [];
  #pending = false;
  #busy = false;
  /** @type {Promise<void>} */
  #done = Promise.resolve();

  /** @param {ParameterizedSender} sender */
  constructor(sender) {
    this.#sender = sender;
  }

  /**
   * Wants these layers from now on; resolves once the sender has them (or refused them).
   * @param {readonly boolean[]} layers
   */
  set(layers) {
    this.#layers = [...layers];
    return this.apply();
  }

  /** Applies the last wish again (after a renegotiation, which may have reset the encodings). */
  apply() {
    this.#pending = true;
    if (!this.#busy) this.#done = this.#run();
    return this.#done;
  }

  async #run() {
    this.#busy = true;
    try {
      while (this.#pending) {
        this.#pending = false;
        const parameters = this.#sender.getParameters();
        const encodings = encodingsForLayers(parameters.encodings ?? [], this.#layers);
        if (!encodings) continue;
        parameters.encodings = encodings;
        try {
          await this.#sender.setParameters(parameters);
        } catch (error) {
          // It only costs encoder work; the next wish or renegotiation tries again.
          console.debug("klingel: simulcast layers not switched", error);
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}

export class Publisher extends OneWayConnection {
  /** @type {Map<TrackSource, RTCRtpTransceiver>} */
  #transceivers = new Map();
  /** @type {Map<string, string>} mid -> the stream id the server gave it */
  streamIds = new Map();
  /** @type {Map<string, boolean[]>} stream id -> its layers anyone receives (`publish_layers`) */
  #wantedLayers = new Map();
  /** @type {WeakMap<RTCRtpSender, LayerSwitch>} */
  #switches = new WeakMap();
  /** @type {MediaEncryption | null} */
  #encryption;
  /** Music mode: the microphone asks the SFU for stereo at a high bitrate (docs/music-mode.md). */
  #music = false;

  /**
   * @param {Requester} signaling
   * @param {RTCIceServer[]} iceServers
   * @param {JoinTiming | null} [timing]
   * @param {MediaEncryption | null} [encryption] in an encrypted meeting: every sender
   *   encrypts, or it sends nothing
   */
  constructor(signaling, iceServers, timing = null, encryption = null) {
    const steps = {
      offer: JoinStep.PUBLISH_OFFER,
      answer: JoinStep.PUBLISH_ANSWER,
      ice: JoinStep.PUBLISH_ICE,
      dtls: JoinStep.PUBLISH_DTLS,
    };
    super(signaling, iceServers, steps, timing, encryption?.peerConfiguration() ?? {});
    this.#encryption = encryption;
  }

  /**
   * Music mode on or off for the microphone: the next offer asks for it, and one is made now
   * if the microphone is already negotiated (the encoder follows the SFU's answer).
   * @param {boolean} on
   */
  setMusic(on) {
    if (this.#music === on) return;
    this.#music = on;
    if (this.#transceivers.has("microphone")) this.negotiate();
  }

  /**
   * The microphone is our only audio, so every audio section of the offer is its (a new
   * transceiver has no mid until the offer is set). In speech mode the music parameters are
   * taken out: Chromium would offer again what it negotiated before.
   * @param {string} sdp
   */
  shapeOffer(sdp) {
    return withOpusParameters(sdp, this.#music ? MUSIC_OFFER : SPEECH_OFFER);
  }

  /**
   * Starts sending these tracks, all in one offer.
   * @param {Iterable<[TrackSource, MediaStreamTrack]>} tracks
   */
  setTracks(tracks) {
    let added = false;
    for (const [source, track] of tracks) {
      const transceiver = this.#transceivers.get(source);
      if (transceiver) {
        void transceiver.sender.replaceTrack(track);
        continue;
      }
      this.#transceivers.set(source, this.#addSending(source, track));
      added = true;
    }
    if (added) this.negotiate();
  }

  /**
   * Sends `track` as `source`, or stops sending it (`null`). Microphone and camera keep their
   * transceiver when switched off or swapped, so that needs no new offer; a screen share that
   * ends removes its transceiver, which tells the server the stream is gone.
   * @param {TrackSource} source
   * @param {MediaStreamTrack | null} track
   */
  async setTrack(source, track) {
    const transceiver = this.#transceivers.get(source);
    if (transceiver && track) {
      await transceiver.sender.replaceTrack(track);
      return;
    }
    if (transceiver && !track) {
      if (source === "screen") {
        transceiver.stop();
        this.#transceivers.delete(source);
        this.negotiate();
      } else {
        await transceiver.sender.replaceTrack(null);
      }
      return;
    }
    if (track) {
      this.#transceivers.set(source, this.#addSending(source, track));
      this.negotiate();
    }
  }

  /**
   * The camera goes out in simulcast layers; a screen share stays one layer (its text must stay
   * sharp, and a subscriber shows it large anyway).
   * @param {TrackSource} source
   * @param {MediaStreamTrack} track
   */
  #addSending(source, track) {
    const transceiver = this.#addTransceiver(source, track);
    if (this.#encryption) {
      const kind = KIND_OF_SOURCE[source];
      keepEncryptedCodecs(transceiver, kind);
      try {
        this.#encryption.attachSender(transceiver.sender, kind);
      } catch (error) {
        // Never in the clear: a sender that cannot encrypt sends nothing at all.
        void transceiver.sender.replaceTrack(null);
        transceiver.direction = "inactive";
        console.error("klingel: this sender cannot encrypt", error);
      }
    }
    return transceiver;
  }

  /**
   * @param {TrackSource} source
   * @param {MediaStreamTrack} track
   */
  #addTransceiver(source, track) {
    if (source === "camera") {
      const sendEncodings = CAMERA_LAYERS.map((layer) => ({ ...layer }));
      try {
        return this.pc.addTransceiver(track, { direction: "sendonly", streams: [], sendEncodings });
      } catch (error) {
        // A browser without simulcast by RID: one layer still works for everyone.
        console.debug("klingel: camera without simulcast", error);
      }
    }
    return this.pc.addTransceiver(track, { direction: "sendonly", streams: [] });
  }

  /** @param {string} sdp */
  describeOffer(sdp) {
    const tracks = [];
    for (const [source, transceiver] of this.#transceivers) {
      if (transceiver.mid === null) continue;
      tracks.push({ mid: transceiver.mid, kind: KIND_OF_SOURCE[source], source });
    }
    return { type: /** @type {const} */ ("publish"), sdp, tracks };
  }

  /** @param {any} answer */
  answered(answer) {
    this.streamIds.clear();
    for (const entry of Array.isArray(answer.tracks) ? answer.tracks : []) {
      this.streamIds.set(String(entry.mid), String(entry.stream));
    }
    const published = new Set(this.streamIds.values());
    for (const streamId of this.#wantedLayers.keys()) {
      if (!published.has(streamId)) this.#wantedLayers.delete(streamId);
    }
    // A renegotiation may bring the encodings back to what the offer said.
    for (const streamId of this.#wantedLayers.keys()) void this.#applyLayers(streamId);
  }

  /**
   * Which simulcast layers of our stream `streamId` anyone receives (`publish_layers`): the
   * others need not be encoded. Until told otherwise every layer is sent. A stream whose
   * answer has not come yet gets them once it has.
   * @param {string} streamId
   * @param {readonly boolean[]} layers smallest first
   * @returns {Promise<void>} settled once the sender has them
   */
  setWantedLayers(streamId, layers) {
    this.#wantedLayers.set(streamId, [...layers]);
    return this.#applyLayers(streamId);
  }

  /** @param {string} streamId */
  #applyLayers(streamId) {
    const layers = this.#wantedLayers.get(streamId);
    const sender = this.#senderOf(streamId);
    if (!layers || !sender) return Promise.resolve();
    let layerSwitch = this.#switches.get(sender);
    if (!layerSwitch) {
      layerSwitch = new LayerSwitch(sender);
      this.#switches.set(sender, layerSwitch);
    }
    return layerSwitch.set(layers);
  }

  /** @param {string} streamId */
  #senderOf(streamId) {
    for (const [mid, id] of this.streamIds) {
      if (id !== streamId) continue;
      for (const transceiver of this.#transceivers.values()) {
        if (transceiver.mid === mid) return transceiver.sender;
      }
    }
    return null;
  }
}

/**
 * Which streams to ask for when there are more than the server takes: audio first (everyone
 * must be heard), then screens, then cameras, each in the order they came.
 * @param {Iterable<RemoteStream>} streams
 * @param {number} limit
 * @returns {RemoteStream[]}
 */
export function chooseStreams(streams, limit = MAX_SUBSCRIBED_STREAMS) {
  /** @param {RemoteStream} stream */
  const rank = (stream) => ({ microphone: 0, screen: 1, camera: 2 })[stream.source] ?? 3;
  return [...streams]
    .map((stream, index) => ({ stream, index }))
    .sort((a, b) => rank(a.stream) - rank(b.stream) || a.index - b.index)
    .slice(0, limit)
    .map(({ stream }) => stream);
}

export class Subscriber extends OneWayConnection {
  /** @type {Map<string, {stream: RemoteStream, transceiver: RTCRtpTransceiver, live: boolean}>} */
  #receiving = new Map();
  /** @type {RTCRtpTransceiver[]} receivers made ahead that no stream uses yet */
  #spares;
  /** @type {MediaEncryption | null} */
  #encryption;

  /**
   * @param {Requester} signaling
   * @param {RTCIceServer[]} iceServers
   * @param {JoinTiming | null} [timing]
   * @param {MediaEncryption | null} [encryption] in an encrypting meeting: every receiver
   *   decrypts, and drops what does not
   * @param {TakenReceiver | null} [prepared] the connection made ahead, with its spare
   *   receivers and its offer, made with `encryption`'s settings
   */
  constructor(signaling, iceServers, timing = null, encryption = null, prepared = null) {
    const steps = {
      offer: JoinStep.SUBSCRIBE_OFFER,
      answer: JoinStep.SUBSCRIBE_ANSWER,
      ice: JoinStep.SUBSCRIBE_ICE,
      dtls: JoinStep.SUBSCRIBE_DTLS,
    };
    const extra = encryption?.peerConfiguration() ?? {};
    super(signaling, iceServers, steps, timing, extra, prepared);
    this.#encryption = encryption;
    this.#spares = prepared?.spares ?? [];
  }

  /**
   * Makes the connection receive exactly these streams (a stream of our own must not be in it).
   * @param {Iterable<RemoteStream>} streams
   */
  setStreams(streams) {
    const wanted = new Map(chooseStreams(streams).map((stream) => [stream.id, stream]));
    let changed = false;
    for (const [id, entry] of this.#receiving) {
      if (wanted.has(id)) continue;
      entry.transceiver.stop();
      this.#receiving.delete(id);
      changed = true;
      if (entry.live) {
        this.dispatchEvent(
          new CustomEvent(SubscriberEvent.TRACK_ENDED, { detail: { stream: entry.stream } }),
        );
      }
    }
    for (const [id, stream] of wanted) {
      if (this.#receiving.has(id)) continue;
      const transceiver = this.#spare(stream.kind) ?? this.#addReceiver(stream.kind);
      if (this.#encryption) {
        try {
          this.#encryption.attachReceiver(transceiver.receiver, stream.kind, stream.participant);
        } catch (error) {
          // What cannot be decrypted is not received at all.
          transceiver.stop();
          console.error("klingel: this receiver cannot decrypt", error);
          continue;
        }
      }
      this.#receiving.set(id, { stream, transceiver, live: false });
      changed = true;
    }
    if (changed) this.negotiate();
  }

  /**
   * Every receiver decodes two channels where they come (a stream in music mode); a mono
   * stream decodes as before, into two equal channels.
   * @param {string} sdp
   */
  shapeOffer(sdp) {
    return receivingStereo(sdp);
  }

  /** @param {boolean} reused */
  beforeOffer(reused) {
    if (reused) return;
    // Receivers made ahead that no stream uses are stopped: never an idle section, where a
    // browser may show a stream that arrives before its answer.
    for (const spare of this.#spares.splice(0)) spare.stop();
  }

  offerMadeAheadFits() {
    return this.#spares.length === 0;
  }

  needsAnotherOffer() {
    for (const { transceiver } of this.#receiving.values()) {
      if (transceiver.mid === null) return true;
    }
    return false;
  }

  /** @param {"audio" | "video"} kind */
  #spare(kind) {
    const at = this.#spares.findIndex((spare) => spare.receiver.track.kind === kind);
    return at < 0 ? null : this.#spares.splice(at, 1)[0];
  }

  /** @param {"audio" | "video"} kind */
  #addReceiver(kind) {
    const transceiver = this.pc.addTransceiver(kind, { direction: "recvonly" });
    receiveForwardedCodecs(transceiver, kind);
    return transceiver;
  }

  hasMedia() {
    return this.#receiving.size > 0;
  }

  /** Whether any stream it receives is a video. */
  receivesVideo() {
    for (const { stream } of this.#receiving.values()) if (stream.kind === "video") return true;
    return false;
  }

  /** @param {string} sdp */
  describeOffer(sdp) {
    const streams = [];
    for (const [id, { transceiver }] of this.#receiving) {
      if (transceiver.mid !== null) streams.push({ mid: transceiver.mid, stream: id });
    }
    return { type: /** @type {const} */ ("subscribe"), sdp, streams };
  }

  answered() {
    for (const entry of this.#receiving.values()) {
      // One added after the offer was made waits for the next answer.
      if (entry.live || entry.transceiver.mid === null) continue;
      entry.live = true;
      const detail = { stream: entry.stream, track: entry.transceiver.receiver.track };
      this.dispatchEvent(new CustomEvent(SubscriberEvent.TRACK, { detail }));
    }
  }
}
