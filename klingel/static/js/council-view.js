// @ts-check
/**
 * What the room page says about a council session, as words (string keys and their values)
 * and plain facts computed from the state: who we are in it, whether we lead, the quorum,
 * the item, the clock, our requests and ballot, a vote's counts, a result, and the words for a
 * refused command. No DOM: the panel puts the words on screen.
 */

/** @typedef {import("./council-state.js").CouncilState} CouncilState */
/** @typedef {import("./council-state.js").Fault} Fault */
/** @typedef {import("./council-state.js").Member} Member */
/** @typedef {import("./council-state.js").Vote} Vote */
/** @typedef {import("./council-state.js").Item} Item */
/** @typedef {import("./council-state.js").Counts} Counts */
/** @typedef {import("./council-state.js").Choice} Choice */
/** @typedef {import("./room-state.js").Role} Role */
/**
 * Words to show or say: a string key and its placeholders' values; a value that is itself
 * words is said in the page's language too.
 * @typedef {{key: string, args?: Record<string, string | number | {key: string}>}} Words
 */

export const CHOICE_ORDER = /** @type {const} */ (["yes", "no", "abstain"]);

/** The refusals of a council command that the page has words for (docs/protocol.md, Errors). */
const REFUSALS = new Set([
  "not_member", "not_chair", "no_council", "held", "unknown_member", "unknown_item",
  "unknown_motion", "no_current_item", "session_not_open", "session_closed", "session_paused",
  "no_quorum", "vote_running", "no_vote", "vote_closed", "not_eligible", "biased",
  "secret_with_remote", "secret_ballot", "hall_counts", "already_listed", "not_listed",
  "no_speaker", "not_allowed", "rate_limited", "internal", "bad_message",
]);

/** The speaking time a chair may give, in seconds (docs/protocol.md: 10 to 3600). */
const LIMIT_MIN = 10;
const LIMIT_MAX = 3600;

/** The rule the server states with each result of a simple-majority vote (in English). */
const MAJORITY_RULE = /^Simple majority of the votes cast/;

/**
 * The member we are: the one whose participant is ours.
 * @param {CouncilState} state
 * @param {string | null} participant our participant id
 * @returns {Member | null}
 */
export function ownMember(state, participant) {
  if (participant === null) return null;
  return state.members.find((member) => member.participant === participant) ?? null;
}

/**
 * The session as one page sees it: the state, the member we are (if any), whether we lead.
 * @typedef {{state: CouncilState, own: Member | null, lead: boolean}} CouncilContext
 */

/**
 * @param {CouncilState} state
 * @param {string | null} participant our participant id
 * @param {Role} role our role in the room
 * @returns {CouncilContext}
 */
export function councilContext(state, participant, role) {
  const own = ownMember(state, participant);
  return { state, own, lead: mayLead(own, role) };
}

/**
 * Whether we lead: the chair, or a member the chair made host (a deputy). Nobody else, whatever
 * their role in the room.
 * @param {Member | null} member
 * @param {Role} role
 */
export function mayLead(member, role) {
  return member !== null && (member.role === "chair" || role === "host");
}

/**
 * A member's name as the roster gives it (an unknown id stays as it is).
 * @param {CouncilState} state
 * @param {string} id
 */
export function nameOf(state, id) {
  return state.members.find((member) => member.id === id)?.name ?? id;
}

/**
 * Words as text, in the language `t` speaks.
 * @param {(key: any, args?: Record<string, string | number>) => string} t
 * @param {Words} words
 */
export function wordsText(t, { key, args = {} }) {
  /** @type {Record<string, string | number>} */
  const values = {};
  for (const [name, value] of Object.entries(args)) {
    values[name] = typeof value === "object" ? t(value.key) : value;
  }
  return t(key, values);
}

/** @param {CouncilState} state @returns {Words} */
export function phaseWords(state) {
  if (state.phase === "open" && state.paused !== null) {
    return { key: "council.phase.paused", args: { reason: state.paused } };
  }
  return { key: `council.phase.${state.phase}` };
}

/** @param {CouncilState} state @returns {Words} */
export function quorumWords({ quorum }) {
  const args = { counted: quorum.counted, needed: quorum.needed, size: quorum.legalSize };
  return { key: quorum.reached ? "council.quorum.reached" : "council.quorum.lost", args };
}

/** @param {Item} item @returns {Words} "TOP 3: Haushalt" */
export function itemWords(item) {
  return { key: "council.item", args: { number: item.number, title: item.title } };
}

/** @param {Item} item */
export function publicKey(item) {
  return item.public ? "council.public" : "council.nonPublic";
}

/**
 * Seconds as a clock reads them: "4:05", "1:02:09".
 * @param {number} seconds
 */
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
}

/**
 * Where a member stands on the speaker list.
 * @param {CouncilState} state
 * @param {string} member
 */
export function requestsOf(state, member) {
  const index = state.waiting.findIndex((request) => request.member === member);
  const own = state.waiting.filter((request) => request.member === member);
  return {
    hand: own.some((request) => !request.pointOfOrder),
    pointOfOrder: own.some((request) => request.pointOfOrder),
    position: index < 0 ? null : index + 1,
  };
}

/**
 * A member's ballot in the running vote, as cast so far.
 * @param {Vote | null} vote
 * @param {string} member
 * @returns {Choice | null}
 */
export function ballotOf(vote, member) {
  return vote?.ballots.find((ballot) => ballot.member === member)?.choice ?? null;
}

/**
 * A running vote's counts so far: the named ballots plus the hands counted in the hall.
 * @param {Vote} vote
 * @returns {Counts}
 */
export function voteCounts(vote) {
  const counts = { ...vote.hall };
  for (const ballot of vote.ballots) counts[ballot.choice] += 1;
  return counts;
}

/** @param {Counts} counts @returns {Words} */
export function countsWords(counts) {
  return { key: "council.counts", args: { ...counts } };
}

/** @param {"open" | "roll_call" | "secret"} kind */
export function kindKey(kind) {
  return `council.kind.${kind}`;
}

/** @param {"adopted" | "rejected" | "by_post"} outcome */
export function outcomeKey(outcome) {
  return `council.outcome.${outcome}`;
}

/**
 * The majority rule a result states: our own words for the rule we know, the server's text for
 * any other.
 * @param {string} rule
 * @returns {Words | string}
 */
export function ruleWords(rule) {
  return MAJORITY_RULE.test(rule) ? { key: "council.rule.majority" } : rule;
}

/**
 * The string key that says why a council command was refused.
 * @param {string} code the protocol's error code
 */
export function refusalKey(code) {
  return REFUSALS.has(code) ? `council.error.${code}` : "council.error.unknown";
}

/**
 * Minutes typed as the speaking time, in seconds; null for none (empty, not a number, not
 * above 0). Within what the server takes.
 * @param {string} typed
 */
export function limitSeconds(typed) {
  const minutes = Number(typed.replace(",", "."));
  if (typed.trim() === "" || !Number.isFinite(minutes) || minutes <= 0) return null;
  return Math.min(LIMIT_MAX, Math.max(LIMIT_MIN, Math.round(minutes * 60)));
}

/**
 * The item after the current one (the first, before any was called), or null at the end.
 * @param {CouncilState} state
 * @returns {Item | null}
 */
export function nextItem(state) {
  const at = state.item === null ? -1 : state.items.findIndex((item) => item.number === state.item?.number);
  return state.items[at + 1] ?? null;
}

/**
 * Whether we may vote in the running vote, and in which way it stands for us.
 * @param {CouncilState} state
 * @param {Member | null} member
 * @returns {"none" | "eligible" | "not_eligible"}
 */
export function voteStanding(state, member) {
  if (state.vote === null || member === null) return "none";
  return state.vote.eligible.includes(member.id) ? "eligible" : "not_eligible";
}

/**
 * "12:03" in the town's own way of writing a time, from seconds since 1970.
 * @param {number} at
 */
export function clockTime(at) {
  return new Date(at * 1000).toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
}

/**
 * One line of the fault log: when, whose line, and how many by video still counted.
 * @param {CouncilState} state
 * @param {Fault} fault
 * @returns {Words}
 */
export function faultWords(state, fault) {
  const args = { time: clockTime(fault.at), remote: fault.remoteCounted };
  if (fault.side === "server") return { key: "council.fault.server", args };
  return { key: "council.fault.member", args: { ...args, name: fault.member === null ? "–" : nameOf(state, fault.member) } };
}

