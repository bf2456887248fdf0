import type { Logger } from '../../log/logger.js';
import type { Mirror } from '../../mirror/index.js';
import type { GhostIds } from '../../plugin/ghost-ids.js';
import type { Mappings } from '../../plugin/mappings.js';
import type { PluginProvisioning, ProvisioningCaller, ResolvedIdentifier } from '../../plugin/provisioning.js';
import type { RemoteUser } from '../../plugin/remote-events.js';
import type { RemotePipeline } from '../../plugin/remote/pipeline.js';
import type { Puppet } from '../../puppets/index.js';
import { invalidParam, notFound, notSupported } from '../errors.js';
import { route, type ProvisionRoute } from '../route-table.js';

export interface RemoteRouteDeps {
  readonly hooks: PluginProvisioning | undefined;
  readonly remote: Pick<RemotePipeline, 'ensureGhost' | 'push'>;
  readonly mappings: Mappings;
  readonly ghosts: GhostIds;
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room'>;
  readonly logger: Logger;
}

/** `GET /resolve/{identifier}` and `POST /dm/{identifier}`: remote users by what people type. */
export function remoteRoutes(deps: RemoteRouteDeps): ProvisionRoute[] {
  return [
    route({
      method: 'GET', path: '/resolve/:identifier',
      handle: async ({ caller, params }) => {
        const found = await resolve(deps, params['identifier']!, caller);
        const ghost = await deps.remote.ensureGhost(found.user);
        const dmRoom = found.dmChannelId === undefined ? undefined : await deps.mappings.roomForChannel(found.dmChannelId);
        return { body: { ...userJson(found.user, ghost), ...(dmRoom !== undefined ? { dm_room_id: dmRoom } : {}) } };
      },
    }),
    route({
      method: 'POST', path: '/dm/:identifier',
      handle: async ({ caller, params }) => {
        const startDirectChat = deps.hooks?.startDirectChat;
        if (!startDirectChat) throw notSupported('starting direct chats');
        const { user } = await resolve(deps, params['identifier']!, caller);
        const channel = await startDirectChat.call(deps.hooks, user, caller);
        const existing = await deps.mappings.roomForChannel(channel.id);
        const invite = [...new Set([...(channel.invite ?? []), caller.userId])];
        // The ghost's join creates the portal (a DM, inviting the caller) on first use, and is
        // a no-op for a ghost already there: one path for new and existing chats.
        const pushed = await deps.remote.push({ kind: 'membership', membership: 'join', channel: { ...channel, isDirect: true, invite }, sender: user });
        const roomId = pushed.roomId ?? existing;
        if (roomId === undefined) throw new Error('the direct chat\'s portal was not created');
        // An existing portal the caller left: invite them again.
        if (existing !== undefined) await inviteIfAbsent(deps, roomId, caller.userId);
        deps.logger.info({ roomId, channelId: channel.id, by: caller.userId, created: existing === undefined }, 'provisioning: direct chat');
        return { body: { room_id: roomId, just_created: existing === undefined, ...userJson(user, deps.ghosts.userId(user.id)) } };
      },
    }),
  ];
}

async function resolve(deps: RemoteRouteDeps, identifier: string, caller: ProvisioningCaller): Promise<ResolvedIdentifier> {
  const resolveIdentifier = deps.hooks?.resolveIdentifier;
  if (!resolveIdentifier) throw notSupported('resolving identifiers');
  if (identifier.trim() === '' || identifier.length > 255) throw invalidParam('The identifier must be 1 to 255 characters');
  const found = await resolveIdentifier.call(deps.hooks, identifier, caller);
  if (!found) throw notFound(`Nobody is known as ${identifier} on the remote network`);
  return found;
}

async function inviteIfAbsent(deps: RemoteRouteDeps, roomId: string, userId: string): Promise<void> {
  const membership = await (await deps.mirror.room(roomId))?.membership(userId);
  if (membership === 'join' || membership === 'invite') return;
  await deps.bot.invite(roomId, userId);
}

function userJson(user: RemoteUser, ghostUserId: string): object {
  return {
    id: user.id, mxid: ghostUserId,
    ...(user.displayName !== undefined ? { displayname: user.displayName } : {}),
    ...(user.avatarUrl !== undefined ? { avatar_url: user.avatarUrl } : {}),
  };
}
