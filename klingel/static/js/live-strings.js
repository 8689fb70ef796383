// @ts-check
/**
 * The texts of the viewer page (`/live/<key>`) and its hall view, in German (the default) and
 * English, in plain words: a citizen of any age reads them at a glance. `LiveI18n` is the
 * page's `I18n`: its own texts first, the shared ones (`strings.js`) for the rest.
 */

import { format, I18n } from "./i18n.js";

export const LIVE_DE = {
  "live.pageTitle": "Öffentliche Übertragung – Klingel",
  "live.heading": "Öffentliche Übertragung",
  "live.badge": "Live",
  "live.noRecording": "Bitte nicht aufnehmen: Mitschnitte sind nicht erlaubt.",
  "live.noRecordingDetail": "Das gilt für Bild und Ton, auch für Fotos vom Bildschirm.",
  "live.programmeLabel": "Bild der Übertragung",
  "live.cameraLabel": "Kamera",
  "live.screenLabel": "Geteilter Bildschirm",
  "live.onCamera": "Im Bild: {name}",
  "live.screenOf": "Bildschirm von {name}",
  "live.nobody": "Im Moment ist niemand im Bild.",
  "live.soundOn": "Ton einschalten",
  "live.soundHint": "Ihr Browser hat den Ton angehalten. Tippen Sie auf den Knopf, dann hören Sie die Übertragung.",
  "live.connecting.title": "Die Übertragung wird geladen…",
  "live.connecting.text": "Einen Moment bitte.",
  "live.paused.title": "Die Übertragung ist pausiert",
  "live.paused.text": "Es geht gleich weiter. Sie müssen nichts tun: Lassen Sie diese Seite einfach offen.",
  "live.ended.title": "Die Übertragung ist beendet",
  "live.ended.text": "Vielen Dank fürs Zuschauen.",
  "live.unknown.title": "Diese Übertragung gibt es nicht",
  "live.unknown.text": "Vielleicht ist der Link alt oder falsch abgetippt. Fragen Sie bei der Stelle nach, die Ihnen den Link gegeben hat.",
  "live.reconnecting.title": "Verbindung wird wiederhergestellt…",
  "live.reconnecting.text": "Sie müssen nichts tun. Die Seite versucht es von selbst weiter.",
  "live.busy.title": "Gerade schauen sehr viele zu",
  "live.busy.text": "Die Seite versucht es gleich noch einmal von selbst. Lassen Sie sie einfach offen.",
  "live.home": "Zur Startseite",
  "live.say.live": "Die Übertragung läuft.",
  "live.say.resumed": "Die Übertragung geht weiter.",
  "live.say.back": "Die Verbindung ist wieder da.",
  "live.say.paused": "Die Übertragung ist pausiert.",
  "live.say.ended": "Die Übertragung ist beendet.",
  "live.say.unknown": "Diese Übertragung gibt es nicht.",
  "live.say.reconnecting": "Verbindung wird wiederhergestellt…",
  "live.say.busy": "Gerade schauen sehr viele zu. Die Seite versucht es gleich noch einmal.",
  "live.say.camera": "Jetzt im Bild: {name}",
  "live.say.screen": "Jetzt zu sehen: Bildschirm von {name}",
  "live.say.nobody": "Im Moment ist niemand im Bild.",
};

/** @type {Record<keyof typeof LIVE_DE, string>} */
export const LIVE_EN = {
  "live.pageTitle": "Public broadcast – Klingel",
  "live.heading": "Public broadcast",
  "live.badge": "Live",
  "live.noRecording": "Please do not record: recordings are not allowed.",
  "live.noRecordingDetail": "This goes for picture and sound, and for photos of the screen too.",
  "live.programmeLabel": "Picture of the broadcast",
  "live.cameraLabel": "Camera",
  "live.screenLabel": "Shared screen",
  "live.onCamera": "On screen: {name}",
  "live.screenOf": "Screen of {name}",
  "live.nobody": "Nobody is on screen right now.",
  "live.soundOn": "Turn sound on",
  "live.soundHint": "Your browser stopped the sound. Tap the button to hear the broadcast.",
  "live.connecting.title": "The broadcast is loading…",
  "live.connecting.text": "One moment, please.",
  "live.paused.title": "The broadcast is paused",
  "live.paused.text": "It will go on soon. You do not need to do anything: just leave this page open.",
  "live.ended.title": "The broadcast has ended",
  "live.ended.text": "Thank you for watching.",
  "live.unknown.title": "This broadcast does not exist",
  "live.unknown.text": "The link may be old or mistyped. Ask whoever gave you the link.",
  "live.reconnecting.title": "Reconnecting…",
  "live.reconnecting.text": "You do not need to do anything. The page keeps trying by itself.",
  "live.busy.title": "Very many people are watching right now",
  "live.busy.text": "The page will try again by itself soon. Just leave it open.",
  "live.home": "To the start page",
  "live.say.live": "The broadcast is on.",
  "live.say.resumed": "The broadcast goes on.",
  "live.say.back": "The connection is back.",
  "live.say.paused": "The broadcast is paused.",
  "live.say.ended": "The broadcast has ended.",
  "live.say.unknown": "This broadcast does not exist.",
  "live.say.reconnecting": "Reconnecting…",
  "live.say.busy": "Very many people are watching right now. The page will try again soon.",
  "live.say.camera": "Now on screen: {name}",
  "live.say.screen": "Now showing: screen of {name}",
  "live.say.nobody": "Nobody is on screen right now.",
};

/** @typedef {keyof typeof LIVE_DE} LiveStringKey */

export const LIVE_STRINGS = Object.freeze({ de: LIVE_DE, en: LIVE_EN });

export class LiveI18n extends I18n {
  /** @param {string} key */
  has(key) {
    return Object.hasOwn(LIVE_DE, key) || super.has(key);
  }

  /**
   * @param {any} key a key of this page's texts, or of the shared ones
   * @param {Record<string, string | number>} [args]
   */
  t(key, args) {
    if (!Object.hasOwn(LIVE_DE, key)) return super.t(key, args);
    const own = /** @type {LiveStringKey} */ (key);
    return format(LIVE_STRINGS[this.language][own] ?? LIVE_DE[own], args);
  }
}
