// @ts-check
/**
 * A council session on the viewer page and the hall view: the body, the current item, who
 * speaks (full name and faction, large), a running vote's counts, the last result with its
 * outcome; each change said once in the page's live region. While a non-public part runs
 * nothing of the session shows, and the paused screen says why. Names and titles are set as
 * text only.
 */

import { councilPublicNews } from "./live-council.js";
import { wordsText } from "./council-view.js";
import { find } from "./ui/dom.js";

/** @typedef {import("./live-council.js").CouncilPublic} CouncilPublic */
/** @typedef {import("./live-strings.js").LiveI18n} LiveI18n */
/** @typedef {import("./council-state.js").Counts} Counts */
/** @typedef {import("./live-council.js").NamedBallot} NamedBallot */

export class LiveCouncilInfo {
  #i18n;
  #say;
  #section = find("#council-info", HTMLElement);
  #body = find("#council-info-body", HTMLElement);
  #item = find("#council-info-item", HTMLElement);
  #speaker = find("#council-info-speaker", HTMLElement);
  #name = find("#council-info-name", HTMLElement);
  #faction = find("#council-info-faction", HTMLElement);
  #vote = find("#council-info-vote", HTMLElement);
  #voteText = find("#council-info-vote-text", HTMLElement);
  #voteCounts = find("#council-info-vote-counts", HTMLElement);
  #result = find("#council-info-result", HTMLElement);
  #resultText = find("#council-info-result-text", HTMLElement);
  #outcome = find("#council-info-outcome", HTMLElement);
  #resultCounts = find("#council-info-result-counts", HTMLElement);
  #quorum = find("#council-info-quorum", HTMLElement);
  #voteBallots = find("#council-info-vote-ballots", HTMLUListElement);
  #resultBallots = find("#council-info-result-ballots", HTMLUListElement);
  #pausedTitle = find("#paused-title", HTMLElement);
  #pausedText = find("#paused-text", HTMLElement);
  /** @type {CouncilPublic | null} */
  #info = null;

  /**
   * @param {LiveI18n} i18n
   * @param {(text: string) => void} say puts text into the page's polite live region
   */
  constructor(i18n, say) {
    this.#i18n = i18n;
    this.#say = say;
  }

  /** @param {CouncilPublic} info as the server just said it */
  follow(info) {
    const news = councilPublicNews(this.#info, info);
    this.#info = info;
    this.#show();
    if (news.length > 0) {
      const t = this.#i18n.t.bind(this.#i18n);
      this.#say(news.map((words) => wordsText(t, words)).join(" "));
    }
  }

  /** The broadcast ended: nothing of the session any more. */
  forget() {
    this.#info = null;
    this.#show();
  }

  #show() {
    const info = this.#info;
    const closed = info !== null && !info.public;
    this.#bind(this.#pausedTitle, closed ? "live.council.nonPublic.title" : "live.paused.title");
    this.#bind(this.#pausedText, closed ? "live.council.nonPublic.text" : "live.paused.text");
    this.#section.hidden = info === null || !info.public;
    if (info === null || !info.public) return;
    this.#body.textContent = info.body;
    const { item, speaker, vote, result, quorum } = info;
    this.#item.hidden = item === null;
    if (item !== null) this.#bind(this.#item, "live.council.item", { number: item.number, title: item.title });
    this.#quorum.hidden = quorum === null;
    if (quorum !== null) {
      const args = { counted: quorum.counted, needed: quorum.needed, size: quorum.legalSize };
      this.#bind(this.#quorum, quorum.reached ? "live.council.quorum.reached" : "live.council.quorum.lost", args);
      this.#quorum.dataset.reached = String(quorum.reached);
    }
    this.#speaker.hidden = speaker === null;
    this.#name.textContent = speaker?.name ?? "";
    this.#faction.textContent = speaker?.faction ?? "";
    this.#faction.hidden = !speaker?.faction;
    this.#vote.hidden = vote === null;
    this.#voteText.textContent = vote?.text ?? "";
    if (vote !== null) this.#counts(this.#voteCounts, vote.counts);
    this.#ballots(this.#voteBallots, vote?.ballots ?? []);
    // The last result while no vote runs: the screen shows one thing at a time.
    this.#result.hidden = result === null || vote !== null;
    this.#resultText.textContent = result?.text ?? "";
    if (result !== null) {
      this.#bind(this.#outcome, `live.council.outcome.${result.outcome}`);
      this.#outcome.dataset.outcome = result.outcome;
      this.#counts(this.#resultCounts, result.counts);
      this.#resultCounts.hidden = result.outcome === "by_post";
    }
    this.#ballots(this.#resultBallots, result?.ballots ?? []);
  }

  /**
   * Each ballot by name, as text; the list is drawn anew, it holds no focus.
   * @param {HTMLUListElement} list
   * @param {NamedBallot[]} ballots
   */
  #ballots(list, ballots) {
    list.hidden = ballots.length === 0;
    list.replaceChildren(
      ...ballots.map((ballot) => {
        const entry = document.createElement("li");
        const choice = document.createElement("span");
        this.#bind(choice, `live.council.choice.${ballot.choice}`);
        entry.dataset.choice = ballot.choice;
        entry.append(`${ballot.faction ? `${ballot.name} (${ballot.faction})` : ballot.name}: `, choice);
        return entry;
      }),
    );
  }

  /** @param {HTMLElement} element @param {Counts} counts */
  #counts(element, counts) {
    this.#bind(element, "live.council.counts", { ...counts });
  }

  /**
   * @param {HTMLElement} element
   * @param {string} key
   * @param {Record<string, string | number>} [args]
   */
  #bind(element, key, args) {
    element.dataset.i18n = key;
    if (args) element.dataset.i18nArgs = JSON.stringify(args);
    else delete element.dataset.i18nArgs;
    this.#i18n.apply(element);
  }
}
