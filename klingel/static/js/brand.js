// @ts-check
/**
 * The town's look (`GET /api/brand`, chosen by the server from the host name): its name, logo,
 * colours, start-page texts and the details of the imprint and the privacy policy.
 *
 * Everything goes in as text or through the CSSOM (the CSP forbids inline style); colours were
 * checked as `#rrggbb` by the server and are checked here again. Without a brand (`{}`) the
 * page keeps Klingel's own look, and the legal pages mark what the town has to fill in.
 */

/** @typedef {import("./i18n.js").I18n} I18n */

/**
 * @typedef {{town?: string, heading?: string, text?: string, logo?: string | null,
 *   colours?: {accent: string, accentStrong: string, accentSoft: string | null} | null,
 *   imprint?: Record<string, string>}} BrandInfo
 */

const COLOUR = /^#[0-9a-f]{6}$/i;
/** CSS custom properties of `klingel.css` a brand may set. */
const COLOUR_PROPERTIES = /** @type {const} */ ([
  ["accent", "--accent"],
  ["accentStrong", "--accent-strong"],
  ["accentSoft", "--accent-soft"],
]);

/** @returns {Promise<BrandInfo>} */
export async function fetchBrand() {
  try {
    const answer = await fetch("/api/brand", { headers: { accept: "application/json" } });
    if (!answer.ok) return {};
    const brand = await answer.json();
    return brand && typeof brand === "object" ? brand : {};
  } catch {
    return {}; // the page works without its town's look
  }
}

/**
 * The value of one `data-brand` field: the town's name, or one of its imprint details.
 * @param {BrandInfo} brand
 * @param {string} field
 */
export function brandField(brand, field) {
  const value = field === "town" ? brand.town : brand.imprint?.[field];
  return typeof value === "string" ? value.trim() : "";
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function setText(element, text) {
  delete element.dataset.i18n;
  element.textContent = text;
}

/**
 * Shows the brand on this page; fields the town left empty say so, in the page's language.
 * @param {BrandInfo} brand
 * @param {I18n} i18n
 */
export function applyBrand(brand, i18n) {
  const root = document.documentElement;
  for (const [key, property] of COLOUR_PROPERTIES) {
    const value = brand.colours?.[key];
    if (typeof value === "string" && COLOUR.test(value)) root.style.setProperty(property, value);
  }
  if (brand.town) {
    root.dataset.branded = "true";
    for (const element of document.querySelectorAll("[data-brand-name]")) {
      setText(/** @type {HTMLElement} */ (element), brand.town);
    }
  }
  const logo = brand.logo;
  if (typeof logo === "string" && logo.startsWith("/brand/")) {
    for (const element of document.querySelectorAll("img.brand-logo")) {
      const image = /** @type {HTMLImageElement} */ (element);
      image.src = logo;
      image.alt = brand.town ?? "";
      image.hidden = false;
    }
    document.body.classList.add("has-brand-logo");
  }
  if (brand.heading) {
    for (const element of document.querySelectorAll("[data-brand-heading]")) {
      setText(/** @type {HTMLElement} */ (element), brand.heading);
    }
  }
  if (brand.text) {
    for (const element of document.querySelectorAll("[data-brand-text]")) {
      setText(/** @type {HTMLElement} */ (element), brand.text);
    }
  }
  for (const element of document.querySelectorAll("[data-brand]")) {
    const field = /** @type {HTMLElement} */ (element);
    const value = brandField(brand, field.dataset.brand ?? "");
    field.classList.toggle("fill-in", !value);
    if (value) setText(field, value);
    else i18n.bind(field, "legal.fill");
  }
}
