import type { LookupFunction } from 'node:net';
import type { MediaData } from '../../puppets/index.js';
import { fetchGuarded } from '../../net/index.js';

/** Largest remote avatar downloaded (bytes): avatars are small, a huge one is a mistake or an attack. */
const MAX_AVATAR_BYTES = 10 * 1024 * 1024;

/** How the bridge fetches URLs that remote parties chose (config `outbound`). */
export interface OutboundSettings {
  readonly allowPrivateTargets: boolean;
  /** Private hosts the operator trusts (`host` or `host:port`). */
  readonly trustedHosts?: readonly string[];
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  /** The resolver under the address guard; tests map names to loopback with it. */
  readonly resolve?: LookupFunction;
}

export const DEFAULT_OUTBOUND: OutboundSettings = { allowPrivateTargets: false, timeoutMs: 30_000, maxRedirects: 3 };

/** A remote image URL as something puppets can set. */
export type ImageSource = (url: string) => Promise<string | MediaData>;

/**
 * Remote image URLs as something puppets can set: `mxc://` passes through, `http(s)://` is
 * downloaded through the guarded fetcher (a remote party picks the URL, so it must not reach
 * the bridge's own host or network). Callers remember the source URL so an unchanged one is
 * never downloaded again.
 */
export function remoteImages(settings: OutboundSettings = DEFAULT_OUTBOUND): ImageSource {
  return async (url) => {
    if (url.startsWith('mxc://')) return url;
    if (!/^https?:\/\//i.test(url)) throw new Error('unsupported image URL: expected mxc:// or http(s)://');
    const response = await fetchGuarded(url, {
      maxBytes: MAX_AVATAR_BYTES,
      timeoutMs: settings.timeoutMs,
      maxRedirects: settings.maxRedirects,
      allowPrivateTargets: settings.allowPrivateTargets,
      trustedHosts: settings.trustedHosts ?? [],
      headers: { accept: 'image/*' },
      ...(settings.resolve ? { resolve: settings.resolve } : {}),
    });
    const contentType = response.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream';
    const filename = new URL(response.url).pathname.split('/').pop() || 'avatar';
    return { data: new Uint8Array(response.data), contentType, filename };
  };
}
