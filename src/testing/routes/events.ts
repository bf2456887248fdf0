import Router from '@koa/router';
import { z } from 'zod';
import type { JsonObject } from '../../events/types.js';
import type { HomeserverCore } from '../core.js';
import { checkClientRedaction, checkClientSend } from '../endpoint-checks.js';
import { MatrixError, notFound } from '../errors.js';
import { readerOf, toStateFormatEvent, toSynapseEvent } from '../event-format.js';
import { authenticate, txnScope, type Requester } from '../requester.js';
import { readJson } from '../request-body.js';
import type { Room, StoredEvent } from '../room.js';
import { CLIENT_V3, jsonObject, optionalParam, param, requireJoined } from './common.js';

/** Any other field of the body stays in the redaction's content, as in Synapse. */
const redactBody = z.looseObject({ reason: z.string().optional() });

/** Sending messages and state, reading state, redacting. */
export function eventRoutes(core: HomeserverCore): Router {
  const router = new Router({ prefix: CLIENT_V3 });

  // Synapse remembers a send's txnId per user and device (or appservice): a retry with the
  // same txnId gets the first answer back and creates no second event.
  router.put('/rooms/:roomId/send/:eventType/:txnId', async (ctx) => {
    const requester = authenticate(core, ctx);
    const content = await readJson(ctx, jsonObject);
    const key = `${txnScope(requester)}\u0000${ctx.path}`;
    ctx.body = await core.txnCache.run(key, () => {
      const room = core.rooms.require(param(ctx, 'roomId'));
      checkClientSend(param(ctx, 'eventType'), requester.userId, content);
      const txn = { scope: txnScope(requester), txnId: param(ctx, 'txnId') };
      const event = core.rooms.send(room, { type: param(ctx, 'eventType'), sender: requester.userId, content, ts: requester.ts, txn });
      return { event_id: event.event_id };
    });
  });

  router.put('/rooms/:roomId/state/:eventType{/:stateKey}', async (ctx) => {
    const requester = authenticate(core, ctx);
    const content = await readJson(ctx, jsonObject);
    const room = core.rooms.require(param(ctx, 'roomId'));
    const type = param(ctx, 'eventType');
    const stateKey = optionalParam(ctx, 'stateKey') ?? '';
    checkClientSend(type, requester.userId, content, stateKey);
    ctx.body = { event_id: sendStateDeduplicated(core, room, requester.userId, type, stateKey, content, requester.ts) };
  });

  router.get('/rooms/:roomId/state/:eventType{/:stateKey}', (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    const type = param(ctx, 'eventType');
    const stateKey = optionalParam(ctx, 'stateKey') ?? '';
    const stored = visibleState(room, requester).find((s) => s.event.type === type && s.event.state_key === stateKey);
    if (!stored) throw notFound('Event not found.');
    ctx.body = ctx.query['format'] === 'event' ? toStateFormatEvent(stored) : stored.event.content;
  });

  router.get('/rooms/:roomId/state', (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    const now = Date.now();
    const reader = readerOf(room, requester);
    ctx.body = visibleState(room, requester).map((stored) => toSynapseEvent(stored, now, reader));
  });

  router.get('/rooms/:roomId/event/:eventId', (ctx) => {
    const requester = authenticate(core, ctx);
    const room = core.rooms.require(param(ctx, 'roomId'));
    requireJoined(room, requester);
    const stored = room.stored(param(ctx, 'eventId'));
    if (!stored) throw notFound('Event not found.');
    ctx.body = toSynapseEvent(stored, Date.now(), readerOf(room, requester));
  });

  router.put('/rooms/:roomId/redact/:eventId/:txnId', async (ctx) => {
    const requester = authenticate(core, ctx);
    const body = await readJson(ctx, redactBody);
    const key = `${txnScope(requester)}\u0000${ctx.path}`;
    ctx.body = await core.txnCache.run(key, () => {
      const room = core.rooms.require(param(ctx, 'roomId'));
      const target = param(ctx, 'eventId');
      if (!room.event(target)) throw notFound('Event not found.');
      checkClientRedaction(room, target);
      // Both places, as Synapse 1.94 sends it for v10 (top level) and v11+ (content).
      const content: JsonObject = { ...(body as JsonObject), redacts: target };
      const txn = { scope: txnScope(requester), txnId: param(ctx, 'txnId') };
      const event = core.rooms.send(room, { type: 'm.room.redaction', sender: requester.userId, content, redacts: target, ts: requester.ts, txn });
      return { event_id: event.event_id };
    });
  });

  return router;
}

/**
 * Synapse does not send a state event identical to the current one (same sender and
 * content): it answers with the existing event's ID.
 */
function sendStateDeduplicated(
  core: HomeserverCore, room: Room, sender: string, type: string, stateKey: string, content: JsonObject, ts: number | undefined,
): string {
  if (type === 'm.room.create') throw new MatrixError(400, 'M_BAD_JSON', 'Cannot send m.room.create');
  const current = room.stateEvent(type, stateKey);
  if (current && current.sender === sender && JSON.stringify(current.content) === JSON.stringify(content)) return current.event_id;
  return core.rooms.send(room, { type, sender, content, stateKey, ts }).event_id;
}

/**
 * The state a requester may read: the current state while joined, the state as of their
 * leave after they left (Synapse's `allow_departed_users`), nothing otherwise (403).
 */
function visibleState(room: Room, requester: Requester): StoredEvent[] {
  if (room.membership(requester.userId) === 'leave') {
    const leave = room.stateEvent('m.room.member', requester.userId);
    if (leave) return room.stateAfter(leave.event_id);
  }
  requireJoined(room, requester);
  return room.stateEvents().flatMap((event) => {
    const stored = room.stored(event.event_id);
    return stored ? [stored] : [];
  });
}
