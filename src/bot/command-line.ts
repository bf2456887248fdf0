import { escapeHtml } from '../format/html-parse.js';

/** A message read as a command. */
export interface CommandLine {
  /** Lowercased. */
  readonly name: string;
  readonly args: string[];
  /** Everything after the name and the whitespace that follows it, as typed. */
  readonly rest: string;
  /** `rest` as HTML, when the message had a `formatted_body`. */
  readonly restHtml?: string;
}

/** How commands are written where the message was sent. */
export interface CommandSyntax {
  readonly prefix: string;
  /** In management rooms every message is a command, with or without the prefix. */
  readonly prefixOptional: boolean;
}

/** What of a message a command is read from. */
export interface CommandText {
  readonly body: string;
  readonly html?: string;
  /** The message is a reply: its (pre-v1.13) quoted fallback is skipped. */
  readonly isReply?: boolean;
}

/** The command in a message, or undefined when the message is not one. */
export function parseCommandLine(text: CommandText, syntax: CommandSyntax): CommandLine | undefined {
  const body = (text.isReply ? stripReplyFallback(text.body) : text.body).trimStart();
  let afterPrefix: string;
  if (body.startsWith(syntax.prefix)) afterPrefix = body.slice(syntax.prefix.length);
  else if (syntax.prefixOptional) afterPrefix = body;
  else return undefined;
  // The name follows the prefix directly: "! hi" or a lone "!" is no command.
  const match = /^(\S+)(\s+|$)/.exec(afterPrefix);
  if (!match?.[1]) return undefined;
  const typedName = match[1];
  const rest = afterPrefix.slice(match[0].length);
  const restHtml = text.html === undefined ? undefined : htmlAfterCommand(text.html, syntax, typedName) ?? escapeHtml(rest);
  return { name: typedName.toLowerCase(), args: splitArgs(rest), rest, ...(restHtml !== undefined ? { restHtml } : {}) };
}

const QUOTE_PAIRS: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };

/**
 * Splits arguments like a shell: whitespace separates, quotes group ("two words",
 * 'two words', and the curly quotes phones type), a backslash escapes the next character.
 * A quote opens only at the start of an argument, so "don't" stays one word; an unclosed
 * quote runs to the end.
 */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let closing: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (closing !== undefined) {
      if (c === closing) closing = undefined;
      else if (c === '\\' && closing === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) current += text[++i];
      else current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
      continue;
    }
    const pair = QUOTE_PAIRS[c];
    if (!inArg && pair !== undefined) {
      closing = pair;
      inArg = true;
      continue;
    }
    inArg = true;
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else current += c;
  }
  if (inArg) args.push(current);
  return args;
}

/** The body without a reply's quoted fallback ("> <@user> quoted" lines and the blank line after). */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith('>')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i] as string).startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

/**
 * The HTML with the command (prefix and name) taken out and the tags around it kept:
 * `<p>!echo <b>hi</b></p>` → `<p><b>hi</b></p>`. Undefined when the HTML does not start
 * with the command the body had (the caller falls back to the escaped plain text).
 */
export function htmlAfterCommand(html: string, syntax: CommandSyntax, typedName: string): string | undefined {
  const withoutReply = html.replace(/^\s*<mx-reply>[\s\S]*?<\/mx-reply>/i, '');
  const leading = /^(?:\s|<[^>]*>)*/.exec(withoutReply)?.[0] ?? '';
  const after = withoutReply.slice(leading.length);
  const prefixes = [...new Set([syntax.prefix, escapeHtml(syntax.prefix)])].map(escapeRegex).join('|');
  const name = [...new Set([typedName, escapeHtml(typedName)])].map(escapeRegex).join('|');
  const command = new RegExp(`^(?:${prefixes})${syntax.prefixOptional ? '?' : ''}(?:${name})(?=\\s|<|$)(?:\\s|&nbsp;)*`, 'i');
  const found = command.exec(after);
  if (!found) return undefined;
  return leading.trimStart() + after.slice(found[0].length);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
