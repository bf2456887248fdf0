import { createHash, randomUUID } from 'node:crypto';
import type { Logger, PluginContext, PluginRequest, PluginResponse, RemoteEvent } from 'matrix-bridgekit';
import type { HookRecord, Hooks } from './hooks.js';
import { parseInboundBody } from './inbound-body.js';
import { webhookDisplayName } from './sender-name.js';

/** The remote channel a hook's room is known by: the room itself, linked, never a new portal. */
export const channelOf = (roomId: string) => `room:${roomId}`;

/** Matrix user ids stay under 255 bytes: a long name gets a hashed ghost id (the display name is still the name). */
const MAX_READABLE_NAME_BYTES = 48;

const error = (status: number, errcode: string, message: string, headers?: Record<string, string>): PluginResponse =>
  ({ status, body: { errcode, error: message }, ...(headers ? { headers } : {}) });

export interface InboundDeps {
  readonly hooks: Hooks;
  /** Per hook: how long its caller must wait before it may post again (0: now; takes a turn). */
  readonly rateLimit: (hookId: string) => number;
  readonly remote: PluginContext['remote'];
  readonly mappings: PluginContext['mappings'];
  /** The mirror's view of a room (its members, for names that would pass for one). */
  readonly room: PluginContext['room'];
  readonly ghosts: PluginContext['ghosts'];
  /** Marks a username that matches a member's name (`inbound.impersonationSuffix`). */
  readonly impersonationSuffix: string;
  readonly logger: Logger;
}

/**
 * `POST /hooks/<secret>`: a message into the hook's room, from a ghost named after
 * `username` (one per hook and name) or from the bot. Every failure is answered here as
 * `{errcode, error}`; nothing is thrown, so no log line ever carries the URL (the secret).
 */
export function inboundRoute(deps: InboundDeps): (req: PluginRequest) => Promise<PluginResponse> {
  const handle = inbound(deps);
  return async (req) => {
    try {
      return await handle(req);
    } catch (err) {
      deps.logger.error({ err }, 'webhook: an inbound request failed');
      return error(500, 'M_UNKNOWN', 'Internal error: the bridge could not handle this request');
    }
  };
}

function inbound(deps: InboundDeps): (req: PluginRequest) => Promise<PluginResponse> {
  return async (req) => {
    const hook = await deps.hooks.find(req.params['secret'] ?? '');
    if (!hook) return error(404, 'M_NOT_FOUND', 'No such webhook: the URL is wrong or the hook was revoked');
    const waitMs = deps.rateLimit(hook.hookId);
    if (waitMs > 0) {
      return {
        status: 429,
        body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many messages through this webhook; slow down', retry_after_ms: waitMs },
        headers: { 'Retry-After': String(Math.ceil(waitMs / 1000)) },
      };
    }
    if (req.body === undefined) return error(400, 'M_NOT_JSON', 'The body is empty: send a JSON object with a \'text\' field');
    const parsed = parseInboundBody(req.body);
    if (!parsed.ok) return error(400, 'M_BAD_JSON', parsed.error);
    const body = parsed.body;
    const callerKey = req.headers['idempotency-key']?.trim() || body.id;
    if (callerKey !== undefined && callerKey.length > 200) return error(400, 'M_BAD_JSON', 'The Idempotency-Key header must be at most 200 characters');

    const log = deps.logger.child({ roomId: hook.roomId, hook: hook.name, hookId: hook.hookId });
    const event: RemoteEvent = {
      kind: 'message',
      channel: { id: channelOf(hook.roomId) },
      // Scoped to the hook, so that another hook's key (or "deploybot") is not this one's.
      id: `${hook.hookId}:${callerKey ?? randomUUID()}`,
      text: body.text,
      ...(body.html !== undefined ? { html: body.html } : {}),
      ...(body.msgtype !== undefined ? { msgtype: body.msgtype } : {}),
      ...(body.username !== undefined ? { sender: await ghostFor(deps, hook, body.username, body.avatar_url) } : {}),
    };
    try {
      await ensureLinked(deps.mappings, hook.roomId);
      const result = await deps.remote.push(event);
      if (result.refused !== undefined) {
        log.warn({ reason: result.refused }, 'webhook: the room refused the message');
        return error(403, 'M_FORBIDDEN', 'The bridge may not post in this room');
      }
      log.debug({ eventId: result.eventId, duplicate: result.duplicate }, 'webhook: message posted');
      return { status: 200, body: { event_id: result.eventId, ...(result.duplicate ? { duplicate: true } : {}) } };
    } catch (err) {
      log.warn({ err }, 'webhook: could not post a message to the room');
      if (err instanceof Error && err.name === 'PermissionDenied') return error(403, 'M_FORBIDDEN', 'The bridge may not post in this room');
      return error(503, 'M_UNKNOWN', 'The message could not be posted to the room right now; try again later', { 'Retry-After': '5' });
    }
  };
}

async function ghostFor(deps: InboundDeps, hook: HookRecord, username: string, avatarUrl: string | undefined) {
  const readable = Buffer.byteLength(username, 'utf8') <= MAX_READABLE_NAME_BYTES;
  const name = readable ? username : `~${hashOf(username)}`;
  const id = `${hook.hookId}:${name}`;
  const isGhost = (userId: string) => deps.ghosts.remoteUserId(userId) !== undefined;
  const displayName = await webhookDisplayName(await deps.room(hook.roomId), username, isGhost, deps.impersonationSuffix);
  return { id, displayName, ...(avatarUrl !== undefined ? { avatarUrl } : {}) };
}

function hashOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20);
}

/** Links the room as the hook's channel, once (a hook made before the link, or a link lost). */
export async function ensureLinked(mappings: PluginContext['mappings'], roomId: string): Promise<void> {
  if (await mappings.roomForChannel(channelOf(roomId)) !== roomId) await mappings.linkChannel(channelOf(roomId), roomId);
}
