import { Sections } from '../store/layout.js';
import { createHash } from 'node:crypto';
import type { HomeserverApi } from '../homeserver/index.js';
import { put, type Section, type Store } from '../store/store.js';
import { encryptAttachment, type EncryptedFile } from '../crypto/attachments.js';

/** Bytes to upload, with their type. */
export interface MediaData {
  readonly data: Uint8Array;
  /** MIME type, e.g. `image/png`. */
  readonly contentType: string;
  readonly filename?: string;
}

interface UploadRecord {
  readonly mxc: string;
  readonly at: number;
  /** For media uploaded encrypted: the key, IV and hash that open it (the message's `file`). */
  readonly file?: Omit<EncryptedFile, 'url'>;
}

/** Store section (key: `<sha256 hex>\0<contentType>`). */
export const UPLOADS_SECTION = Sections.puppetsUploads;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Uploads media once per content: `POST /upload` is not idempotent (every success is
 * another copy), so the mxc URI of each content hash is kept, and a send retried after a
 * crash reuses it instead of uploading again.
 */
export class UploadCache {
  private readonly section: Section<UploadRecord>;

  constructor(private readonly store: Store, private readonly api: HomeserverApi) {
    this.section = store.section<UploadRecord>(UPLOADS_SECTION);
  }

  /** The `mxc://` URI of the content, uploading it as `asUser` unless it was uploaded before. */
  async upload(media: MediaData, asUser: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const key = `${sha256Hex(media.data)}\u0000${media.contentType}`;
    const known = await this.section.get(key);
    if (known) return known.mxc;
    const mxc = await this.api.media.upload(media.data, media.contentType, {
      asUser, ...(media.filename !== undefined ? { filename: media.filename } : {}), ...options,
    });
    await this.store.write([put(this.section, key, { mxc, at: Date.now() })]);
    return mxc;
  }

  /**
   * For an encrypted room: the content encrypted (attachment encryption v2) and the
   * ciphertext uploaded, once per content like `upload` — the key is kept with the mxc URI
   * (in the store, as the room keys are), so a retried send reuses both.
   */
  async uploadEncrypted(media: MediaData, asUser: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<EncryptedFile> {
    const key = `e2ee\u0000${sha256Hex(media.data)}\u0000${media.contentType}`;
    const known = await this.section.get(key);
    if (known?.file) return { ...known.file, url: known.mxc };
    const { ciphertext, file } = await encryptAttachment(media.data);
    // The homeserver sees only ciphertext: no type or name that would tell what it is.
    const mxc = await this.api.media.upload(ciphertext, 'application/octet-stream', { asUser, ...options });
    await this.store.write([put(this.section, key, { mxc, at: Date.now(), file })]);
    return { ...file, url: mxc };
  }
}
