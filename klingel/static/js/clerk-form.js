// @ts-check
/**
 * The clerk's page (`/rat/<body>`) without the DOM: the form's content (a "draft": what is
 * typed, as text) from the body's document and back, checked by the council rules before it is
 * sent (`klingel/rooms/council/`: roster, agenda, document), so that the clerk hears of a
 * mistake in plain words at the field, not as a refusal from the server. New members and
 * sessions get ids here: a member's from the name, a session's from its date, both unique and
 * never one of an id the body had when it was read (a member taken off and another put on under
 * the same id in one save would inherit the first one's personal link).
 */

import { slugify } from "./slug.js";

/**
 * @typedef {{id: string, name: string, faction: string, role: "chair" | "member"}} Member
 * @typedef {{number: string, title: string, public: boolean, motions: string[]}} Item
 * @typedef {{id: string, title: string, starts_at: number, place: string, items: Item[]}} Session
 * @typedef {{id: string, name: string, legal_size: number,
 *   rule: "at_least_half" | "more_than_half", members: Member[]}} Body
 * @typedef {{body: Body, sessions: Session[]}} BodyDocument
 *
 * @typedef {{key: string, id: string | null, name: string, faction: string,
 *   role: string}} MemberDraft
 * @typedef {{key: string, number: string, title: string, public: boolean,
 *   motions: string}} ItemDraft
 * @typedef {{key: string, id: string | null, title: string, date: string, time: string,
 *   place: string, items: ItemDraft[]}} SessionDraft
 * @typedef {{id: string, name: string, legalSize: string, rule: string,
 *   members: MemberDraft[], sessions: SessionDraft[]}} Draft
 *
 * @typedef {{target: string, message: string, args?: Record<string, string | number>}} FieldError
 *   `target` is the id of the field (`<key>-<field>`); `message` a key of the page's texts
 */

/** The council rules' limits (`klingel/rooms/council/`). */
export const LIMITS = Object.freeze({
  name: 100,
  faction: 100,
  title: 200,
  place: 200,
  motion: 2000,
  motions: 50,
  members: 200,
  legalSize: 200,
  sessions: 60,
  items: 100,
});
/** An identifier as the server takes it. */
export const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** "1", "3.2", "12a", "4.1.3": what printed agendas use. */
export const ITEM_NUMBER = /^[0-9]{1,3}[a-z]?(?:\.[0-9]{1,3}[a-z]?){0,3}$/;
/** Characters a name or title may not hold: they could disguise one member as another. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const MAX_ID_LENGTH = 64;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;

/**
 * How many members must be counted for the body to decide (`quorum_needed`), or `null` for a
 * size the rules refuse.
 * @param {number} legalSize
 * @param {string} rule
 */
export function quorumNeeded(legalSize, rule) {
  if (!Number.isInteger(legalSize) || legalSize < 1 || legalSize > LIMITS.legalSize) return null;
  if (rule === "at_least_half") return Math.floor((legalSize + 1) / 2);
  if (rule === "more_than_half") return Math.floor(legalSize / 2) + 1;
  return null;
}

/**
 * A new id made of `text` (`a-z0-9-`), not in `taken`: "Anna Müller" → "anna-mueller", a second
 * one "anna-mueller-2". Text with no letter or digit gives `fallback`.
 * @param {string} text
 * @param {ReadonlySet<string>} taken
 * @param {string} fallback
 */
export function uniqueId(text, taken, fallback) {
  const base = slugify(text) || fallback;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `-${n}`;
    const stem = base.slice(0, MAX_ID_LENGTH - suffix.length).replace(/-+$/, "");
    const candidate = `${stem}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Unix seconds of a date and a time of day as typed ("2026-12-10", "18:30"), in the browser's
 * time zone (the town's); `null` if either is not a real one.
 * @param {string} date
 * @param {string} time
 */
export function localToUnix(date, time) {
  const day = DATE.exec(date);
  const clock = TIME.exec(time);
  if (!day || !clock) return null;
  const [year, month, dayOfMonth] = day.slice(1).map(Number);
  const [hours, minutes] = clock.slice(1).map(Number);
  if (hours > 23 || minutes > 59) return null;
  const moment = new Date(year, month - 1, dayOfMonth, hours, minutes);
  const real =
    moment.getFullYear() === year &&
    moment.getMonth() === month - 1 &&
    moment.getDate() === dayOfMonth;
  const seconds = moment.getTime() / 1000;
  return real && seconds >= 0 ? seconds : null;
}

/**
 * The date and time of day of unix seconds, in the browser's time zone, as the date and time
 * fields show them.
 * @param {number} seconds
 */
export function unixToLocal(seconds) {
  const moment = new Date(seconds * 1000);
  const digits = (/** @type {number} */ value, size = 2) => String(value).padStart(size, "0");
  const [year, month, day] = [moment.getFullYear(), moment.getMonth() + 1, moment.getDate()];
  return {
    date: `${digits(year, 4)}-${digits(month)}-${digits(day)}`,
    time: `${digits(moment.getHours())}:${digits(moment.getMinutes())}`,
  };
}

/**
 * The motions of a textarea: one a line, empty lines left out.
 * @param {string} text
 */
export function motionsOf(text) {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/**
 * The form's content for a document as the server sent it.
 * @param {BodyDocument} document
 * @param {() => string} nextKey a fresh key for each row (the ids of its fields start with it)
 * @returns {Draft}
 */
export function draftOf(document, nextKey) {
  const { body, sessions } = document;
  return {
    id: body.id,
    name: body.name,
    legalSize: String(body.legal_size),
    rule: body.rule,
    members: body.members.map((member) => ({
      key: nextKey(),
      id: member.id,
      name: member.name,
      faction: member.faction,
      role: member.role,
    })),
    sessions: sessions.map((session) => ({
      key: nextKey(),
      id: session.id,
      title: session.title,
      ...unixToLocal(session.starts_at),
      place: session.place,
      items: session.items.map((item) => ({
        key: nextKey(),
        number: item.number,
        title: item.title,
        public: item.public,
        motions: item.motions.join("\n"),
      })),
    })),
  };
}

/**
 * Every id a document holds: members' and sessions', which new rows never get.
 * @param {BodyDocument} document
 */
export function idsOf(document) {
  return {
    members: new Set(document.body.members.map((member) => member.id)),
    sessions: new Set(document.sessions.map((session) => session.id)),
  };
}

/**
 * The document to send for the form's content, or what is wrong with it, field by field.
 * @param {Draft} draft
 * @param {{members: ReadonlySet<string>, sessions: ReadonlySet<string>}} retired the ids of
 *   the document as read: a new row never gets one of them
 * @returns {{document: BodyDocument | null, errors: FieldError[]}}
 */
export function documentOf(draft, retired) {
  const errors = new Errors();
  const name = errors.text(draft.name, "body-name", LIMITS.name);
  const legalSize = /^\s*\d{1,4}\s*$/.test(draft.legalSize) ? Number(draft.legalSize) : NaN;
  if (quorumNeeded(legalSize, "at_least_half") === null) {
    errors.add("body-size", "clerk.error.size", { max: LIMITS.legalSize });
  }
  const rule = draft.rule === "more_than_half" ? "more_than_half" : "at_least_half";
  const members = membersOf(draft.members, retired.members, errors);
  const sessions = sessionsOf(draft.sessions, retired.sessions, errors);
  if (errors.list.length > 0) return { document: null, errors: errors.list };
  return {
    document: {
      body: { id: draft.id, name, legal_size: legalSize, rule, members },
      sessions,
    },
    errors: [],
  };
}

/** What is wrong with the form: one error a field at most, the first found. */
class Errors {
  /** @type {FieldError[]} */
  list = [];

  /**
   * @param {string} target
   * @param {string} message
   * @param {Record<string, string | number>} [args]
   */
  add(target, message, args) {
    if (this.list.some((error) => error.target === target)) return;
    this.list.push(args ? { target, message, args } : { target, message });
  }

  /**
   * Refuses more than `max` entries, at the button that adds them.
   * @param {string} target
   * @param {number} count
   * @param {number} max
   */
  count(target, count, max) {
    if (count > max) this.add(target, "clerk.error.tooMany", { max });
  }

  /**
   * `text` stripped, and checked as the council rules check names and titles.
   * @param {string} text
   * @param {string} target
   * @param {number} limit
   * @param {boolean} [empty] whether it may be empty
   */
  text(text, target, limit, empty = false) {
    const cleaned = text.trim();
    if (!cleaned && !empty) this.add(target, "clerk.error.empty");
    else if ([...cleaned].length > limit) this.add(target, "clerk.error.long", { max: limit });
    else if (FORBIDDEN.test(cleaned)) this.add(target, "clerk.error.hidden");
    return cleaned;
  }
}

/**
 * The ids new rows may not take: those of the document as read, and those of the rows.
 * @param {ReadonlySet<string>} retired
 * @param {{id: string | null}[]} drafts
 */
function takenIds(retired, drafts) {
  return new Set([...retired, ...drafts.flatMap((draft) => (draft.id ? [draft.id] : []))]);
}

/**
 * @param {MemberDraft[]} drafts
 * @param {ReadonlySet<string>} retired
 * @param {Errors} errors
 * @returns {Member[]}
 */
function membersOf(drafts, retired, errors) {
  errors.count("members-add", drafts.length, LIMITS.members);
  const taken = takenIds(retired, drafts);
  let chairs = 0;
  return drafts.map((draft) => {
    const name = errors.text(draft.name, `${draft.key}-name`, LIMITS.name);
    const faction = errors.text(draft.faction, `${draft.key}-faction`, LIMITS.faction, true);
    const role = draft.role === "chair" ? "chair" : "member";
    if (role === "chair") {
      chairs += 1;
      if (chairs > 1) errors.add(`${draft.key}-role`, "clerk.error.twoChairs");
    }
    const id = draft.id ?? uniqueId(name, taken, "mitglied");
    taken.add(id);
    return { id, name, faction, role };
  });
}

/**
 * @param {SessionDraft[]} drafts
 * @param {ReadonlySet<string>} retired
 * @param {Errors} errors
 * @returns {Session[]}
 */
function sessionsOf(drafts, retired, errors) {
  errors.count("sessions-add", drafts.length, LIMITS.sessions);
  const taken = takenIds(retired, drafts);
  return drafts.map((draft) => {
    const title = errors.text(draft.title, `${draft.key}-title`, LIMITS.title);
    const place = errors.text(draft.place, `${draft.key}-place`, LIMITS.place, true);
    const startsAt = localToUnix(draft.date, draft.time);
    if (!DATE.test(draft.date) || (startsAt === null && TIME.test(draft.time))) {
      errors.add(`${draft.key}-date`, "clerk.error.date");
    }
    if (!TIME.test(draft.time)) errors.add(`${draft.key}-time`, "clerk.error.time");
    const id = draft.id ?? uniqueId(draft.date, taken, "sitzung");
    taken.add(id);
    return { id, title, starts_at: startsAt ?? 0, place, items: itemsOf(draft, errors) };
  });
}

/**
 * @param {SessionDraft} session
 * @param {Errors} errors
 * @returns {Item[]}
 */
function itemsOf(session, errors) {
  errors.count(`${session.key}-add`, session.items.length, LIMITS.items);
  const numbers = new Set();
  return session.items.map((draft) => {
    const number = draft.number.trim();
    if (!ITEM_NUMBER.test(number)) errors.add(`${draft.key}-number`, "clerk.error.number");
    else if (numbers.has(number)) {
      errors.add(`${draft.key}-number`, "clerk.error.numberTwice", { number });
    }
    numbers.add(number);
    const title = errors.text(draft.title, `${draft.key}-title`, LIMITS.title);
    const motions = motionsOf(draft.motions);
    errors.count(`${draft.key}-motions`, motions.length, LIMITS.motions);
    for (const motion of motions) errors.text(motion, `${draft.key}-motions`, LIMITS.motion);
    return { number, title, public: draft.public, motions };
  });
}
