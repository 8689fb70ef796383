// @ts-check
/** A live microphone level bar, drawn from an `AnalyserNode` (sets `--level` from 0 to 1). */

export class LevelMeter {
  #bar;
  #context;
  /** @type {MediaStreamAudioSourceNode | null} */
  #source = null;
  #analyser;
  #samples;
  #frame = 0;
  #paused = false;

  /**
   * @param {HTMLElement} bar
   * @param {AudioContext} context
   */
  constructor(bar, context) {
    this.#bar = bar;
    this.#context = context;
    this.#analyser = context.createAnalyser();
    this.#analyser.fftSize = 512;
    this.#samples = new Float32Array(this.#analyser.fftSize);
  }

  /** @param {MediaStreamTrack | null} track the microphone, or nothing to show */
  setTrack(track) {
    this.#source?.disconnect();
    this.#source = null;
    this.#stop();
    if (!track) return;
    this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(this.#analyser);
    if (!this.#paused) this.#draw();
  }

  /**
   * Stops drawing while nobody sees the bar (its screen is gone: joining, the call), and
   * draws again when it is back. Each drawn frame costs the main thread a style change.
   * @param {boolean} paused
   */
  pause(paused) {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) this.#stop();
    else if (this.#source) this.#draw();
  }

  #draw() {
    this.#analyser.getFloatTimeDomainData(this.#samples);
    let sum = 0;
    for (const sample of this.#samples) sum += sample * sample;
    const rms = Math.sqrt(sum / this.#samples.length);
    // Speech sits far below full scale; a square root makes quiet voices visible.
    const level = Math.min(1, Math.sqrt(rms) * 1.6);
    this.#bar.style.setProperty("--level", level.toFixed(3));
    this.#frame = requestAnimationFrame(() => this.#draw());
  }

  #stop() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#bar.style.setProperty("--level", "0");
  }
}
