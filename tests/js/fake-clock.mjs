// A clock the tests move by hand: `now`, `setTimeout` and `clearTimeout` as the announcers
// take them (`Clock` of klingel/static/js/public-announcer.js), and `advance(ms)`, which runs
// every timer that falls due on the way.

/** @param {number} [start] the time it shows first, in ms */
export function fakeClock(start = 0) {
  let now = start;
  /** @type {{at: number, run: () => void, id: number}[]} */
  let timers = [];
  let next = 1;
  return {
    now: () => now,
    /** @param {() => void} run @param {number} ms */
    setTimeout: (run, ms) => {
      const id = next++;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    /** @param {unknown} id */
    clearTimeout: (id) => {
      timers = timers.filter((timer) => timer.id !== id);
    },
    /** @param {number} ms */
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.run();
    },
    get pending() {
      return timers.length;
    },
  };
}
