// @ts-check
/** Copying the invite link, and the note for a device that would not start. */

import { inviteLink } from "../host-secrets.js";

/** @typedef {import("../i18n.js").StringKey} StringKey */
/** @typedef {import("./toasts.js").Toasts} Toasts */

/**
 * @param {"microphone" | "camera"} source
 * @param {any} error
 * @returns {StringKey}
 */
export function problemKey(source, error) {
  return /** @type {StringKey} */ (`problem.${source}.${error?.problem ?? "failed"}`);
}

/**
 * @param {string} room
 * @param {Toasts} toasts
 * @param {string} fragment what the link carries after the path: the room secret of an
 *   encrypted room (or that it wants a passphrase), else nothing
 */
export async function copyInvite(room, toasts, fragment) {
  // Never the page's own address: its fragment may hold a host secret.
  const link = inviteLink(location.origin, room);
  const url = `${link}${fragment}`;
  try {
    await navigator.clipboard.writeText(url);
    toasts.show("toast.linkCopied");
  } catch {
    toasts.show("toast.linkManual", { url });
  }
}
