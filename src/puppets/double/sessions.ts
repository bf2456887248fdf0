import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Sections } from '../../store/layout.js';
import { del, put, type Section, type Store } from '../../store/store.js';

/** A double puppet's login: an access token (and its device) for one real user. */
export interface DoublePuppetSession {
  readonly accessToken: string;
  readonly deviceId?: string;
}

/** As stored: the token sealed with AES-256-GCM under a key derived from the secret that made it. */
interface SealedSession {
  readonly iv: string;
  readonly tag: string;
  readonly token: string;
  readonly deviceId?: string;
}

/**
 * Double-puppet sessions by user id (section `puppets.double`). The access token is
 * encrypted at rest with a key derived from the domain's `as_token` secret: whoever reads
 * the store without the config learns nothing, and a changed secret makes old sessions
 * unreadable, so they are replaced by a new login. Tokens never reach a log line.
 */
export class DoublePuppetSessions {
  private readonly section: Section<SealedSession>;

  constructor(private readonly store: Store) {
    this.section = store.section<SealedSession>(Sections.puppetsDouble);
  }

  /** The stored session, when there is one `secret` can open. */
  async get(userId: string, secret: string): Promise<DoublePuppetSession | undefined> {
    const sealed = await this.section.get(userId);
    if (!sealed) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const token = Buffer.concat([decipher.update(Buffer.from(sealed.token, 'base64')), decipher.final()]).toString('utf8');
      return { accessToken: token, ...(sealed.deviceId !== undefined ? { deviceId: sealed.deviceId } : {}) };
    } catch {
      return undefined; // sealed under another secret: a new login replaces it
    }
  }

  async set(userId: string, secret: string, session: DoublePuppetSession): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
    cipher.setAAD(Buffer.from(userId));
    const token = Buffer.concat([cipher.update(session.accessToken, 'utf8'), cipher.final()]);
    const sealed: SealedSession = {
      iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), token: token.toString('base64'),
      ...(session.deviceId !== undefined ? { deviceId: session.deviceId } : {}),
    };
    await this.store.write([put(this.section, userId, sealed)]);
  }

  async delete(userId: string): Promise<void> {
    await this.store.write([del(this.section, userId)]);
  }
}

function keyOf(secret: string): Buffer {
  return createHash('sha256').update('bridgekit-double-puppet-v1\u0000').update(secret).digest();
}
