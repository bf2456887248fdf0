import type { QueryHandlers } from '../appservice/handlers.js';
import type { Logger } from '../log/logger.js';
import type { BridgePlugin } from './contract.js';
import type { GhostIds } from './ghost-ids.js';
import type { RemotePipeline } from './remote/pipeline.js';

export interface QueryHandlersDeps {
  readonly plugin: BridgePlugin<unknown>;
  readonly ghosts: GhostIds;
  readonly remote: Pick<RemotePipeline, 'ensureGhost' | 'ensurePortal'>;
  readonly logger: Logger;
}

/**
 * The homeserver asks whether a ghost or portal alias exists. The plugin decides
 * (`lookupUser` / `lookupChannel`); bridgekit answers true only after the ghost is
 * registered with its profile, or the portal exists with that alias, because the
 * homeserver uses it the moment we answer 200. A decline, an id that does not decode,
 * or a failure answers false (404): the homeserver then treats the id as unknown.
 */
export function queryHandlersFor(deps: QueryHandlersDeps): QueryHandlers {
  const { plugin, ghosts, remote, logger } = deps;
  return {
    async queryUser(userId: string): Promise<boolean> {
      const remoteId = ghosts.remoteUserId(userId);
      if (remoteId === undefined || !plugin.lookupUser) return false;
      try {
        const user = await plugin.lookupUser(remoteId);
        if (!user) return false;
        // The ghost's id comes from the asked id, whatever id the plugin's answer carries.
        await remote.ensureGhost({ ...user, id: remoteId });
        return true;
      } catch (err) {
        logger.warn({ err, userId, remoteUserId: remoteId }, 'user query failed; answering that the user does not exist');
        return false;
      }
    },

    async queryAlias(alias: string): Promise<boolean> {
      const channelId = ghosts.remoteChannelId(alias);
      if (channelId === undefined || !plugin.lookupChannel) return false;
      try {
        const channel = await plugin.lookupChannel(channelId);
        if (!channel) return false;
        // Someone asked for the room by alias to join it: it must be joinable without an invite.
        const roomId = await remote.ensurePortal({ ...channel, id: channelId }, { preset: 'public_chat' });
        logger.info({ alias, roomId, channelId }, 'portal ready for an alias query');
        return true;
      } catch (err) {
        logger.warn({ err, alias, channelId }, 'alias query failed; answering that the room does not exist');
        return false;
      }
    },
  };
}
