import type { Context } from 'koa';
import type { HomeserverCore } from './core.js';
import { forbidden, missingToken, unknownToken } from './errors.js';

/** Who a request acts for, once its token has been checked. */
export interface Requester {
  readonly userId: string;
  /** Undefined for the appservice, which has no device. */
  readonly deviceId: string | undefined;
  readonly viaAppservice: boolean;
  /** The appservice's `?ts=`: the `origin_server_ts` its events get. */
  readonly ts: number | undefined;
}

/** The token from `Authorization: Bearer`, or the deprecated `?access_token=`. */
export function accessTokenOf(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? '';
  }
  const query = ctx.query['access_token'];
  return typeof query === 'string' ? query : undefined;
}

export function isAppserviceToken(core: HomeserverCore, token: string | undefined): boolean {
  return core.appserviceForToken(token) !== undefined;
}

/**
 * Authenticates the request. The appservice acts as its bot, or as `?user_id=` when that
 * user is in its namespaces and registered (M_FORBIDDEN otherwise, as Synapse answers).
 */
export function authenticate(core: HomeserverCore, ctx: Context): Requester {
  // Any registered appservice's token (the pushed one or a token-only one) masquerades.
  const token = accessTokenOf(ctx);
  if (token === undefined) throw missingToken();
  const scope = core.appserviceForToken(token);
  if (scope) {
    const asserted = ctx.query['user_id'];
    const userId = typeof asserted === 'string' && asserted !== '' ? asserted : scope.botUserId;
    if (!scope.controls(userId)) throw forbidden(`Application service cannot masquerade as this user (${userId}).`);
    if (!core.users.has(userId)) throw forbidden(`Application service has not registered this user (${userId})`);
    return { userId, deviceId: undefined, viaAppservice: true, ts: timestampParam(ctx) };
  }
  const session = core.users.sessionForToken(token);
  if (!session) throw unknownToken();
  return { userId: session.userId, deviceId: session.deviceId, viaAppservice: false, ts: undefined };
}

function timestampParam(ctx: Context): number | undefined {
  const raw = ctx.query['ts'];
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** The key under which a client's transaction is remembered: its user and device (or appservice). */
export function txnScope(requester: Requester): string {
  return `${requester.userId}\u0000${requester.viaAppservice ? 'appservice' : requester.deviceId ?? ''}`;
}
