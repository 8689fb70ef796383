// @ts-check
/**
 * The participant list: everyone's name with microphone, camera and hand state, their role,
 * and for hosts the buttons that act on each other person.
 */

import { NOT_PUBLIC, publicMarks } from "../broadcast-state.js";
import { h, icon } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../room-state.js").Participant} Participant */
/** @typedef {import("../room-state.js").Role} Role */

/**
 * @typedef {"mute" | "allowUnmute" | "musicOn" | "musicOff" | "stopCamera" | "stopScreen" |
 *   "remove" | "makeCohost" | "makeGuest" | "makeHost" | "publicPin" | "publicUnpin"} PersonAction
 * @typedef {import("../broadcast-state.js").BroadcastState} BroadcastState
 */

/**
 * Which buttons a viewer with `viewer`'s role gets for `person`: the server's rules, so that
 * nobody is offered what would be refused (a co-host never acts on a host, only a host changes
 * roles, nobody acts on themselves).
 * @param {Role} viewer
 * @param {Participant} person
 * @returns {PersonAction[]}
 */
export function actionsFor(viewer, person) {
  if (person.you || viewer === "guest") return [];
  if (viewer === "cohost" && person.role === "host") return [];
  /** @type {PersonAction[]} */
  const actions = [
    person.mutedByHost ? "allowUnmute" : "mute",
    // A teacher switches music mode for a pupil who cannot find the switch.
    person.music ? "musicOff" : "musicOn",
    "stopCamera",
  ];
  if (person.screen) actions.push("stopScreen");
  actions.push("remove");
  if (viewer === "host" && person.role === "guest") actions.push("makeCohost");
  if (viewer === "host" && person.role === "cohost") actions.push("makeGuest", "makeHost");
  return actions;
}

/** @type {Record<PersonAction, StringKey>} */
const ACTION_LABELS = {
  mute: "people.mute",
  allowUnmute: "people.allowUnmute",
  musicOn: "people.musicOn",
  musicOff: "people.musicOff",
  stopCamera: "people.stopCamera",
  stopScreen: "people.stopScreen",
  remove: "people.remove",
  makeCohost: "people.makeCohost",
  makeGuest: "people.makeGuest",
  makeHost: "people.makeHost",
  publicPin: "people.publicPin",
  publicUnpin: "people.publicUnpin",
};

/** @type {Record<PersonAction, StringKey>} What each button shows: the first words of its name, so that its name says what it shows. */
const ACTION_TEXTS = {
  mute: "people.muteShort",
  allowUnmute: "people.allowUnmuteShort",
  musicOn: "people.musicOnShort",
  musicOff: "people.musicOffShort",
  stopCamera: "people.stopCameraShort",
  stopScreen: "people.stopScreenShort",
  remove: "people.removeShort",
  makeCohost: "people.makeCohostShort",
  makeGuest: "people.makeGuestShort",
  makeHost: "people.makeHostShort",
  publicPin: "people.publicPinShort",
  publicUnpin: "people.publicUnpinShort",
};

/** An icon before each button's text. */
const ACTION_ICONS = /** @type {Record<PersonAction, string>} */ ({
  mute: "mic-off",
  allowUnmute: "mic",
  musicOn: "music",
  musicOff: "music",
  stopCamera: "camera-off",
  stopScreen: "screen",
  remove: "leave",
  makeCohost: "shield",
  makeGuest: "people",
  makeHost: "shield",
  publicPin: "broadcast",
  publicUnpin: "broadcast",
});

export class ParticipantList {
  #list;
  #title;
  #i18n;
  /** @type {Map<string, HTMLLIElement>} */
  #items = new Map();
  /** @type {Map<string, Participant>} */
  #people = new Map();
  /** @type {Role} */
  #viewer = "guest";
  /** @type {(action: PersonAction, person: Participant) => void} */
  #onAction = () => {};
  /** @type {BroadcastState} */
  #public = NOT_PUBLIC;

  /**
   * @param {HTMLElement} list a `role="list"` element
   * @param {HTMLElement} title shows the count
   * @param {I18n} i18n
   */
  constructor(list, title, i18n) {
    this.#list = list;
    this.#title = title;
    this.#i18n = i18n;
    this.#count();
  }

  /**
   * Our own role decides which buttons each item gets.
   * @param {Role} viewer
   * @param {(action: PersonAction, person: Participant) => void} onAction
   */
  setViewer(viewer, onAction) {
    this.#viewer = viewer;
    this.#onAction = onAction;
    for (const person of this.#people.values()) this.upsert(person);
  }

  /**
   * The room's public side: who keeps themselves out, who is shown to viewers.
   * @param {BroadcastState} state
   */
  setPublic(state) {
    this.#public = state;
    for (const person of this.#people.values()) this.upsert(person);
  }

  /** @param {Participant} participant */
  upsert(participant) {
    this.#people.set(participant.id, participant);
    let item = this.#items.get(participant.id);
    if (!item) {
      item = h("li", { className: "person", attrs: { role: "listitem" }, dataset: { participant: participant.id } });
      this.#items.set(participant.id, item);
      if (participant.you) this.#list.prepend(item);
      else this.#list.append(item);
    }
    const name = h("span", { className: "person-name" });
    if (participant.you) this.#i18n.bind(name, "tile.you", { name: participant.name });
    else name.textContent = participant.name;
    const states = h("span", { className: "person-states" });
    if (participant.role !== "guest") {
      const role = h("span", { className: "person-role" });
      this.#i18n.bind(role, participant.role === "host" ? "role.host" : "role.cohost");
      states.append(role);
    }
    /** @type {[boolean, string, StringKey][]} */
    const marks = [
      [participant.hand, "hand", "tile.hand"],
      [participant.music, "music", "tile.music"],
      [!participant.audio, "mic-off", participant.mutedByHost ? "tile.mutedByHost" : "tile.muted"],
      [!participant.video, "camera-off", "tile.cameraOff"],
    ];
    for (const [shown, glyph, label] of marks) {
      if (!shown) continue;
      const mark = h("span", { className: `icon icon-${glyph}`, attrs: { role: "img" } });
      this.#i18n.bind(mark, label, undefined, "label");
      states.append(mark);
    }
    item.dataset.audio = String(participant.audio);
    item.dataset.video = String(participant.video);
    item.dataset.hand = String(participant.hand);
    item.dataset.music = String(participant.music);
    item.dataset.role = participant.role;
    item.dataset.mutedByHost = String(participant.mutedByHost);
    const shown = publicMarks(this.#public, this.#viewer, participant);
    /** @type {[boolean, string, StringKey][]} */
    const tags = [
      [shown.pinned, "public-pinned", "people.publicPinned"],
      [shown.keptOut, "public-kept-out", "people.keptOut"],
    ];
    for (const [on, kind, label] of tags) {
      if (!on) continue;
      const tag = h("span", { className: `person-tag person-tag-${kind}` });
      this.#i18n.bind(tag, label);
      states.prepend(tag);
    }
    item.dataset.publicPinned = String(shown.pinned);
    item.dataset.keptOut = String(shown.keptOut);
    const row = h("div", { className: "person-row" }, [name, states]);
    item.replaceChildren(row);
    const actions = actionsFor(this.#viewer, participant);
    if (shown.action) actions.push(shown.action);
    if (actions.length > 0) item.append(this.#buttons(actions, participant));
    this.#count();
  }

  /**
   * @param {PersonAction[]} actions
   * @param {Participant} participant
   */
  #buttons(actions, participant) {
    return h(
      "div",
      { className: "person-actions" },
      actions.map((action) => {
        const button = h("button", {
          className: `person-action person-action-${action}`,
          attrs: { type: "button" },
        });
        this.#i18n.bind(button, ACTION_LABELS[action], { name: participant.name }, "label");
        const text = h("span", { attrs: { "aria-hidden": "true" } });
        this.#i18n.bind(text, ACTION_TEXTS[action]);
        button.append(icon(ACTION_ICONS[action]), text);
        button.addEventListener("click", () => this.#onAction(action, participant));
        return button;
      }),
    );
  }

  /** @param {string} id */
  remove(id) {
    this.#items.get(id)?.remove();
    this.#items.delete(id);
    this.#people.delete(id);
    this.#count();
  }

  /** The person as this list last showed them. @param {string} id */
  get(id) {
    return this.#people.get(id) ?? null;
  }

  /** @param {string} id */
  nameOf(id) {
    return this.#people.get(id)?.name ?? "";
  }

  /** The others in the room now. */
  others() {
    return [...this.#people.values()].filter((person) => !person.you);
  }

  clear() {
    this.#items.clear();
    this.#people.clear();
    this.#list.replaceChildren();
    this.#count();
  }

  #count() {
    this.#i18n.bind(this.#title, "people.title", { n: this.#items.size });
  }
}
