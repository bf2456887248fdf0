import type { JsonObject } from '../../events/types.js';

/** A state event to create a room with. */
export interface InitialState {
  readonly type: string;
  /** Default `''`. */
  readonly stateKey?: string;
  readonly content: JsonObject;
}

/** What a portal room (or space) is created with; every field optional. */
export interface RoomSettings {
  readonly name?: string;
  readonly topic?: string;
  /** `mxc://` URI of the room's avatar. */
  readonly avatarUrl?: string;
  /** The canonical alias: a localpart (`irc_#chan`) or a full alias on this homeserver. */
  readonly alias?: string;
  /** Default `private_chat`. */
  readonly preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  /** Whether the homeserver's own public directory lists the room (default private). */
  readonly visibility?: 'public' | 'private';
  /** Merged over the preset's power levels (`power_level_content_override`). */
  readonly powerLevels?: JsonObject;
  /** Users to invite. */
  readonly invite?: readonly string[];
  readonly initialState?: readonly InitialState[];
  readonly roomVersion?: string;
  readonly isDirect?: boolean;
  readonly creationContent?: JsonObject;
}

/** The `POST /createRoom` body for the settings. */
export function createRoomBody(settings: RoomSettings): JsonObject {
  const body: JsonObject = { preset: settings.preset ?? 'private_chat' };
  if (settings.visibility !== undefined) body['visibility'] = settings.visibility;
  if (settings.name !== undefined) body['name'] = settings.name;
  if (settings.topic !== undefined) body['topic'] = settings.topic;
  if (settings.alias !== undefined) body['room_alias_name'] = aliasLocalpart(settings.alias);
  if (settings.powerLevels !== undefined) body['power_level_content_override'] = settings.powerLevels;
  if (settings.invite !== undefined && settings.invite.length > 0) body['invite'] = [...settings.invite];
  if (settings.roomVersion !== undefined) body['room_version'] = settings.roomVersion;
  if (settings.isDirect !== undefined) body['is_direct'] = settings.isDirect;
  if (settings.creationContent !== undefined) body['creation_content'] = settings.creationContent;
  const state = (settings.initialState ?? []).map((s) => ({ type: s.type, state_key: s.stateKey ?? '', content: s.content }));
  if (settings.avatarUrl !== undefined) state.push({ type: 'm.room.avatar', state_key: '', content: { url: settings.avatarUrl } });
  if (state.length > 0) body['initial_state'] = state;
  return body;
}

/** The full alias createRoom makes for `alias` on `serverName`. */
export function fullAlias(alias: string, serverName: string): string {
  return `#${aliasLocalpart(alias)}:${serverName}`;
}

/** `#name:server` → `name`; a bare localpart stays as it is. */
export function aliasLocalpart(alias: string): string {
  if (!alias.startsWith('#')) return alias;
  const colon = alias.indexOf(':');
  return colon < 0 ? alias.slice(1) : alias.slice(1, colon);
}

/** Settings of a space: `type: m.space` in the create event, and only admins post to it. */
export function spaceSettings(settings: RoomSettings): RoomSettings {
  return {
    ...settings,
    creationContent: { ...settings.creationContent, type: 'm.space' },
    powerLevels: { events_default: 100, ...settings.powerLevels },
  };
}

/** How a child sits in a space. */
export interface SpaceChildOptions {
  /** Servers to join the child through; the homeserver's own server by default. */
  readonly via?: readonly string[];
  /** Sort key (printable ASCII, at most 50 characters). */
  readonly order?: string;
  readonly suggested?: boolean;
}

/** `m.space.child` content (state key: the child's room id). */
export function spaceChildContent(via: readonly string[], options: SpaceChildOptions = {}): JsonObject {
  if (via.length === 0) throw new RangeError('a space child needs at least one via server');
  const content: JsonObject = { via: [...via] };
  if (options.order !== undefined) content['order'] = options.order;
  if (options.suggested !== undefined) content['suggested'] = options.suggested;
  return content;
}

/** `m.space.parent` content (state key: the space's room id). */
export function spaceParentContent(via: readonly string[], canonical = true): JsonObject {
  if (via.length === 0) throw new RangeError('a space parent needs at least one via server');
  return canonical ? { via: [...via], canonical: true } : { via: [...via] };
}
