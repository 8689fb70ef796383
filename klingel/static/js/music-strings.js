// @ts-check
/** The words of music mode, in German and English (merged into strings.js). */

export const MUSIC_DE = {
  "tile.music": "Musikmodus",
  "toast.musicOn": "{name} spielt jetzt im Musikmodus",
  "toast.musicOff": "{name} hat den Musikmodus ausgeschaltet",
  "toast.musicHeadphones": "Musikmodus ist an. Bitte Kopfhörer aufsetzen: Das Echo wird jetzt nicht mehr herausgefiltert.",
  "toast.musicSelfOff": "Musikmodus ist aus.",
  "toast.musicByHostOn": "Die Gastgeberin oder der Gastgeber hat den Musikmodus für Sie eingeschaltet.",
  "toast.musicByHostOff": "Die Gastgeberin oder der Gastgeber hat den Musikmodus für Sie ausgeschaltet.",
  "toast.roomMusicOn": "Die Gastgeberin oder der Gastgeber hat den Musikmodus für alle eingeschaltet.",
  "toast.roomMusicOff": "Die Gastgeberin oder der Gastgeber hat den Musikmodus für alle ausgeschaltet.",
  "people.musicOn": "Musikmodus einschalten für {name}",
  "people.musicOff": "Musikmodus ausschalten für {name}",
  "ctl.music": "Musikmodus",
  "ctl.musicCaption": "Musik",
  "host.music": "Musikmodus für alle",
  "people.musicOnShort": "Musikmodus einschalten",
  "people.musicOffShort": "Musikmodus ausschalten",
};

/** @type {Record<keyof typeof MUSIC_DE, string>} */
export const MUSIC_EN = {
  "tile.music": "Music mode",
  "toast.musicOn": "{name} now plays in music mode",
  "toast.musicOff": "{name} switched music mode off",
  "toast.musicHeadphones": "Music mode is on. Please put on headphones: echo is no longer filtered out.",
  "toast.musicSelfOff": "Music mode is off.",
  "toast.musicByHostOn": "The host switched music mode on for you.",
  "toast.musicByHostOff": "The host switched music mode off for you.",
  "toast.roomMusicOn": "The host switched music mode on for everyone.",
  "toast.roomMusicOff": "The host switched music mode off for everyone.",
  "people.musicOn": "Switch music mode on for {name}",
  "people.musicOff": "Switch music mode off for {name}",
  "ctl.music": "Music mode",
  "ctl.musicCaption": "Music",
  "host.music": "Music mode for everyone",
  "people.musicOnShort": "Switch music mode on",
  "people.musicOffShort": "Switch music mode off",
};
