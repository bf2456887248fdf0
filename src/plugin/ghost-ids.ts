/**
 * Remote ids → Matrix localparts, by the spec's "mapping from other character sets":
 * UTF-8 bytes; A–Z become `_` + lowercase; `_` becomes `__`; any byte outside
 * a–z 0–9 `-` `.` `=` `/` becomes `=xx`. Reversible, so no table is needed.
 */
export function encodeLocalpart(remoteId: string): string {
  let out = '';
  for (const byte of Buffer.from(remoteId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte >= 0x41 && byte <= 0x5a) out += `_${ch.toLowerCase()}`;
    else if (ch === '_') out += '__';
    else if (/[a-z0-9\-./]/.test(ch)) out += ch;
    else out += `=${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function decodeLocalpart(localpart: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < localpart.length; i++) {
    const ch = localpart[i]!;
    if (ch === '_') {
      const next = localpart[++i];
      if (next === undefined) return undefined;
      bytes.push(next === '_' ? 0x5f : next.toUpperCase().charCodeAt(0));
    } else if (ch === '=') {
      const hex = localpart.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(ch.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Builds and reads the Matrix ids of ghosts and portal aliases for one bridge. */
export class GhostIds {
  constructor(private readonly prefix: string, private readonly domain: string) {}

  userId(remoteUserId: string): string {
    return `@${this.prefix}${encodeLocalpart(remoteUserId)}:${this.domain}`;
  }

  alias(remoteChannelId: string): string {
    return `#${this.prefix}${encodeLocalpart(remoteChannelId)}:${this.domain}`;
  }

  /** The remote id behind a ghost's user id, or undefined when it is not one of ours. */
  remoteUserId(userId: string): string | undefined {
    return this.decode(userId, '@');
  }

  remoteChannelId(alias: string): string | undefined {
    return this.decode(alias, '#');
  }

  private decode(id: string, sigil: string): string | undefined {
    const start = `${sigil}${this.prefix}`;
    const end = `:${this.domain}`;
    if (!id.startsWith(start) || !id.endsWith(end)) return undefined;
    return decodeLocalpart(id.slice(start.length, id.length - end.length));
  }
}
