import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { ProvisioningCaller } from '../plugin/provisioning.js';
import { forbidden, missingParam, missingToken, unknownToken } from './errors.js';
import type { OpenIdVerifier } from './openid.js';
import { serverNameOf } from './openid.js';

/** The part of the permissions config the API asks (config `permissions`). */
export interface ProvisioningPermissions {
  allows(userId: string, level: 'user' | 'admin'): boolean;
}

export interface ProvisioningAuthOptions {
  readonly openId: OpenIdVerifier;
  /** Config `provisioning.sharedSecret`; undefined: no trusted integrations. */
  readonly sharedSecret: string | undefined;
  readonly permissions: ProvisioningPermissions;
}

const OPENID_PREFIX = 'openid:';
const USER_ID = /^@[^:\s]+:[^\s]+$/;

/**
 * Who calls: `Authorization: Bearer openid:<token>` (a Matrix OpenID token, checked with
 * the homeserver that issued it; `?user_id=` optional), or `Bearer <shared secret>` with
 * `?user_id=` (a trusted integration speaking for that user). Then the permissions
 * config must let the user use the bridge. Refusals are spec errors.
 */
export class ProvisioningAuth {
  private readonly secretHash: Buffer | undefined;

  constructor(private readonly options: ProvisioningAuthOptions) {
    this.secretHash = options.sharedSecret === undefined ? undefined : digest(options.sharedSecret);
  }

  async caller(ctx: Context): Promise<ProvisioningCaller> {
    const header = ctx.get('authorization');
    if (header === '') throw missingToken();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw missingToken('The Authorization header must be "Bearer <token>"');
    const token = match[1];
    const asked = ctx.query['user_id'];
    const claimed = typeof asked === 'string' && asked !== '' ? asked : undefined;
    if (claimed !== undefined && (!USER_ID.test(claimed) || serverNameOf(claimed) === undefined)) throw unknownToken('user_id is not a valid Matrix user id');
    let userId: string;
    if (token.startsWith(OPENID_PREFIX)) {
      userId = await this.options.openId.verify(token.slice(OPENID_PREFIX.length), claimed);
    } else if (this.isSharedSecret(token)) {
      if (claimed === undefined) throw missingParam('With the shared secret, say which user the request is for: ?user_id=@user:server');
      userId = claimed;
    } else {
      throw unknownToken();
    }
    if (!this.options.permissions.allows(userId, 'user')) throw forbidden(`${userId} is not allowed to use this bridge`);
    return { userId, admin: this.options.permissions.allows(userId, 'admin') };
  }

  /** Compared as hashes in constant time: neither the secret's bytes nor its length leak through timing. */
  private isSharedSecret(token: string): boolean {
    return this.secretHash !== undefined && timingSafeEqual(digest(token), this.secretHash);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
