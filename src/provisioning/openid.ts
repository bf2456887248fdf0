import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { fetchGuarded, OutboundFetchError, type GuardedFetchOptions } from '../net/index.js';
import { Lru } from '../util/lru.js';
import { cannotVerify, forbidden, unknownToken } from './errors.js';

/** Synapse's OpenID tokens live one hour (IdTokenServlet.EXPIRES_MS); nothing says when one was issued. */
const LONGEST_LIFETIME_MS = 3600 * 1000;
const CACHE_ENTRIES = 10_000;
const USERINFO = '/_matrix/federation/v1/openid/userinfo';
/** A server name: a DNS name, IPv4 or bracketed IPv6 literal, and an optional port (spec: appendix, server name). */
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::\d{1,5})?$/;

export interface OpenIdVerifierOptions {
  /** The bridge's own homeserver: its server name and the URL it is reached at (config). */
  readonly domain: string;
  readonly homeserverUrl: string;
  /** Ask other servers (through the guarded fetcher) for their users' tokens. */
  readonly federated: boolean;
  /** How long a checked token is trusted without asking again. */
  readonly cacheMs: number;
  /** Guarded-fetch settings for other servers (config `outbound`). */
  readonly outbound: Omit<GuardedFetchOptions, 'maxBytes' | 'headers' | 'signal'>;
  /** Where another server's userinfo is (default `https://<server name>`): tests point it at loopback. */
  readonly federationBaseUrl?: (serverName: string) => string;
  readonly now?: () => number;
  readonly logger: Logger;
}

interface Checked {
  readonly userId: string;
  readonly trustUntil: number;
  /** An hour after the token was first seen: never trusted from the cache past this. */
  readonly deadline: number;
}

/**
 * Checks Matrix OpenID tokens: the homeserver that issued one says whose it is
 * (`GET /_matrix/federation/v1/openid/userinfo`). Answers are kept for `cacheMs`, and never
 * past an hour after the token was first seen (Synapse's lifetime: a token cannot be older
 * than that when first seen, so it is certainly dead by then). Tokens are kept only as hashes.
 */
export class OpenIdVerifier {
  private readonly cache = new Lru<string, Checked>(CACHE_ENTRIES);
  private readonly now: () => number;

  constructor(private readonly options: OpenIdVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The user the token belongs to. `claimed` (the caller's `user_id`, optional) picks the
   * server to ask and must be the answer. Refusals are MatrixHttpErrors.
   */
  async verify(token: string, claimed: string | undefined): Promise<string> {
    const server = claimed === undefined ? this.options.domain : serverNameOf(claimed);
    if (server === undefined || !SERVER_NAME.test(server)) throw unknownToken('user_id is not a valid Matrix user id');
    const own = server === this.options.domain;
    if (!own && !this.options.federated) throw forbidden(`This bridge accepts OpenID tokens from ${this.options.domain} only`);
    const key = createHash('sha256').update(server).update('\u0000').update(token).digest('base64');
    const now = this.now();
    const cached = this.cache.get(key);
    let userId: string;
    if (cached !== undefined && now < cached.trustUntil) {
      userId = cached.userId;
    } else {
      userId = await this.ask(server, own, token);
      // A token first seen now may have been issued up to an hour ago; one seen before keeps its first deadline.
      const deadline = cached?.deadline ?? now + LONGEST_LIFETIME_MS;
      this.cache.set(key, { userId, trustUntil: Math.min(now + this.options.cacheMs, deadline), deadline });
    }
    if (claimed !== undefined && userId !== claimed) throw unknownToken('The OpenID token belongs to another user');
    return userId;
  }

  private async ask(server: string, own: boolean, token: string): Promise<string> {
    const base = own ? this.options.homeserverUrl : (this.options.federationBaseUrl ?? ((name: string) => `https://${name}`))(server);
    const url = `${base.replace(/\/+$/, '')}${USERINFO}?access_token=${encodeURIComponent(token)}`;
    const answer = own ? await this.askOwn(url) : await this.askOther(url, server);
    if (answer.status === 401 || answer.status === 403 || answer.status === 404 && !own) throw unknownToken();
    if (answer.status !== 200) {
      this.options.logger.warn({ server, status: answer.status }, 'provisioning: the homeserver did not check an OpenID token');
      throw cannotVerify(`${server} did not check the token (HTTP ${answer.status})`);
    }
    const sub = (answer.body as { sub?: unknown } | undefined)?.sub;
    // A server vouches for its own users only: another's answer about @x:elsewhere is worthless.
    if (typeof sub !== 'string' || serverNameOf(sub) !== server) throw unknownToken(`${server} answered for a user that is not its own`);
    return sub;
  }

  /** The operator's own homeserver, at the configured URL (not an outsider's choice). */
  private async askOwn(url: string): Promise<{ status: number; body: unknown }> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.outbound.timeoutMs), headers: { accept: 'application/json' } });
      const text = await response.text();
      return { status: response.status, body: parseOrUndefined(text) };
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).name }, 'provisioning: the homeserver could not be reached to check an OpenID token');
      throw cannotVerify('The homeserver could not be reached to check the token');
    }
  }

  /** Any other server: its name is the caller's choice, so only through the guarded fetcher. */
  private async askOther(url: string, server: string): Promise<{ status: number; body: unknown }> {
    try {
      const response = await fetchGuarded(url, { ...this.options.outbound, maxBytes: 64 * 1024, headers: { accept: 'application/json' } });
      return { status: response.status, body: parseOrUndefined(response.data.toString('utf8')) };
    } catch (err) {
      if (err instanceof OutboundFetchError && err.reason === 'status' && err.status !== undefined) return { status: err.status, body: undefined };
      this.options.logger.warn({ server, reason: err instanceof OutboundFetchError ? err.reason : 'error' }, 'provisioning: could not ask a server about an OpenID token');
      throw cannotVerify(`${server} could not be asked about the token`);
    }
  }
}

/** `@alice:example.org:8448` → `example.org:8448`. */
export function serverNameOf(userId: string): string | undefined {
  const colon = userId.indexOf(':');
  return userId.startsWith('@') && colon > 1 ? userId.slice(colon + 1) : undefined;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
