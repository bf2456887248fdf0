import type { MediaData } from '../../puppets/index.js';

/** Largest remote avatar downloaded (bytes): avatars are small, a huge one is a mistake or an attack. */
const MAX_AVATAR_BYTES = 10 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;

/**
 * A remote image URL as something puppets can set: `mxc://` passes through, `http(s)://`
 * is downloaded (puppets upload it once per content). Callers remember the source URL so
 * an unchanged one is never downloaded again.
 */
export async function imageFrom(url: string): Promise<string | MediaData> {
  if (url.startsWith('mxc://')) return url;
  if (!/^https?:\/\//i.test(url)) throw new Error(`unsupported image URL ${url}: expected mxc:// or http(s)://`);
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: 'follow' });
  if (!response.ok) throw new Error(`downloading ${url} failed: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_AVATAR_BYTES) throw new Error(`${url} is too large (${declared} bytes)`);
  const data = new Uint8Array(await response.arrayBuffer());
  if (data.byteLength > MAX_AVATAR_BYTES) throw new Error(`${url} is too large (${data.byteLength} bytes)`);
  const contentType = response.headers.get('content-type')?.split(';')[0]?.trim() || 'application/octet-stream';
  const filename = new URL(url).pathname.split('/').pop() || 'avatar';
  return { data, contentType, filename };
}
