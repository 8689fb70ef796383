// @ts-check
/** Where tiles go: the column count that makes `count` tiles of one aspect ratio largest. */

/**
 * @param {number} count tiles to place (at least 1 is assumed)
 * @param {number} width the space, in px
 * @param {number} height the space, in px
 * @param {number} [gap] between tiles, in px
 * @param {number} [aspect] width / height of a tile
 * @returns {{columns: number, rows: number, tileWidth: number, tileHeight: number}}
 */
export function bestGrid(count, width, height, gap = 8, aspect = 16 / 9) {
  const n = Math.max(1, count);
  let best = { columns: 1, rows: n, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= n; columns += 1) {
    const rows = Math.ceil(n / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    const tileWidth = Math.max(0, Math.min(cellWidth, cellHeight * aspect));
    if (tileWidth > best.tileWidth) {
      best = { columns, rows, tileWidth, tileHeight: tileWidth / aspect };
    }
  }
  return best;
}
