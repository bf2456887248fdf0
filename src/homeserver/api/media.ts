import { requireObject, requireString, ShapeError } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { MatrixError, MediaTooLargeError } from '../errors.js';
import { route, type Route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export interface UploadOptions extends ActingOptions {
  readonly filename?: string;
}

export interface DownloadOptions extends ActingOptions {
  /** Refuse (MediaTooLargeError) anything larger; default `DEFAULT_MAX_DOWNLOAD_BYTES`. */
  readonly maxBytes?: number;
}

export interface MediaDownload {
  readonly data: Buffer;
  readonly contentType: string;
  /** From `Content-Disposition`, when the homeserver gives one. */
  readonly filename?: string;
}

/** A download whose body has not been read yet: for relaying media without holding it. */
export interface MediaStream {
  readonly contentType: string;
  readonly filename?: string;
  /** From Content-Length, when the homeserver gives one (checked against maxBytes already). */
  readonly declaredBytes?: number;
  /** Read it to the end or cancel it: the connection stays open until then. */
  readonly body: ReadableStream<Uint8Array>;
}

export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

/** `mxc://server/mediaId` → its parts; undefined when it is not a valid content URI. */
export function parseMxc(mxc: string): { serverName: string; mediaId: string } | undefined {
  const m = /^mxc:\/\/([A-Za-z0-9.:[\]-]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  return m ? { serverName: m[1]!, mediaId: m[2]! } : undefined;
}

/**
 * Media upload and download. `POST /upload` is not repeated after a 5xx, timeout or broken connection:
 * each success stores another copy under a new mxc URI. Uploads may be large, so give a
 * `timeoutMs` that fits.
 */
export class MediaApi {
  constructor(private readonly client: HomeserverClient) {}

  /** Returns the `mxc://` content URI. */
  async upload(data: Uint8Array, contentType: string, options: UploadOptions = {}): Promise<string> {
    return this.client.request('POST', route('/_matrix/media/v3/upload'), {
      asUser: actingUser(this.client, options),
      query: { filename: options.filename },
      rawBody: { data, contentType },
      idempotent: false,
      parse: (body) => {
        const uri = requireString(requireObject(body, 'response'), 'content_uri', 'response');
        if (!uri.startsWith('mxc://')) throw new ShapeError('response.content_uri', 'must be an mxc:// URI');
        return uri;
      },
      ...controls(options),
    });
  }

  /**
   * Downloads `mxc` as the appservice: the authenticated endpoint (`/_matrix/client/v1/media`,
   * spec v1.11), or the legacy one on a homeserver that does not know it yet. Repeated
   * after 5xx and timeouts like any GET.
   */
  async download(mxc: string, options: DownloadOptions = {}): Promise<MediaDownload> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    return this.get(mxc, options, (response, path) => readMedia(response, maxBytes, path));
  }

  /**
   * Like `download`, but hands back the body unread, for passing it on as it arrives. A
   * declared size above `maxBytes` is refused here; the reader must still count, since a
   * homeserver need not declare one. The request's timeout covers reading the body too.
   */
  async openDownload(mxc: string, options: DownloadOptions = {}): Promise<MediaStream> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    return this.get(mxc, options, async (response, path) => {
      const declared = declaredSize(response);
      if (declared !== undefined && declared > maxBytes) {
        await response.body?.cancel();
        throw new MediaTooLargeError('GET', path, maxBytes);
      }
      return {
        ...mediaInfo(response),
        ...(declared !== undefined ? { declaredBytes: declared } : {}),
        body: response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
      };
    });
  }

  private async get<T>(mxc: string, options: DownloadOptions, read: (response: Response, path: string) => Promise<T>): Promise<T> {
    const parts = parseMxc(mxc);
    if (!parts) throw new RangeError(`not an mxc:// content URI: ${mxc}`);
    const get = (target: Route) => this.client.request<T>('GET', target, {
      asUser: actingUser(this.client, options),
      readResponse: (response) => read(response, target.path),
      ...controls(options),
    });
    try {
      return await get(route('/_matrix/client/v1/media/download/{serverName}/{mediaId}', parts));
    } catch (err) {
      if (!(err instanceof MatrixError && err.status === 404 && err.errcode === 'M_UNRECOGNIZED')) throw err;
      return get(route('/_matrix/media/v3/download/{serverName}/{mediaId}', parts));
    }
  }
}

/** The body, at most `maxBytes` of it (by Content-Length first, then as it arrives). */
async function readMedia(response: Response, maxBytes: number, path: string): Promise<MediaDownload> {
  const tooLarge = () => new MediaTooLargeError('GET', path, maxBytes);
  if ((declaredSize(response) ?? 0) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  }
  return { data: Buffer.concat(chunks, size), ...mediaInfo(response) };
}

function declaredSize(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  const size = header === null ? NaN : Number(header);
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

/** Content type and the filename from `Content-Disposition`, when the homeserver gives one. */
function mediaInfo(response: Response): { contentType: string; filename?: string } {
  const disposition = response.headers.get('content-disposition') ?? '';
  const named = /filename\*=(?:UTF-8'')?([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  const filename = named ? safeDecode((named[1] ?? named[2] ?? '').trim()) : undefined;
  return { contentType: response.headers.get('content-type') ?? 'application/octet-stream', ...(filename ? { filename } : {}) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
