import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress } from './address-class.js';

/** The `code` of the error a refused connection fails with. */
export const PRIVATE_TARGET = 'EPRIVATETARGET';

export class PrivateTargetError extends Error {
  readonly code = PRIVATE_TARGET;
  constructor(host: string, address: string, range: string) {
    super(`${host} is a private or local address (${address}, ${range})`);
    this.name = 'PrivateTargetError';
  }
}

/** The refusal for an IP literal, or undefined when it is public. Literals are never looked up, so they must be judged before connecting. */
export function refusedLiteral(host: string): PrivateTargetError | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 0) return undefined;
  const judged = classifyAddress(bare);
  return judged.public ? undefined : new PrivateTargetError(host, bare, judged.range);
}

type AllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/**
 * A `lookup` for outbound connections that fails when the name resolves to any address that
 * is not public. The addresses judged are the ones connected to, so a name that resolves to
 * a public address for an earlier check and to 127.0.0.1 a moment later (DNS rebinding) is
 * still refused. `resolve` is the resolver underneath (the system's; tests map names to
 * loopback with their own). IP literals never reach a lookup: see `refusedLiteral`.
 */
export function guardedLookup(resolve: LookupFunction = systemLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    const all: AllCallback = (err, addresses) => {
      if (err) return callback(err, '', 4);
      const inside = addresses.map((a) => ({ a, judged: classifyAddress(a.address) })).find((x) => !x.judged.public);
      if (inside) return callback(new PrivateTargetError(hostname, inside.a.address, inside.judged.range), '', 4);
      if (options.all) return (callback as unknown as AllCallback)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    };
    resolve(hostname, { ...options, all: true }, all as unknown as Parameters<LookupFunction>[2]);
  };
}

/** Resolves `hostname` to all its addresses through `lookup`, as a promise. */
export function resolveAll(lookup: LookupFunction, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true }, ((err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) reject(err);
      else resolve(addresses);
    }) as unknown as Parameters<LookupFunction>[2]);
  });
}

/**
 * Why connecting to `url` is refused, or undefined when it may go: for telling a person
 * (a room, a log) at the time a URL is given. The check that holds is the guarded lookup on
 * the connection itself; this one can only say what the name resolves to now.
 */
export async function refusedTarget(url: string, allowPrivate: boolean, resolve?: LookupFunction): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'it is not a URL';
  }
  const literal = refusedLiteral(host);
  if (literal) return literal.message;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  try {
    await resolveAll(guardedLookup(resolve), host);
    return undefined;
  } catch (err) {
    if (err instanceof PrivateTargetError) return err.message;
    return `${host} does not resolve`;
  }
}
