import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Attachment encryption v2 written from the spec with node:crypto (AES-256-CTR, the key as
 * a JWK, the IV's low 64 bits zero, the SHA-256 of the ciphertext): an implementation the
 * bridge's (the Rust crypto's) is checked against, both ways.
 */
export interface V2File {
  url: string;
  v: 'v2';
  key: { kty: 'oct'; alg: 'A256CTR'; ext: true; k: string; key_ops: string[] };
  iv: string;
  hashes: { sha256: string };
}

const unpadded = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export function encryptV2(plain: Buffer): { ciphertext: Buffer; file: Omit<V2File, 'url'> } {
  const key = randomBytes(32);
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    ciphertext,
    file: {
      v: 'v2',
      key: { kty: 'oct', alg: 'A256CTR', ext: true, k: key.toString('base64url'), key_ops: ['encrypt', 'decrypt'] },
      iv: unpadded(iv),
      hashes: { sha256: unpadded(createHash('sha256').update(ciphertext).digest()) },
    },
  };
}

export function decryptV2(ciphertext: Buffer, file: V2File): Buffer {
  const hash = unpadded(createHash('sha256').update(ciphertext).digest());
  if (hash !== file.hashes.sha256) throw new Error(`sha256 ${hash} is not the file's ${file.hashes.sha256}`);
  const decipher = createDecipheriv('aes-256-ctr', Buffer.from(file.key.k, 'base64url'), Buffer.from(file.iv, 'base64'));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
