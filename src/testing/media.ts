import { randomBytes } from 'node:crypto';

export interface StoredMedia {
  readonly content: Buffer;
  readonly contentType: string;
  readonly filename: string | undefined;
}

/** Uploaded media, kept in memory by media ID. */
export class MediaStore {
  private readonly files = new Map<string, StoredMedia>();

  constructor(private readonly serverName: string) {}

  put(media: StoredMedia): string {
    const mediaId = randomBytes(12).toString('base64url');
    this.files.set(mediaId, media);
    return `mxc://${this.serverName}/${mediaId}`;
  }

  get(serverName: string, mediaId: string): StoredMedia | undefined {
    return serverName === this.serverName ? this.files.get(mediaId) : undefined;
  }
}
