// @ts-check
/**
 * What we know about the room: ourselves, the others, their streams and who speaks. Pure data
 * that the server's messages update; every change reports what it changed. No DOM.
 */

/**
 * @typedef {"host" | "cohost" | "guest"} Role
 * @typedef {{id: string, name: string, audio: boolean, video: boolean, screen: boolean,
 *   hand: boolean, you: boolean, role: Role, mutedByHost: boolean, music: boolean}} Participant
 * @typedef {{id: string, capacity: number, lobby: boolean, locked: boolean,
 *   officeHours: boolean, screenShareAllowed: boolean, chatAllowed: boolean,
 *   unmuteAllowed: boolean, hasPassword: boolean, e2ee: boolean, music: boolean}} RoomSettings
 * @typedef {import("./media.js").RemoteStream} RemoteStream
 */

/** @param {unknown} value @returns {Role} anything unknown is the least: a guest */
export function toRole(value) {
  return value === "host" || value === "cohost" ? value : "guest";
}

/** @param {Role} role whether it may send host commands */
export function isHostRole(role) {
  return role === "host" || role === "cohost";
}

/**
 * The room's public settings as `joined` and `room_updated` carry them. What is missing is
 * taken as the protocol's default, so an older server reads as a room without protection.
 * @param {any} value
 * @returns {RoomSettings}
 */
export function toRoomSettings(value) {
  const flag = (/** @type {string} */ key, /** @type {boolean} */ fallback) =>
    typeof value?.[key] === "boolean" ? value[key] : fallback;
  return {
    id: String(value?.id ?? ""),
    capacity: Number(value?.capacity ?? 0),
    lobby: flag("lobby", false),
    locked: flag("locked", false),
    officeHours: flag("officeHours", false),
    screenShareAllowed: flag("screenShareAllowed", true),
    chatAllowed: flag("chatAllowed", true),
    unmuteAllowed: flag("unmuteAllowed", true),
    hasPassword: flag("hasPassword", false),
    e2ee: flag("e2ee", false),
    music: flag("music", false),
  };
}

/**
 * @param {any} value
 * @returns {Participant}
 */
export function toParticipant(value) {
  return {
    id: String(value.id),
    name: String(value.name),
    audio: value.audio === true,
    video: value.video === true,
    screen: value.screen === true,
    hand: value.hand === true,
    you: value.you === true,
    role: toRole(value.role),
    mutedByHost: value.mutedByHost === true,
    music: value.music === true,
  };
}

/**
 * @param {any} value
 * @returns {RemoteStream | null} `null` for anything that is not a stream of the protocol
 */
export function toStream(value) {
  const kind = value?.kind;
  const source = value?.source;
  if (kind !== "audio" && kind !== "video") return null;
  if (source !== "microphone" && source !== "camera" && source !== "screen") return null;
  return { id: String(value.id), participant: String(value.participant), kind, source };
}

export class RoomState {
  /** @type {Participant | null} */
  you = null;
  /** @type {Map<string, Participant>} everyone but us */
  others = new Map();
  /** @type {Map<string, RemoteStream>} everyone's streams but ours */
  streams = new Map();
  /** @type {string | null} */
  activeSpeaker = null;

  /**
   * Takes the room as a `joined` message describes it.
   * @param {any} joined
   * @returns {{added: Participant[], updated: Participant[], removed: string[]}}
   */
  reset(joined) {
    this.you = toParticipant(joined.you);
    const incoming = new Map(
      (Array.isArray(joined.participants) ? joined.participants : [])
        .map(toParticipant)
        .filter((/** @type {Participant} */ p) => p.id !== this.you?.id)
        .map((/** @type {Participant} */ p) => [p.id, p]),
    );
    const removed = [...this.others.keys()].filter((id) => !incoming.has(id));
    const added = [...incoming.values()].filter((p) => !this.others.has(p.id));
    const updated = [...incoming.values()].filter((p) => this.others.has(p.id));
    this.others = incoming;
    this.streams = new Map();
    for (const value of Array.isArray(joined.streams) ? joined.streams : []) {
      const stream = toStream(value);
      if (stream && stream.participant !== this.you.id) this.streams.set(stream.id, stream);
    }
    if (this.activeSpeaker !== null && !this.others.has(this.activeSpeaker)) {
      this.activeSpeaker = null;
    }
    return { added, updated, removed };
  }

  /**
   * A participant joined or changed (ourselves included).
   * @param {any} value
   * @returns {{participant: Participant, isNew: boolean}}
   */
  upsert(value) {
    const participant = toParticipant(value);
    if (this.you && participant.id === this.you.id) {
      this.you = { ...participant, you: true };
      return { participant: this.you, isNew: false };
    }
    const isNew = !this.others.has(participant.id);
    this.others.set(participant.id, participant);
    return { participant, isNew };
  }

  /**
   * @param {string} id
   * @returns {RemoteStream[]} the streams that left with them
   */
  remove(id) {
    this.others.delete(id);
    if (this.activeSpeaker === id) this.activeSpeaker = null;
    const gone = [...this.streams.values()].filter((stream) => stream.participant === id);
    for (const stream of gone) this.streams.delete(stream.id);
    return gone;
  }

  /**
   * @param {any} value
   * @returns {boolean} whether it is a new stream of someone else
   */
  addStream(value) {
    const stream = toStream(value);
    if (!stream || stream.participant === this.you?.id || this.streams.has(stream.id)) return false;
    this.streams.set(stream.id, stream);
    return true;
  }

  /**
   * @param {string} id
   * @returns {boolean} whether it was known
   */
  removeStream(id) {
    return this.streams.delete(id);
  }

  /** @param {string} id */
  nameOf(id) {
    if (this.you?.id === id) return this.you.name;
    return this.others.get(id)?.name ?? "";
  }
}
