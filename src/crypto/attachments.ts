import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { z } from 'zod';

/**
 * An encrypted file as it appears in a message's `file` (spec: "Extensions to
 * m.room.message msgtypes", attachment encryption v2): where the ciphertext is, and the
 * AES-256-CTR key, IV and SHA-256 of the ciphertext that open and check it.
 */
export const encryptedFileSchema = z.object({
  url: z.string().startsWith('mxc://'),
  v: z.literal('v2'),
  key: z.object({
    kty: z.literal('oct'),
    alg: z.literal('A256CTR'),
    k: z.string(),
    key_ops: z.array(z.string()),
    ext: z.literal(true),
  }),
  iv: z.string(),
  hashes: z.object({ sha256: z.string() }).catchall(z.string()),
});

export type EncryptedFile = z.infer<typeof encryptedFileSchema>;

/** A `file` object that is not a valid v2 encrypted file (named, never silently read as plain). */
export class EncryptedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptedFileError';
  }
}

/** The `file` of a message, when valid; undefined when there is none; an error when one is there but broken. */
export function encryptedFileOf(value: unknown): EncryptedFile | undefined | EncryptedFileError {
  if (value === undefined) return undefined;
  const parsed = encryptedFileSchema.safeParse(value);
  return parsed.success ? parsed.data : new EncryptedFileError(`the message's encrypted file is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}

/**
 * Encrypts media for an encrypted room (fresh key and IV each time, by the Rust crypto):
 * the ciphertext to upload, and the `file` fields but `url` to put in the message.
 */
export async function encryptAttachment(data: Uint8Array): Promise<{ ciphertext: Uint8Array; file: Omit<EncryptedFile, 'url'> }> {
  await wasm.initAsync();
  const encrypted = wasm.Attachment.encrypt(data);
  try {
    const info = encryptedFileSchema.omit({ url: true }).parse(JSON.parse(encrypted.mediaEncryptionInfo ?? 'null'));
    return { ciphertext: encrypted.encryptedData, file: info };
  } finally {
    encrypted.free();
  }
}

/** Opens downloaded ciphertext with its `file`; throws when the hash does not match (changed or wrong bytes). */
export async function decryptAttachment(ciphertext: Uint8Array, file: EncryptedFile): Promise<Buffer> {
  await wasm.initAsync();
  const { url: _url, ...info } = file;
  const attachment = new wasm.EncryptedAttachment(ciphertext, JSON.stringify(info));
  try {
    return Buffer.from(wasm.Attachment.decrypt(attachment));
  } catch (err) {
    throw new EncryptedFileError(`the encrypted file ${file.url} could not be opened: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    attachment.free();
  }
}
