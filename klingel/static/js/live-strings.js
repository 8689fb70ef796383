// @ts-check
/**
 * The texts of the viewer page (`/live/<key>`) and its hall view, in German (the default) and
 * English, in plain words: a citizen of any age reads them at a glance. `LiveI18n` is the
 * page's `I18n`: its own texts first, the shared ones (`strings.js`) for the rest.
 */

import { format, I18n } from "./i18n.js";
import { LIVE_COUNCIL_DE, LIVE_COUNCIL_EN } from "./live-council-strings.js";

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
  "live.ask.title": "Eine Frage stellen",
  "live.ask.intro": "Sie haben eine Frage? Schreiben Sie sie hier auf.",
  "live.ask.textLabel": "Ihre Frage",
  "live.ask.nameLabel": "Ihr Name (freiwillig)",
  "live.ask.send": "Frage senden",
  "live.ask.remaining": "Noch {count} Zeichen frei",
  "live.ask.full": "Keine Zeichen mehr frei",
  "live.ask.note": "Nur die Gastgeberin oder der Gastgeber liest Ihre Frage. Niemand sonst sieht sie, außer sie wird für alle gezeigt.",
  "live.ask.sending": "Ihre Frage wird gesendet…",
  "live.ask.received": "Ihre Frage ist angekommen. Danke!",
  "live.ask.empty": "Bitte schreiben Sie zuerst Ihre Frage.",
  "live.ask.wait": "Bitte warten Sie kurz, bevor Sie die nächste Frage senden.",
  "live.ask.badText": "Diese Frage können wir nicht senden. Bitte schreiben Sie nur normalen Text, höchstens 500 Zeichen.",
  "live.ask.badName": "Diesen Namen können wir nicht senden. Bitte nehmen Sie einen kürzeren Namen, oder lassen Sie das Feld leer.",
  "live.ask.notNow": "Im Moment können keine Fragen gesendet werden.",
  "live.ask.failed": "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
  "live.ask.pausedReason": "Die Übertragung ist pausiert. Wenn es weitergeht, können Sie wieder fragen.",
  "live.ask.offlineReason": "Die Verbindung ist gerade unterbrochen. Wenn sie wieder da ist, können Sie fragen.",
  "live.ask.endedReason": "Die Übertragung ist beendet. Fragen gehen jetzt nicht mehr.",
  "live.shown.title": "Frage aus dem Publikum",
  "live.say.question": "Frage aus dem Publikum: {text}",
  "live.say.questionBy": "Frage aus dem Publikum von {name}: {text}",
  "live.say.remaining": "Noch {count} Zeichen frei.",
  "live.say.full": "Keine Zeichen mehr frei. Ihre Frage ist so lang wie erlaubt.",
  "live.invite.title": "Sie sind eingeladen, mitzusprechen.",
  "live.invite.text": "Die Gastgeberin oder der Gastgeber möchte Sie in die Runde holen. Dann können alle Sie sehen und hören.",
  "live.invite.devices": "Auf der nächsten Seite fragt Ihr Browser, ob er Kamera und Mikrofon benutzen darf.",
  "live.invite.time": "Die Einladung gilt 10 Minuten.",
  "live.invite.join": "Jetzt mitmachen",
  "live.invite.dismiss": "Nein, danke",
  "live.say.invited": "Sie sind eingeladen, mitzusprechen.",
  ...LIVE_COUNCIL_DE,
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
  "live.ask.title": "Ask a question",
  "live.ask.intro": "Do you have a question? Write it here.",
  "live.ask.textLabel": "Your question",
  "live.ask.nameLabel": "Your name (optional)",
  "live.ask.send": "Send question",
  "live.ask.remaining": "{count} characters left",
  "live.ask.full": "No characters left",
  "live.ask.note": "Only the hosts read your question. Nobody else sees it, unless it is shown to everyone.",
  "live.ask.sending": "Sending your question…",
  "live.ask.received": "Your question has arrived. Thank you!",
  "live.ask.empty": "Please write your question first.",
  "live.ask.wait": "Please wait a moment before you send the next question.",
  "live.ask.badText": "We cannot send this question. Please write plain text only, at most 500 characters.",
  "live.ask.badName": "We cannot send this name. Please use a shorter name, or leave the field empty.",
  "live.ask.notNow": "Questions cannot be sent right now.",
  "live.ask.failed": "That did not work. Please try again.",
  "live.ask.pausedReason": "The broadcast is paused. When it goes on, you can ask again.",
  "live.ask.offlineReason": "The connection is lost right now. When it is back, you can ask.",
  "live.ask.endedReason": "The broadcast has ended. Questions are no longer possible.",
  "live.shown.title": "Question from the audience",
  "live.say.question": "Question from the audience: {text}",
  "live.say.questionBy": "Question from the audience by {name}: {text}",
  "live.say.remaining": "{count} characters left.",
  "live.say.full": "No characters left. Your question is as long as allowed.",
  "live.invite.title": "You are invited to speak.",
  "live.invite.text": "The host would like you to join the meeting. Then everyone can see and hear you.",
  "live.invite.devices": "On the next page your browser asks whether it may use your camera and microphone.",
  "live.invite.time": "The invitation is valid for 10 minutes.",
  "live.invite.join": "Join now",
  "live.invite.dismiss": "No, thank you",
  "live.say.invited": "You are invited to speak.",
  ...LIVE_COUNCIL_EN,
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
