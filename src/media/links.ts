import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseMxc } from '../homeserver/index.js';

/** Where the media proxy answers, on the bridge's own listener. */
export const MEDIA_PATH = '/_bridgekit/media';

/**
 * Links to Matrix media that people outside Matrix can open (an IRC channel, a webhook's
 * target): `<publicUrl>/_bridgekit/media/<server>/<mediaId>/<filename>?sig=…`, answered by
 * the bridge, which downloads the media as the appservice. Homeservers now require
 * authentication for media, so the homeserver's own links no longer work for them.
 *
 * Signed, so the proxy relays only media the bridge linked to, not anything anyone asks
 * for; the key derives from the as_token (a new token ends every old link).
 */
export class MediaLinks {
  private readonly key: Buffer;
  private readonly base: string | undefined;

  constructor(asToken: string, publicUrl: string | undefined) {
    this.key = createHmac('sha256', asToken).update('bridgekit media links v1').digest();
    this.base = publicUrl?.replace(/\/+$/, '');
  }

  /** Whether links can be made (a public URL is configured). */
  get enabled(): boolean {
    return this.base !== undefined;
  }

  /** A public link to `mxc`; undefined when no public URL is configured or `mxc` is not a content URI. */
  url(mxc: string, filename?: string): string | undefined {
    const parts = parseMxc(mxc);
    if (!parts || this.base === undefined) return undefined;
    const name = filename ? `/${encodeURIComponent(filename)}` : '';
    return `${this.base}${MEDIA_PATH}/${encodeURIComponent(parts.serverName)}/${parts.mediaId}${name}?sig=${this.sign(parts.serverName, parts.mediaId)}`;
  }

  /** Whether `sig` is this bridge's signature of the media. */
  verify(serverName: string, mediaId: string, sig: string): boolean {
    const expected = Buffer.from(this.sign(serverName, mediaId));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(serverName: string, mediaId: string): string {
    return createHmac('sha256', this.key).update(`${serverName}/${mediaId}`).digest('base64url').slice(0, 22);
  }
}
