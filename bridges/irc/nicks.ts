/**
 * IRC nicks: identity (case folding), validity, and nicks made from Matrix names.
 *
 * Identity uses RFC 1459 case mapping (`[]\~` are the upper case of `{}|^`), the default of
 * most servers; a server announcing `ascii` only differs in those four characters, which
 * at worst makes two such nicks share a ghost.
 */

/** Case-folds a nick or channel name for comparison and as a ghost's remote id. */
export function ircLower(name: string): string {
  let out = '';
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (code >= 0x41 && code <= 0x5d) out += String.fromCharCode(code + 0x20); // A-Z [\] → a-z {|}
    else if (code === 0x7e) out += '^'; // ~ is the upper case of ^
    else out += ch;
  }
  return out;
}

export function sameNick(a: string, b: string): boolean {
  return ircLower(a) === ircLower(b);
}

const FIRST = /^[A-Za-z[\]\\`_^{|}]$/;
const REST = /^[A-Za-z0-9[\]\\`_^{|}-]$/;

/** A nick as RFC 2812 allows it (letters, digits, `[]\`_^{|}-`, not starting with a digit or `-`). */
export function isValidNick(nick: string, maxLength = 30): boolean {
  if (nick.length === 0 || nick.length > maxLength) return false;
  const chars = [...nick];
  return FIRST.test(chars[0]!) && chars.slice(1).every((c) => REST.test(c));
}

/**
 * A valid nick from any name: accents dropped, spaces and other characters left out,
 * a leading digit or `-` prefixed with `_`, cut to `maxLength`. Never empty.
 */
export function sanitizeNick(name: string, maxLength: number): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let out = '';
  for (const ch of ascii) if (REST.test(ch)) out += ch;
  if (out === '' || !FIRST.test(out[0]!)) out = `_${out}`;
  if (out === '_') out = 'matrix';
  return out.slice(0, maxLength);
}

/**
 * The nick for a Matrix user: `template` with `{name}` replaced by the sanitized name,
 * the name part shortened so the whole fits `maxLength`.
 */
export function nickFromTemplate(template: string, name: string, maxLength: number): string {
  const fixed = template.replace('{name}', '');
  const room = Math.max(1, maxLength - fixed.length);
  const nick = template.replace('{name}', sanitizeNick(name, room));
  return isValidNick(nick, maxLength) ? nick : sanitizeNick(nick, maxLength);
}

/** Candidates after a collision: `base`, `base_`, `base2`, `base3` … each within `maxLength`. */
export function nickCandidate(base: string, attempt: number, maxLength: number): string {
  if (attempt === 0) return base.slice(0, maxLength);
  const suffix = attempt === 1 ? '_' : String(attempt);
  return `${base.slice(0, Math.max(1, maxLength - suffix.length))}${suffix}`;
}

/** Channel names: a type prefix (`#&+!`), then no space, comma, colon or control character (BEL, NUL, CTCP's \x01 …). */
export function isValidChannel(name: string, maxLength = 50): boolean {
  return name.length >= 2 && name.length <= maxLength && /^[#&+!][^\s,:\x00-\x1f\x7f]+$/.test(name);
}
