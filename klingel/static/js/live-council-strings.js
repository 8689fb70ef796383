// @ts-check
/**
 * The viewer page's and the hall view's texts for a council session (docs/council.md): the
 * item, who speaks, a running vote, the last result, and the non-public part. German first,
 * English the same keys.
 */

export const LIVE_COUNCIL_DE = {
  "live.council.item": "TOP {number}: {title}",
  "live.council.speaks": "Es spricht",
  "live.council.vote": "Abstimmung läuft",
  "live.council.result": "Ergebnis",
  "live.council.counts": "Ja {yes} · Nein {no} · Enthaltung {abstain}",
  "live.council.outcome.adopted": "angenommen",
  "live.council.outcome.rejected": "abgelehnt",
  "live.council.outcome.by_post": "per Briefwahl",
  "live.council.nonPublic.title": "Nichtöffentlicher Teil",
  "live.council.nonPublic.text": "Nichtöffentlicher Teil – die Übertragung ist unterbrochen. Sie geht weiter, sobald die Sitzung wieder öffentlich ist. Lassen Sie diese Seite einfach offen.",
  "live.say.council.nonPublic": "Nichtöffentlicher Teil – die Übertragung ist unterbrochen.",
  "live.say.council.item": "Jetzt TOP {number}: {title}",
  "live.say.council.speaker": "Es spricht {name}, {faction}.",
  "live.say.council.vote": "Abstimmung: {text}",
  "live.say.council.result": "Ergebnis: {text} – {outcome}.",
  "live.council.quorum.reached": "Beschlussfähig: {counted} anwesend, {needed} nötig (von {size})",
  "live.council.quorum.lost": "Nicht beschlussfähig: {counted} anwesend, {needed} nötig (von {size})",
  "live.council.ballots": "Stimmen mit Namen",
  "live.council.choice.yes": "Ja",
  "live.council.choice.no": "Nein",
  "live.council.choice.abstain": "Enthaltung",
  "live.say.council.quorumLost": "Die Sitzung ist nicht mehr beschlussfähig.",
  "live.say.council.quorumReached": "Die Sitzung ist beschlussfähig.",
};

/** @type {Record<keyof typeof LIVE_COUNCIL_DE, string>} */
export const LIVE_COUNCIL_EN = {
  "live.council.item": "Item {number}: {title}",
  "live.council.speaks": "Speaking",
  "live.council.vote": "Vote running",
  "live.council.result": "Result",
  "live.council.counts": "Yes {yes} · No {no} · Abstain {abstain}",
  "live.council.outcome.adopted": "adopted",
  "live.council.outcome.rejected": "rejected",
  "live.council.outcome.by_post": "by postal vote",
  "live.council.nonPublic.title": "Non-public part",
  "live.council.nonPublic.text": "Non-public part – the broadcast is interrupted. It goes on as soon as the session is public again. Just leave this page open.",
  "live.say.council.nonPublic": "Non-public part – the broadcast is interrupted.",
  "live.say.council.item": "Now item {number}: {title}",
  "live.say.council.speaker": "{name} is speaking, {faction}.",
  "live.say.council.vote": "Vote: {text}",
  "live.say.council.result": "Result: {text} – {outcome}.",
  "live.council.quorum.reached": "Quorum: {counted} present, {needed} needed (of {size})",
  "live.council.quorum.lost": "No quorum: {counted} present, {needed} needed (of {size})",
  "live.council.ballots": "Votes by name",
  "live.council.choice.yes": "Yes",
  "live.council.choice.no": "No",
  "live.council.choice.abstain": "Abstain",
  "live.say.council.quorumLost": "The session no longer has a quorum.",
  "live.say.council.quorumReached": "The session has a quorum.",
};
