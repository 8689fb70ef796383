// @ts-check
/** The start page (`/`): wires the page to room creation and the room names' slugs. */

import { applyBrand, fetchBrand } from "./brand.js";
import { newRoomSecret } from "./e2ee/keys.js";
import { HostSecrets, secretLink } from "./host-secrets.js";
import { I18n } from "./i18n.js";
import { createRoom, RoomCreationError } from "./rooms-api.js";
import { slugify } from "./slug.js";
import { find } from "./ui/dom.js";
import { mountStartPage } from "./ui/start-page.js";

/** @typedef {import("./rooms-api.js").CreatedRoom} CreatedRoom */

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
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const encrypted = find("#e2ee-option", HTMLInputElement);
  /**
   * The creator enters as host: the secret rides in the fragment, which is never sent. So
   * does the room secret of an encrypted room, made here and known to nobody else yet.
   */
  const enterAsHost = (/** @type {CreatedRoom} */ created) => {
    secrets.rememberCreated(created.room, created);
    const link = secretLink("", created.room, "host", created.hostSecret);
    location.assign(encrypted.checked ? `${link}&key=${newRoomSecret()}` : link);
  };
  mountStartPage(i18n, {
    create: async () => enterAsHost(await createRoom()),
    slugify,
    open: async (name, slug) => {
      try {
        enterAsHost(await createRoom(name));
      } catch (error) {
        // Someone made this room before: come in as a guest, like anyone with the link.
        if (error instanceof RoomCreationError && error.code === "room_exists") {
          location.assign(`/r/${slug}`);
        } else throw error;
      }
    },
  });
}

main();
