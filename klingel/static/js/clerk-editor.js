// @ts-check
/**
 * The clerk's form: the body, its members and its sessions with their agendas, as fields. It is
 * built from a document (`show`), read back as a draft (`draft`, checked by `clerk-form.js`),
 * and marks what is wrong at each field. Every row's fields have ids that start with the row's
 * key, which is how a `FieldError` finds its field. Typed text goes in as `value` or as text,
 * never as markup.
 */

import { draftOf, idsOf, LIMITS, quorumNeeded } from "./clerk-form.js";
import { find, h } from "./ui/dom.js";

/** @typedef {import("./clerk-strings.js").ClerkI18n} ClerkI18n */
/** @typedef {import("./clerk-form.js").BodyDocument} BodyDocument */
/** @typedef {import("./clerk-form.js").Draft} Draft */
/** @typedef {import("./clerk-form.js").MemberDraft} MemberDraft */
/** @typedef {import("./clerk-form.js").SessionDraft} SessionDraft */
/** @typedef {import("./clerk-form.js").ItemDraft} ItemDraft */
/** @typedef {import("./clerk-form.js").FieldError} FieldError */
/** @typedef {(key: string, args?: Record<string, string | number>) => void} Say */

const ERROR_CLASS = "clerk-field-error";
/** The look of the buttons that take a row off. */
const REMOVE = "link-button clerk-remove";

export class ClerkEditor extends EventTarget {
  #i18n;
  #say;
  #form = find("#clerk-form", HTMLFormElement);
  #name = find("#body-name", HTMLInputElement);
  #size = find("#body-size", HTMLInputElement);
  #needed = find("#body-rule-needed", HTMLElement);
  #members = find("#members-list", HTMLOListElement);
  #sessions = find("#sessions-list", HTMLOListElement);
  #bodyId = "";
  #keys = 0;
  /** @type {Set<string>} members who have a personal link */
  #linked = new Set();
  /** The ids of the document as last read or saved: new rows never get one of them. */
  retired = { members: new Set(), sessions: new Set() };
  /** Whether something was changed since the document was read or saved. */
  dirty = false;
  /** How many changes were made: a change made while a save is under way stays unsaved. */
  changes = 0;

  /**
   * @param {ClerkI18n} i18n
   * @param {Say} say
   */
  constructor(i18n, say) {
    super();
    this.#i18n = i18n;
    this.#say = say;
    const changed = () => this.#changed();
    this.#form.addEventListener("input", changed);
    this.#form.addEventListener("change", changed);
    this.#size.addEventListener("input", () => this.#showNeeded());
    for (const radio of this.#rules()) radio.addEventListener("change", () => this.#showNeeded());
    find("#members-add", HTMLButtonElement).addEventListener("click", () => this.#addMember());
    find("#sessions-add", HTMLButtonElement).addEventListener("click", () => this.#addSession());
  }

  /**
   * Fills the form with a document as the server sent it; whatever was typed goes.
   * @param {BodyDocument} document
   * @param {Iterable<string>} linked
   */
  show(document, linked) {
    const draft = draftOf(document, () => this.#key());
    this.#bodyId = draft.id;
    this.#linked = new Set(linked);
    this.retired = idsOf(document);
    this.#name.value = draft.name;
    this.#size.value = draft.legalSize;
    for (const radio of this.#rules()) radio.checked = radio.value === draft.rule;
    this.#members.replaceChildren(...draft.members.map((member) => this.#memberRow(member)));
    this.#sessions.replaceChildren(...draft.sessions.map((session) => this.#sessionRow(session)));
    this.#renumber();
    this.#showNeeded();
    this.dirty = false;
  }

  /**
   * After a save: the rows keep what was typed and get the ids the document gave them.
   * @param {Draft} draft what was sent, read from the form before the save
   * @param {number} changes the count of changes when it was read
   * @param {BodyDocument} document what the server keeps now
   * @param {Iterable<string>} linked
   */
  saved(draft, changes, document, linked) {
    this.#linked = new Set(linked);
    this.retired = idsOf(document);
    // A row taken off while the save was under way is simply not there any more.
    const row = (/** @type {string} */ key) => this.#form.querySelector(`li[data-key="${key}"]`);
    draft.members.forEach(({ key }, index) => {
      const found = row(key);
      if (!(found instanceof HTMLElement)) return;
      found.dataset.id = document.body.members[index].id;
      this.#showLinked(found);
    });
    draft.sessions.forEach(({ key }, index) => {
      const found = row(key);
      if (found instanceof HTMLElement) found.dataset.id = document.sessions[index].id;
    });
    this.dirty = this.changes !== changes;
  }

  /** @returns {Draft} what the form holds now, as typed */
  draft() {
    /**
     * A row's key, id and the values of its fields, by the fields' names.
     * @param {HTMLElement} row
     * @param {string[]} names
     * @returns {any}
     */
    const read = (row, names) => {
      const key = row.dataset.key ?? "";
      const values = names.map((name) => {
        const field = find(`#${key}-${name}`, HTMLElement, row);
        return [name, /** @type {HTMLInputElement} */ (field).value];
      });
      return { key, id: row.dataset.id || null, ...Object.fromEntries(values) };
    };
    return {
      id: this.#bodyId,
      name: this.#name.value,
      legalSize: this.#size.value,
      rule: this.#rules().find((radio) => radio.checked)?.value ?? "at_least_half",
      members: rows(this.#members).map((row) => read(row, ["name", "faction", "role"])),
      sessions: rows(this.#sessions).map((row) => ({
        ...read(row, ["title", "date", "time", "place"]),
        items: rows(find(`#${row.dataset.key}-items`, HTMLElement, row)).map((item) => ({
          ...read(item, ["number", "title", "motions"]),
          public: find(`#${item.dataset.key}-public`, HTMLInputElement, item).checked,
        })),
      })),
    };
  }

  /**
   * The member's id as saved (`null` for a row not saved yet) and name.
   * @param {string} key
   */
  member(key) {
    const row = find(`li[data-key="${key}"]`, HTMLElement, this.#members);
    const name = find(`#${key}-name`, HTMLInputElement, row).value.trim();
    return { id: row.dataset.id || null, name };
  }

  /**
   * Notes that a member has a (new) personal link, and shows it under the member, once.
   * @param {string} key
   * @param {string} url
   */
  showLink(key, url) {
    const row = find(`li[data-key="${key}"]`, HTMLElement, this.#members);
    this.#linked.add(row.dataset.id ?? "");
    this.#showLinked(row);
    const name = find(`#${key}-name`, HTMLInputElement, row).value.trim();
    const field = find(`#${key}-url`, HTMLInputElement, row);
    field.value = url;
    const label = find(`label[for="${key}-url"]`, HTMLElement, row);
    this.#i18n.bind(label, "clerk.link.label", { name });
    this.#i18n.bind(find(`#${key}-notice`, HTMLElement, row), "clerk.link.notice", { name });
    find(`#${key}-copied`, HTMLElement, row).textContent = "";
    find(`#${key}-shown`, HTMLElement, row).hidden = false;
    field.focus();
    field.select();
  }

  /**
   * Marks each field that is wrong, with its message under it; what the summary lists.
   * @param {FieldError[]} errors
   * @returns {{target: string, text: string}[]}
   */
  markErrors(errors) {
    for (const error of errors) {
      const field = document.getElementById(error.target);
      if (field === null || document.getElementById(`${error.target}-error`)) continue;
      const message = h("p", {
        className: `form-message ${ERROR_CLASS}`,
        attrs: { id: `${error.target}-error` },
      });
      this.#i18n.bind(message, /** @type {any} */ (error.message), error.args);
      const place = field.closest(".field") ?? field.parentElement;
      if (place?.classList.contains("field")) place.append(message);
      else field.after(message);
      if (!(field instanceof HTMLButtonElement)) field.setAttribute("aria-invalid", "true");
      describedBy(field, [...ids(field), message.id]);
    }
    return this.describe(errors);
  }

  /**
   * Each error in words, with where it is: "Mitglied 2, Vollständiger Name: Bitte ausfüllen."
   * @param {FieldError[]} errors
   */
  describe(errors) {
    return errors.flatMap((error) => {
      const field = document.getElementById(error.target);
      if (field === null) return [];
      const label = document.querySelector(`label[for="${error.target}"]`) ?? field;
      const legends = [];
      let set = field.closest("fieldset.clerk-fieldset");
      while (set !== null) {
        legends.unshift(set.querySelector(":scope > legend")?.textContent ?? "");
        set = set.parentElement?.closest("fieldset.clerk-fieldset") ?? null;
      }
      const section = field.closest("section")?.querySelector("h2")?.textContent ?? "";
      const text = this.#i18n.t("clerk.error.where", {
        where: legends.length > 0 ? legends.join(", ") : section,
        field: (label.textContent ?? "").trim(),
        error: this.#i18n.t(error.message, error.args),
      });
      return [{ target: error.target, text }];
    });
  }

  clearErrors() {
    for (const message of this.#form.querySelectorAll(`.${ERROR_CLASS}`)) {
      const target = document.getElementById(message.id.replace(/-error$/, ""));
      if (target !== null) {
        target.removeAttribute("aria-invalid");
        describedBy(target, ids(target).filter((id) => id !== message.id));
      }
      message.remove();
    }
  }

  #changed() {
    this.changes += 1;
    if (this.dirty) return;
    this.dirty = true;
    this.dispatchEvent(new Event("change"));
  }

  #key() {
    this.#keys += 1;
    return `k${this.#keys}`;
  }

  #rules() {
    const radios = this.#form.querySelectorAll('input[name="rule"]');
    return /** @type {HTMLInputElement[]} */ ([...radios]);
  }

  #showNeeded() {
    const size = /^\d{1,3}$/.test(this.#size.value.trim()) ? Number(this.#size.value) : NaN;
    const rule = this.#rules().find((radio) => radio.checked)?.value ?? "";
    const needed = quorumNeeded(size, rule);
    if (needed === null) {
      delete this.#needed.dataset.i18n;
      this.#needed.textContent = "";
      return;
    }
    this.#i18n.bind(this.#needed, "clerk.rule.needed", { size, needed });
  }

  #addMember() {
    const member = { key: this.#key(), id: null, name: "", faction: "", role: "member" };
    const row = this.#memberRow(member);
    this.#members.append(row);
    this.#added(row, "clerk.say.memberAdded", this.#members);
  }

  #addSession() {
    const row = this.#sessionRow({
      key: this.#key(),
      id: null,
      title: "",
      date: "",
      time: "",
      place: "",
      items: [],
    });
    this.#sessions.append(row);
    this.#added(row, "clerk.say.sessionAdded", this.#sessions);
  }

  /** @param {HTMLElement} list */
  #addItem(list) {
    // Numbered on from the last item; a session is public unless an item says otherwise.
    const number = String(list.children.length + 1);
    const row = this.#itemRow({ key: this.#key(), number, title: "", public: true, motions: "" });
    list.append(row);
    this.#added(row, "clerk.say.itemAdded", list);
  }

  /**
   * @param {HTMLElement} row
   * @param {string} said
   * @param {HTMLElement} list
   */
  #added(row, said, list) {
    this.#renumber();
    this.#changed();
    const first = row.querySelector("input, select, textarea");
    if (first instanceof HTMLElement) first.focus();
    this.#say(said, { n: list.children.length });
  }

  /**
   * @param {HTMLElement} row
   * @param {string} said
   * @param {HTMLElement} focus where the focus goes: the heading of the list
   */
  #remove(row, said, focus) {
    row.remove();
    this.#renumber();
    this.#changed();
    focus.focus();
    this.#say(said);
  }

  /** @param {MemberDraft} member */
  #memberRow(member) {
    const { key } = member;
    const row = h("li", { className: "clerk-card", dataset: { key, id: member.id ?? "" } });
    const legend = h("legend", { className: "clerk-legend", attrs: { id: `${key}-legend` } });
    const name = this.#input(`${key}-name`, member.name, LIMITS.name);
    name.autocomplete = "off";
    name.addEventListener("input", () => this.#renumber());
    const role = h("select", { attrs: { id: `${key}-role` } }, [
      this.#option("member", "clerk.role.member"),
      this.#option("chair", "clerk.role.chair"),
    ]);
    role.value = member.role === "chair" ? "chair" : "member";
    const linkButton = h("button", {
      className: "secondary",
      attrs: { type: "button", id: `${key}-link` },
    });
    linkButton.addEventListener("click", () => {
      this.dispatchEvent(new CustomEvent("link", { detail: key }));
    });
    const faction = this.#input(`${key}-faction`, member.faction, LIMITS.faction);
    const remove = this.#button(`${key}-remove`, "clerk.member.remove", REMOVE);
    remove.addEventListener("click", () =>
      this.#remove(row, "clerk.say.memberRemoved", find("#members-title", HTMLElement)),
    );
    row.append(
      h("fieldset", { className: "clerk-fieldset" }, [
        legend,
        h("div", { className: "clerk-grid" }, [
          this.#field(name, "clerk.member.name"),
          this.#field(faction, "clerk.member.faction"),
          this.#field(role, "clerk.member.role"),
        ]),
        this.#text("p", "clerk-linked", "clerk.member.unlinked", `${key}-linked`),
        this.#text("p", "hint", "clerk.member.renewHint", `${key}-renew-hint`),
        h("div", { className: "clerk-actions" }, [linkButton, remove]),
        this.#shownLink(key),
      ]),
    );
    this.#showLinked(row);
    return row;
  }

  /**
   * Where a new personal link is shown once, with its copy button and its notice.
   * @param {string} key
   */
  #shownLink(key) {
    const field = h("input", {
      className: "clerk-url",
      attrs: { id: `${key}-url`, type: "text", readonly: "", spellcheck: "false" },
    });
    describedBy(field, [`${key}-notice`]);
    const copied = h("p", { className: "hint", attrs: { id: `${key}-copied` } });
    const copy = this.#button(`${key}-copy`, "clerk.link.copy", "primary");
    copy.addEventListener("click", () => void this.#copy(field, copied));
    return h("div", { className: "clerk-link", attrs: { id: `${key}-shown`, hidden: "" } }, [
      h("label", { attrs: { for: `${key}-url` } }),
      h("div", { className: "inline-field clerk-copy" }, [field, copy]),
      h("p", { className: "clerk-link-notice", attrs: { id: `${key}-notice` } }),
      copied,
    ]);
  }

  /**
   * @param {HTMLInputElement} field
   * @param {HTMLElement} copied
   */
  async #copy(field, copied) {
    let key = "clerk.link.copied";
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      key = "clerk.link.copyManual";
      field.focus();
      field.select();
    }
    this.#i18n.bind(copied, key);
    this.#say(key);
  }

  /** @param {HTMLElement} row */
  #showLinked(row) {
    const key = row.dataset.key ?? "";
    const linked = this.#linked.has(row.dataset.id ?? "");
    const status = find(`#${key}-linked`, HTMLElement, row);
    this.#i18n.bind(status, linked ? "clerk.member.linked" : "clerk.member.unlinked");
    const button = find(`#${key}-link`, HTMLButtonElement, row);
    this.#i18n.bind(button, linked ? "clerk.member.renewLink" : "clerk.member.makeLink");
    find(`#${key}-renew-hint`, HTMLElement, row).hidden = !linked;
    describedBy(button, linked ? [`${key}-legend`, `${key}-renew-hint`] : [`${key}-legend`]);
  }

  /** @param {SessionDraft} session */
  #sessionRow(session) {
    const { key } = session;
    const row = h("li", { className: "clerk-card", dataset: { key, id: session.id ?? "" } });
    const date = this.#input(`${key}-date`, session.date);
    date.type = "date";
    const time = this.#input(`${key}-time`, session.time);
    time.type = "time";
    const title = this.#input(`${key}-title`, session.title, LIMITS.title);
    title.addEventListener("input", () => this.#renumber());
    const place = this.#input(`${key}-place`, session.place, LIMITS.place);
    const agendaTitle = this.#text("h3", "clerk-agenda-title", "clerk.session.agenda");
    agendaTitle.tabIndex = -1;
    const items = h("ol", { className: "clerk-items", attrs: { id: `${key}-items` } });
    items.append(...session.items.map((item) => this.#itemRow(item)));
    const empty = this.#text("p", "clerk-empty", "clerk.items.empty", `${key}-items-empty`);
    empty.hidden = session.items.length > 0;
    const add = this.#button(`${key}-add`, "clerk.items.add", "secondary");
    add.addEventListener("click", () => this.#addItem(items));
    const remove = this.#button(`${key}-remove`, "clerk.session.remove", REMOVE);
    remove.addEventListener("click", () =>
      this.#remove(row, "clerk.say.sessionRemoved", find("#sessions-title", HTMLElement)),
    );
    row.append(
      h("fieldset", { className: "clerk-fieldset" }, [
        h("legend", { className: "clerk-legend", attrs: { id: `${key}-legend` } }),
        h("div", { className: "clerk-grid" }, [
          this.#field(title, "clerk.session.title", "clerk-wide"),
          this.#field(date, "clerk.session.date"),
          this.#field(time, "clerk.session.time"),
          this.#field(place, "clerk.session.place", "clerk-wide"),
        ]),
        agendaTitle,
        empty,
        items,
        h("div", { className: "clerk-actions" }, [add, remove]),
      ]),
    );
    return row;
  }

  /** @param {ItemDraft} item */
  #itemRow(item) {
    const { key } = item;
    const row = h("li", { className: "clerk-item", dataset: { key } });
    const number = this.#input(`${key}-number`, item.number, 20);
    const title = this.#input(`${key}-title`, item.title, LIMITS.title);
    number.inputMode = "decimal";
    const box = h("input", { attrs: { id: `${key}-public`, type: "checkbox" } });
    box.checked = item.public;
    describedBy(box, [`${key}-public-hint`]);
    const motions = h("textarea", { attrs: { id: `${key}-motions`, rows: "3" } });
    motions.value = item.motions;
    const remove = this.#button(`${key}-remove`, "clerk.item.remove", REMOVE);
    remove.addEventListener("click", () => {
      const session = row.closest("li.clerk-card");
      const heading = find(".clerk-agenda-title", HTMLElement, session ?? document);
      this.#remove(row, "clerk.say.itemRemoved", heading);
    });
    row.append(
      h("fieldset", { className: "clerk-fieldset" }, [
        h("legend", { className: "clerk-legend", attrs: { id: `${key}-legend` } }),
        h("div", { className: "clerk-grid clerk-item-grid" }, [
          this.#field(number, "clerk.item.number", "", "clerk.item.numberHint"),
          this.#field(title, "clerk.item.title", "clerk-wide"),
        ]),
        h("div", { className: "field" }, [
          h("label", { className: "check-field" }, [
            box,
            this.#text("span", "", "clerk.item.public"),
          ]),
          this.#text("p", "hint", "clerk.item.publicHint", `${key}-public-hint`),
        ]),
        this.#field(motions, "clerk.item.motions", "", "clerk.item.motionsHint"),
        h("div", { className: "clerk-actions" }, [remove]),
      ]),
    );
    return row;
  }

  /** Numbers the rows' legends after a change, with what names each. */
  #renumber() {
    rows(this.#members).forEach((row, index) => {
      const key = row.dataset.key ?? "";
      const name = find(`#${key}-name`, HTMLInputElement, row).value.trim();
      const legend = name ? "clerk.member.legendNamed" : "clerk.member.legend";
      this.#legend(row, key, legend, { n: index + 1, name });
    });
    rows(this.#sessions).forEach((row, index) => {
      const key = row.dataset.key ?? "";
      const name = find(`#${key}-title`, HTMLInputElement, row).value.trim();
      const legend = name ? "clerk.session.legendNamed" : "clerk.session.legend";
      this.#legend(row, key, legend, { n: index + 1, name });
      const items = find(`#${key}-items`, HTMLElement, row);
      rows(items).forEach((item, position) => {
        this.#legend(item, item.dataset.key ?? "", "clerk.item.legend", { n: position + 1 });
      });
      find(`#${key}-items-empty`, HTMLElement, row).hidden = items.children.length > 0;
    });
    find("#members-empty", HTMLElement).hidden = this.#members.children.length > 0;
    find("#sessions-empty", HTMLElement).hidden = this.#sessions.children.length > 0;
  }

  /**
   * @param {HTMLElement} row
   * @param {string} key
   * @param {string} text
   * @param {Record<string, string | number>} args
   */
  #legend(row, key, text, args) {
    this.#i18n.bind(find(`#${key}-legend`, HTMLElement, row), /** @type {any} */ (text), args);
  }

  /**
   * @param {string} id
   * @param {string} value
   * @param {number} [limit]
   */
  #input(id, value, limit) {
    const input = h("input", { attrs: { id, type: "text" } });
    if (limit) input.maxLength = limit;
    input.value = value;
    return input;
  }

  /**
   * A control with its visible label, and a hint under it if there is one.
   * @param {HTMLElement} control
   * @param {string} label
   * @param {string} [className]
   * @param {string} [hint]
   */
  #field(control, label, className = "", hint) {
    const field = h("div", { className: `field ${className}`.trim() }, [
      this.#text("label", "", label),
      control,
    ]);
    find("label", HTMLLabelElement, field).htmlFor = control.id;
    if (hint) {
      field.append(this.#text("p", "hint", hint, `${control.id}-hint`));
      describedBy(control, [...ids(control), `${control.id}-hint`]);
    }
    return field;
  }

  /**
   * @param {string} value
   * @param {string} text
   */
  #option(value, text) {
    const option = h("option", { attrs: { value } });
    this.#i18n.bind(option, /** @type {any} */ (text));
    return option;
  }

  /**
   * @param {string} id
   * @param {string} text
   * @param {string} className
   */
  #button(id, text, className) {
    const button = h("button", { className, attrs: { type: "button", id } });
    this.#i18n.bind(button, /** @type {any} */ (text));
    return button;
  }

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {string} className
   * @param {string} text a key of the page's texts
   * @param {string} [id]
   */
  #text(tag, className, text, id) {
    const element = h(tag, { className, attrs: id ? { id } : {} });
    this.#i18n.bind(element, /** @type {any} */ (text));
    return element;
  }
}

/** @param {Element} list */
function rows(list) {
  return /** @type {HTMLElement[]} */ ([...list.children]);
}

/** @param {Element} element */
function ids(element) {
  return (element.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
}

/**
 * @param {Element} element
 * @param {string[]} described
 */
function describedBy(element, described) {
  if (described.length > 0) element.setAttribute("aria-describedby", described.join(" "));
  else element.removeAttribute("aria-describedby");
}
