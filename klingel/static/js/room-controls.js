// @ts-check
/**
 * The room page's controls: what each button of the call bar does, the side panels they open
 * and close, and the keyboard shortcuts. Like room.js it joins connection modules and UI
 * modules.
 */

import { CallState } from "./call-events.js";
import { shortcutFor } from "./shortcuts.js";
import { ControlBar } from "./ui/controls.js";
import { find } from "./ui/dom.js";
import { ShortcutsDialog } from "./ui/shortcuts-dialog.js";
import { PANELS, SidePanels } from "./ui/side-panels.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./doorbell.js").Doorbell} Doorbell */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./room-call-view.js").CallView} CallView */
/** @typedef {import("./room-chat.js").RoomChat} RoomChat */
/** @typedef {import("./room-media.js").RoomMedia} RoomMedia */
/** @typedef {import("./room-preferences.js").RoomPreferences} RoomPreferences */
/** @typedef {import("./ui/controls.js").Action} Action */
/** @typedef {import("./ui/controls.js").Toggle} Toggle */
/** @typedef {import("./ui/side-panels.js").Panel} Panel */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */

/**
 * @typedef {{i18n: I18n, storage: Storage | null, toasts: Toasts, doorbell: Doorbell,
 *   preferences: RoomPreferences, chat: RoomChat, view: CallView, media: RoomMedia,
 *   call: () => Call | null, screenShareForbidden: () => boolean, invite: () => void,
 *   openStored: () => void, openReactions: () => void,
 *   chooseMusic: (on: boolean) => void}} CallControlsDeps `call`: the current call, if the page joined;
 *   `screenShareForbidden`: the room lets only hosts share their screen
 */

export class CallControls {
  bar;
  panels;
  #deps;
  #shortcuts;

  /** @param {CallControlsDeps} deps */
  constructor(deps) {
    const { i18n, storage, doorbell, view } = deps;
    this.#deps = deps;
    this.panels = new SidePanels(
      {
        chat: deps.chat.panel,
        people: find("#people-panel", HTMLElement),
        council: find("#council-panel", HTMLElement),
        host: find("#host-panel", HTMLElement),
        narrow: matchMedia("(max-width: 700px)"),
      },
      () => {
        for (const which of PANELS) this.bar.set(which, this.panels.isOpen(which));
        view.tiles.layout();
      },
    );
    for (const which of PANELS) {
      find(`#${which}-close`, HTMLButtonElement).addEventListener("click", () => this.closePanel(which));
    }
    this.bar = new ControlBar(find("#controls", HTMLElement), i18n, {
      onToggle: (toggle, on) => this.#toggle(toggle, on),
      onAction: (action) => this.#action(action),
    });
    this.#shortcuts = new ShortcutsDialog(
      {
        dialog: find("#shortcuts-dialog", HTMLDialogElement),
        list: find("#shortcut-list", HTMLElement),
        enabled: find("#shortcuts-enabled", HTMLInputElement),
      },
      i18n,
      storage,
    );
    document.addEventListener("keydown", (event) => this.#key(event));
    this.bar.set("doorbell", doorbell.enabled);
    this.bar.set("view", view.tiles.mode === "speaker");
    this.bar.allowScreenShare(Boolean(navigator.mediaDevices?.getDisplayMedia));
  }

  /**
   * Closes a panel from inside it (its close button, Escape) and gives the focus back to the
   * control that opened it, or to "Mehr" where that control is folded away.
   * @param {Panel} which
   */
  closePanel(which) {
    this.panels.show(which, false);
    this.bar.focus(which);
  }

  /** Closes a panel without moving the focus (it was not opened from here). @param {Panel} which */
  hidePanel(which) {
    if (this.panels.isOpen(which)) this.panels.show(which, false);
  }

  /** @param {Toggle} toggle @param {boolean} on */
  #toggle(toggle, on) {
    const { media, view, toasts, doorbell } = this.#deps;
    const call = this.#deps.call();
    const { local } = media;
    if (toggle === "microphone" && on && view.own.mutedByHost) {
      // Only the server knows whether we may: it says so with our update or a refusal.
      view.own.askedToUnmute(call?.requestUnmute() ?? false);
    } else if (toggle === "microphone" || toggle === "camera") {
      if (on) void media.switchOn(toggle);
      else local.close(toggle);
    } else if (toggle === "screen") {
      if (on && this.#deps.screenShareForbidden() && !view.own.isHost) {
        toasts.show("toast.screen_share_not_allowed");
      } else if (on) local.openScreen().catch(() => toasts.show("problem.screen.failed"));
      else local.close("screen");
    } else if (toggle === "hand") {
      if (call?.setHand(on)) this.bar.set("hand", on);
    } else if (toggle === "music") {
      this.#deps.chooseMusic(on);
    } else if (toggle === "chat" || toggle === "people" || toggle === "council" || toggle === "host") {
      this.panels.show(toggle, on);
      // The chat puts the focus in its field; the others on their heading.
      if (on && toggle !== "chat") document.getElementById(`${toggle}-title`)?.focus();
    } else if (toggle === "doorbell") {
      doorbell.setEnabled(on);
      this.bar.set("doorbell", on);
    } else if (toggle === "view") {
      const mode = on ? "speaker" : "tiles";
      this.#deps.preferences.view = mode;
      view.tiles.setMode(mode);
      this.bar.set("view", mode === "speaker");
    }
  }

  /** @param {Action} action */
  #action(action) {
    if (action === "react") this.#deps.openReactions();
    else if (action === "invite") this.#deps.invite();
    else if (action === "stored") this.#deps.openStored();
    else if (action === "settings") this.#deps.media.openSettings();
    else if (action === "language") this.#deps.i18n.toggle();
    else if (action === "shortcuts") this.#shortcuts.open();
    else if (action === "leave") this.#deps.call()?.leave();
  }

  /** @param {KeyboardEvent} event */
  #key(event) {
    const state = this.#deps.call()?.state;
    const inCall = state === CallState.JOINED || state === CallState.RECONNECTING;
    if (!inCall || document.querySelector("dialog[open]")) return;
    if (event.key === "Escape") {
      // The innermost thing open closes first: the "Mehr" sheet closes itself.
      const open = this.panels.open();
      if (this.bar.moreOpen) this.bar.closeMore(true);
      else if (open.length > 0) this.closePanel(open[open.length - 1]);
      return;
    }
    if (!this.#shortcuts.enabled) return;
    const action = shortcutFor(event);
    if (!action) return;
    event.preventDefault();
    if (action === "help") this.#shortcuts.open();
    else this.bar.toggles.get(action)?.button.click();
  }
}
