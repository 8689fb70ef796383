// @ts-check
/**
 * The start page: one button for a fresh room, or a typed room name turned into an address.
 * A name that is someone else's gets a plain question: go in as a guest, or choose another.
 */

import { find } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {"room_taken" | "room_exists" | "room_reserved"} TakenCode */

/**
 * @typedef {{
 *   create: () => Promise<void>,
 *   slugify: (name: string) => string,
 *   open: (name: string, slug: string) => Promise<{taken: TakenCode} | null>,
 * }} StartHandlers
 * `open` goes to the room, or answers why the name is not ours to create.
 */

/**
 * @param {I18n} i18n
 * @param {StartHandlers} handlers
 */
export function mountStartPage(i18n, handlers) {
  const create = find("#create-room", HTMLButtonElement);
  const createMessage = find("#create-message", HTMLElement);
  const form = find("#named-room", HTMLFormElement);
  const input = find("#room-name", HTMLInputElement);
  const address = find("#room-address", HTMLElement);
  const nameMessage = find("#name-message", HTMLElement);
  const submit = find("#named-room button[type=submit]", HTMLButtonElement);
  const taken = new NameTaken(i18n, () => {
    input.focus();
    input.select();
  });

  create.addEventListener("click", async () => {
    create.disabled = true;
    createMessage.textContent = "";
    try {
      await handlers.create();
    } catch (error) {
      i18n.bind(createMessage, failureText(error));
      create.disabled = false;
    }
  });

  const preview = () => {
    const slug = handlers.slugify(input.value);
    if (slug) i18n.bind(address, "start.address", { path: `/r/${slug}` });
    else {
      delete address.dataset.i18n;
      address.textContent = "";
    }
    return slug;
  };
  input.addEventListener("input", () => {
    preview();
    taken.hide();
    delete nameMessage.dataset.i18n;
    nameMessage.textContent = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const slug = preview();
    if (!slug) {
      i18n.bind(nameMessage, "start.emptyName");
      input.focus();
      return;
    }
    submit.disabled = true;
    taken.hide();
    const name = input.value.trim();
    handlers.open(name, slug).then(
      (answer) => {
        if (answer === null) return; // the page is on its way to the room
        submit.disabled = false;
        taken.show(answer.taken, name, slug);
      },
      (error) => {
        i18n.bind(nameMessage, failureText(error));
        submit.disabled = false;
      },
    );
  });
}

/**
 * Why no room was made, in words: the server's cap on rooms is the town's to lift; anything
 * else may pass if tried again.
 * @param {unknown} error
 * @returns {StringKey}
 */
function failureText(error) {
  const code = /** @type {{code?: unknown}} */ (error ?? {}).code;
  return code === "standing_rooms_full" ? "start.standingFull" : "start.createFailed";
}

/** The question when a typed name is somebody else's room (or the town's). */
class NameTaken {
  #i18n;
  #box = find("#name-taken", HTMLElement);
  #text = find("#name-taken-text", HTMLElement);
  #guest = find("#name-taken-guest", HTMLAnchorElement);

  /**
   * @param {I18n} i18n
   * @param {() => void} chooseOther
   */
  constructor(i18n, chooseOther) {
    this.#i18n = i18n;
    find("#name-taken-other", HTMLButtonElement).addEventListener("click", () => {
      this.hide();
      chooseOther();
    });
  }

  /**
   * @param {TakenCode} code
   * @param {string} name as typed
   * @param {string} slug
   */
  show(code, name, slug) {
    this.#i18n.bind(this.#text, code === "room_reserved" ? "start.reserved" : "start.taken", { name });
    this.#guest.href = `/r/${slug}`;
    this.#box.hidden = false;
    // Focus on the question reads it out, and the two answers are the next two tab stops.
    this.#text.focus();
    this.#box.scrollIntoView({ block: "nearest" });
  }

  hide() {
    this.#box.hidden = true;
  }
}
