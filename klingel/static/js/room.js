// @ts-check
/**
 * The room page (`/r/<room>`): makes the page's parts and wires them together. Each part that
 * joins connection modules and UI modules is a `room-*.js` module of its own: the session
 * (joins, screens, us), media, the view of the call, chat, controls, host tools, privacy,
 * the public side and a council's session.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { Doorbell } from "./doorbell.js";
import { HostSecrets } from "./host-secrets.js";
import { I18n } from "./i18n.js";
import { MyRooms } from "./my-rooms.js";
import { RoomBreakouts } from "./room-breakouts.js";
import { RoomBroadcast } from "./room-broadcast.js";
import { CallView } from "./room-call-view.js";
import { RoomChat } from "./room-chat.js";
import { CallControls } from "./room-controls.js";
import { RoomCouncil } from "./room-council.js";
import { RoomEncryption } from "./room-encryption.js";
import { HostTools } from "./room-host.js";
import { RoomMedia } from "./room-media.js";
import { RoomMusic } from "./room-music.js";
import { RoomPolls } from "./room-polls.js";
import { browserStorage, RoomPreferences } from "./room-preferences.js";
import { PrivacyPanels } from "./room-privacy.js";
import { RoomReactions } from "./room-reactions.js";
import { RoomSession } from "./room-session.js";
import { roomFromPath } from "./slug.js";
import { find } from "./ui/dom.js";
import { ErrorScreen } from "./ui/error-screen.js";
import { copyInvite } from "./ui/invite.js";
import { Toasts } from "./ui/toasts.js";

function main() {
  const storage = browserStorage();
  const i18n = new I18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  find("#prejoin-language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const errors = new ErrorScreen(i18n, () => session.join());
  const room = roomFromPath(location.pathname);
  if (room === null) {
    errors.show("bad_room");
    return;
  }

  const preferences = new RoomPreferences(storage);
  const doorbell = new Doorbell(storage);
  const toasts = new Toasts(find("#toasts", HTMLElement), i18n);
  const secrets = new HostSecrets(storage);
  const myRooms = new MyRooms(storage, secrets);
  // End-to-end encryption: the room secret from the link's fragment or a typed passphrase.
  const encryption = new RoomEncryption(room, location.hash);
  const invite = () => copyInvite(room, toasts, encryption.inviteFragment);

  const media = new RoomMedia(
    { i18n, toasts, preferences },
    {
      showProblems: (problems) => session.prejoin.showProblems(problems),
      showDevices: (devices, chosen) => session.prejoin.setDevices(devices, chosen),
    },
  );
  const view = new CallView(
    { i18n, toasts, doorbell, local: media.local, mode: preferences.view, quiet: () => breakouts.active },
    {
      // A pin shows the speaker view without changing the view chosen: unpinned, it returns.
      modeChanged: (mode) => controls.bar.set("view", mode === "speaker"),
      peopleChanged: () => hostTools.peopleChanged(),
      invite,
    },
  );
  const privacy = new PrivacyPanels({ i18n, room, encryption, own: view.own, settings: () => hostTools.settings });
  const chat = new RoomChat(i18n, toasts, (count) => controls.bar.setUnread(count));
  /** @type {CallControls} */
  const controls = new CallControls({
    i18n, storage, toasts, doorbell, preferences, chat, view, media,
    call: () => session.call,
    screenShareForbidden: () => hostTools.settings?.screenShareAllowed === false,
    invite: () => void invite(),
    openStored: () => privacy.openStored(),
    openReactions: () => reactions.togglePicker(),
    chooseMusic: (on) => music.choose(on),
  });
  const music = new RoomMusic({ toasts, media, controls: () => controls.bar });
  const reactions = new RoomReactions({ i18n, toasts, view, controls: () => controls.bar });
  const hostTools = new HostTools({
    i18n, room, toasts, doorbell, secrets,
    controls: controls.bar,
    people: view.people,
    closePanel: () => controls.hidePanel("host"),
    hosting: (kind) => myRooms.remember(room, { kind, key: encryption.linkKey }),
    deleted: () => myRooms.forget(room),
  });
  const broadcast = new RoomBroadcast({
    i18n, toasts,
    people: view.people,
    addHostSection: (section) => hostTools.addSection(section),
  });
  const breakouts = new RoomBreakouts({
    i18n, toasts,
    people: view.people,
    addHostSection: (section) => hostTools.addSection(section),
    where: () => session.group,
    moveTo: (pass, group) => session.moveTo(pass, group),
    forget: () => session.forgetBreakout(),
    showAlone: () => view.showAlone(),
  });
  const council = new RoomCouncil({
    i18n,
    controls: controls.bar,
    showPanel: (open) => (open ? controls.panels.show("council", true) : controls.hidePanel("council")),
    panelOpen: () => controls.panels.isOpen("council"),
  });
  const polls = new RoomPolls({
    i18n, toasts,
    stage: find("#stage", HTMLElement),
    addHostSection: (section) => hostTools.addSection(section),
  });
  /** @type {RoomSession} */
  const session = new RoomSession({
    room, i18n, toasts, preferences, doorbell, secrets, encryption, media, view, errors,
    controls: controls.bar,
    host: hostTools,
    followers: [media, view, chat, reactions, privacy, broadcast, breakouts, council, music, polls],
  });
  addEventListener("pagehide", () => session.call?.leave());
  media.start();
}

main();
