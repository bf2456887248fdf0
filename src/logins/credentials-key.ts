/**
 * The key that encrypts logins' credentials at rest (AES-256-GCM), from the config:
 * `logins.encryptionKey`, or `logins.encryptionKeyFile` naming a file that holds one.
 * The 32-byte key is derived with scrypt, so any long random string will do. Each record
 * has its own random IV and is bound (additional data) to what the caller names: the login
 * store binds its login id, Matrix user and remote account, so a record copied under
 * another login's key, or edited to another user, does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** A sealed value as stored: base64 parts. */
export interface Sealed {
  readonly v: 1;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

const SALT = 'bridgekit.logins.v1';

export class CredentialsKey {
  private constructor(private readonly key: Buffer) {}

  /** Derives the key from the configured secret (at least 32 characters). */
  static fromSecret(secret: string): CredentialsKey {
    if (secret.length < 32) throw new RangeError('the logins encryption key must be at least 32 characters');
    return new CredentialsKey(scryptSync(secret, SALT, 32));
  }

  /** The key from the config, or undefined when none is set. The file's contents are trimmed. */
  static async fromConfig(config: { readonly encryptionKey?: string | undefined; readonly encryptionKeyFile?: string | undefined }, baseDir = '.'): Promise<CredentialsKey | undefined> {
    if (config.encryptionKey !== undefined) return CredentialsKey.fromSecret(config.encryptionKey);
    if (config.encryptionKeyFile === undefined) return undefined;
    const path = resolve(baseDir, config.encryptionKeyFile);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read logins.encryptionKeyFile ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return CredentialsKey.fromSecret(text.trim());
  }

  seal(plaintext: string, boundTo: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  /** The plaintext; throws when the key (or the binding) is not the one it was sealed with. */
  open(sealed: Sealed, boundTo: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  }
}
