// @ts-check
/**
 * A council session as the room page keeps it: `council_state` (docs/protocol.md, "Council
 * sessions") read strictly into plain data, and `council_held`. Anything missing or of the
 * wrong type reads as the least: no session, nobody speaking, no vote. No DOM.
 */

/**
 * @typedef {"yes" | "no" | "abstain"} Choice
 * @typedef {{id: string, title: string, startsAt: number}} SessionRef
 * @typedef {{number: string, title: string, public: boolean, motions: string[]}} Item
 * @typedef {{id: string, name: string, faction: string, role: "chair" | "member",
 *   status: "counted" | "not_counted" | "absent", place: "hall" | "remote" | null,
 *   participant: string | null, held: boolean, connected: boolean}} Member
 * @typedef {{counted: number, needed: number, legalSize: number, reached: boolean}} Quorum
 * @typedef {{member: string, name: string, faction: string, left: number | null}} Speaker
 * @typedef {{member: string, pointOfOrder: boolean}} Request
 * @typedef {{member: string, choice: Choice}} Ballot
 * @typedef {{yes: number, no: number, abstain: number}} Counts
 * @typedef {{id: string, item: string, motion: number, text: string,
 *   kind: "open" | "roll_call" | "secret", eligible: string[], ballots: Ballot[],
 *   hall: Counts}} Vote
 * @typedef {{id: string, item: string, motion: number, text: string,
 *   kind: "open" | "roll_call" | "secret", outcome: "adopted" | "rejected" | "by_post",
 *   counts: Counts, hall: Counts, ballots: Ballot[], eligible: number, rule: string}} Result
 * @typedef {{body: string, legalSize: number, sessions: SessionRef[],
 *   session: SessionRef | null, phase: "prepared" | "open" | "closed", paused: string | null,
 *   item: Item | null, itemSeconds: number, items: Item[], public: boolean, quorum: Quorum,
 *   chairAlert: boolean, members: Member[], speaker: Speaker | null, waiting: Request[],
 *   vote: Vote | null, results: Result[], faults: Fault[]}} CouncilState
 * @typedef {{at: number, side: "member" | "server", member: string | null,
 *   remoteCounted: number}} Fault a lost line (`at`: seconds since 1970)
 * @typedef {{held: boolean, reason: "biased" | "non_public" | null, item: string | null}} Held
 */

const CHOICES = new Set(["yes", "no", "abstain"]);
const KINDS = new Set(["open", "roll_call", "secret"]);

/** @param {unknown} value */
const text = (value) => (typeof value === "string" ? value : "");
/** @param {unknown} value */
const textOrNull = (value) => (typeof value === "string" && value !== "" ? value : null);
/** @param {unknown} value */
const count = (value) => (Number.isSafeInteger(value) && Number(value) >= 0 ? Number(value) : 0);
/**
 * @template T
 * @param {unknown} value
 * @param {(entry: any) => T | null} read
 * @returns {T[]}
 */
function list(value, read) {
  if (!Array.isArray(value)) return [];
  return value.map(read).filter((entry) => entry !== null);
}
/**
 * @template {string} T
 * @param {unknown} value
 * @param {readonly T[]} allowed
 * @param {T} fallback
 * @returns {T}
 */
function oneOf(value, allowed, fallback) {
  return allowed.includes(/** @type {T} */ (value)) ? /** @type {T} */ (value) : fallback;
}

/** @param {any} value @returns {SessionRef | null} */
function sessionRef(value) {
  if (typeof value?.id !== "string") return null;
  return { id: value.id, title: text(value.title) || value.id, startsAt: count(value.startsAt) };
}

/** @param {any} value @returns {Item | null} */
export function toItem(value) {
  if (typeof value?.number !== "string") return null;
  return {
    number: value.number,
    title: text(value.title),
    public: value.public !== false,
    motions: list(value.motions, (motion) => (typeof motion === "string" ? motion : null)),
  };
}

/** @param {any} value @returns {Member | null} */
function member(value) {
  if (typeof value?.id !== "string") return null;
  return {
    id: value.id,
    name: text(value.name) || value.id,
    faction: text(value.faction),
    role: value.role === "chair" ? "chair" : "member",
    status: oneOf(value.status, /** @type {const} */ (["counted", "not_counted", "absent"]), "absent"),
    place: value.place === "hall" || value.place === "remote" ? value.place : null,
    participant: textOrNull(value.participant),
    held: value.held === true,
    connected: value.connected === true,
  };
}

/** @param {any} value @returns {Speaker | null} */
export function toSpeaker(value) {
  if (typeof value?.member !== "string") return null;
  return {
    member: value.member,
    name: text(value.name) || value.member,
    faction: text(value.faction),
    left: Number.isSafeInteger(value.left) ? Math.max(0, value.left) : null,
  };
}

/** @param {any} value @returns {Ballot | null} */
function ballot(value) {
  if (typeof value?.member !== "string" || !CHOICES.has(value.choice)) return null;
  return { member: value.member, choice: value.choice };
}

/** @param {any} value @returns {Counts} */
export function toCounts(value) {
  return { yes: count(value?.yes), no: count(value?.no), abstain: count(value?.abstain) };
}

/**
 * What a vote and its result both say: which motion of which item, and how it is voted on.
 * @param {any} value
 */
function motionOf(value) {
  return {
    id: String(value.id),
    item: text(value.item),
    motion: count(value.motion),
    text: text(value.text),
    kind: /** @type {Vote["kind"]} */ (KINDS.has(value.kind) ? value.kind : "open"),
  };
}

/** @param {any} value @returns {Vote | null} */
export function toVote(value) {
  if (typeof value?.id !== "string") return null;
  return {
    ...motionOf(value),
    eligible: list(value.eligible, (id) => (typeof id === "string" ? id : null)),
    ballots: list(value.ballots, ballot),
    hall: toCounts(value.hall),
  };
}

/** @param {any} value @returns {Result | null} */
export function toResult(value) {
  if (typeof value?.id !== "string") return null;
  return {
    ...motionOf(value),
    outcome: oneOf(value.outcome, /** @type {const} */ (["adopted", "rejected", "by_post"]), "rejected"),
    counts: toCounts(value.counts),
    hall: toCounts(value.hall),
    ballots: list(value.ballots, ballot),
    eligible: count(value.eligible),
    rule: text(value.rule),
  };
}

/**
 * @param {any} message a `council_state`
 * @returns {CouncilState}
 */
export function toCouncilState(message) {
  const quorum = message?.quorum;
  return {
    body: text(message?.body),
    legalSize: count(message?.legalSize),
    sessions: list(message?.sessions, sessionRef),
    session: sessionRef(message?.session),
    phase: oneOf(message?.phase, /** @type {const} */ (["prepared", "open", "closed"]), "prepared"),
    paused: textOrNull(message?.paused),
    item: toItem(message?.item),
    itemSeconds: count(message?.itemSeconds),
    items: list(message?.items, toItem),
    public: message?.public !== false,
    quorum: {
      counted: count(quorum?.counted),
      needed: count(quorum?.needed),
      legalSize: count(quorum?.legalSize),
      reached: quorum?.reached === true,
    },
    chairAlert: message?.chairAlert === true,
    members: list(message?.members, member),
    speaker: toSpeaker(message?.speaker),
    waiting: list(message?.waiting, (entry) =>
      typeof entry?.member === "string" ? { member: entry.member, pointOfOrder: entry.pointOfOrder === true } : null,
    ),
    vote: toVote(message?.vote),
    results: list(message?.results, toResult),
    faults: list(message?.faults, fault),
  };
}

/** @param {any} value @returns {Fault | null} */
function fault(value) {
  if (!Number.isSafeInteger(value?.at) || (value.side !== "member" && value.side !== "server")) return null;
  return { at: value.at, side: value.side, member: textOrNull(value.member), remoteCounted: count(value.remoteCounted) };
}

/**
 * @param {any} message a `council_held`
 * @returns {Held}
 */
export function toHeld(message) {
  const held = message?.held === true;
  const reason = message?.reason === "biased" || message?.reason === "non_public" ? message.reason : null;
  return { held, reason: held ? reason : null, item: held ? textOrNull(message?.item) : null };
}
