import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;

/** A secret sealed with AES-256-GCM under a key derived (scrypt) from a passphrase: what is kept on disk. */
export interface Sealed {
  readonly v: 1;
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

/** The passphrase does not open the sealed secret (wrong passphrase, or the bytes were changed). */
export class SealBroken extends Error {
  constructor() {
    super('the sealed secret could not be opened: the passphrase is not the one it was sealed with, or the stored bytes were changed');
    this.name = 'SealBroken';
  }
}

// scrypt's interactive cost: once per start, a few tens of ms.
const COST = { N: 1 << 15, r: 8, p: 1 };
const MAX_MEM = 64 * 1024 * 1024;

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return scryptAsync(passphrase, salt, 32, { ...COST, maxmem: MAX_MEM } as typeof COST);
}

/** Seals `plain` (a JSON-able value) with `passphrase`; a fresh salt and IV each time. */
export async function seal(plain: unknown, passphrase: string): Promise<Sealed> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(passphrase, salt), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  return { v: 1, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Opens what `seal` made; throws `SealBroken` when the passphrase or the bytes are not right. */
export async function unseal(sealed: Sealed, passphrase: string): Promise<unknown> {
  const decipher = createDecipheriv('aes-256-gcm', await deriveKey(passphrase, Buffer.from(sealed.salt, 'base64')), Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealBroken();
  }
  return JSON.parse(text) as unknown;
}
