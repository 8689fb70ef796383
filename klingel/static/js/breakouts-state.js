// @ts-check
/**
 * Breakout groups as the page knows them: the server's `breakouts` message read safely, where
 * the page should go next, a random split, and the time left in words. No DOM.
 */

/** The main room's number among the groups. */
export const MAIN_ROOM = 0;
export const MAX_GROUPS = 20;
/** Timer choices for a host, in minutes (0: no timer). */
export const TIMER_CHOICES = Object.freeze([0, 5, 10, 15, 20, 30, 45, 60]);

/**
 * @typedef {{name: string, here: boolean}} BreakoutMember
 * @typedef {{number: number, members: BreakoutMember[]}} BreakoutGroup
 * @typedef {{pass: string, group: number | null, moderator: boolean}} BreakoutYou
 * @typedef {{open: boolean, closing: boolean, secondsLeft: number | null, auto: boolean,
 *   groups: BreakoutGroup[], inMain: string[], you: BreakoutYou | null}} BreakoutsState
 */

/** @type {BreakoutsState} */
export const NO_BREAKOUTS = Object.freeze({
  open: false,
  closing: false,
  secondsLeft: null,
  auto: false,
  groups: [],
  inMain: [],
  you: null,
});

/**
 * @param {unknown} value
 * @returns {BreakoutsState}
 */
export function toBreakoutsState(value) {
  const m = /** @type {any} */ (value);
  if (!m || typeof m !== "object") return NO_BREAKOUTS;
  const groups = Array.isArray(m.groups)
    ? m.groups
        .filter((/** @type {any} */ g) => g && Number.isInteger(g.number) && g.number >= 1 && g.number <= MAX_GROUPS)
        .map((/** @type {any} */ g) => ({
          number: g.number,
          members: Array.isArray(g.members)
            ? g.members.map((/** @type {any} */ p) => ({ name: String(p?.name ?? ""), here: p?.here === true }))
            : [],
        }))
    : [];
  const you =
    m.you && typeof m.you.pass === "string" && m.you.pass !== ""
      ? {
          pass: m.you.pass,
          group: Number.isInteger(m.you.group) && m.you.group >= 1 ? m.you.group : null,
          moderator: m.you.moderator === true,
        }
      : null;
  return {
    open: m.open === true,
    closing: m.closing === true,
    secondsLeft: Number.isInteger(m.secondsLeft) && m.secondsLeft >= 0 ? m.secondsLeft : null,
    auto: m.auto === true,
    groups,
    inMain: Array.isArray(m.inMain) ? m.inMain.map(String) : [],
    you,
  };
}

/**
 * Where the page goes by itself now, or null to stay.
 * @param {BreakoutsState} state
 * @param {number} where `MAIN_ROOM` or the group the page is in
 * @param {string | null} autoMovedWith the pass the page last moved with by itself (once per
 *   pass: who came back to the main room by choice is not sent away again)
 * @returns {{group: number, pass: string} | null}
 */
export function nextMove(state, where, autoMovedWith) {
  const you = state.you;
  if (!you) return null;
  if (state.closing && where !== MAIN_ROOM) return { group: MAIN_ROOM, pass: you.pass };
  if (state.open && state.auto && where === MAIN_ROOM && you.group !== null && autoMovedWith !== you.pass) {
    return { group: you.group, pass: you.pass };
  }
  return null;
}

/**
 * Everyone into `count` groups at random, as even as can be.
 * @param {string[]} people participant ids
 * @param {number} count
 * @param {() => number} [random] in [0, 1)
 * @returns {string[][]}
 */
export function randomGroups(people, count, random = Math.random) {
  const shuffled = [...people];
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  /** @type {string[][]} */
  const groups = Array.from({ length: count }, () => []);
  shuffled.forEach((person, index) => groups[index % count].push(person));
  return groups;
}

/**
 * @param {Map<string, number>} chosen participant id → group (0: the main room)
 * @param {number} count
 * @returns {string[][]}
 */
export function groupsByHand(chosen, count) {
  /** @type {string[][]} */
  const groups = Array.from({ length: count }, () => []);
  for (const [person, group] of chosen) {
    if (group >= 1 && group <= count) groups[group - 1].push(person);
  }
  return groups;
}

/**
 * "9:05" for 545 seconds.
 * @param {number} seconds
 */
export function clockText(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
