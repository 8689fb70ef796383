// @ts-check
/**
 * The viewer page (`/live/<key>`) and its hall view (`/live/<key>?halle`): a citizen watches a
 * public broadcast, a screen in a hall shows it all day. The connection is `LiveSession`; this
 * module shows what it says: one screen per phase (its heading takes the focus), who is on the
 * programme, the pictures and voices, a button for the sound where the browser held it back,
 * the question form, the question a host shows to everyone, a host's invitation to speak, a
 * council's session (`live-council-info.js`), and a polite live region. Names and questions are
 * set as text only.
 */

import { applyBrand, fetchBrand } from "./brand.js";
import { invitationOf, invitationPath } from "./invitation.js";
import { councilPublicOf } from "./live-council.js";
import { LiveCouncilInfo } from "./live-council-info.js";
import {
  formAvailability,
  NAME_MAX,
  QUESTION_MAX,
  questionMessage,
  questionOutcome,
  remaining,
  remainingStep,
  REPLY_TIMEOUT_MS,
} from "./live-questions.js";
import { LiveSession, LiveSessionEvent } from "./live-session.js";
import {
  keyFromPath,
  Phase,
  phaseAnnouncement,
  sameQuestion,
  StageAnnouncer,
} from "./live-state.js";
import { LiveI18n } from "./live-strings.js";
import { find } from "./ui/dom.js";

/** @typedef {import("./live-state.js").LiveState} LiveState */
/** @typedef {import("./live-state.js").Stage} Stage */
/** @typedef {import("./live-state.js").ShownQuestion} ShownQuestion */
/** @typedef {import("./live-questions.js").QuestionOutcome} QuestionOutcome */
/** @typedef {(key: string, args?: Record<string, string>) => void} Say */
/** @typedef {{camera: MediaStreamTrack, screen: MediaStreamTrack, audio: MediaStreamTrack[]}} Tracks */

/** The heading each phase's screen starts with. */
const SCREEN_HEADINGS = /** @type {Record<string, string>} */ ({
  [Phase.CONNECTING]: "connecting-title",
  [Phase.LIVE]: "live-title",
  [Phase.PAUSED]: "paused-title",
  [Phase.ENDED]: "ended-title",
  [Phase.UNKNOWN]: "unknown-title",
  [Phase.RECONNECTING]: "reconnecting-title",
  [Phase.BUSY]: "busy-title",
});
/** The hall view hides the pointer when it has not moved for this long. */
const CURSOR_IDLE_MS = 3_000;
/** A moment of silence in the live region, so that the same words are said again. */
const SAY_GAP_MS = 100;
/** A start of the voices that a new track interrupted is tried again, this often, this far apart. */
const PLAY_ATTEMPTS = 8;
const PLAY_RETRY_MS = 400;

function browserStorage() {
  try {
    return globalThis.localStorage;
  } catch {
    return null; // without storage the language choice is simply not remembered
  }
}

class LiveView {
  #i18n;
  #status = find("#live-status", HTMLElement);
  #programme = find("#programme", HTMLElement);
  #cameraSlot = find("#slot-camera", HTMLElement);
  #screenSlot = find("#slot-screen", HTMLElement);
  #cameraName = find("#name-camera", HTMLElement);
  #screenName = find("#name-screen", HTMLElement);
  #empty = find("#programme-empty", HTMLElement);
  #cameraVideo = find("#video-camera", HTMLVideoElement);
  #screenVideo = find("#video-screen", HTMLVideoElement);
  #sound = find("#sound", HTMLElement);
  #question = find("#shown-question", HTMLElement);
  #questionText = find("#shown-question-text", HTMLElement);
  #questionName = find("#shown-question-name", HTMLElement);
  /** @type {ShownQuestion | null} the question last said aloud */
  #saidQuestion = null;
  #voices = /** @type {HTMLAudioElement[]} */ ([
    ...document.querySelectorAll("#programme-audio audio"),
  ]);
  #stageAnnouncer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #sayTimer;

  /** @param {LiveI18n} i18n */
  constructor(i18n) {
    this.#i18n = i18n;
    this.#stageAnnouncer = new StageAnnouncer((key, args) => this.say(key, args));
    find("#sound-on", HTMLButtonElement).addEventListener("click", () => void this.#soundOn());
  }

  /**
   * @param {LiveState} state
   * @param {LiveState | null} before
   */
  show(state, before) {
    const body = document.body;
    body.dataset.state = state.phase;
    if (before !== null && before.phase !== state.phase) {
      document.getElementById(SCREEN_HEADINGS[state.phase])?.focus();
      const said = phaseAnnouncement(before.phase, state.phase);
      if (said) this.say(said);
    }
    if (state.phase === Phase.LIVE) {
      this.#stageAnnouncer.update(state.stage);
    } else {
      // After a pause or a gap, whoever is on stage is said again.
      this.#stageAnnouncer.reset();
    }
    this.#showStage(state.stage);
    this.#showQuestion(state.question, state.phase === Phase.LIVE);
  }

  /**
   * The question a host shows, under the picture; said aloud once while the programme shows.
   * @param {ShownQuestion | null} question
   * @param {boolean} live
   */
  #showQuestion(question, live) {
    this.#question.hidden = question === null;
    this.#questionText.textContent = question?.text ?? "";
    this.#questionName.textContent = question?.name ? `– ${question.name}` : "";
    this.#questionName.hidden = !question?.name;
    if (question === null) {
      this.#saidQuestion = null;
      return;
    }
    if (!live || sameQuestion(question, this.#saidQuestion)) return;
    this.#saidQuestion = question;
    if (question.name) this.say("live.say.questionBy", { name: question.name, text: question.text });
    else this.say("live.say.question", { text: question.text });
  }

  /** @param {Stage | null} stage */
  #showStage(stage) {
    const screen = stage?.screen ?? null;
    const camera = stage?.camera ?? null;
    const nobody = stage !== null && screen === null && camera === null;
    this.#programme.dataset.layout = screen !== null ? "screen" : "camera";
    this.#screenSlot.hidden = screen === null;
    // Before the server names anyone, the camera slot shows whatever it carries.
    this.#cameraSlot.hidden = nobody || (screen !== null && camera === null);
    this.#empty.hidden = !nobody;
    setName(this.#cameraName, camera);
    if (screen === null) {
      setName(this.#screenName, null);
    } else {
      // The name goes in as a placeholder's value: `apply` sets the result as text.
      this.#screenName.dataset.i18n = "live.screenOf";
      this.#screenName.dataset.i18nArgs = JSON.stringify({ name: screen });
      this.#i18n.apply(this.#screenName);
      this.#screenName.hidden = false;
    }
  }

  /**
   * Shows the programme's tracks, or nothing.
   * @param {Tracks | null} tracks
   */
  attach(tracks) {
    attachTrack(this.#cameraVideo, tracks?.camera ?? null);
    attachTrack(this.#screenVideo, tracks?.screen ?? null);
    this.#voices.forEach((voice, index) => attachTrack(voice, tracks?.audio[index] ?? null));
    if (tracks === null) return;
    void this.#play([this.#cameraVideo, this.#screenVideo]);
    void this.#tryVoices();
  }

  /**
   * Says `key` politely in the live region (also the same words twice in a row).
   * @param {string} key
   * @param {Record<string, string>} [args]
   */
  say(key, args) {
    this.sayText(this.#i18n.t(key, args));
  }

  /**
   * Says words already in the page's language.
   * @param {string} text
   */
  sayText(text) {
    clearTimeout(this.#sayTimer);
    this.#status.textContent = "";
    this.#sayTimer = setTimeout(() => {
      this.#status.textContent = text;
    }, SAY_GAP_MS);
  }

  /**
   * Whether the browser lets the voices play: "allowed", "blocked" (it wants a click first),
   * or "interrupted" (a new track came while one was starting: ask again).
   * @param {HTMLMediaElement[]} elements
   */
  async #play(elements) {
    const results = await Promise.allSettled(
      elements.filter((element) => element.srcObject !== null).map((element) => element.play()),
    );
    const failed = results.map((result) => (result.status === "rejected" ? result.reason?.name : null));
    if (failed.includes("NotAllowedError")) return "blocked";
    return failed.includes("AbortError") ? "interrupted" : "allowed";
  }

  /**
   * Starts the voices; where the browser wants a click first, offers the button. If every
   * start is interrupted by yet another new track (a slow machine), it offers the button too:
   * a click always lets the voices play.
   */
  async #tryVoices() {
    for (let attempt = 0; attempt < PLAY_ATTEMPTS; attempt += 1) {
      const outcome = await this.#play(this.#voices);
      // A start refused for another reason than a click leaves a voice paused all the same.
      const silent = this.#voices.some((voice) => voice.srcObject !== null && voice.paused);
      if (outcome === "blocked" || (outcome === "allowed" && silent)) this.#sound.hidden = false;
      if (outcome !== "interrupted") return;
      await new Promise((resolve) => setTimeout(resolve, PLAY_RETRY_MS));
    }
    if (document.body.dataset.sound !== "on") this.#sound.hidden = false;
  }

  async #soundOn() {
    for (const voice of this.#voices) voice.muted = false;
    // The click itself lets the page play sound from now on.
    this.#sound.hidden = true;
    if ((await this.#play(this.#voices)) === "blocked") {
      this.#sound.hidden = false;
      return;
    }
    document.body.dataset.sound = "on";
  }
}

/**
 * The question form beside the programme. What is typed goes to the hosts only, and is never
 * put into the page as markup; one question is on its way at a time.
 */
class QuestionForm {
  #i18n;
  #say;
  #ask;
  #side = find("#live-side", HTMLElement);
  #fields = find("#ask-fields", HTMLFieldSetElement);
  #reason = find("#ask-reason", HTMLElement);
  #text = find("#ask-text", HTMLTextAreaElement);
  #name = find("#ask-name", HTMLInputElement);
  #send = find("#ask-send", HTMLButtonElement);
  #count = find("#ask-count", HTMLElement);
  #feedback = find("#ask-feedback", HTMLElement);
  #left = QUESTION_MAX;
  #sending = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #replyTimer;

  /**
   * @param {LiveI18n} i18n
   * @param {Say} say
   * @param {(question: {type: "question", text: string, name: string | null}) => boolean} ask
   */
  constructor(i18n, say, ask) {
    this.#i18n = i18n;
    this.#say = say;
    this.#ask = ask;
    this.#text.maxLength = QUESTION_MAX;
    this.#name.maxLength = NAME_MAX;
    this.#text.addEventListener("input", () => this.#typed());
    this.#name.addEventListener("input", () => this.#valid(this.#name));
    find("#ask-form", HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#showCount();
  }

  /**
   * Shows the form once the page watched; usable only while the broadcast runs, else it says
   * why. What was typed stays.
   * @param {LiveState} state
   */
  follow(state) {
    const { shown, enabled, reason } = formAvailability(state);
    this.#side.hidden = !shown;
    this.#fields.disabled = !enabled;
    this.#reason.hidden = reason === null;
    if (reason !== null) bindText(this.#i18n, this.#reason, reason);
    if (!enabled && this.#sending) {
      // The answer went with the connection: the question may be sent again later.
      this.#done();
      this.#tell(null);
    }
  }

  /**
   * The server's answer to the question on its way.
   * @param {QuestionOutcome} outcome
   */
  answered(outcome) {
    if (!this.#sending && outcome !== "received") return;
    this.#done();
    switch (outcome) {
      case "received":
        this.#text.value = "";
        this.#left = QUESTION_MAX;
        this.#showCount();
        this.#tell("live.ask.received");
        // The button keeps the focus; a focus lost on the way goes back to the question field.
        if (document.activeElement === null || document.activeElement === document.body) {
          this.#text.focus();
        }
        return;
      case "wait":
        this.#tell("live.ask.wait", true);
        return;
      case "bad_text":
        this.#tell("live.ask.badText", true);
        this.#invalid(this.#text);
        return;
      case "bad_name":
        this.#tell("live.ask.badName", true);
        this.#invalid(this.#name);
        return;
      case "not_now":
        this.#tell("live.ask.notNow", true);
        return;
      default:
        this.#tell("live.ask.failed", true);
    }
  }

  #submit() {
    if (this.#sending || this.#fields.disabled) return;
    const message = questionMessage(this.#text.value, this.#name.value);
    if (message === null) {
      this.#tell("live.ask.empty", true);
      this.#invalid(this.#text);
      return;
    }
    if (!this.#ask(message)) {
      this.#tell("live.ask.failed", true);
      return;
    }
    this.#sending = true;
    // Not `disabled`: the button keeps the focus while the answer is on its way.
    this.#send.setAttribute("aria-disabled", "true");
    this.#valid(this.#text);
    this.#valid(this.#name);
    this.#tell("live.ask.sending", false, false);
    this.#replyTimer = setTimeout(() => this.answered("failed"), REPLY_TIMEOUT_MS);
  }

  #done() {
    this.#sending = false;
    clearTimeout(this.#replyTimer);
    this.#send.removeAttribute("aria-disabled");
  }

  #typed() {
    const left = remaining(this.#text.value);
    const step = remainingStep(this.#left, left);
    this.#left = left;
    this.#showCount();
    this.#valid(this.#text);
    if (step === null) return;
    if (left === 0) this.#say("live.say.full");
    else this.#say("live.say.remaining", { count: String(left) });
  }

  #showCount() {
    if (this.#left === 0) bindText(this.#i18n, this.#count, "live.ask.full");
    else bindText(this.#i18n, this.#count, "live.ask.remaining", { count: String(this.#left) });
  }

  /**
   * Shows (and says) how the question fared; `null` clears it.
   * @param {string | null} key
   * @param {boolean} [problem]
   * @param {boolean} [aloud]
   */
  #tell(key, problem = false, aloud = true) {
    this.#feedback.classList.toggle("is-problem", problem);
    if (key === null) {
      delete this.#feedback.dataset.i18n;
      this.#feedback.textContent = "";
      this.#feedback.hidden = true;
      return;
    }
    bindText(this.#i18n, this.#feedback, key);
    this.#feedback.hidden = false;
    if (aloud) this.#say(key);
  }

  /** @param {HTMLTextAreaElement | HTMLInputElement} field */
  #invalid(field) {
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    if (!described.includes("ask-feedback")) {
      field.setAttribute("aria-describedby", [...described, "ask-feedback"].join(" "));
    }
    field.focus();
  }

  /** @param {HTMLTextAreaElement | HTMLInputElement} field */
  #valid(field) {
    field.removeAttribute("aria-invalid");
    const described = (field.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .filter((id) => id && id !== "ask-feedback");
    if (described.length > 0) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
  }
}

/**
 * A host's invitation to speak: a panel that says so, with the link into the meeting (opened
 * only by the viewer's own click) and "no, thank you".
 */
class InvitationPanel {
  #panel = find("#invitation", HTMLElement);
  #join = find("#invitation-join", HTMLAnchorElement);
  #heading = find("#invitation-title", HTMLElement);
  #say;

  /**
   * @param {Say} say
   * @param {() => void} dismissed where the focus goes after "no, thank you"
   */
  constructor(say, dismissed) {
    this.#say = say;
    find("#invitation-dismiss", HTMLButtonElement).addEventListener("click", () => {
      this.hide();
      dismissed();
    });
  }

  /** @param {{room: string, invitation: string}} invited */
  show({ room, invitation }) {
    this.#join.href = invitationPath(room, invitation);
    this.#panel.hidden = false;
    this.#heading.focus();
    this.#say("live.say.invited");
  }

  hide() {
    this.#panel.hidden = true;
    this.#join.href = "/";
  }

  /**
   * An invitation holds only while the broadcast is on.
   * @param {LiveState} state
   */
  follow(state) {
    if (state.phase === Phase.ENDED || state.phase === Phase.UNKNOWN) this.hide();
  }
}

/**
 * Sets one of the page's texts as an element's text, and keeps it translated.
 * @param {LiveI18n} i18n
 * @param {HTMLElement} element
 * @param {string} key
 * @param {Record<string, string>} [args]
 */
function bindText(i18n, element, key, args) {
  element.dataset.i18n = key;
  if (args) element.dataset.i18nArgs = JSON.stringify(args);
  else delete element.dataset.i18nArgs;
  i18n.apply(element);
}

/**
 * @param {HTMLElement} element
 * @param {string | null} name shown as text, never as markup
 */
function setName(element, name) {
  delete element.dataset.i18n;
  delete element.dataset.i18nArgs;
  element.textContent = name ?? "";
  element.hidden = name === null;
}

/**
 * @param {HTMLMediaElement} element
 * @param {MediaStreamTrack | null} track
 */
function attachTrack(element, track) {
  if (track === null) {
    element.srcObject = null;
    return;
  }
  element.srcObject = new MediaStream([track]);
}

/** The hall view hides the pointer while nobody moves it, and keeps the screen awake. */
function hallView() {
  const body = document.body;
  body.dataset.view = "hall";
  body.classList.add("page-hall");
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let idle;
  const moved = () => {
    body.classList.remove("cursor-hidden");
    clearTimeout(idle);
    idle = setTimeout(() => body.classList.add("cursor-hidden"), CURSOR_IDLE_MS);
  };
  addEventListener("pointermove", moved, { passive: true });
  moved();
  const wakeLock = /** @type {any} */ (navigator).wakeLock;
  const stayAwake = () => {
    if (document.visibilityState !== "visible" || !wakeLock) return;
    wakeLock.request("screen").catch(() => {
      // A screen that sleeps is the hall's settings' business; the page works all the same.
    });
  };
  document.addEventListener("visibilitychange", stayAwake);
  stayAwake();
}

function main() {
  const storage = browserStorage();
  const i18n = new LiveI18n(storage);
  i18n.attach();
  void fetchBrand().then((brand) => applyBrand(brand, i18n));
  find("#language", HTMLButtonElement).addEventListener("click", () => i18n.toggle());
  const hall = new URLSearchParams(location.search).has("halle");
  if (hall) hallView();

  const view = new LiveView(i18n);
  const key = keyFromPath(location.pathname);
  if (key === null) {
    view.show({ phase: Phase.UNKNOWN, watched: false, stage: null, question: null }, null);
    return;
  }
  const session = new LiveSession({ key });
  const say = view.say.bind(view);
  const council = new LiveCouncilInfo(i18n, (text) => view.sayText(text));
  // The hall's screen takes no questions and no invitations: nobody there types.
  const form = hall ? null : new QuestionForm(i18n, say, (question) => session.ask(question));
  const invitation = hall
    ? null
    : new InvitationPanel(say, () => {
        document.getElementById(SCREEN_HEADINGS[session.state.phase])?.focus();
      });
  session.addEventListener(LiveSessionEvent.STATE, (event) => {
    const { state, before } = /** @type {CustomEvent} */ (event).detail;
    view.show(state, before);
    form?.follow(state);
    invitation?.follow(state);
    if (state.phase === Phase.ENDED || state.phase === Phase.UNKNOWN) council.forget();
  });
  session.addEventListener(LiveSessionEvent.MESSAGE, (event) => {
    const message = /** @type {CustomEvent} */ (event).detail;
    const outcome = questionOutcome(message);
    if (outcome !== null) form?.answered(outcome);
    const invited = message.type === "invited" ? invitationOf(message) : null;
    if (invited !== null) invitation?.show(invited);
    if (message.type === "council_public") council.follow(councilPublicOf(message));
  });
  session.addEventListener(LiveSessionEvent.TRACKS, (event) => {
    view.attach(/** @type {CustomEvent} */ (event).detail);
  });
  view.show(session.state, null);
  addEventListener("pagehide", () => session.stop());
  // Back from the browser's page cache the session is over: a fresh page watches anew.
  addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });
  session.start();
}

main();
