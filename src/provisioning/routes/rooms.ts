import { z } from 'zod';
import { MatrixError } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import type { Mirror, RoomView } from '../../mirror/index.js';
import type { PluginProvisioning, ProvisioningCaller } from '../../plugin/provisioning.js';
import { PermissionDenied, type Puppet } from '../../puppets/index.js';
import { forbidden, invalidParam, notFound, notSupported } from '../errors.js';
import { route, type ProvisionRoute } from '../route-table.js';

export interface RoomRouteDeps {
  readonly hooks: PluginProvisioning | undefined;
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room' | 'resync'>;
  readonly logger: Logger;
}

const bridgeBody = z.strictObject({
  channel: z.string({ error: 'must be a string: the remote channel to bridge to' }).min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
});
const ROOM_ID = /^![^\s]+$/;

/**
 * `POST /rooms/{roomId}/bridge` and `DELETE /rooms/{roomId}/bridge`: an existing Matrix room
 * to a remote channel and back. The caller must be allowed (by the mirror's prediction of
 * the room's power levels) to set the room's `m.bridge` state, which is what bridging
 * changes; bridge administrators pass regardless.
 */
export function roomRoutes(deps: RoomRouteDeps): ProvisionRoute[] {
  return [
    route({
      method: 'POST', path: '/rooms/:roomId/bridge', body: bridgeBody,
      handle: async ({ caller, params, body }) => {
        const bridgeRoom = deps.hooks?.bridgeRoom;
        if (!bridgeRoom) throw notSupported('bridging existing rooms');
        const roomId = roomIdOf(params['roomId']!);
        // Judged before the bot joins when the mirror can; else after, and the bot leaves
        // again: nobody without the power makes the bot join a room.
        const known = await deps.mirror.room(roomId);
        if (known?.hydrated) await requirePower(deps, known, caller, body.channel);
        const wasJoined = await deps.bot.isJoined(roomId);
        const room = await joinBot(deps, roomId);
        try {
          await requirePower(deps, room, caller, body.channel);
        } catch (err) {
          if (!wasJoined) await deps.bot.leave(roomId).catch((e: unknown) => deps.logger.warn({ err: e, roomId }, 'provisioning: the bot could not leave a room it joined for a refused bridge'));
          throw err;
        }
        const result = await bridgeRoom.call(deps.hooks, { roomId, channel: body.channel, caller });
        deps.logger.info({ roomId, channelId: result.channelId, by: caller.userId }, 'provisioning: room bridged');
        return { body: { ...result.details, room_id: roomId, channel_id: result.channelId } };
      },
    }),
    route({
      method: 'DELETE', path: '/rooms/:roomId/bridge',
      handle: async ({ caller, params, query }) => {
        const unbridgeRoom = deps.hooks?.unbridgeRoom;
        if (!unbridgeRoom) throw notSupported('unbridging rooms');
        const roomId = roomIdOf(params['roomId']!);
        const channel = query['channel'] !== undefined && query['channel'] !== '' ? query['channel'] : undefined;
        await requirePower(deps, await knownRoom(deps, roomId), caller, channel ?? '');
        const done = await unbridgeRoom.call(deps.hooks, { roomId, ...(channel !== undefined ? { channel } : {}), caller });
        if (!done) throw notFound(channel === undefined ? `${roomId} is not bridged` : `${roomId} is not bridged to ${channel}`);
        deps.logger.info({ roomId, by: caller.userId }, 'provisioning: room unbridged');
        return { body: {} };
      },
    }),
  ];
}

function roomIdOf(raw: string): string {
  if (!ROOM_ID.test(raw)) throw invalidParam(`${raw} is not a room id (!…)`);
  return raw;
}

/** The bot joins where it may (it was invited, or the room is public); then the mirror holds the room's full state. */
async function joinBot(deps: RoomRouteDeps, roomId: string): Promise<RoomView> {
  try {
    await deps.bot.ensureJoined(roomId);
  } catch (err) {
    if (err instanceof PermissionDenied || err instanceof MatrixError && (err.isForbidden || err.errcode === 'M_NOT_FOUND')) {
      throw forbidden(`The bridge bot (${deps.bot.userId}) cannot join ${roomId}: invite it first`);
    }
    throw err;
  }
  // Just joined (here, or by the bot's own invite handling a moment ago): the mirror may
  // still be filling in the room's state, and a power judgement needs all of it.
  // (The bot's own membership there may read as the invite for a moment: its join's event
  // can arrive after the snapshot; the join itself succeeded.)
  const room = await deps.mirror.room(roomId);
  if (room?.hydrated) return room;
  await deps.mirror.resync(roomId);
  const filled = await deps.mirror.room(roomId);
  if (!filled) throw new Error(`the mirror has no state of ${roomId} after the bot joined it`);
  return filled;
}

async function knownRoom(deps: RoomRouteDeps, roomId: string): Promise<RoomView> {
  let room = await deps.mirror.room(roomId);
  if (!room) {
    // A room being fetched again (after the bot's join) reads as unknown for a moment: a
    // resync waits behind that fetch; in a room the bot is not in, it fails.
    room = await deps.mirror.resync(roomId).then(() => deps.mirror.room(roomId), () => undefined);
  }
  if (!room) throw notFound(`The bridge is not in ${roomId}`);
  return room;
}

async function requirePower(deps: RoomRouteDeps, room: RoomView, caller: ProvisioningCaller, stateKey: string): Promise<void> {
  if (caller.admin) return;
  let verdict = await room.canSendState(caller.userId, 'm.bridge', stateKey);
  if (!verdict.allowed) {
    // The mirror may be behind the homeserver (a room the bot has just joined, whose events
    // are still being applied): a refusal is judged once more on the room's state fetched now.
    await deps.mirror.resync(room.roomId).catch(() => undefined);
    const fresh = await deps.mirror.room(room.roomId);
    if (fresh) verdict = await fresh.canSendState(caller.userId, 'm.bridge', stateKey);
  }
  if (!verdict.allowed) throw forbidden(`Not enough power in ${room.roomId} to change its bridges: ${verdict.reason}`);
}
