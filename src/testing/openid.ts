import { randomInt } from 'node:crypto';

/** Synapse's `IdTokenServlet.EXPIRES_MS`: an OpenID token lives one hour. */
export const OPENID_LIFETIME_MS = 3600 * 1000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Synapse's `random_string(24)`: ASCII letters only. */
function randomLetters(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += LETTERS[randomInt(LETTERS.length)];
  return out;
}

/**
 * OpenID tokens (`POST /user/{userId}/openid/request_token`), as Synapse keeps them: a
 * token, its user and the time it stops being valid. They are independent of access tokens
 * (a logout does not end them) and are never deleted, only judged against the clock.
 */
export class OpenIdTokens {
  private readonly tokens = new Map<string, { readonly userId: string; readonly validUntilMs: number }>();

  constructor(private readonly lifetimeMs: number = OPENID_LIFETIME_MS) {}

  issue(userId: string, now = Date.now()): { token: string; expiresInSeconds: number } {
    const token = randomLetters(24);
    this.tokens.set(token, { userId, validUntilMs: now + this.lifetimeMs });
    // Synapse answers `EXPIRES_MS // 1000`.
    return { token, expiresInSeconds: Math.floor(this.lifetimeMs / 1000) };
  }

  /** The token's user while `now <= valid_until` (Synapse's SQL), else undefined. */
  userFor(token: string, now = Date.now()): string | undefined {
    const entry = this.tokens.get(token);
    return entry !== undefined && now <= entry.validUntilMs ? entry.userId : undefined;
  }
}
