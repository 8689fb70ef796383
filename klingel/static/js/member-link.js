// @ts-check
/**
 * A council member's personal link, `/r/<body>#member=<secret>` (docs/council.md): the secret
 * names the member and goes nowhere but into our own `join`. It stays in the address, which
 * the browser never sends to a server, so that a reload comes back as the same member; it is
 * never kept in this browser's storage. No DOM.
 */

/** `secrets.token_urlsafe` output; anything else in a fragment is not a secret of ours. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The member's secret in a room page's fragment, or `null`.
 * @param {string} hash `location.hash`, with or without the leading `#`
 */
export function memberSecretFromFragment(hash) {
  const secret = new URLSearchParams(hash.replace(/^#/, "")).get("member");
  return secret !== null && SECRET.test(secret) ? secret : null;
}
