import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { exclusive, forbidden, invalidParam, MatrixError, notFound } from '../errors.js';
import { isRoomAlias, splitId } from '../ids.js';
import { resolveAlias } from '../membership.js';
import { authenticate } from '../requester.js';
import { readJson } from '../request-body.js';
import { checkAliasAvailable } from '../room-creation.js';
import { CLIENT_V3, param } from './common.js';

const aliasBody = z.object({ room_id: z.string() });
const visibilityBody = z.object({ visibility: z.enum(['public', 'private']) });

/** Room aliases and the room directory (including the appservice's per-network lists). */
export function directoryRoutes(core: HomeserverCore): Router {
  const router = new Router({ prefix: CLIENT_V3 });

  const localAlias = (alias: string) => {
    if (!isRoomAlias(alias)) throw invalidParam(`${alias} is not a room alias`);
    if (splitId(alias)?.server !== core.serverName) throw invalidParam('Room alias must be local');
    return alias;
  };

  router.put('/directory/room/:alias', async (ctx) => {
    const requester = authenticate(core, ctx);
    const alias = localAlias(param(ctx, 'alias'));
    const { room_id: roomId } = await readJson(ctx, aliasBody);
    if (!core.rooms.get(roomId)) throw new MatrixError(400, 'M_UNKNOWN', 'Room does not exist');
    if (core.directory.resolve(alias) !== undefined) throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${alias} already exists`);
    checkAliasAvailable(core, requester, alias);
    core.directory.add(alias, roomId, requester.userId);
    ctx.body = {};
  });

  router.get('/directory/room/:alias', async (ctx) => {
    const alias = param(ctx, 'alias');
    if (!isRoomAlias(alias)) throw invalidParam(`${alias} is not a room alias`);
    const roomId = await resolveAlias(core, alias);
    if (!roomId) throw notFound(`Room alias ${alias} not found`);
    ctx.body = { room_id: roomId, servers: [core.serverName] };
  });

  router.delete('/directory/room/:alias', (ctx) => {
    const requester = authenticate(core, ctx);
    const alias = localAlias(param(ctx, 'alias'));
    // Synapse 1.94: the appservice deletes any alias of its namespace (an unknown one too, 200)
    // and nothing outside it (400 M_EXCLUSIVE), whoever created it.
    if (requester.viaAppservice) {
      if (core.appservice?.scope.inAliasNamespace(alias) !== true) throw exclusive('This application service has not reserved this kind of alias.');
      core.directory.remove(alias);
      ctx.body = {};
      return;
    }
    const creator = core.directory.creatorOf(alias);
    if (creator === undefined) throw notFound(`Room alias ${alias} not found`);
    if (creator !== requester.userId) throw forbidden('You don\'t have permission to delete the alias.');
    core.directory.remove(alias);
    ctx.body = {};
  });

  router.get('/directory/list/room/:roomId', (ctx) => {
    const room = core.rooms.require(param(ctx, 'roomId'));
    ctx.body = { visibility: core.directory.published.has(room.roomId) ? 'public' : 'private' };
  });

  router.put('/directory/list/room/:roomId', async (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    const { visibility } = await readJson(ctx, visibilityBody);
    if (room.membership(requester.userId) !== 'join') throw forbidden('Not in the room');
    if (visibility === 'public') core.directory.published.set(room.roomId, '');
    else core.directory.published.delete(room.roomId);
    ctx.body = {};
  });

  router.put('/directory/list/appservice/:networkId/:roomId', async (ctx) => {
    const requester = authenticate(core, ctx);
    if (!requester.viaAppservice) throw forbidden('Only application services can use this endpoint');
    const room = core.rooms.require(param(ctx, 'roomId'));
    const { visibility } = await readJson(ctx, visibilityBody);
    if (visibility === 'public') core.directory.published.set(room.roomId, param(ctx, 'networkId'));
    else core.directory.published.delete(room.roomId);
    ctx.body = {};
  });

  return router;
}
