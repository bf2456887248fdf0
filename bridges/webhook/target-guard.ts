import { lookup as lookupCallback, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses an outbound webhook may not reach unless `outbound.allowPrivateTargets` is set:
 * a room moderator must not be able to make the bridge POST into its own host or network.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6');

function isPrivate(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as IPv4.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return family === 6 && PRIVATE.check(address, 'ipv6');
}

/**
 * Why a delivery to `url` is refused, or undefined when it may go. Every address the host
 * resolves to must be public. This check names the problem for the room; the one that
 * holds is `publicOnlyLookup`, on the connection itself.
 */
export async function refusedTarget(url: string, allowPrivate: boolean): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'it is not a URL';
  }
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `${host} does not resolve`;
  }
  const inside = addresses.find(isPrivate);
  return inside ? `${host} is a private or local address (${inside}); set bridge.config.outbound.allowPrivateTargets to allow it` : undefined;
}

/** The code of the error `publicOnlyLookup` fails a connection with. */
export const PRIVATE_TARGET = 'EPRIVATETARGET';

/**
 * A `lookup` for outbound connections that fails when the name resolves to any private or
 * local address. The address checked is the address connected to, so a name that resolves
 * to a public address for `refusedTarget` and to 127.0.0.1 a moment later (DNS rebinding)
 * is still refused. (IP literals are never looked up; `refusedTarget` judges those.)
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookupCallback(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 4);
    const inside = addresses.find((a) => isPrivate(a.address));
    if (inside) {
      const refused = Object.assign(new Error(`${hostname} resolves to a private or local address (${inside.address})`), { code: PRIVATE_TARGET });
      return callback(refused, '', 4);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 4);
    callback(null, first.address, first.family);
  });
};
