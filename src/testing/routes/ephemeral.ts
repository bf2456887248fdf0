import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { MatrixError, notFound } from '../errors.js';
import { presenceEdu } from '../ephemeral.js';
import { authenticate } from '../requester.js';
import { readJson } from '../request-body.js';
import { CLIENT_V3, param, requireJoined, requireSelf } from './common.js';

const typingBody = z.object({ typing: z.boolean(), timeout: z.number().int().nonnegative().optional() });
const receiptBody = z.object({ thread_id: z.string().optional() });
const presenceBody = z.object({ presence: z.string(), status_msg: z.string().optional() });
const PRESENCE_STATES = ['online', 'offline', 'unavailable'] as const;
const RECEIPT_TYPES = ['m.read', 'm.read.private', 'm.fully_read'];
const readMarkersBody = z.object({ 'm.fully_read': z.string().optional(), 'm.read': z.string().optional(), 'm.read.private': z.string().optional() });

/** Typing notifications, read receipts and presence. */
export function ephemeralRoutes(core: HomeserverCore): Router {
  const router = new Router({ prefix: CLIENT_V3 });

  router.put('/rooms/:roomId/typing/:userId', async (ctx) => {
    const requester = authenticate(core, ctx);
    // Synapse 1.94: 400 (not 403) M_FORBIDDEN for someone else's typing.
    if (requester.userId !== param(ctx, 'userId')) throw new MatrixError(400, 'M_FORBIDDEN', 'Cannot set another user\'s typing state');
    const body = await readJson(ctx, typingBody);
    const room = core.rooms.require(param(ctx, 'roomId'));
    requireJoined(room, requester);
    core.ephemeral.setTyping(room, requester.userId, body.typing, body.timeout);
    ctx.body = {};
  });

  router.post('/rooms/:roomId/receipt/:receiptType/:eventId', async (ctx) => {
    const requester = authenticate(core, ctx);
    const body = await readJson(ctx, receiptBody);
    const receiptType = param(ctx, 'receiptType');
    if (!RECEIPT_TYPES.includes(receiptType)) throw new MatrixError(400, 'M_UNKNOWN', `Receipt type must be one of ${RECEIPT_TYPES.join(', ')}`);
    const room = core.rooms.require(param(ctx, 'roomId'));
    requireJoined(room, requester);
    const eventId = param(ctx, 'eventId');
    if (!room.event(eventId)) throw notFound('Event not found');
    // m.fully_read is room account data, never an EDU.
    if (receiptType !== 'm.fully_read') core.ephemeral.receipt(room, requester.userId, receiptType, eventId, body.thread_id);
    ctx.body = {};
  });

  // The fully-read marker is room account data (nothing to push); m.read / m.read.private are receipts.
  router.post('/rooms/:roomId/read_markers', async (ctx) => {
    const requester = authenticate(core, ctx);
    const body = await readJson(ctx, readMarkersBody);
    const room = core.rooms.require(param(ctx, 'roomId'));
    requireJoined(room, requester);
    for (const receiptType of ['m.fully_read', 'm.read', 'm.read.private'] as const) {
      const eventId = body[receiptType];
      if (eventId === undefined) continue;
      if (!room.event(eventId)) throw notFound('Event not found');
      if (receiptType !== 'm.fully_read') core.ephemeral.receipt(room, requester.userId, receiptType, eventId, undefined);
    }
    ctx.body = {};
  });

  router.put('/presence/:userId/status', async (ctx) => {
    const requester = authenticate(core, ctx);
    requireSelf(requester, param(ctx, 'userId'));
    const body = await readJson(ctx, presenceBody);
    const presence = PRESENCE_STATES.find((state) => state === body.presence);
    // Synapse 1.94: 400 M_UNKNOWN "Invalid presence state".
    if (presence === undefined) throw new MatrixError(400, 'M_UNKNOWN', 'Invalid presence state');
    core.ephemeral.setPresence(requester.userId, presence, body.status_msg);
    ctx.body = {};
  });

  router.get('/presence/:userId/status', (ctx) => {
    authenticate(core, ctx);
    const user = core.users.get(param(ctx, 'userId'));
    if (!user) throw notFound('Presence not found');
    ctx.body = presenceEdu(user.userId, user.presence)['content'];
  });

  return router;
}
