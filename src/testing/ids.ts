import { createHash, randomBytes } from 'node:crypto';

/** Unpadded URL-safe base64, the alphabet of v4+ event IDs and v12 room IDs. */
function base64Url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/**
 * An event ID shaped like a v4+ reference hash (`$` + 43 URL-safe base64 characters).
 * The hash covers the event and fresh randomness: we never sign events, we only need IDs
 * that look real and never collide.
 */
export function newEventId(event: object): string {
  const hash = createHash('sha256').update(JSON.stringify(event)).update(randomBytes(16)).digest();
  return `$${base64Url(hash)}`;
}

/** A pre-v12 room ID: 18 random letters and the server name, like Synapse's. */
export function newLegacyRoomId(serverName: string): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const bytes = randomBytes(18);
  let local = '';
  for (const byte of bytes) local += letters[byte % letters.length];
  return `!${local}:${serverName}`;
}

/** Room v12: the room ID is the create event's reference hash with a `!` sigil, no server part. */
export function v12RoomIdFromCreateEventId(createEventId: string): string {
  return `!${createEventId.slice(1)}`;
}

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

export function newDeviceId(): string {
  return randomBytes(5).toString('hex').toUpperCase();
}

/** Localparts the spec allows for new users (historical characters are refused). */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

export function isValidLocalpart(localpart: string): boolean {
  return localpart.length > 0 && LOCALPART.test(localpart);
}

/** Splits `@local:server` / `#alias:server`; undefined when it has no server part. */
export function splitId(id: string): { sigil: string; localpart: string; server: string } | undefined {
  const colon = id.indexOf(':');
  if (id.length < 3 || colon < 2) return undefined;
  return { sigil: id[0] ?? '', localpart: id.slice(1, colon), server: id.slice(colon + 1) };
}

export function isUserId(id: string): boolean {
  return id.startsWith('@') && splitId(id) !== undefined;
}

export function isRoomAlias(id: string): boolean {
  return id.startsWith('#') && splitId(id) !== undefined;
}
