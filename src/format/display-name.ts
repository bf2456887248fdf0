/**
 * Names from a remote network, made fit to be a Matrix display name: one line, nothing
 * hidden, not longer than homeservers take.
 */

/**
 * Control characters (C0, DEL, C1), bidirectional overrides, embeddings and isolates, and
 * invisible characters (soft hyphen, zero-width space, word joiner …): they hide or reverse
 * what a name says. Zero-width (non-)joiners stay: emoji sequences and several scripts need them.
 */
const HIDDEN = /[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Synapse refuses a display name longer than this (`MAX_DISPLAYNAME_LEN`, code points). */
export const MAX_DISPLAY_NAME = 256;

/** `name` with hidden characters removed, whitespace collapsed, at most 256 code points. */
export function cleanDisplayName(name: string): string {
  // Line breaks and tabs are spaces first (the control characters among them would be removed).
  const clean = name.replace(/\s+/g, ' ').replace(HIDDEN, '').replace(/ {2,}/g, ' ').trim();
  const points = [...clean];
  return points.length <= MAX_DISPLAY_NAME ? clean : points.slice(0, MAX_DISPLAY_NAME).join('').trimEnd();
}

/**
 * What two names are compared as when asking whether one passes for the other: cleaned,
 * NFKC (full-width "Ａlice" is "Alice"), joiners removed, lower case.
 */
export function comparableName(name: string): string {
  return cleanDisplayName(name.normalize('NFKC')).replace(/[\u200c\u200d]/g, '').toLowerCase();
}
