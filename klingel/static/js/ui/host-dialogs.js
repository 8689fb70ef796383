// @ts-check
/**
 * The host's small dialogs: the room password, "end the video meeting for everyone?",
 * "remove this person?", and the optional note to someone not let in. The harmless choice
 * ("Abbrechen") has the focus when a dialog asks about something that cannot be undone. Each `<dialog>` is in room.html; a button's `value`
 * says which one closed it.
 */

import { find } from "./dom.js";

/**
 * Opens `dialog` and calls `onClose` with the value of the button that closed it ("" for Esc).
 * @param {HTMLDialogElement} dialog
 * @param {(value: string) => void} onClose
 */
export function openOnce(dialog, onClose) {
  dialog.returnValue = "";
  dialog.addEventListener("close", () => onClose(dialog.returnValue), { once: true });
  dialog.showModal();
}

export class HostDialogs {
  #password = find("#password-dialog", HTMLDialogElement);
  #passwordInput = find("#room-password", HTMLInputElement);
  #passwordRemove = find("#password-remove", HTMLButtonElement);
  #end = find("#end-dialog", HTMLDialogElement);
  #renew = find("#renew-dialog", HTMLDialogElement);
  #delete = find("#delete-dialog", HTMLDialogElement);
  #remove = find("#remove-dialog", HTMLDialogElement);
  #removeName = find("#remove-name", HTMLElement);
  #deny = find("#deny-dialog", HTMLDialogElement);
  #denyName = find("#deny-name", HTMLElement);
  #denyMessage = find("#deny-message", HTMLTextAreaElement);

  /**
   * @param {boolean} hasPassword whether "remove" makes sense
   * @param {(password: string | null) => void} onChoice a new password, or `null` to remove it
   */
  askPassword(hasPassword, onChoice) {
    if (this.#password.open) return;
    this.#passwordInput.value = "";
    this.#passwordRemove.hidden = !hasPassword;
    openOnce(this.#password, (value) => {
      // Taken as typed: guests must type exactly the same.
      const password = this.#passwordInput.value;
      if (value === "remove") onChoice(null);
      else if (value === "save" && password.length > 0) onChoice(password);
    });
  }

  /** @param {() => void} onConfirm */
  confirmEnd(onConfirm) {
    if (this.#end.open) return;
    openOnce(this.#end, (value) => {
      if (value === "end") onConfirm();
    });
  }

  /** @param {() => void} onConfirm */
  confirmRenew(onConfirm) {
    if (this.#renew.open) return;
    openOnce(this.#renew, (value) => {
      if (value === "renew") onConfirm();
    });
  }

  /** @param {() => void} onConfirm */
  confirmDelete(onConfirm) {
    if (this.#delete.open) return;
    openOnce(this.#delete, (value) => {
      if (value === "delete") onConfirm();
    });
  }

  /**
   * Removing someone is not undone by a second tap: it asks first, "Abbrechen" in focus.
   * @param {string} name shown as text
   * @param {() => void} onConfirm
   */
  confirmRemove(name, onConfirm) {
    if (this.#remove.open) return;
    this.#removeName.textContent = name;
    openOnce(this.#remove, (value) => {
      if (value === "remove") onConfirm();
    });
  }

  /**
   * @param {string} name shown as text
   * @param {(message: string | null) => void} onDeny
   */
  askDenial(name, onDeny) {
    if (this.#deny.open) return;
    this.#denyName.textContent = name;
    this.#denyMessage.value = "";
    openOnce(this.#deny, (value) => {
      if (value !== "deny") return;
      const message = this.#denyMessage.value.trim();
      onDeny(message.length > 0 ? message : null);
    });
  }
}
