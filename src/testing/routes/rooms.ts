import Router, { type RouterContext } from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { forbidden, MatrixError } from '../errors.js';
import { readerOf, toSynapseEvent } from '../event-format.js';
import { changeMembership, resolveRoom, userExistsOrAskAppservice } from '../membership.js';
import { authenticate } from '../requester.js';
import { readJson } from '../request-body.js';
import type { Membership } from '../room.js';
import { createRoom, createRoomBody } from '../room-creation.js';
import { upgradeBody, upgradeRoom } from '../room-upgrade.js';
import { CLIENT_V3, param, requireJoined } from './common.js';

const reasonBody = z.object({ reason: z.string().optional() });
const targetBody = z.object({ user_id: z.string(), reason: z.string().optional() });

/** Room creation, joining, membership changes and member lists. */
export function roomRoutes(core: HomeserverCore): Router {
  const router = new Router({ prefix: CLIENT_V3 });

  router.post('/createRoom', async (ctx) => {
    const requester = authenticate(core, ctx);
    const { room } = await createRoom(core, requester, await readJson(ctx, createRoomBody));
    ctx.body = { room_id: room.roomId };
  });

  router.post('/rooms/:roomId/upgrade', async (ctx) => {
    const requester = authenticate(core, ctx);
    ctx.body = { replacement_room: upgradeRoom(core, requester, param(ctx, 'roomId'), await readJson(ctx, upgradeBody)) };
  });

  const join = async (ctx: RouterContext, roomIdOrAlias: string) => {
    const requester = authenticate(core, ctx);
    const { reason } = await readJson(ctx, reasonBody);
    const room = await resolveRoom(core, roomIdOrAlias);
    changeMembership(core, room, requester.userId, requester.userId, 'join', { reason, ts: requester.ts });
    ctx.body = { room_id: room.roomId };
  };
  router.post('/join/:roomIdOrAlias', (ctx) => join(ctx, param(ctx, 'roomIdOrAlias')));
  router.post('/rooms/:roomId/join', (ctx) => join(ctx, param(ctx, 'roomId')));

  router.post('/rooms/:roomId/leave', async (ctx) => {
    const requester = authenticate(core, ctx);
    const { reason } = await readJson(ctx, reasonBody);
    const room = core.rooms.require(param(ctx, 'roomId'));
    changeMembership(core, room, requester.userId, requester.userId, 'leave', { reason, ts: requester.ts });
    ctx.body = {};
  });

  const targeted: Array<[string, Membership]> = [['invite', 'invite'], ['kick', 'leave'], ['ban', 'ban'], ['unban', 'leave']];
  for (const [action, membership] of targeted) {
    router.post(`/rooms/:roomId/${action}`, async (ctx) => {
      const requester = authenticate(core, ctx);
      const { user_id: target, reason } = await readJson(ctx, targetBody);
      const room = core.rooms.require(param(ctx, 'roomId'));
      if (action === 'invite') await userExistsOrAskAppservice(core, target);
      // Synapse checks a ban before the auth rules, with its own errcode.
      if (action === 'invite' && room.membership(target) === 'ban') throw new MatrixError(403, 'M_BAD_STATE', `${target} is banned from the room`);
      // kick and unban are both "leave"; the auth engine needs them told apart from a self-leave.
      if (action === 'kick' && room.membership(target) !== 'join' && room.membership(target) !== 'invite') {
        throw forbidden(`${target} is not in the room`);
      }
      if (action === 'unban' && room.membership(target) !== 'ban') throw forbidden(`${target} is not banned`);
      changeMembership(core, room, requester.userId, target, membership, { reason, ts: requester.ts });
      ctx.body = {};
    });
  }

  router.get('/rooms/:roomId/joined_members', (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    // Synapse lets the appservice (its token, whoever it acts as) read the members of a room
    // it is interested in, joined or not.
    const appserviceMayRead = requester.viaAppservice && core.appservice?.interest.inRoom(room) === true;
    if (!appserviceMayRead) requireJoined(room, requester);
    const joined: Record<string, { display_name: unknown; avatar_url: unknown }> = {};
    for (const userId of room.joinedMembers()) {
      const content = room.stateEvent('m.room.member', userId)?.content ?? {};
      joined[userId] = { display_name: content['displayname'] ?? null, avatar_url: content['avatar_url'] ?? null };
    }
    ctx.body = { joined };
  });

  router.get('/rooms/:roomId/members', (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    requireJoined(room, requester);
    const now = Date.now();
    const reader = readerOf(room, requester);
    const only = ctx.query['membership'];
    const not = ctx.query['not_membership'];
    const chunk = room.stateEvents()
      .filter((event) => event.type === 'm.room.member')
      .filter((event) => only === undefined || event.content['membership'] === only)
      .filter((event) => not === undefined || event.content['membership'] !== not)
      .map((event) => {
        const stored = room.stored(event.event_id);
        return stored ? toSynapseEvent(stored, now, reader) : event;
      });
    ctx.body = { chunk };
  });

  router.get('/joined_rooms', (ctx) => {
    const requester = authenticate(core, ctx);
    ctx.body = { joined_rooms: core.rooms.all().filter((room) => room.membership(requester.userId) === 'join').map((room) => room.roomId) };
  });

  return router;
}
