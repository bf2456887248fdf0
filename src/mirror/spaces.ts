import type { JsonObject } from '../events/types.js';
import { canSendState } from './auth/can.js';
import type { AuthState } from './auth/types.js';

/** A link between a space and a room, from an m.space.child or m.space.parent state event. */
export interface SpaceLink {
  /** The room on the other end (the state key). */
  readonly roomId: string;
  readonly via: readonly string[];
  readonly sender: string;
  /** m.space.child only: ordering hint (printable ASCII, at most 50 characters). */
  readonly order?: string;
  readonly suggested?: boolean;
  /** m.space.parent only: whether this is the room's main parent. */
  readonly canonical?: boolean;
}

/**
 * A child or parent link, or undefined when the spec says to ignore it: `via` must be a
 * non-empty array of server names ("Spaces": a missing or invalid via means no link —
 * that is also how a link is removed).
 */
export function spaceLink(stateKey: string, sender: string, content: JsonObject, kind: 'child' | 'parent'): SpaceLink | undefined {
  const via = content['via'];
  if (!Array.isArray(via) || via.length === 0 || !via.every((v) => typeof v === 'string' && v.length > 0)) return undefined;
  const link: { -readonly [K in keyof SpaceLink]: SpaceLink[K] } = { roomId: stateKey, via: via as string[], sender };
  if (kind === 'child') {
    const order = content['order'];
    if (typeof order === 'string' && order.length <= 50 && /^[\x20-\x7E]*$/.test(order)) link.order = order;
    if (content['suggested'] === true) link.suggested = true;
  } else if (content['canonical'] === true) {
    link.canonical = true;
  }
  return link;
}

/** Children ordered as the spec says: by `order` (links without one last), then by room ID. */
export function sortChildren(children: SpaceLink[]): SpaceLink[] {
  return children.sort((a, b) => {
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return a.order < b.order ? -1 : 1;
    if (a.order !== undefined && b.order === undefined) return -1;
    if (a.order === undefined && b.order !== undefined) return 1;
    return a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0;
  });
}

/**
 * Whether a room's m.space.parent link counts: the parent space lists the room as a
 * child, or the link's sender could list it there (joined, with the level for
 * m.space.child). Without the parent's state, only a listed child counts.
 */
export function parentLinkCounts(link: SpaceLink, childRoomId: string, parent: AuthState | undefined, parentListsChild: boolean): boolean {
  if (parentListsChild) return true;
  if (!parent) return false;
  return canSendState(parent, link.sender, 'm.space.child', childRoomId).allowed;
}
