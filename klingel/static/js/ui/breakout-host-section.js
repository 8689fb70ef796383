// @ts-check
/**
 * The host tools' part for breakout groups: before they open, how many groups, at random or by
 * hand (a group chosen for each person), how long, and whether everyone goes at once; while
 * they are open, who is where, a visit to each group, a message to all, and "Alle
 * zurückholen". Every field has a visible label; names are set as text only.
 */

import { clockText, MAIN_ROOM, TIMER_CHOICES } from "../breakouts-state.js";
import { h } from "./dom.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../breakouts-state.js").BreakoutsState} BreakoutsState */

/**
 * @typedef {{open: (plan: {count: number, random: boolean, chosen: Map<string, number>,
 *   minutes: number, auto: boolean}) => void, visit: (group: number) => void,
 *   message: (text: string) => void, callBack: () => void}} BreakoutHostHandlers
 */

const MAX_COUNT_CHOICE = 10;

export class BreakoutHostSection {
  element;
  #i18n;
  #handlers;
  #setup;
  #running;
  #count;
  #random;
  #byHand;
  #people;
  #timer;
  #auto;
  #clock;
  #groups;
  #inMain;
  #back;
  #messageField;
  /** @type {{id: string, name: string}[]} */
  #others = [];
  /** @type {Map<string, number>} */
  #chosen = new Map();

  /**
   * @param {I18n} i18n
   * @param {BreakoutHostHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    this.#handlers = handlers;
    const text = (/** @type {string} */ tag, /** @type {StringKey} */ key, className = "") => {
      const element = h(tag, { className });
      i18n.bind(element, key);
      return element;
    };

    this.#count = h("select", { className: "breakout-count", attrs: { id: "breakout-count" } });
    for (let n = 2; n <= MAX_COUNT_CHOICE; n += 1) {
      this.#count.append(h("option", { text: String(n), attrs: { value: String(n) } }));
    }
    this.#count.addEventListener("change", () => this.#showPeople());
    const countLabel = text("label", "breakout.count");
    countLabel.setAttribute("for", "breakout-count");

    this.#random = h("input", { attrs: { type: "radio", name: "breakout-split", value: "random", id: "breakout-random" } });
    this.#random.checked = true;
    this.#byHand = h("input", { attrs: { type: "radio", name: "breakout-split", value: "hand", id: "breakout-by-hand" } });
    const randomLabel = text("label", "breakout.random");
    randomLabel.setAttribute("for", "breakout-random");
    const handLabel = text("label", "breakout.byHand");
    handLabel.setAttribute("for", "breakout-by-hand");
    for (const radio of [this.#random, this.#byHand]) radio.addEventListener("change", () => this.#showPeople());
    const split = h("fieldset", { className: "breakout-split" }, [
      text("legend", "breakout.split"),
      h("div", { className: "breakout-choice" }, [this.#random, randomLabel]),
      h("div", { className: "breakout-choice" }, [this.#byHand, handLabel]),
    ]);
    this.#people = h("ul", { className: "breakout-people", attrs: { role: "list" } });

    this.#timer = h("select", { className: "breakout-timer", attrs: { id: "breakout-timer" } });
    for (const minutes of TIMER_CHOICES) {
      const option = h("option", { attrs: { value: String(minutes) } });
      if (minutes === 0) i18n.bind(option, "breakout.noTimer");
      else i18n.bind(option, "breakout.minutes", { n: minutes });
      this.#timer.append(option);
    }
    this.#timer.value = "15";
    const timerLabel = text("label", "breakout.timer");
    timerLabel.setAttribute("for", "breakout-timer");
    this.#auto = h("input", { attrs: { type: "checkbox", id: "breakout-auto" } });
    this.#auto.checked = true;
    const autoLabel = text("label", "breakout.auto");
    autoLabel.setAttribute("for", "breakout-auto");
    const open = text("button", "breakout.open", "host-action breakout-open");
    open.setAttribute("type", "button");
    open.addEventListener("click", () =>
      handlers.open({
        count: Number(this.#count.value),
        random: this.#random.checked,
        chosen: new Map(this.#chosen),
        minutes: Number(this.#timer.value),
        auto: this.#auto.checked,
      }),
    );
    this.#setup = h("div", { className: "breakout-setup" }, [
      text("p", "breakout.lead", "hint"),
      h("div", { className: "breakout-field" }, [countLabel, this.#count]),
      split,
      this.#people,
      h("div", { className: "breakout-field" }, [timerLabel, this.#timer]),
      h("div", { className: "breakout-choice" }, [this.#auto, autoLabel]),
      open,
    ]);

    this.#clock = h("p", { className: "breakout-clock" });
    this.#groups = h("ul", { className: "breakout-groups", attrs: { role: "list" } });
    this.#inMain = h("p", { className: "breakout-in-main" });
    this.#back = text("button", "breakout.backToMain", "host-action breakout-back");
    this.#back.setAttribute("type", "button");
    this.#back.addEventListener("click", () => handlers.visit(MAIN_ROOM));
    this.#messageField = h("textarea", { attrs: { id: "breakout-message", maxlength: "500", rows: "2" } });
    const messageLabel = text("label", "breakout.messageLabel");
    messageLabel.setAttribute("for", "breakout-message");
    const send = text("button", "breakout.send", "secondary");
    send.setAttribute("type", "submit");
    const form = h("form", { className: "breakout-message-form" }, [messageLabel, this.#messageField, send]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = this.#messageField.value.trim();
      if (typed === "") return;
      handlers.message(typed);
      this.#messageField.value = "";
    });
    const callBack = text("button", "breakout.callBack", "host-action breakout-call-back");
    callBack.setAttribute("type", "button");
    callBack.addEventListener("click", () => handlers.callBack());
    this.#running = h("div", { className: "breakout-running" }, [
      this.#clock,
      this.#groups,
      this.#inMain,
      this.#back,
      form,
      callBack,
    ]);

    const heading = text("h3", "breakout.title");
    heading.id = "breakout-host-title";
    this.element = h("section", { className: "breakout-host", attrs: { "aria-labelledby": "breakout-host-title" } }, [
      heading,
      this.#setup,
      this.#running,
    ]);
    this.show(null, MAIN_ROOM);
  }

  /**
   * The others in the main room, to split.
   * @param {{id: string, name: string}[]} people
   */
  setPeople(people) {
    this.#others = people;
    for (const id of [...this.#chosen.keys()]) {
      if (!people.some((person) => person.id === id)) this.#chosen.delete(id);
    }
    this.#showPeople();
  }

  /**
   * @param {BreakoutsState | null} state null: no groups
   * @param {number} where where we are now
   */
  show(state, where) {
    const running = Boolean(state && (state.open || state.closing));
    this.#setup.hidden = running;
    this.#running.hidden = !running;
    if (!state || !running) return;
    this.#showClock(state.secondsLeft);
    this.#back.hidden = where === MAIN_ROOM;
    this.#groups.replaceChildren(
      ...state.groups.map((group) => {
        const title = h("h4");
        this.#i18n.bind(title, "breakout.group", { n: group.number });
        const members = h("p", { className: "breakout-members" });
        if (group.members.length === 0) this.#i18n.bind(members, "breakout.empty");
        else {
          members.textContent = group.members
            .map((member) => this.#i18n.t(member.here ? "breakout.here" : "breakout.notHere", { name: member.name }))
            .join(", ");
        }
        const visit = h("button", { className: "host-action breakout-visit", attrs: { type: "button" } });
        this.#i18n.bind(visit, "breakout.visit", { n: group.number });
        visit.hidden = where === group.number || !state.open;
        visit.addEventListener("click", () => this.#handlers.visit(group.number));
        return h("li", { className: "breakout-group" }, [title, members, visit]);
      }),
    );
    this.#inMain.hidden = state.inMain.length === 0;
    this.#i18n.bind(this.#inMain, "breakout.inMain", { names: state.inMain.join(", ") });
  }

  /** @param {number | null} secondsLeft */
  #showClock(secondsLeft) {
    this.#clock.hidden = secondsLeft === null;
    if (secondsLeft !== null) this.#i18n.bind(this.#clock, "breakout.left", { time: clockText(secondsLeft) });
  }

  /** The countdown, once a second. @param {number | null} secondsLeft */
  tick(secondsLeft) {
    if (!this.#running.hidden) this.#showClock(secondsLeft);
  }

  #showPeople() {
    const count = Number(this.#count.value);
    const byHand = this.#byHand.checked;
    this.#people.hidden = !byHand;
    if (!byHand) return;
    if (this.#others.length === 0) {
      const nobody = h("li");
      this.#i18n.bind(nobody, "breakout.nobody");
      this.#people.replaceChildren(nobody);
      return;
    }
    this.#people.replaceChildren(
      ...this.#others.map((person, index) => {
        const id = `breakout-person-${index}`;
        const label = h("label", { attrs: { for: id } });
        this.#i18n.bind(label, "breakout.personGroup", { name: person.name });
        const select = h("select", { attrs: { id } });
        const stay = h("option", { attrs: { value: "0" } });
        this.#i18n.bind(stay, "breakout.stayMain");
        select.append(stay);
        for (let n = 1; n <= count; n += 1) {
          const option = h("option", { attrs: { value: String(n) } });
          this.#i18n.bind(option, "breakout.group", { n });
          select.append(option);
        }
        // Until chosen, people are spread over the groups in turn.
        const chosen = this.#chosen.get(person.id) ?? (index % count) + 1;
        select.value = String(chosen <= count ? chosen : 0);
        this.#chosen.set(person.id, Number(select.value));
        select.addEventListener("change", () => this.#chosen.set(person.id, Number(select.value)));
        return h("li", { className: "breakout-field" }, [label, select]);
      }),
    );
  }
}
