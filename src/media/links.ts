import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseMxc } from '../homeserver/index.js';

/** Where the media proxy answers, on the bridge's own listener. */
export const MEDIA_PATH = '/_bridgekit/media';

/** How long a link works by default: a week of scrollback on IRC or in a webhook's target. */
export const DEFAULT_LINK_TTL_SECONDS = 7 * 24 * 3600;

export interface MediaLinksOptions {
  /** How long a link works after it is made. */
  readonly ttlSeconds?: number;
  /** The clock, in ms (tests). */
  readonly now?: () => number;
}

/** What a request presents: the path's parts and the query's `exp` and `sig`. */
export interface PresentedLink {
  readonly serverName: string;
  readonly mediaId: string;
  readonly filename: string | undefined;
  readonly exp: string;
  readonly sig: string;
}

export type LinkVerdict = { readonly ok: true; readonly expiresAt: number } | { readonly ok: false; readonly why: 'forged' | 'expired' };

/**
 * Links to Matrix media that people outside Matrix can open (an IRC channel, a webhook's
 * target): `<publicUrl>/_bridgekit/media/<server>/<mediaId>/<filename>?exp=…&sig=…`,
 * answered by the bridge, which downloads the media as the appservice. Homeservers now
 * require authentication for media, so the homeserver's own links no longer work for them.
 *
 * The signature covers the media, the filename and the expiry, so the proxy relays only
 * media the bridge linked to, under the name it chose, for as long as it said; the key
 * derives from the as_token (a new token ends every old link).
 */
export class MediaLinks {
  private readonly key: Buffer;
  private readonly base: string | undefined;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(asToken: string, publicUrl: string | undefined, options: MediaLinksOptions = {}) {
    this.key = createHmac('sha256', asToken).update('bridgekit media links v2').digest();
    this.base = publicUrl?.replace(/\/+$/, '');
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_LINK_TTL_SECONDS;
    this.now = options.now ?? Date.now;
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
    const exp = String(Math.floor(this.now() / 1000) + this.ttlSeconds);
    const sig = this.sign(parts.serverName, parts.mediaId, filename || undefined, exp);
    return `${this.base}${MEDIA_PATH}/${encodeURIComponent(parts.serverName)}/${parts.mediaId}${name}?exp=${exp}&sig=${sig}`;
  }

  /** Whether the link was made by this bridge, as presented, and has not expired. */
  verify(link: PresentedLink): LinkVerdict {
    if (!/^\d{1,12}$/.test(link.exp)) return { ok: false, why: 'forged' };
    const expected = Buffer.from(this.sign(link.serverName, link.mediaId, link.filename || undefined, link.exp));
    const given = Buffer.from(link.sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'forged' };
    const expiresAt = Number(link.exp) * 1000;
    return this.now() < expiresAt ? { ok: true, expiresAt } : { ok: false, why: 'expired' };
  }

  private sign(serverName: string, mediaId: string, filename: string | undefined, exp: string): string {
    // Length-prefixed fields: no two different links share the signed text.
    const fields = [serverName, mediaId, filename ?? '', exp].map((f) => `${Buffer.byteLength(f)}:${f}`).join('|');
    return createHmac('sha256', this.key).update(fields).digest('base64url').slice(0, 22);
  }
}
