// The clerk's page without the DOM: ids of new members and sessions, dates and times as unix
// seconds, the form's content to the document the clerk's API takes and back, the API's
// requests and refusals, and the words and file names of the minutes. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bodyFromPath,
  ClerkApi,
  closedAtText,
  memberLink,
  minutesFilename,
  minutesProblemKey,
  problemOf,
  secretFromFragment,
} from "../../klingel/static/js/clerk-api.js";
import {
  documentOf,
  draftOf,
  ID,
  idsOf,
  localToUnix,
  motionsOf,
  quorumNeeded,
  uniqueId,
  unixToLocal,
} from "../../klingel/static/js/clerk-form.js";
import { CLERK_DE, CLERK_EN } from "../../klingel/static/js/clerk-strings.js";

// The town's time zone; Node reads TZ again when it changes.
process.env.TZ = "Europe/Berlin";

/** A document as the clerk's API sends it (tests/support/councils.py). */
const DOCUMENT = {
  body: {
    id: "gemeinderat",
    name: "Gemeinderat Bühl",
    legal_size: 22,
    rule: "at_least_half",
    members: [
      { id: "anna", name: "Anna Müller", faction: "Freie Wähler", role: "chair" },
      { id: "bernd", name: "Bernd Öztürk", faction: "SPD", role: "member" },
    ],
  },
  sessions: [
    {
      id: "2026-12-10",
      title: "Öffentliche Sitzung des Gemeinderats",
      starts_at: 1_796_900_400,
      place: "Rathaus, Großer Saal",
      items: [
        { number: "1", title: "Haushalt 2027", public: true, motions: ["Der Haushalt 2027 wird beschlossen."] },
        { number: "2", title: "Grundstücksverkauf", public: false, motions: [] },
      ],
    },
  ],
};

function keys() {
  let n = 0;
  return () => `k${(n += 1)}`;
}

const NONE = { members: new Set(), sessions: new Set() };

/**
 * A fetch that notes each request in `sent` and gives the next of `answers` (none left: offline).
 * @param {{url: string, init: any}[]} sent
 * @param {Response[]} answers
 */
function answering(sent, answers) {
  return /** @type {typeof fetch} */ (
    async (url, init) => {
      sent.push({ url: String(url), init });
      const answer = answers.shift();
      if (!answer) throw new TypeError("offline");
      return answer;
    }
  );
}

test("new ids are slugs of the name, unique, and never an id the body had", () => {
  assert.equal(uniqueId("Anna Müller", new Set(), "mitglied"), "anna-mueller");
  assert.equal(uniqueId("Anna Müller", new Set(["anna-mueller"]), "mitglied"), "anna-mueller-2");
  assert.equal(uniqueId("Anna Müller", new Set(["anna-mueller", "anna-mueller-2"]), "x"), "anna-mueller-3");
  assert.equal(uniqueId("Jürgen Groß", new Set(), "mitglied"), "juergen-gross");
  assert.equal(uniqueId("<b>x</b>", new Set(), "mitglied"), "b-x-b");
  assert.equal(uniqueId("张伟", new Set(), "mitglied"), "mitglied");
  assert.equal(uniqueId("张伟", new Set(["mitglied"]), "mitglied"), "mitglied-2");
  const long = uniqueId("a".repeat(80), new Set(["a".repeat(64)]), "mitglied");
  assert.equal(long, `${"a".repeat(62)}-2`);
  for (const id of ["anna-mueller-2", long, "2026-12-10-2"]) assert.ok(ID.test(id), id);
});

test("a date and a time of day are unix seconds in the town's time zone, and back", () => {
  assert.equal(localToUnix("2026-12-10", "18:00"), 1_796_922_000);
  assert.deepEqual(unixToLocal(1_796_922_000), { date: "2026-12-10", time: "18:00" });
  assert.deepEqual(unixToLocal(1_796_900_400), { date: "2026-12-10", time: "12:00" });
  // Summer time: two hours ahead of UTC.
  assert.equal(localToUnix("2026-07-01", "09:30"), Date.UTC(2026, 6, 1, 7, 30) / 1000);
  for (const [date, time] of [["2026-03-29", "03:15"], ["2027-01-01", "00:00"], ["2026-10-25", "23:59"]]) {
    assert.deepEqual(unixToLocal(/** @type {number} */ (localToUnix(date, time))), { date, time });
  }
  for (const [date, time] of [
    ["2026-02-30", "18:00"],
    ["2026-13-01", "18:00"],
    ["10.12.2026", "18:00"],
    ["2026-12-10", "24:00"],
    ["2026-12-10", "18:60"],
    ["2026-12-10", ""],
    ["", "18:00"],
  ]) {
    assert.equal(localToUnix(date, time), null, `${date} ${time}`);
  }
});

test("motions are one a line, without empty lines", () => {
  assert.deepEqual(motionsOf("  Erstens \r\n\nZweitens\r  \n"), ["Erstens", "Zweitens"]);
  assert.deepEqual(motionsOf(""), []);
});

test("the quorum follows the rule of the state's law", () => {
  assert.equal(quorumNeeded(22, "at_least_half"), 11);
  assert.equal(quorumNeeded(22, "more_than_half"), 12);
  assert.equal(quorumNeeded(5, "at_least_half"), 3);
  assert.equal(quorumNeeded(5, "more_than_half"), 3);
  assert.equal(quorumNeeded(0, "at_least_half"), null);
  assert.equal(quorumNeeded(201, "at_least_half"), null);
  assert.equal(quorumNeeded(2.5, "at_least_half"), null);
});

test("a document read into the form and sent back unchanged is the same document", () => {
  const draft = draftOf(DOCUMENT, keys());
  assert.equal(draft.legalSize, "22");
  assert.equal(draft.sessions[0].date, "2026-12-10");
  assert.equal(draft.sessions[0].items[0].motions, "Der Haushalt 2027 wird beschlossen.");
  const keysUsed = [draft.members[0].key, draft.sessions[0].key, draft.sessions[0].items[1].key];
  assert.equal(new Set(keysUsed).size, 3);
  assert.deepEqual(documentOf(draft, idsOf(DOCUMENT)), { document: DOCUMENT, errors: [] });
});

test("new members and sessions get ids; what was typed is stripped", () => {
  const draft = draftOf(DOCUMENT, keys());
  draft.members.push(
    { key: "n1", id: null, name: "  Carla Weiß ", faction: " CDU ", role: "member" },
    { key: "n2", id: null, name: "Anna Müller", faction: "", role: "member" },
  );
  draft.sessions.push({
    key: "n3",
    id: null,
    title: "Hauptausschuss",
    date: "2026-12-10",
    time: "17:00",
    place: "",
    items: [{ key: "n4", number: " 3.2 ", title: "Anfragen", public: true, motions: "A\n\nB" }],
  });
  // "anna-mueller" was a member's id when the body was read: a new Anna never inherits it.
  const retired = { members: new Set(["anna", "bernd", "anna-mueller"]), sessions: new Set(["2026-12-10"]) };
  const { document, errors } = documentOf(draft, retired);
  assert.deepEqual(errors, []);
  assert.ok(document);
  assert.deepEqual(document.body.members.slice(2), [
    { id: "carla-weiss", name: "Carla Weiß", faction: "CDU", role: "member" },
    { id: "anna-mueller-2", name: "Anna Müller", faction: "", role: "member" },
  ]);
  assert.deepEqual(document.sessions[1], {
    id: "2026-12-10-2",
    title: "Hauptausschuss",
    starts_at: localToUnix("2026-12-10", "17:00"),
    place: "",
    items: [{ number: "3.2", title: "Anfragen", public: true, motions: ["A", "B"] }],
  });
});

test("what the council rules refuse is named at its field, and nothing is sent", () => {
  const draft = draftOf(DOCUMENT, keys());
  draft.name = " ";
  draft.legalSize = "0";
  draft.members[1].role = "chair";
  draft.members.push({ key: "m9", id: null, name: "Anna\u202eMüller", faction: "x".repeat(101), role: "member" });
  const session = draft.sessions[0];
  session.date = "";
  session.time = "";
  session.items[1].number = "1";
  session.items.push({ key: "i9", number: "drei", title: "", public: false, motions: "y".repeat(2001) });
  const { document, errors } = documentOf(draft, NONE);
  assert.equal(document, null);
  const [member, sessionKey, item] = [draft.members[1].key, session.key, session.items[1].key];
  assert.deepEqual(
    errors.map(({ target, message }) => [target, message]),
    [
      ["body-name", "clerk.error.empty"],
      ["body-size", "clerk.error.size"],
      [`${member}-role`, "clerk.error.twoChairs"],
      ["m9-name", "clerk.error.hidden"],
      ["m9-faction", "clerk.error.long"],
      [`${sessionKey}-date`, "clerk.error.date"],
      [`${sessionKey}-time`, "clerk.error.time"],
      [`${item}-number`, "clerk.error.numberTwice"],
      ["i9-number", "clerk.error.number"],
      ["i9-title", "clerk.error.empty"],
      ["i9-motions", "clerk.error.long"],
    ],
  );
  for (const { message } of errors) assert.ok(Object.hasOwn(CLERK_DE, message), message);
});

test("too many entries are refused at the button that adds them", () => {
  const draft = draftOf(DOCUMENT, keys());
  draft.members = Array.from({ length: 201 }, (_, n) => ({
    key: `m${n}`,
    id: `m${n}`,
    name: `Mitglied ${n}`,
    faction: "",
    role: "member",
  }));
  const { errors } = documentOf(draft, NONE);
  assert.deepEqual(errors, [{ target: "members-add", message: "clerk.error.tooMany", args: { max: 200 } }]);
});

test("the clerk's link: the body from the path, the secret from the fragment", () => {
  assert.equal(bodyFromPath("/rat/gemeinderat"), "gemeinderat");
  assert.equal(bodyFromPath("/rat/Ausschuss_2.bau"), "Ausschuss_2.bau");
  for (const path of ["/rat/", "/rat/-x", "/rat/a/b", "/r/gemeinderat", "/rat/%E2%80%AEx", "/rat/%"]) {
    assert.equal(bodyFromPath(path), null, path);
  }
  const secret = "Vb4Jx0c1n9WqZt7rL2mKe8yHdPaU5sGf";
  assert.equal(secretFromFragment(`#clerk=${secret}`), secret);
  assert.equal(secretFromFragment(`#lang=en&clerk=${secret}`), secret);
  for (const hash of ["", "#", "#clerk=", "#clerk=kurz", `#member=${secret}`, "#clerk=<b>x</b>xxxxxxxxxxxxxx"]) {
    assert.equal(secretFromFragment(hash), null, hash);
  }
  assert.equal(
    memberLink("https://klingel.buehl.de", "gemeinderat", secret),
    `https://klingel.buehl.de/r/gemeinderat#member=${secret}`,
  );
});

test("the API sends the secret as a bearer token only, and says why a request failed", async () => {
  /** @type {{url: string, init: any}[]} */
  const sent = [];
  /** @type {Response[]} */
  const answers = [
    Response.json({ revision: 3, linked: [], ...DOCUMENT }),
    Response.json({ error: "conflict", message: "The body changed." }, { status: 409 }),
    Response.json({ error: "bad_text", message: "The name may not be empty." }, { status: 400 }),
    new Response("<html>Bad Gateway</html>", { status: 502 }),
  ];
  const fetcher = answering(sent, answers);
  const api = new ClerkApi("gemeinderat", "s3cret-s3cret-s3cret", fetcher);
  const read = await api.read();
  assert.ok(read.ok && read.data.revision === 3);
  assert.deepEqual(await api.save(3, DOCUMENT), {
    ok: false,
    problem: "conflict",
    code: "conflict",
    message: "The body changed.",
  });
  const refused = await api.renewMemberLink(3, "anna");
  assert.deepEqual(refused, { ok: false, problem: "refused", code: "bad_text", message: "The name may not be empty." });
  assert.equal((await api.read()).ok ? "ok" : "unavailable", "unavailable");
  assert.deepEqual(await api.read(), { ok: false, problem: "offline", code: "offline", message: "" });

  assert.deepEqual(
    sent.map(({ url, init }) => [init.method, url]),
    [
      ["GET", "/api/councils/gemeinderat"],
      ["PUT", "/api/councils/gemeinderat"],
      ["POST", "/api/councils/gemeinderat/member-links"],
      ["GET", "/api/councils/gemeinderat"],
      ["GET", "/api/councils/gemeinderat"],
    ],
  );
  for (const { url, init } of sent) {
    assert.equal(init.headers.authorization, "Bearer s3cret-s3cret-s3cret");
    assert.ok(!url.includes("s3cret"));
  }
  assert.equal(sent[0].init.body, undefined);
  assert.equal(sent[1].init.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(sent[1].init.body), { revision: 3, ...DOCUMENT });
  assert.deepEqual(JSON.parse(sent[2].init.body), { revision: 3, member: "anna" });
});

test("each refusal means one thing for the page", () => {
  assert.equal(problemOf(403, { error: "forbidden" }).problem, "forbidden");
  assert.equal(problemOf(403, { error: "foreign_origin" }).problem, "refused");
  assert.equal(problemOf(409, { error: "conflict" }).problem, "conflict");
  assert.equal(problemOf(429, { error: "rate_limited" }).problem, "limited");
  assert.deepEqual(problemOf(503, { error: "store_unavailable" }), {
    problem: "unavailable",
    code: "store_unavailable",
    message: "",
  });
  assert.deepEqual(problemOf(404, { error: "unknown_member", message: "Not a member." }), {
    problem: "refused",
    code: "unknown_member",
    message: "Not a member.",
  });
  assert.equal(problemOf(413, null).code, "http_413");
});

test("every text of the page is there in German and in English", () => {
  assert.deepEqual(Object.keys(CLERK_EN).sort(), Object.keys(CLERK_DE).sort());
  for (const [key, text] of Object.entries(CLERK_EN)) {
    const placeholders = (/** @type {string} */ s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(placeholders(text), placeholders(CLERK_DE[/** @type {keyof typeof CLERK_DE} */ (key)]), key);
  }
});

test("the minutes: listed, fetched as files with the secret in the header only, deleted", async () => {
  /** @type {{url: string, init: any}[]} */
  const sent = [];
  const answers = [
    Response.json({ minutes: [{ id: "2026-12-10-1796932800", session: "2026-12-10", title: "Sitzung", closedAt: 1796932800 }] }),
    new Response(new Blob(["%PDF-1.4"]), { status: 200, headers: { "content-type": "application/pdf" } }),
    Response.json({ error: "unknown_minutes", message: "There are no such minutes." }, { status: 404 }),
    Response.json({ deleted: "2026-12-10-1796932800" }),
  ];
  const fetcher = answering(sent, answers);
  const api = new ClerkApi("gemeinderat", "s3cret-s3cret-s3cret", fetcher);
  const listed = await api.minutesList();
  assert.ok(listed.ok && listed.data.minutes[0].title === "Sitzung");
  const file = await api.minutesFile("2026-12-10-1796932800", "pdf");
  assert.ok(file.ok && (await file.data.text()) === "%PDF-1.4");
  assert.deepEqual(await api.minutesFile("2026-12-10-1", "json"), {
    ok: false,
    problem: "refused",
    code: "unknown_minutes",
    message: "There are no such minutes.",
  });
  assert.ok((await api.deleteMinutes("2026-12-10-1796932800")).ok);
  assert.deepEqual(await api.minutesFile("x", "pdf"), { ok: false, problem: "offline", code: "offline", message: "" });
  assert.deepEqual(
    sent.map(({ url, init }) => [init.method ?? "GET", url]),
    [
      ["GET", "/api/councils/gemeinderat/minutes"],
      ["GET", "/api/councils/gemeinderat/minutes/2026-12-10-1796932800.pdf"],
      ["GET", "/api/councils/gemeinderat/minutes/2026-12-10-1.json"],
      ["DELETE", "/api/councils/gemeinderat/minutes/2026-12-10-1796932800"],
      ["GET", "/api/councils/gemeinderat/minutes/x.pdf"],
    ],
  );
  for (const { url, init } of sent) {
    assert.equal(init.headers.authorization, "Bearer s3cret-s3cret-s3cret");
    assert.ok(!url.includes("s3cret"));
  }
});

test("a minutes file's name and its closing time, in the town's time", () => {
  assert.equal(minutesFilename("gemeinderat", "2026-12-10-1796932800", "pdf"), "niederschrift-gemeinderat-2026-12-10-1796932800.pdf");
  assert.equal(minutesFilename("a", "b/../c", "json"), "niederschrift-a-b-..-c.json");
  // 1796932800 is 2026-12-10 20:00 UTC: 21:00 in Berlin.
  assert.match(closedAtText(1796932800, "de"), /10\.12\.2026, 21:00/);
  assert.match(closedAtText(1796932800, "en"), /10 Dec 2026, 21:00/);
});


test("a minutes closing time in summer is in Berlin's summer time, whatever the machine's zone", () => {
  const zone = process.env.TZ;
  process.env.TZ = "America/New_York";
  try {
    // 1782900000 is 2026-07-01 10:00 UTC: 12:00 in Berlin.
    assert.match(closedAtText(1782900000, "de"), /01\.07\.2026, 12:00/);
  } finally {
    process.env.TZ = zone;
  }
});

test("a minutes request that did not go through is named by its code, in plain words", () => {
  /** @type {[import("../../klingel/static/js/clerk-api.js").Problem, string, string][]} */
  const cases = [
    ["refused", "unknown_minutes", "clerk.minutes.gone"],
    ["forbidden", "forbidden", "clerk.problem.forbidden"],
    ["limited", "rate_limited", "clerk.problem.limited"],
    ["offline", "offline", "clerk.problem.offline"],
    ["unavailable", "store_unavailable", "clerk.minutes.unavailable"],
    ["refused", "foreign_origin", "clerk.minutes.failed"],
    ["refused", "http_400", "clerk.minutes.failed"],
  ];
  for (const [problem, code, key] of cases) {
    assert.equal(minutesProblemKey(problem, code), key, code);
    assert.ok(Object.hasOwn(CLERK_DE, key), key);
  }
});
