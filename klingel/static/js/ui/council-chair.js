// @ts-check
/**
 * The chair's controls, in the order a session runs: open one of the prepared sessions; call
 * an item (or the next); give the floor (to the next on the list or to a member, with an
 * optional speaking time) and end it; open a vote on a motion of the current item (open or by
 * roll call, or secret with every member in the hall; else recorded as held by post), add the
 * hall's hands in an open or secret vote, close it; interrupt and continue; close
 * the session (asked first). Each group shows only when it can be used; the controls stay the
 * same elements, so a state that arrives keeps the focus where it is.
 */

import { limitSeconds, nextItem, publicKey } from "../council-view.js";
import { actionButton, fillSelect, labelled } from "./council-parts.js";
import { find, h } from "./dom.js";
import { openOnce } from "./host-dialogs.js";

/** @typedef {import("../i18n.js").I18n} I18n */
/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("../council-state.js").CouncilState} CouncilState */
/** @typedef {import("../council-state.js").Counts} Counts */
/** @typedef {import("../council-view.js").CouncilContext} CouncilContext */

/**
 * @typedef {{open: (session: string) => void, callItem: (item: string) => void,
 *   giveFloor: (member: string | null, limit: number | null) => void, endFloor: () => void,
 *   openVote: (motion: number, kind: "open" | "roll_call" | "secret") => void,
 *   byPost: (motion: number) => void, closeVote: () => void,
 *   hallCounts: (counts: Counts) => void, pause: (reason: string) => void, resume: () => void,
 *   close: () => void}} ChairHandlers
 */

/**
 * @param {string} id
 * @param {string} [type]
 */
function input(id, type = "text") {
  return h("input", { attrs: { id, type } });
}

/**
 * @param {I18n} i18n
 * @param {StringKey} legend
 * @param {Node[]} children
 */
function group(i18n, legend, children) {
  const title = h("legend");
  i18n.bind(title, legend);
  return h("fieldset", { className: "council-group" }, [title, ...children]);
}

export class CouncilChair {
  element;
  #i18n;
  #session = h("select", { attrs: { id: "council-session" } });
  #item = h("select", { attrs: { id: "council-item" } });
  #who = h("select", { attrs: { id: "council-floor-who" } });
  #limit = input("council-limit", "number");
  #motion = h("select", { attrs: { id: "council-motion" } });
  #kind = h("select", { attrs: { id: "council-kind" } });
  #reason = input("council-pause-reason");
  /** @type {Record<keyof Counts, HTMLInputElement>} */
  #hands = { yes: input("council-hall-yes", "number"), no: input("council-hall-no", "number"), abstain: input("council-hall-abstain", "number") };
  #opening;
  #running;
  #next;
  #endFloor;
  #voteStart;
  #secret;
  #noMotions = h("p", { className: "council-empty" });
  #voteRunning;
  #hallGroup;
  #pause;
  #resume;
  /** @type {CouncilState | null} */
  #state = null;

  /**
   * @param {I18n} i18n
   * @param {ChairHandlers} handlers
   */
  constructor(i18n, handlers) {
    this.#i18n = i18n;
    const button = actionButton.bind(null, i18n);
    this.#limit.min = "1";
    this.#limit.max = "60";
    this.#limit.step = "1";
    this.#limit.inputMode = "numeric";
    this.#reason.maxLength = 200;
    for (const field of Object.values(this.#hands)) {
      field.min = "0";
      field.max = "1000";
      field.inputMode = "numeric";
    }
    i18n.bind(this.#noMotions, "council.noMotions");

    this.#opening = group(i18n, "council.sessionLabel", [
      labelled(i18n, "council.sessionLabel", this.#session),
      button("council.openSession", "council-open", () => handlers.open(this.#session.value)),
    ]);
    this.#next = button("council.nextItem", "council-next-item", () => {
      const next = this.#state === null ? null : nextItem(this.#state);
      if (next !== null) handlers.callItem(next.number);
    });
    const agenda = group(i18n, "council.agendaTitle", [
      labelled(i18n, "council.itemLabel", this.#item),
      h("div", { className: "council-buttons" }, [
        button("council.callItem", "council-call-item", () => handlers.callItem(this.#item.value)),
        this.#next,
      ]),
    ]);
    this.#endFloor = button("council.endFloor", "council-end-floor", () => handlers.endFloor());
    const floor = group(i18n, "council.floorTitle", [
      labelled(i18n, "council.floorWho", this.#who),
      labelled(i18n, "council.limitLabel", this.#limit),
      h("div", { className: "council-buttons" }, [
        button("council.giveFloor", "council-give-floor", () =>
          handlers.giveFloor(this.#who.value || null, limitSeconds(this.#limit.value)),
        ),
        this.#endFloor,
      ]),
    ]);
    const motion = () => {
      const index = Number(this.#motion.value);
      return this.#motion.value !== "" && Number.isSafeInteger(index) ? index : null;
    };
    const hint = h("p", { className: "council-hint", attrs: { id: "council-secret-hint" } });
    i18n.bind(hint, "council.secretHint");
    const byPost = button("council.byPost", "council-by-post", () => {
      const index = motion();
      if (index !== null) handlers.byPost(index);
    });
    byPost.setAttribute("aria-describedby", "council-secret-hint");
    this.#secret = h("div", { className: "council-secret" }, [hint, byPost]);
    this.#kind.addEventListener("change", () => this.#showSecret());
    this.#voteStart = h("div", { className: "council-vote-start" }, [
      labelled(i18n, "council.motionLabel", this.#motion),
      labelled(i18n, "council.kindLabel", this.#kind),
      button("council.openVote", "council-open-vote", () => {
        const index = motion();
        const kind = this.#kind.value;
        if (index !== null) handlers.openVote(index, kind === "roll_call" || kind === "secret" ? kind : "open");
      }),
      this.#secret,
    ]);
    this.#hallGroup = h("div", { className: "council-hall-counts" }, [
      h("div", { className: "council-hands" }, [
        labelled(i18n, "council.choice.yes", this.#hands.yes),
        labelled(i18n, "council.choice.no", this.#hands.no),
        labelled(i18n, "council.choice.abstain", this.#hands.abstain),
      ]),
      button("council.saveHallCounts", "council-save-hands", () => {
        const [yes, no, abstain] = [this.#hands.yes, this.#hands.no, this.#hands.abstain].map((field) =>
          Math.max(0, Math.floor(Number(field.value) || 0)),
        );
        handlers.hallCounts({ yes, no, abstain });
      }),
    ]);
    const hallTitle = h("p", { className: "council-group-label" });
    i18n.bind(hallTitle, "council.hallCountsTitle");
    this.#hallGroup.prepend(hallTitle);
    this.#voteRunning = h("div", { className: "council-vote-running" }, [
      this.#hallGroup,
      button("council.closeVote", "council-close-vote", () => handlers.closeVote()),
    ]);
    const vote = group(i18n, "council.voteTitle", [this.#noMotions, this.#voteStart, this.#voteRunning]);
    this.#pause = h("div", { className: "council-pause" }, [
      labelled(i18n, "council.pauseReason", this.#reason),
      button("council.pause", "council-pause-button", () => handlers.pause(this.#reason.value)),
    ]);
    this.#resume = button("council.resume", "council-resume", () => handlers.resume());
    const dialog = find("#council-close-dialog", HTMLDialogElement);
    const close = button("council.closeSession", "council-close-session", () => {
      if (!dialog.open) openOnce(dialog, (value) => value === "close" && handlers.close());
    });
    this.#running = h("div", { className: "council-running" }, [
      agenda, floor, vote, group(i18n, "council.sessionLabel", [this.#pause, this.#resume, close]),
    ]);
    const heading = h("h3", { attrs: { id: "council-chair-title" } });
    i18n.bind(heading, "council.chairTitle");
    this.element = h("section", { className: "council-section council-chair", attrs: { "aria-labelledby": "council-chair-title" } }, [
      heading,
      this.#opening,
      this.#running,
    ]);
  }

  /** @param {CouncilContext} context */
  show({ state, lead }) {
    this.#state = state;
    this.element.hidden = !lead || state.phase === "closed";
    if (this.element.hidden) return;
    const t = this.#i18n.t.bind(this.#i18n);
    this.#opening.hidden = state.phase !== "prepared";
    this.#running.hidden = state.phase !== "open";
    fillSelect(this.#session, state.sessions.map((session) => ({ value: session.id, label: session.title })));
    fillSelect(
      this.#item,
      state.items.map((item) => ({
        value: item.number,
        label: t("council.itemOption", { number: item.number, title: item.title, kind: t(/** @type {StringKey} */ (publicKey(item))) }),
      })),
    );
    this.#next.hidden = nextItem(state) === null;
    fillSelect(this.#who, [
      { value: "", label: t("council.floorNext") },
      ...state.members.map((member) => ({ value: member.id, label: member.faction ? `${member.name} (${member.faction})` : member.name })),
    ]);
    this.#endFloor.hidden = state.speaker === null;
    const motions = state.item?.motions ?? [];
    fillSelect(this.#motion, motions.map((text, index) => ({ value: String(index), label: text })));
    fillSelect(this.#kind, [
      { value: "open", label: t("council.kind.open") },
      { value: "roll_call", label: t("council.kind.roll_call") },
      { value: "secret", label: t("council.kind.secret") },
    ]);
    this.#showSecret();
    const voting = state.vote !== null;
    this.#noMotions.hidden = voting || motions.length > 0;
    this.#voteStart.hidden = voting || motions.length === 0;
    this.#voteRunning.hidden = !voting;
    // Hands in the hall count in an open vote; a secret one is counted in the hall alone.
    this.#hallGroup.hidden = state.vote === null || state.vote.kind === "roll_call";
    const paused = state.paused !== null;
    this.#pause.hidden = paused;
    this.#resume.hidden = !paused;
  }

  #showSecret() {
    this.#secret.hidden = this.#kind.value !== "secret";
  }
}
