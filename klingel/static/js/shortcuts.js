// @ts-check
/**
 * Keyboard shortcuts of the call, as people know them from other meeting tools: one letter
 * each, never while typing in a field, never with Ctrl, Alt or Cmd (those belong to the browser
 * and to screen readers), and off altogether for whoever switches them off (WCAG 2.1.4).
 * No DOM here beyond the key event's target.
 */

/** @typedef {"microphone" | "camera" | "chat" | "hand" | "people" | "help"} ShortcutAction */

/** @type {readonly [string, ShortcutAction][]} the key as `KeyboardEvent.key`, lower case */
export const SHORTCUTS = Object.freeze([
  ["m", "microphone"],
  ["v", "camera"],
  ["c", "chat"],
  ["r", "hand"],
  ["p", "people"],
  ["?", "help"],
]);

export const SHORTCUTS_KEY = "klingel.shortcuts";

/**
 * Whether a key press lands in something that takes typing.
 * @param {EventTarget | null} target
 */
export function isTyping(target) {
  const element = /** @type {any} */ (target);
  if (!element || typeof element.tagName !== "string") return false;
  const tag = element.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  if (tag === "input") {
    const type = String(element.type ?? "text").toLowerCase();
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color"].includes(type);
  }
  return Boolean(element.isContentEditable);
}

/**
 * The action a key press asks for, or `null`.
 * @param {{key: string, ctrlKey: boolean, altKey: boolean, metaKey: boolean, repeat: boolean,
 *   target: EventTarget | null, isComposing?: boolean}} event
 */
export function shortcutFor(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || event.isComposing) {
    return null;
  }
  if (isTyping(event.target)) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return SHORTCUTS.find(([letter]) => letter === key)?.[1] ?? null;
}
