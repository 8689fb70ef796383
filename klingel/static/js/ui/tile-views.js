// @ts-check
/**
 * How large each tile is shown and whether any of it is on screen (scrolled into view, on the
 * current page), so the call can ask for a video's layer that fits, or none.
 */

/** @typedef {{visible: boolean, height: number}} TileView */

export class TileViews {
  /** @type {Map<Element, TileView>} */
  #views = new Map();
  /** @type {WeakSet<Element>} tiles whose visibility the browser has reported */
  #measured = new WeakSet();
  #changed;
  #visibility;
  #size;

  /** @param {() => void} changed called after any tile's view changed */
  constructor(changed) {
    this.#changed = changed;
    // The viewport is the root: a tile inside a scrolled grid counts as seen only where the
    // grid shows it.
    this.#visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        this.#measured.add(entry.target);
        this.#update(entry.target, { visible: entry.isIntersecting });
      }
      this.#changed();
    });
    this.#size = new ResizeObserver((entries) => {
      for (const entry of entries) {
        this.#update(entry.target, { height: entry.contentRect.height });
      }
      this.#changed();
    });
  }

  /** @param {Element} tile */
  watch(tile) {
    if (this.#views.has(tile)) return;
    this.#views.set(tile, { visible: false, height: 0 });
    this.#visibility.observe(tile);
    this.#size.observe(tile);
  }

  /** @param {Element} tile */
  unwatch(tile) {
    if (!this.#views.delete(tile)) return;
    this.#visibility.unobserve(tile);
    this.#size.unobserve(tile);
    this.#changed();
  }

  /**
   * @param {Element} tile
   * @returns {TileView | null} null until the browser has told where it is
   */
  viewOf(tile) {
    return this.#measured.has(tile) ? (this.#views.get(tile) ?? null) : null;
  }

  /**
   * @param {Element} tile
   * @param {Partial<TileView>} change
   */
  #update(tile, change) {
    const view = this.#views.get(tile);
    if (view) this.#views.set(tile, { ...view, ...change });
  }
}
