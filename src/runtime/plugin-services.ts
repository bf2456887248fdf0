/** Parts of the plugin's context (`PluginContext`) that are more than a reference to a bridge part. */
import type { BridgeConfig } from '../config/index.js';
import type { HomeserverApi } from '../homeserver/index.js';
import type { PluginLogins } from '../logins/index.js';
import type { MediaLinks } from '../media/index.js';
import { fetchGuarded } from '../net/index.js';
import type { PluginContext } from '../plugin/contract.js';
import { downloadMedia } from './media-download.js';

/** `ctx.logins` of a plugin without logins: nothing to report, nobody logged in. */
export const NO_LOGINS: PluginLogins = { report: async () => undefined, forUser: () => [], get: () => undefined, remove: async () => undefined };

/** `ctx.media`: links to Matrix media, downloads of it, and remote fetches through the guarded fetcher, each bounded by `bridge.mediaMaxBytes`. */
export function pluginMedia(api: HomeserverApi, config: BridgeConfig, links: MediaLinks): PluginContext['media'] {
  const maxBytes = config.bridge.mediaMaxBytes;
  return {
    url: (mxc, filename) => links.url(mxc, filename),
    download: (media) => downloadMedia(api, media, maxBytes),
    fetchRemote: (url) => fetchGuarded(url, { ...config.outbound, maxBytes }),
  };
}
