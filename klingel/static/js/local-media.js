// @ts-check
/**
 * Our own microphone, camera and screen: opening and closing them, switching devices, and
 * saying in one word why a device could not be opened. No DOM.
 */

export const LocalMediaEvent = Object.freeze({
  /** detail: `{source, track}`: the track of `source` is now `track` (or `null`). */
  TRACK: "track",
});

/** Why a device could not be opened; the UI turns each into a sentence. */
export const DeviceProblem = Object.freeze({
  DENIED: "denied",
  MISSING: "missing",
  BUSY: "busy",
  INSECURE: "insecure",
  FAILED: "failed",
});

/**
 * @param {unknown} error what `getUserMedia` threw
 * @returns {string} one of `DeviceProblem`
 */
export function classifyDeviceError(error) {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return DeviceProblem.DENIED;
    case "NotFoundError":
    case "OverconstrainedError":
      return DeviceProblem.MISSING;
    case "NotReadableError":
    case "AbortError":
      return DeviceProblem.BUSY;
    default:
      return DeviceProblem.FAILED;
  }
}

/** A device-opening failure that carries its `DeviceProblem`. */
export class DeviceError extends Error {
  /**
   * @param {string} problem
   * @param {unknown} cause
   */
  constructor(problem, cause) {
    super(problem, { cause });
    this.name = "DeviceError";
    this.problem = problem;
  }
}

/** @typedef {"microphone" | "camera" | "screen"} LocalSource */

/**
 * Applies the processing switches of `constraints` to a running microphone track and tells
 * whether it now has them (Chromium answers `applyConstraints` without changing its audio
 * processing in some versions, so the settings decide).
 * @param {MediaStreamTrack} track
 * @param {MediaTrackConstraints} constraints
 */
async function followsConstraints(track, constraints) {
  try {
    await track.applyConstraints(constraints);
  } catch {
    return false;
  }
  const settings = track.getSettings();
  return (["echoCancellation", "noiseSuppression", "autoGainControl"]).every(
    (name) => !(name in constraints) || settings[name] === constraints[name],
  );
}

const AUDIO_PROCESSING = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
/**
 * Music mode (docs/music-mode.md): an instrument must reach the others as it sounds. Echo
 * cancellation, noise suppression and gain control take a held note for an echo or a noise and
 * pump its loudness; without them, stereo is possible where the microphone has two channels.
 */
const MUSIC_PROCESSING = {
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: false,
  channelCount: { ideal: 2 },
};
// 720p gives the full simulcast ladder (browsers send fewer layers for small captures); the
// many small tiles of a large room receive the small layers, so the SFU forwards little more.
const CAMERA_SHAPE = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24 } };

export class LocalMedia extends EventTarget {
  /** @type {Map<LocalSource, MediaStreamTrack>} */
  #tracks = new Map();
  /** @type {{microphone: string, camera: string}} the chosen device ids ("" = default) */
  devices = { microphone: "", camera: "" };
  /** Whether the microphone opens (and is) without speech processing: music mode. */
  musicMode = false;

  /**
   * @param {LocalSource} source
   * @returns {MediaStreamTrack | null}
   */
  track(source) {
    return this.#tracks.get(source) ?? null;
  }

  /** Whether the browser can open devices at all (it needs a secure context). */
  static get available() {
    return Boolean(globalThis.navigator?.mediaDevices?.getUserMedia);
  }

  /**
   * Opens the microphone and/or camera in one prompt; what cannot be opened stays closed.
   * @param {{microphone: boolean, camera: boolean}} wanted
   * @returns {Promise<{microphone?: string, camera?: string}>} the problem per failed source
   */
  async open(wanted) {
    /** @type {{microphone?: string, camera?: string}} */
    const problems = {};
    if (!LocalMedia.available) {
      if (wanted.microphone) problems.microphone = DeviceProblem.INSECURE;
      if (wanted.camera) problems.camera = DeviceProblem.INSECURE;
      return problems;
    }
    if (wanted.microphone && wanted.camera) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: this.#audioConstraints(),
          video: this.#videoConstraints(),
        });
        this.#take("microphone", stream.getAudioTracks()[0] ?? null);
        this.#take("camera", stream.getVideoTracks()[0] ?? null);
        return problems;
      } catch {
        // One of the two may still work on its own (a laptop without a camera).
      }
    }
    for (const source of /** @type {const} */ (["microphone", "camera"])) {
      if (!wanted[source]) continue;
      try {
        await this.openOne(source);
      } catch (error) {
        problems[source] = error instanceof DeviceError ? error.problem : DeviceProblem.FAILED;
      }
    }
    return problems;
  }

  /**
   * Opens (or reopens with the chosen device) the microphone or the camera.
   * @param {"microphone" | "camera"} source
   * @returns {Promise<MediaStreamTrack>}
   */
  async openOne(source) {
    if (!LocalMedia.available) throw new DeviceError(DeviceProblem.INSECURE, null);
    const constraints =
      source === "microphone"
        ? { audio: this.#audioConstraints() }
        : { video: this.#videoConstraints() };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      const problem = classifyDeviceError(error);
      if (problem === DeviceProblem.MISSING && this.devices[source]) {
        // The remembered device is gone (unplugged headset): the default will do.
        this.devices[source] = "";
        return this.openOne(source);
      }
      throw new DeviceError(problem, error);
    }
    const track = (source === "microphone" ? stream.getAudioTracks() : stream.getVideoTracks())[0];
    if (!track) throw new DeviceError(DeviceProblem.MISSING, null);
    this.#take(source, track);
    return track;
  }

  /**
   * Switches microphone or camera to another device; if it is on, the new track replaces it.
   * @param {"microphone" | "camera"} source
   * @param {string} deviceId
   */
  async switchDevice(source, deviceId) {
    this.devices[source] = deviceId;
    const current = this.#tracks.get(source);
    if (!current) return;
    // Phones open one camera at a time: the old one must let go first.
    current.stop();
    try {
      await this.openOne(source);
    } catch (error) {
      this.#take(source, null);
      throw error;
    }
  }

  /**
   * Switches the microphone's speech processing off (music mode) or back on, without a new
   * offer: the running track takes the new constraints where the browser can, else the
   * microphone opens anew and its new track replaces the old one (`LocalMediaEvent.TRACK`).
   * A microphone that is off opens this way the next time.
   * @param {boolean} on
   */
  async setMusicMode(on) {
    if (this.musicMode === on) return;
    this.musicMode = on;
    const current = this.#tracks.get("microphone");
    if (!current) return;
    if (await followsConstraints(current, this.#audioConstraints())) return;
    // As when switching devices: the old capture lets go before the new one opens.
    current.stop();
    try {
      await this.openOne("microphone");
    } catch (error) {
      this.#take("microphone", null);
      throw error;
    }
  }

  /** Asks which screen, window or tab to share. @returns {Promise<MediaStreamTrack>} */
  async openScreen() {
    if (!navigator.mediaDevices?.getDisplayMedia) {
      throw new DeviceError(DeviceProblem.FAILED, null);
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      throw new DeviceError(classifyDeviceError(error), error);
    }
    const track = stream.getVideoTracks()[0];
    if (!track) throw new DeviceError(DeviceProblem.MISSING, null);
    // Text on slides and code stays sharp; motion matters less than for a face.
    track.contentHint = "detail";
    // The browser's own "stop sharing" button ends the track without us.
    track.addEventListener("ended", () => {
      if (this.#tracks.get("screen") === track) this.close("screen");
    });
    this.#take("screen", track);
    return track;
  }

  /** @param {LocalSource} source */
  close(source) {
    this.#take(source, null);
  }

  closeAll() {
    for (const source of [...this.#tracks.keys()]) this.close(source);
  }

  /** @returns {Promise<MediaDeviceInfo[]>} */
  async listDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  /**
   * @param {LocalSource} source
   * @param {MediaStreamTrack | null} track
   */
  #take(source, track) {
    const previous = this.#tracks.get(source);
    if (previous === track) return;
    previous?.stop();
    if (track) this.#tracks.set(source, track);
    else this.#tracks.delete(source);
    this.dispatchEvent(new CustomEvent(LocalMediaEvent.TRACK, { detail: { source, track } }));
  }

  #audioConstraints() {
    const id = this.devices.microphone;
    const processing = this.musicMode ? MUSIC_PROCESSING : AUDIO_PROCESSING;
    return id ? { ...processing, deviceId: { exact: id } } : processing;
  }

  #videoConstraints() {
    const id = this.devices.camera;
    return id ? { ...CAMERA_SHAPE, deviceId: { exact: id } } : CAMERA_SHAPE;
  }
}
