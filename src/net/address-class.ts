import ipaddr from 'ipaddr.js';

/**
 * Whether the bridge may connect to an IP address on behalf of someone outside (a webhook's
 * avatar_url, an outbound webhook target), and if not, which range it is in. Only public
 * unicast is allowed; anything on this host, on the operator's network, or that reaches one
 * of those by another name (IPv4 written as IPv6, NAT64, 6to4, Teredo) is refused.
 * ipaddr.js knows the special ranges; this file decides which of them are reachable
 * from outside and which IPv6 forms carry an IPv4 address that must be judged instead.
 */
export interface AddressClass {
  readonly public: boolean;
  /** The range's name (`loopback`, `private`, `ipv4Mapped→loopback`, `unicast`, …). */
  readonly range: string;
}

/** Public anycast services: named by ipaddr.js, but reachable by anyone, so not refused. */
const PUBLIC_SPECIAL = new Set(['unicast', 'as112', 'amt', 'as112v6']);

const NOT_AN_ADDRESS: AddressClass = { public: false, range: 'not an IP address' };

/** Classifies `address` (v4 or v6, brackets and zone ids allowed). Anything unparsable is not public. */
export function classifyAddress(address: string): AddressClass {
  const text = canonical(address.replace(/^\[|\]$/g, ''));
  if (text === undefined || !ipaddr.isValid(text)) return NOT_AN_ADDRESS;
  const parsed = ipaddr.parse(text);
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).public;
}

/**
 * IPv6 in the WHATWG URL parser's hex form (the form connections use). ipaddr.js reads a
 * dotted tail such as `::8.8.8.8` as IPv4-mapped, which it is not; the zone id is dropped
 * (it only qualifies link-local addresses, which are refused anyway).
 */
function canonical(text: string): string | undefined {
  if (!text.includes(':')) return text;
  try {
    return new URL(`http://[${text.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function classifyV4(address: ipaddr.IPv4): AddressClass {
  const range = address.range();
  return { public: PUBLIC_SPECIAL.has(range), range };
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const parts = address.parts;
  // ::/96 (IPv4-compatible, deprecated since 2006): `::7f00:1` is 127.0.0.1 on some stacks.
  // Nothing public lives there, so the whole block is refused (:: and ::1 included).
  if (parts.slice(0, 6).every((p) => p === 0)) {
    const range = address.range();
    return { public: false, range: range === 'unicast' ? 'ipv4Compatible' : range };
  }
  const range = address.range();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return embedded(range, v4At(parts, 6));
    case 'rfc6052': {
      // 64:ff9b::/96 translates to the IPv4 in its last 32 bits; 64:ff9b:1::/48 is for
      // networks' own use, so it leads inside by definition.
      if (parts[2] !== 0) return { public: false, range: 'rfc8215 (local-use NAT64)' };
      return embedded('nat64', v4At(parts, 6));
    }
    case '6to4': // 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD
      return embedded(range, v4At(parts, 1));
    case 'teredo': {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC — server, then the client's address inverted.
      const server = embedded('teredo server', v4At(parts, 2));
      if (!server.public) return server;
      return embedded('teredo client', v4At(parts.map((p) => p ^ 0xffff), 6));
    }
    default:
      return { public: PUBLIC_SPECIAL.has(range), range };
  }
}

function v4At(parts: readonly number[], index: number): ipaddr.IPv4 {
  const high = parts[index]!;
  const low = parts[index + 1]!;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function embedded(form: string, v4: ipaddr.IPv4): AddressClass {
  const inner = classifyV4(v4);
  return { public: inner.public, range: `${form}→${inner.range} (${v4.toString()})` };
}
