import { decryptAttachment } from '../crypto/attachments.js';
import type { HomeserverApi, MediaDownload } from '../homeserver/index.js';
import type { MatrixMedia } from '../plugin/matrix-events.js';

/**
 * `PluginContext.media.download`: an mxc URI downloaded as it is; a message's media with an
 * encrypted `file` downloaded and decrypted (its SHA-256 checked: changed bytes throw), with
 * the type and name the message gives (the homeserver only knows ciphertext).
 */
export async function downloadMedia(api: HomeserverApi, media: string | MatrixMedia, maxBytes: number): Promise<MediaDownload> {
  if (typeof media === 'string') return api.media.download(media, { maxBytes });
  const download = await api.media.download(media.url, { maxBytes });
  if (!media.file) return download;
  const mimetype = media.info?.['mimetype'];
  return {
    data: await decryptAttachment(download.data, media.file),
    contentType: typeof mimetype === 'string' ? mimetype : 'application/octet-stream',
    ...(media.filename !== undefined ? { filename: media.filename } : {}),
  };
}
