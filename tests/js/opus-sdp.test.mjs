// The Opus parameters of our own offers (opus-sdp.js): music mode's request in the publish
// offer, stereo decoding in the subscribe offer, and nothing else of the SDP touched.
import assert from "node:assert/strict";
import { test } from "node:test";

import { receivingStereo } from "../../klingel/static/js/media.js";
import {
  MUSIC_OFFER,
  SPEECH_OFFER,
  opusParameters,
  withOpusParameters,
} from "../../klingel/static/js/opus-sdp.js";

const OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1 2",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63",
  "a=mid:0",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=mid:1",
  "a=rtpmap:96 VP8/90000",
  "a=fmtp:96 x-google-start-bitrate=300",
  "m=audio 9 UDP/TLS/RTP/SAVPF 109",
  "a=mid:2",
  "a=rtpmap:109 OPUS/48000/2",
  "a=fmtp:109 minptime=10;useinbandfec=1",
  "",
].join("\r\n");

test("music mode asks for stereo at 128 kbit/s without DTX, in every Opus line", () => {
  const shaped = withOpusParameters(OFFER, MUSIC_OFFER);
  for (const mid of ["0", "2"]) {
    assert.deepEqual(Object.fromEntries(opusParameters(shaped, mid)), {
      minptime: "10",
      useinbandfec: "1",
      stereo: "1",
      "sprop-stereo": "1",
      maxaveragebitrate: "128000",
      usedtx: "0",
    });
  }
  // Everything but those two lines is as it was, line endings included.
  const before = OFFER.split("\r\n");
  const after = shaped.split("\r\n");
  assert.equal(after.length, before.length);
  const changed = after.filter((line, index) => line !== before[index]);
  assert.deepEqual(changed, [
    "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1;maxaveragebitrate=128000;usedtx=0",
    "a=fmtp:109 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1;maxaveragebitrate=128000;usedtx=0",
  ]);
  assert.ok(shaped.includes("a=fmtp:63 111/111"), "RED's line is not Opus's");
  assert.ok(shaped.includes("a=fmtp:96 x-google-start-bitrate=300"));
});

test("only the m-section named by its mid, when one is named", () => {
  const shaped = withOpusParameters(OFFER, { stereo: "1" }, "2");
  assert.equal(opusParameters(shaped, "0").get("stereo"), undefined);
  assert.equal(opusParameters(shaped, "2").get("stereo"), "1");
});

test("speech mode takes the music parameters out of what Chromium offers again", () => {
  const again = withOpusParameters(OFFER, MUSIC_OFFER);
  const speech = withOpusParameters(again, SPEECH_OFFER);
  assert.deepEqual(Object.fromEntries(opusParameters(speech, "0")), {
    minptime: "10",
    useinbandfec: "1",
  });
});

test("a subscribe offer can decode two channels", () => {
  const shaped = receivingStereo(OFFER);
  assert.equal(opusParameters(shaped).get("stereo"), "1");
  assert.equal(opusParameters(shaped).get("sprop-stereo"), undefined);
});

test("an offer without audio, or with \\n line ends, comes back whole", () => {
  const video = OFFER.split("m=audio 9 UDP/TLS/RTP/SAVPF 109")[0].replace(/m=audio[\s\S]*?(?=m=video)/, "");
  assert.equal(withOpusParameters(video, MUSIC_OFFER), video);
  const unix = OFFER.replaceAll("\r\n", "\n");
  const shaped = withOpusParameters(unix, MUSIC_OFFER);
  assert.ok(!shaped.includes("\r"));
  assert.equal(opusParameters(shaped, "0").get("stereo"), "1");
});
