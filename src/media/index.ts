export { MediaLinks, MEDIA_PATH } from './links.js';
export { mediaProxyRoutes, type MediaProxyOptions } from './proxy-route.js';
