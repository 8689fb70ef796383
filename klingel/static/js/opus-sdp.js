// @ts-check
/**
 * The Opus parameters of our own offers (RFC 7587): what music mode asks the SFU for, and that
 * this page can decode two channels. Browsers offer no API for either (`setCodecPreferences`
 * takes only the parameters they list themselves), so they go into the offer's `a=fmtp` line
 * before it is set as the local description. Pure text in, text out; no DOM.
 */

/**
 * What a publisher in music mode declares: it sends stereo (`sprop-stereo`), would like the
 * SFU's answer to ask for stereo (`stereo`), at this bitrate, without DTX (which would cut the
 * quiet end of a note). The SFU bounds the bitrate itself (klingel/sfu/opus.py).
 */
export const MUSIC_BITRATE = 128_000;
export const MUSIC_OFFER = Object.freeze({
  stereo: "1",
  "sprop-stereo": "1",
  maxaveragebitrate: String(MUSIC_BITRATE),
  usedtx: "0",
});

/**
 * A publisher back in speech mode takes the music parameters out again: Chromium offers an
 * m-section anew with the parameters it negotiated before, so they would otherwise stay.
 */
export const SPEECH_OFFER = Object.freeze({
  stereo: null,
  "sprop-stereo": null,
  maxaveragebitrate: null,
  usedtx: null,
});

/** What a receiver declares so that the browser decodes two channels where they come. */
export const STEREO_RECEIVING = Object.freeze({ stereo: "1" });

/**
 * `sdp` with `parameters` set (or, where `null`, taken out) in the Opus `a=fmtp` line of every
 * audio m-section, or only of the one whose mid is `mid`. Other parameters keep their order
 * and value.
 * @param {string} sdp
 * @param {Readonly<Record<string, string | null>>} parameters
 * @param {string | null} [mid]
 * @returns {string}
 */
export function withOpusParameters(sdp, parameters, mid = null) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const sections = splitSections(sdp.split(eol));
  return sections
    .map((lines, index) => {
      if (index === 0 || !lines[0].startsWith("m=audio")) return lines;
      if (mid !== null && !lines.includes(`a=mid:${mid}`)) return lines;
      const opus = opusPayloadTypes(lines);
      return lines.map((line) => {
        const match = /^a=fmtp:(\d+) (.*)$/.exec(line);
        if (!match || !opus.has(match[1])) return line;
        return `a=fmtp:${match[1]} ${mergeParameters(match[2], parameters)}`;
      });
    })
    .flat()
    .join(eol);
}

/**
 * The parameters of the Opus `a=fmtp` line of the audio m-section `mid` (the first audio one
 * when `mid` is null), as a map; empty when there is none.
 * @param {string} sdp
 * @param {string | null} [mid]
 * @returns {Map<string, string>}
 */
export function opusParameters(sdp, mid = null) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  for (const lines of splitSections(sdp.split(eol)).slice(1)) {
    if (!lines[0].startsWith("m=audio")) continue;
    if (mid !== null && !lines.includes(`a=mid:${mid}`)) continue;
    const opus = opusPayloadTypes(lines);
    for (const line of lines) {
      const match = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (match && opus.has(match[1])) return parseParameters(match[2]);
    }
    return new Map();
  }
  return new Map();
}

/** @param {string[]} lines */
function splitSections(lines) {
  /** @type {string[][]} */
  const sections = [[]];
  for (const line of lines) {
    if (line.startsWith("m=")) sections.push([]);
    sections[sections.length - 1].push(line);
  }
  return sections;
}

/** @param {string[]} lines one m-section */
function opusPayloadTypes(lines) {
  const types = new Set();
  for (const line of lines) {
    const match = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    if (match) types.add(match[1]);
  }
  return types;
}

/** @param {string} text */
function parseParameters(text) {
  /** @type {Map<string, string>} */
  const parameters = new Map();
  for (const item of text.split(";")) {
    const [key, ...rest] = item.trim().split("=");
    if (key) parameters.set(key.toLowerCase(), rest.join("="));
  }
  return parameters;
}

/**
 * @param {string} text
 * @param {Readonly<Record<string, string | null>>} wanted
 */
function mergeParameters(text, wanted) {
  const parameters = parseParameters(text);
  for (const [key, value] of Object.entries(wanted)) {
    if (value === null) parameters.delete(key);
    else parameters.set(key, value);
  }
  return [...parameters].map(([key, value]) => `${key}=${value}`).join(";");
}
