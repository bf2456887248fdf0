import type { Context } from 'koa';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { forbidden, invalidParam } from '../errors.js';
import type { Requester } from '../requester.js';
import type { Room } from '../room.js';

export const CLIENT_V3 = '/_matrix/client/v3';

export const jsonObject = z.record(z.string(), z.unknown());

/** A path parameter (already URL-decoded by the router). */
export function param(ctx: Context, name: string): string {
  const params = (ctx as Context & { params?: Record<string, string | undefined> }).params ?? {};
  return params[name] ?? '';
}

export function optionalParam(ctx: Context, name: string): string | undefined {
  const params = (ctx as Context & { params?: Record<string, string | undefined> }).params ?? {};
  return params[name];
}

/** Reads of room data need the requester to be joined, as Synapse checks. */
export function requireJoined(room: Room, requester: Requester): void {
  if (room.membership(requester.userId) !== 'join') throw forbidden(`User ${requester.userId} not in room ${room.roomId}`);
}

/** Acting for another user is refused: typing, presence and profile are one's own. */
export function requireSelf(requester: Requester, userId: string): void {
  if (requester.userId !== userId) throw forbidden(`Cannot act on behalf of ${userId}`);
}

export function requireLocalUser(core: HomeserverCore, userId: string): void {
  if (!userId.startsWith('@') || !core.users.isLocal(userId)) throw invalidParam(`${userId} is not a user on this server`);
}
