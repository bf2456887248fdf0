import type { JsonObject } from '../../events/types.js';
import { isIP } from 'node:net';

/**
 * Whether an m.room.server_acl content lets `server` take part (client-server spec,
 * "Server Access Control Lists"): the port is ignored; an IP literal is denied when
 * `allow_ip_literals` is false; then `deny` wins, then `allow` must match. Globs: `*` any
 * run of characters, `?` one character.
 */
export function serverAllowedByAcl(content: JsonObject, server: string): boolean {
  const host = hostOf(server);
  if (content['allow_ip_literals'] === false && isIpLiteral(host)) return false;
  if (globs(content['deny']).some((glob) => glob.test(host))) return false;
  return globs(content['allow']).some((glob) => glob.test(host));
}

function hostOf(server: string): string {
  if (server.startsWith('[')) return server.slice(0, server.indexOf(']') + 1);
  const colon = server.lastIndexOf(':');
  return colon === -1 ? server : server.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || isIP(host) !== 0;
}

function globs(value: unknown): RegExp[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string').map(globToRegExp);
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'is');
}
