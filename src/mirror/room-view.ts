import type { JsonObject, RoomEvent } from '../events/types.js';
import { creatorsOf, roomTypeOf } from './auth/creators.js';
import { whoCanGrant, type GrantAnswer } from './auth/grant.js';
import { resolvePowerLevels, type PowerLevels } from './auth/levels.js';
import { powerLevelIn, roomAuth } from './auth/power.js';
import type { AuthState, Membership, StateEntry } from './auth/types.js';
import { entryAuthState } from './entry-auth.js';
import type { RoomStateReader } from './borrowed-rooms.js';
import { membershipOfEvent, type RoomEntry } from './mirror-store.js';
import { AuthRulesQuestions, RoomQuestions } from './room-questions.js';
import { roomSpaces, type ParentLookup } from './room-spaces.js';
import type { SpaceLink } from './spaces.js';
import { roomVersionOf, roomVersionRules, type RoomVersionRules } from './versions.js';

/** A member as the mirror knows them. */
export interface MemberInfo {
  readonly userId: string;
  readonly membership: Membership;
  readonly displayname?: string;
  readonly avatarUrl?: string;
  readonly event: RoomEvent;
}

/**
 * The plugin-facing view of one room. Summary fields (version, power levels, name …) are
 * a snapshot taken when the view was made; members and other state are read from disk.
 */
export class RoomView extends RoomQuestions {
  readonly version: string;
  readonly rules: RoomVersionRules;
  readonly creators: readonly string[];
  readonly powerLevels: PowerLevels;

  constructor(private readonly ms: RoomStateReader, private readonly entry: RoomEntry, private readonly parents: ParentLookup) {
    super();
    const create = entry.summary.get('m.room.create');
    this.version = roomVersionOf(create?.content);
    this.rules = roomVersionRules(this.version);
    this.creators = create ? creatorsOf(create, this.rules) : [];
    this.powerLevels = resolvePowerLevels(this.content('m.room.power_levels'), this.rules);
  }

  get roomId(): string { return this.entry.roomId; }
  /** The same `can…` questions answered by the auth rules alone (an event from federation); the view's own predict the endpoints. */
  get authRules(): RoomQuestions { return new AuthRulesQuestions(this); }
  /** Whether the mirror holds the room's full state (fetched, or seen from creation). */
  get hydrated(): boolean { return this.entry.record.hydrated; }
  get type(): string | undefined { const c = this.entry.summary.get('m.room.create'); return c ? roomTypeOf(c) : undefined; }
  get isSpace(): boolean { return this.type === 'm.space'; }
  get name(): string | undefined { return this.text('m.room.name', 'name'); }
  get topic(): string | undefined { return this.text('m.room.topic', 'topic'); }
  get avatarUrl(): string | undefined { return this.text('m.room.avatar', 'url'); }
  get canonicalAlias(): string | undefined { return this.text('m.room.canonical_alias', 'alias'); }
  get altAliases(): readonly string[] {
    const alt = this.content('m.room.canonical_alias')?.['alt_aliases'];
    return Array.isArray(alt) ? alt.filter((a): a is string => typeof a === 'string') : [];
  }
  get joinRule(): string | undefined { return this.text('m.room.join_rules', 'join_rule'); }
  /** `allow` conditions of a restricted join rule. */
  get joinRuleAllow(): readonly JsonObject[] {
    const allow = this.content('m.room.join_rules')?.['allow'];
    return Array.isArray(allow) ? allow.filter((a): a is JsonObject => typeof a === 'object' && a !== null && !Array.isArray(a)) : [];
  }
  get historyVisibility(): string | undefined { return this.text('m.room.history_visibility', 'history_visibility'); }
  get guestAccess(): string | undefined { return this.text('m.room.guest_access', 'guest_access'); }
  /** Content of m.room.encryption (algorithm …), undefined for an unencrypted room. */
  get encryption(): JsonObject | undefined {
    const content = this.content('m.room.encryption');
    return content && typeof content['algorithm'] === 'string' ? content : undefined;
  }
  get encrypted(): boolean { return this.encryption !== undefined; }
  get tombstone(): { readonly replacementRoom: string; readonly body?: string } | undefined {
    const content = this.content('m.room.tombstone');
    const replacement = content?.['replacement_room'];
    if (typeof replacement !== 'string') return undefined;
    const body = content?.['body'];
    return typeof body === 'string' ? { replacementRoom: replacement, body } : { replacementRoom: replacement };
  }
  /** Number of users per membership. */
  get memberCounts(): Readonly<Record<Membership, number>> { return this.entry.record.counts; }
  get joinedCount(): number { return this.entry.record.counts.join; }

  /** A user's power level (infinite for v12 creators). */
  powerLevel(userId: string): number {
    const state = entryAuthState(this.entry, new Map());
    if (!state) return 0;
    return powerLevelIn(roomAuth(state), userId);
  }

  async membership(userId: string): Promise<Membership | undefined> {
    return membershipOfEvent(await this.ms.getState(this.roomId, 'm.room.member', userId));
  }

  async member(userId: string): Promise<MemberInfo | undefined> {
    return toMember(await this.ms.getState(this.roomId, 'm.room.member', userId));
  }

  /** Members with a membership (all when omitted), streamed from disk. */
  async *members(membership?: Membership): AsyncGenerator<MemberInfo> {
    for await (const event of this.ms.iterateState(this.roomId, 'm.room.member')) {
      const member = toMember(event);
      if (member && (membership === undefined || member.membership === membership)) yield member;
    }
  }

  async stateEvent(type: string, stateKey = ''): Promise<RoomEvent | undefined> {
    if (stateKey === '' && this.entry.summary.has(type)) return this.entry.summary.get(type);
    return this.ms.getState(this.roomId, type, stateKey);
  }

  /** State events of one type (all when omitted), streamed from disk. */
  stateEvents(type?: string): AsyncGenerator<RoomEvent> {
    return this.ms.iterateState(this.roomId, type);
  }

  /** The valid m.space.child links of this space, in the spec's order. */
  spaceChildren(): Promise<SpaceLink[]> { return roomSpaces(this.ms, this.roomId, this.parents).children(); }

  /** The m.space.parent links that count (the parent lists this room, or the sender could). */
  spaceParents(): Promise<SpaceLink[]> { return roomSpaces(this.ms, this.roomId, this.parents).parents(); }

  /** @internal An engine-ready AuthState with the memberships of `users` loaded; undefined without a create event. */
  async authState(users: Iterable<string>, extra: readonly (readonly [string, string])[] = []): Promise<AuthState | undefined> {
    const wanted = [...new Set([...users, ...this.creators, ...this.powerLevels.users.keys()])];
    const events = await this.ms.getStates(this.roomId, 'm.room.member', wanted);
    const memberships = new Map<string, Membership | undefined>();
    wanted.forEach((user, i) => memberships.set(user, membershipOfEvent(events[i])));
    const entries = new Map<string, StateEntry>();
    for (const [type, stateKey] of extra) {
      const event = await this.ms.getState(this.roomId, type, stateKey);
      if (event) entries.set(`${type}\u0000${stateKey}`, event);
    }
    return entryAuthState(this.entry, memberships, entries);
  }

  /** Which of `controlled` (the bridge's bot and puppets) could raise `target` to `level`. */
  async whoCanGrant(target: string, level: number, controlled: readonly string[]): Promise<GrantAnswer> {
    const state = await this.authState([target, ...controlled]);
    if (!state) {
      return { possible: false, reason: `the mirror does not know room ${this.roomId}'s state yet`, refusals: [], holders: [] };
    }
    return whoCanGrant(state, target, level, controlled);
  }

  private content(type: string): JsonObject | undefined {
    return this.entry.summary.get(type)?.content;
  }

  private text(type: string, key: string): string | undefined {
    const value = this.content(type)?.[key];
    return typeof value === 'string' ? value : undefined;
  }
}

function toMember(event: RoomEvent | undefined): MemberInfo | undefined {
  const membership = membershipOfEvent(event);
  if (!event || membership === undefined || event.state_key === undefined) return undefined;
  const { displayname, avatar_url: avatarUrl } = event.content;
  return {
    userId: event.state_key,
    membership,
    ...(typeof displayname === 'string' ? { displayname } : {}),
    ...(typeof avatarUrl === 'string' ? { avatarUrl } : {}),
    event,
  };
}
