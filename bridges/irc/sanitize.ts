/**
 * What Matrix users write, made safe to put on an IRC line. IRC gives meaning to control
 * characters: CR, LF and NUL end or break a line, `\x01` opens and closes a CTCP request
 * (DCC, PING, VERSION, or breaking out of an ACTION), and `\x02 \x03 \x04 \x0f \x11 \x16
 * \x1d \x1e \x1f` are formatting. None of them can be typed in a Matrix client, so in what a
 * Matrix user sent they are removed: formatting on IRC is only what the bridge writes from
 * Matrix HTML. The bridge adds its own codes (and the `\x01ACTION` of an emote) after this.
 */

/** C0 controls and DEL, except tab and line feed. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
/** Line breaks and tabs, read as spaces where a value must be one line. */
const BREAKS = /[\r\n\t\u2028\u2029]+/g;
/** Bidirectional overrides and isolates: a name or topic could display reversed. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** Text of a message: line breaks kept (`\r\n` and `\r` as `\n`), every other control character removed. */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROLS, '');
}

/**
 * A value that must be one line of plain text: a name, topic, reason, away message, link.
 * Line breaks become spaces; control characters and bidirectional overrides are removed.
 */
export function cleanLine(text: string): string {
  return text.replace(BREAKS, ' ').replace(CONTROLS, '').replace(BIDI, '').replace(/ {2,}/g, ' ').trim();
}
