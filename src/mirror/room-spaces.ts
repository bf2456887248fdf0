import type { RoomStateReader } from './borrowed-rooms.js';
import type { RoomView } from './room-view.js';
import { sortChildren, spaceLink, type SpaceLink } from './spaces.js';

/** Finds another room's view (the parent space), when the mirror has it. */
export type ParentLookup = (roomId: string) => Promise<RoomView | undefined>;

/** Space links of one room, read from its m.space.child / m.space.parent state. */
export function roomSpaces(ms: RoomStateReader, roomId: string, lookup: ParentLookup) {
  return {
    async children(): Promise<SpaceLink[]> {
      const links: SpaceLink[] = [];
      for await (const event of ms.iterateState(roomId, 'm.space.child')) {
        const link = event.state_key === undefined ? undefined : spaceLink(event.state_key, event.sender, event.content, 'child');
        if (link) links.push(link);
      }
      return sortChildren(links);
    },

    /**
     * Parent links that count: the parent lists this room as a child, or the link's
     * sender is joined to the parent with the level to send m.space.child there.
     * A parent the mirror does not know cannot be checked, so its link does not count.
     */
    async parents(): Promise<SpaceLink[]> {
      const out: SpaceLink[] = [];
      for await (const event of ms.iterateState(roomId, 'm.space.parent')) {
        const link = event.state_key === undefined ? undefined : spaceLink(event.state_key, event.sender, event.content, 'parent');
        if (!link) continue;
        const parent = await lookup(link.roomId);
        if (!parent) continue;
        const child = await parent.stateEvent('m.space.child', roomId);
        const listed = child !== undefined && spaceLink(roomId, child.sender, child.content, 'child') !== undefined;
        if (listed || (await parent.authRules.canSendState(link.sender, 'm.space.child', roomId)).allowed) out.push(link);
      }
      return out;
    },
  };
}
