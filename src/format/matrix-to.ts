/**
 * Pills: `https://matrix.to/#/<id>` links, which clients show as a user's or a room's
 * name, and `m.mentions` built from the user pills of a message.
 */
import { escapeHtml, isElement, parseHtml, type ChildNode } from './html-parse.js';

/** What a matrix.to link points at. */
export type MatrixToTarget =
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'room'; readonly id: string }
  | { readonly kind: 'event'; readonly roomId: string; readonly eventId: string };

const PREFIX = 'https://matrix.to/#/';
/** As deep as the sanitiser lets tags nest. */
const MAX_DEPTH = 100;

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The user, room or event a matrix.to link names (ids may be percent-encoded); undefined for any other link. */
export function parseMatrixTo(href: string): MatrixToTarget | undefined {
  if (!href.startsWith(PREFIX)) return undefined;
  const [first, second] = href.slice(PREFIX.length).split('?')[0]!.split('/');
  const id = decode(first ?? '');
  if (id === undefined || id.length < 3 || !id.includes(':')) return undefined;
  if (id.startsWith('@')) return { kind: 'user', id };
  if (!id.startsWith('#') && !id.startsWith('!')) return undefined;
  const eventId = second !== undefined ? decode(second) : undefined;
  if (eventId !== undefined && eventId.startsWith('$')) return { kind: 'event', roomId: id, eventId };
  return { kind: 'room', id };
}

/** The matrix.to link of a user, room alias or room id. */
export function matrixToLink(id: string): string {
  return `${PREFIX}${encodeURIComponent(id).replace(/%40/g, '@').replace(/%3A/g, ':').replace(/%23/g, '#').replace(/%21/g, '!')}`;
}

/** A user pill: `<a href="https://matrix.to/#/@user:server">name</a>` (the name escaped). */
export function userPill(userId: string, name: string = userId): string {
  return `<a href="${escapeHtml(matrixToLink(userId))}">${escapeHtml(name)}</a>`;
}

/** A room pill, by alias (preferred by clients) or room id. */
export function roomPill(aliasOrId: string, text: string = aliasOrId): string {
  return `<a href="${escapeHtml(matrixToLink(aliasOrId))}">${escapeHtml(text)}</a>`;
}

/** The users `html` mentions with pills, in order, each once. */
export function mentionedUsers(html: string): string[] {
  const found = new Set<string>();
  const visit = (nodes: readonly ChildNode[], depth: number) => {
    if (depth > MAX_DEPTH) return;
    for (const node of nodes) {
      if (!isElement(node)) continue;
      const href = node.name === 'a' ? node.attribs['href'] : undefined;
      const target = href !== undefined ? parseMatrixTo(href) : undefined;
      if (target?.kind === 'user') found.add(target.id);
      visit(node.children, depth + 1);
    }
  };
  visit(parseHtml(html).children, 0);
  return [...found];
}
