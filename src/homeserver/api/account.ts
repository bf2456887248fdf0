import type { JsonObject } from '../../events/types.js';
import { ShapeError, isObject, requireObject, requireString } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { MatrixError } from '../errors.js';
import type { RegisteredUsers } from '../registered-users.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export interface RegisterResult {
  readonly userId: string;
  /** False when the user already existed (M_USER_IN_USE). */
  readonly created: boolean;
}

export interface Versions {
  readonly versions: string[];
  readonly unstableFeatures: Readonly<Record<string, boolean>>;
}

/**
 * Registering virtual users, and asking the homeserver who we are and what it speaks.
 *
 * Registration is repeated after a 5xx, timeout or broken connection: a repeat of one that
 * succeeded answers M_USER_IN_USE, which `register` reads as "exists", so the result is
 * the same either way.
 */
export class AccountApi {
  private readonly domain: string;

  constructor(private readonly client: HomeserverClient, private readonly registered: RegisteredUsers | undefined) {
    this.domain = client.botUserId.slice(client.botUserId.indexOf(':') + 1);
  }

  /** `POST /register` with `m.login.application_service`; no device or token is created. */
  async register(localpart: string, options: Omit<ActingOptions, 'asUser'> = {}): Promise<RegisterResult> {
    try {
      const userId = await this.client.request('POST', route('/_matrix/client/v3/register'), {
        body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
        idempotent: true,
        parse: (body) => requireString(requireObject(body, 'response'), 'user_id', 'response'),
        ...controls(options),
      });
      return { userId, created: true };
    } catch (err) {
      if (err instanceof MatrixError && err.isUserInUse) return { userId: `@${localpart}:${this.domain}`, created: false };
      throw err;
    }
  }

  /** Registers the user unless the store says it exists already. */
  async ensureRegistered(userId: string, options: Omit<ActingOptions, 'asUser'> = {}): Promise<void> {
    if (await this.registered?.has(userId)) return;
    const colon = userId.indexOf(':');
    if (!userId.startsWith('@') || colon < 2) throw new RangeError(`not a user id: ${userId}`);
    await this.register(userId.slice(1, colon), options);
    await this.registered?.record(userId);
  }

  /** `GET /account/whoami` as the acting user. */
  async whoami(options: ActingOptions = {}): Promise<{ userId: string; deviceId?: string }> {
    return this.client.request('GET', route('/_matrix/client/v3/account/whoami'), {
      asUser: actingUser(this.client, options),
      parse: (body) => {
        const obj = requireObject(body, 'response');
        const deviceId = obj['device_id'];
        return { userId: requireString(obj, 'user_id', 'response'), ...(typeof deviceId === 'string' ? { deviceId } : {}) };
      },
      ...controls(options),
    });
  }

  /** `GET /_matrix/client/versions`. */
  async versions(options: Omit<ActingOptions, 'asUser'> = {}): Promise<Versions> {
    return this.client.request('GET', route('/_matrix/client/versions'), { parse: parseVersions, ...controls(options) });
  }
}

function parseVersions(body: unknown): Versions {
  const obj = requireObject(body, 'response');
  const versions = obj['versions'];
  if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) {
    throw new ShapeError('response.versions', 'must be an array of strings');
  }
  const unstable: JsonObject = isObject(obj['unstable_features']) ? obj['unstable_features'] : {};
  const unstableFeatures = Object.fromEntries(Object.entries(unstable).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>;
  return { versions: versions as string[], unstableFeatures };
}
