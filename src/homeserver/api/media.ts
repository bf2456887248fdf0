import { requireObject, requireString, ShapeError } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export interface UploadOptions extends ActingOptions {
  readonly filename?: string;
}

/**
 * Media upload. `POST /upload` is not repeated after a 5xx, timeout or broken connection:
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
}
