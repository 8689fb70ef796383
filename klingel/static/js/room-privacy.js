// @ts-check
/**
 * The room page's account of privacy: the encryption badge with its safety code, following the
 * room's encryption, and "Was wird gespeichert?" built from what the page knows of the room.
 * Like room.js it joins connection modules and UI modules.
 */

import { CallEvent } from "./call-events.js";
import { RoomEncryptionEvent } from "./room-encryption.js";
import { DEFAULT_UNUSED_ROOM_DAYS, fetchUnusedRoomDays } from "./retention.js";
import { find } from "./ui/dom.js";
import { E2eePanel } from "./ui/e2ee-panel.js";
import { StoredPanel } from "./ui/stored-panel.js";

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./i18n.js").I18n} I18n */
/** @typedef {import("./own-participant.js").OwnParticipant} OwnParticipant */
/** @typedef {import("./room-encryption.js").RoomEncryption} RoomEncryption */
/** @typedef {import("./room-state.js").RoomSettings} RoomSettings */

/** The call's changes that change what the server knows. */
const STORED_CHANGES = [
  CallEvent.PARTICIPANT_ADDED,
  CallEvent.PARTICIPANT_UPDATED,
  CallEvent.PARTICIPANT_REMOVED,
  CallEvent.LOBBY,
  CallEvent.ROOM_UPDATED,
];

/**
 * @typedef {{i18n: I18n, room: string, encryption: RoomEncryption, own: OwnParticipant,
 *   settings: () => RoomSettings | null}} PrivacyDeps `settings`: the room's as last confirmed
 */

export class PrivacyPanels {
  #e2ee;
  #stored;
  /** @type {Call | null} */
  #call = null;

  /** How long the server keeps a room nobody enters, as it said when asked. */
  #unusedRoomDays = DEFAULT_UNUSED_ROOM_DAYS;
  /** Asked when the panel first opens: the page's start and its join need no extra request. */
  #askedDays = false;

  /** @param {PrivacyDeps} deps */
  constructor({ i18n, room, encryption, own, settings }) {
    const e2ee = new E2eePanel(
      {
        badge: find("#e2ee-badge", HTMLButtonElement),
        dialog: find("#e2ee-dialog", HTMLDialogElement),
        code: find("#e2ee-code", HTMLElement),
        peers: find("#e2ee-peers", HTMLElement),
      },
      i18n,
    );
    this.#e2ee = e2ee;
    this.#stored = new StoredPanel(
      find("#stored-dialog", HTMLDialogElement),
      find("#stored-body", HTMLElement),
      i18n,
      () => {
        const call = this.#call;
        const self = own.participant;
        return {
          room,
          names: [
            ...(self ? [self.name] : []),
            ...(call ? [...call.room.others.values()].map((other) => other.name) : []),
          ],
          lobby: own.isHost && call ? call.lobby.length : null,
          hasPassword: Boolean(settings()?.hasPassword),
          encrypted: e2ee.encrypting,
          unusedRoomDays: this.#unusedRoomDays,
        };
      },
    );
    encryption.addEventListener(RoomEncryptionEvent.RESTARTED, () => {
      e2ee.show({ encrypting: false, code: "", peers: 0 });
    });
    encryption.addEventListener(RoomEncryptionEvent.CHANGE, (event) => {
      const { encrypting, code, peers, keyIndex } = /** @type {CustomEvent} */ (event).detail;
      e2ee.show({ encrypting, code, peers });
      this.#stored.refresh();
      document.body.dataset.e2eeKeyIndex = String(keyIndex ?? "");
    });
  }

  openStored() {
    this.#stored.open();
    if (this.#askedDays) return;
    this.#askedDays = true;
    void fetchUnusedRoomDays().then((days) => {
      this.#unusedRoomDays = days;
      this.#stored.refresh();
    });
  }

  /** Follows a new call (each join makes one). @param {Call} call */
  attach(call) {
    this.#call = call;
    for (const type of STORED_CHANGES) {
      // After the page's other handlers: the panel shows what they made of the change.
      call.addEventListener(type, () => queueMicrotask(() => this.#stored.refresh()));
    }
  }
}
