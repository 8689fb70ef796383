// @ts-check
/**
 * The room page's host side: wires the host tools panel, the lobby card, the host dialogs and
 * the participant list's buttons to a call's host commands, and the lobby's ring to the
 * doorbell. Like room.js it joins connection modules and UI modules; nothing else does.
 */

import { callEvents, CallEvent } from "./call-events.js";
import { fragmentWithoutSecret, secretFromFragment, secretLink } from "./host-secrets.js";
import { isHostRole } from "./room-state.js";
import { find } from "./ui/dom.js";
import { HostDialogs } from "./ui/host-dialogs.js";
import { HostPanel } from "./ui/host-panel.js";
import { LobbyCard } from "./ui/lobby-card.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./room-state.js").Role} Role */
/** @typedef {import("./room-state.js").RoomSettings} RoomSettings */
/** @typedef {import("./room-state.js").Participant} Participant */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./ui/toasts.js").Toasts} Toasts */
/** @typedef {import("./ui/controls.js").ControlBar} ControlBar */
/** @typedef {import("./ui/participants.js").ParticipantList} ParticipantList */
/** @typedef {import("./ui/participants.js").PersonAction} PersonAction */
/** @typedef {import("./doorbell.js").Doorbell} Doorbell */
/** @typedef {import("./host-secrets.js").HostSecrets} HostSecrets */

/**
 * @typedef {{i18n: I18n, room: string, toasts: Toasts, doorbell: Doorbell,
 *   controls: ControlBar, people: ParticipantList, secrets: HostSecrets,
 *   closePanel: () => void, hosting: (role: "host" | "cohost") => void,
 *   deleted: () => void}} HostToolsDeps
 * `hosting` learns that this browser is host or co-host ("Meine Räume" keeps the room);
 * `deleted` that a host deleted the room (this browser forgets it).
 */

export class HostTools {
  /** @type {Call | null} */
  #call = null;
  /** @type {Role} */
  #role = "guest";
  /** @type {RoomSettings | null} */
  #settings = null;
  #deps;
  #dialogs = new HostDialogs();
  /** We asked for new links: the next secrets are their answer. */
  #renewing = false;
  #panel;
  #lobby;

  /** @param {HostToolsDeps} deps */
  constructor(deps) {
    this.#deps = deps;
    const { i18n } = deps;
    this.#panel = new HostPanel(find("#host-tools", HTMLElement), i18n, {
      onSetting: (setting, on) => this.#call?.host.changeSettings({ [setting]: on }),
      onAction: (action) => this.#action(action),
    });
    this.#lobby = new LobbyCard(
      {
        card: find("#lobby-card", HTMLElement),
        list: find("#lobby-list", HTMLElement),
        empty: find("#lobby-empty", HTMLElement),
        count: find("#lobby-count", HTMLElement),
        actions: find("#lobby-actions", HTMLElement),
      },
      i18n,
      {
        onAdmit: (id) => this.#call?.host.admit(id),
        onDeny: (entry) =>
          this.#dialogs.askDenial(entry.name, (message) => this.#call?.host.deny(entry.id, message)),
        onNext: () => {
          const first = this.#lobby.first;
          if (first) this.#call?.host.admit(first.id);
        },
        onEndConversation: () => {
          for (const person of this.#guests()) this.#call?.host.endConversation(person.id);
        },
      },
    );
    this.setRole("guest");
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    this.#settings = null;
    this.#showLobby([]);
    const on = callEvents(call, () => this.#call === call);
    on(CallEvent.LOBBY, ({ waiting }) => this.#showLobby(waiting));
    on(CallEvent.LOBBY_RING, ({ id }) => {
      if (!isHostRole(this.#role)) return;
      this.#deps.doorbell.lobbyRing();
      const name = call.lobby.find((entry) => entry.id === id)?.name;
      if (name) this.#deps.toasts.show("toast.lobbyRing", { name });
    });
    on(CallEvent.STATE, ({ code }) => {
      if (code === "room_deleted") this.#deps.deleted();
    });
    on(CallEvent.HOST_SECRETS, (rotated) => {
      const { room, secrets, toasts } = this.#deps;
      if (this.#renewing) {
        this.#renewing = false;
        secrets.rememberRotated(room, rotated);
        toasts.show("toast.linksRenewed");
        this.#dropStaleFragment(rotated.secret);
        return;
      }
      const before = secrets.cohostSecret(room);
      secrets.rememberRotated(room, rotated);
      // The link handed out before no longer works: whoever should still come as co-host
      // needs the new one, which the copy button now gives.
      if (before !== null && before !== secrets.cohostSecret(room)) {
        toasts.show("toast.cohostLinkChanged");
      }
      this.#dropStaleFragment(rotated.secret);
    });
    on(CallEvent.PASSWORD_GUESSING, () => this.#deps.toasts.show("toast.passwordGuessing"));
    on(CallEvent.ROOM_UPDATED, ({ room }) => {
      this.#settings = room;
      this.#panel.update(room);
      this.#lobby.setOfficeHours(room.officeHours);
      this.peopleChanged();
    });
  }

  /**
   * A secret in the address that no longer works goes; one that still does stays.
   * @param {string} current the secret this browser joins with now
   */
  #dropStaleFragment(current) {
    const shown = secretFromFragment(location.hash);
    if (shown !== null && shown.secret !== current) {
      const hash = fragmentWithoutSecret(location.hash);
      history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
    }
  }

  /** @param {Role} role our own role, after `joined` and whenever a host changes it */
  setRole(role) {
    this.#role = role;
    const host = isHostRole(role);
    this.#deps.controls.showHostTools(host);
    this.#panel.showHostOnly(role === "host");
    if (role === "host" || role === "cohost") this.#deps.hosting(role);
    this.#lobby.setVisible(host);
    if (!host) {
      this.#deps.closePanel();
      this.#showLobby([]);
    }
    this.#deps.people.setViewer(role, (action, person) => this.#personAction(action, person));
  }

  /** Another group of controls in the host tools panel. @param {HTMLElement} section */
  addSection(section) {
    this.#panel.addSection(section);
  }

  /** The settings as last confirmed (guests get them too). */
  get settings() {
    return this.#settings;
  }

  /** Someone came, went or changed: office hours show "end conversation" while a guest is in. */
  peopleChanged() {
    this.#lobby.setConversation(Boolean(this.#settings?.officeHours) && this.#guests().length > 0);
  }

  /** @param {{id: string, name: string}[]} waiting */
  #showLobby(waiting) {
    this.#lobby.setEntries(waiting);
    this.#deps.controls.setWaiting(isHostRole(this.#role) ? waiting.length : 0);
  }

  #guests() {
    return this.#deps.people.others().filter((person) => person.role === "guest");
  }

  /** @param {import("./ui/host-panel.js").HostAction} action */
  #action(action) {
    const call = this.#call;
    if (!call) return;
    const { toasts } = this.#deps;
    if (action === "muteAll") call.host.muteAll();
    else if (action === "password") {
      this.#dialogs.askPassword(Boolean(this.#settings?.hasPassword), (password) => {
        if (call.host.setPassword(password)) {
          toasts.show(password === null ? "toast.passwordRemoved" : "toast.passwordSaved");
        }
      });
    } else if (action === "cohostLink") void this.#copyCohostLink();
    else if (action === "endMeeting") this.#dialogs.confirmEnd(() => call.host.endMeeting());
    else if (action === "renewLinks") {
      this.#dialogs.confirmRenew(() => {
        this.#renewing = call.host.renewSecrets();
      });
    } else if (action === "deleteRoom") this.#dialogs.confirmDelete(() => call.host.deleteRoom());
  }

  async #copyCohostLink() {
    const { room, secrets, toasts } = this.#deps;
    const secret = secrets.cohostSecret(room);
    if (!secret) {
      toasts.show("toast.cohostLinkMissing");
      return;
    }
    const url = secretLink(location.origin, room, "cohost", secret);
    try {
      await navigator.clipboard.writeText(url);
      toasts.show("toast.cohostLinkCopied");
    } catch {
      toasts.show("toast.cohostLinkManual", { url });
    }
  }

  /**
   * @param {PersonAction} action
   * @param {Participant} person
   */
  #personAction(action, person) {
    const host = this.#call?.host;
    if (!host) return;
    switch (action) {
      case "mute":
        return host.mute(person.id);
      case "allowUnmute":
        return host.allowUnmute(person.id);
      case "musicOn":
        return host.musicFor(person.id, true);
      case "musicOff":
        return host.musicFor(person.id, false);
      case "stopCamera":
        return host.stopVideo(person.id, "camera");
      case "stopScreen":
        return host.stopVideo(person.id, "screen");
      case "remove":
        return this.#dialogs.confirmRemove(person.name, () => host.remove(person.id));
      case "makeCohost":
        return host.setRole(person.id, "cohost");
      case "makeGuest":
        return host.setRole(person.id, "guest");
      case "makeHost":
        return host.setRole(person.id, "host");
      case "publicPin":
        return host.broadcastPin(person.id);
      case "publicUnpin":
        return host.broadcastPin(null);
    }
  }
}
