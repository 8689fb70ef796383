// @ts-check
/** The start page (`/`): wires the page to room creation, the room names' slugs and "Meine Räume". */

import { applyBrand, fetchBrand } from "./brand.js";
import { newRoomSecret } from "./e2ee/keys.js";
import { HostSecrets, secretLink } from "./host-secrets.js";
import { I18n } from "./i18n.js";
import { MyRooms } from "./my-rooms.js";
import { createRoom, RoomCreationError } from "./rooms-api.js";
import { slugify } from "./slug.js";
import { find } from "./ui/dom.js";
import { MyRoomsList } from "./ui/my-rooms-list.js";
import { mountStartPage } from "./ui/start-page.js";

/** @typedef {import("./rooms-api.js").CreatedRoom} CreatedRoom */
/** @typedef {import("./ui/start-page.js").TakenCode} TakenCode */

/** Answers of `POST /api/rooms` that mean: this name is not yours to create. */
const TAKEN = new Set(["room_taken", "room_exists", "room_reserved"]);

function main() {
  let storage = null;
  try {
    storage = globalThis.localStorage;
  } catch {
    // Without storage the language choice and host secrets are simply not remembered.
  }
  const i18n = new I18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  const secrets = new HostSecrets(storage);
  const myRooms = new MyRooms(storage, secrets);
  const roomName = find("#room-name", HTMLInputElement);
  const list = new MyRoomsList(i18n, myRooms, {
    origin: location.origin,
    whenEmpty: () => roomName.focus(),
  });
  list.render();
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const encrypted = find("#e2ee-option", HTMLInputElement);
  /**
   * The creator enters as host: the secret rides in the fragment, which is never sent. So
   * does the room secret of an encrypted room, made here and known to nobody else yet.
   */
  const enterAsHost = (/** @type {CreatedRoom} */ created, /** @type {string | null} */ name) => {
    secrets.rememberCreated(created.room, created);
    const key = encrypted.checked ? newRoomSecret() : null;
    myRooms.remember(created.room, { kind: "host", name, key });
    const link = secretLink("", created.room, "host", created.hostSecret);
    location.assign(key ? `${link}&key=${key}` : link);
  };
  mountStartPage(i18n, {
    create: async () => enterAsHost(await createRoom(), null),
    slugify,
    open: async (name, slug) => {
      try {
        enterAsHost(await createRoom(name), name);
        return null;
      } catch (error) {
        if (!(error instanceof RoomCreationError) || !TAKEN.has(error.code)) throw error;
        // One of my rooms: its kept secret makes this browser host again.
        if (secrets.kept(slug) !== null) {
          const mine = myRooms.list().find((entry) => entry.room === slug);
          location.assign(mine ? myRooms.links(location.origin, mine).open : `/r/${slug}`);
          return null;
        }
        return { taken: /** @type {TakenCode} */ (error.code) };
      }
    },
  });
}

main();
