export { MediaLinks, MEDIA_PATH, DEFAULT_LINK_TTL_SECONDS, type MediaLinksOptions, type PresentedLink, type LinkVerdict } from './links.js';
export { mediaProxyRoutes, type MediaProxyOptions } from './proxy-route.js';
export { MediaRelayCache, type MediaRelayCacheOptions, type RelayedMedia } from './relay-cache.js';
