// @ts-check
/**
 * The `council` commands of docs/protocol.md ("Council sessions") as methods: the chair's and
 * every member's. The server checks who may do what from the member a personal link named; a
 * refusal comes back as an `error` and changes nothing. Each returns whether it went out.
 * No DOM.
 */

/** @typedef {import("./council-state.js").Choice} Choice */

export class CouncilCommands {
  #send;

  /** @param {(message: {type: string} & Record<string, unknown>) => boolean} send */
  constructor(send) {
    this.#send = send;
  }

  /**
   * @param {string} action
   * @param {Record<string, unknown>} [fields]
   */
  #council(action, fields = {}) {
    return this.#send({ type: "council", action, ...fields });
  }

  // --- any member -------------------------------------------------------------------------

  /** @param {boolean} pointOfOrder a point of order goes ahead of ordinary requests */
  raiseHand(pointOfOrder) {
    return this.#council("hand", pointOfOrder ? { pointOfOrder: true } : {});
  }

  withdraw() {
    return this.#council("withdraw");
  }

  /**
   * Our own ballot, or (the chair, in a roll call) a hall member's.
   * @param {Choice} choice
   * @param {string} [member]
   */
  ballot(choice, member) {
    return this.#council("ballot", member === undefined ? { choice } : { choice, member });
  }

  // --- the chair --------------------------------------------------------------------------

  /** @param {string} session */
  open(session) {
    return this.#council("open", { session });
  }

  close() {
    return this.#council("close");
  }

  /** @param {string} reason empty: the server's own word for a break */
  pause(reason) {
    return this.#council("pause", reason.trim() ? { reason: reason.trim() } : {});
  }

  resume() {
    return this.#council("resume");
  }

  /** @param {string} item its number */
  callItem(item) {
    return this.#council("item", { item });
  }

  /**
   * @param {string | null} member null: the next on the list
   * @param {number | null} limit seconds of speaking time, or null: none
   */
  giveFloor(member, limit) {
    return this.#council("floor", {
      ...(member === null ? {} : { member }),
      ...(limit === null ? {} : { limit }),
    });
  }

  endFloor() {
    return this.#council("end_floor");
  }

  /**
   * @param {number} motion its index on the current item
   * @param {"open" | "roll_call" | "secret"} kind a secret vote only with every member in the hall
   */
  openVote(motion, kind) {
    return this.#council("vote", { motion, kind });
  }

  /**
   * A secret vote that cannot be held here (members take part by video) is recorded as held
   * by post afterwards.
   * @param {number} motion its index on the current item
   */
  byPost(motion) {
    return this.#council("by_post", { motion });
  }

  closeVote() {
    return this.#council("close_vote");
  }

  /** @param {{yes: number, no: number, abstain: number}} counts hands counted in the hall */
  hallCounts(counts) {
    return this.#council("hall_counts", counts);
  }

  /**
   * @param {string} member
   * @param {string} item
   * @param {boolean} on
   */
  bias(member, item, on) {
    return this.#council("bias", { member, item, on });
  }

  /** @param {string} member @param {boolean} on present in the hall */
  hall(member, on) {
    return this.#council("hall", { member, on });
  }
}
