import type { JsonObject } from '../events/types.js';
import * as authRules from './auth/auth-rules.js';
import * as endpoints from './auth/endpoints.js';
import type { AuthState, Membership, Verdict } from './auth/types.js';
import { deny } from './auth/verdict.js';

/** Refusal used when the mirror lacks the room's create event and so cannot judge. */
const NOT_HYDRATED = 'bridgekit mirror: room state unknown';

/** One set of answers to the `can…` questions: the endpoints' or the auth rules'. */
type Engine = typeof endpoints;
const AUTH_RULES: Engine = authRules;

/**
 * The `can…` questions about one room. `RoomView`'s own are endpoint predictions (what the
 * client-server API will answer: ask these before sending); `room.authRules` answers the
 * same questions by the room version's auth rules alone (for an event from federation).
 */
export abstract class RoomQuestions {
  abstract readonly roomId: string;
  /** @internal An engine-ready state with the memberships of `users` loaded; undefined without a create event. */
  abstract authState(users: Iterable<string>, extra?: readonly (readonly [string, string])[]): Promise<AuthState | undefined>;
  protected readonly engine: Engine = endpoints;

  /** Send a message event; with `content`, its size and shape are checked too. */
  canSendMessage(user: string, type: string, content?: JsonObject): Promise<Verdict> {
    return this.judge([user], (s) => this.engine.canSendMessage(s, user, type, content));
  }
  canSendState(user: string, type: string, stateKey = '', content?: JsonObject): Promise<Verdict> {
    const users = [user, ...(type === 'm.room.member' ? [stateKey] : []), ...viaOf(content)];
    return this.judge(users, (s) => this.engine.canSendState(s, user, type, stateKey, content), tpiOf(content));
  }
  canChangeMembership(sender: string, target: string, membership: Membership, content: JsonObject = {}): Promise<Verdict> {
    return this.judge([sender, target, ...viaOf(content)], (s) => this.engine.canChangeMembership(s, sender, target, membership, content), tpiOf(content));
  }
  canInvite(sender: string, target: string): Promise<Verdict> { return this.judge([sender, target], (s) => this.engine.canInvite(s, sender, target)); }
  canKick(sender: string, target: string): Promise<Verdict> { return this.judge([sender, target], (s) => this.engine.canKick(s, sender, target)); }
  canBan(sender: string, target: string): Promise<Verdict> { return this.judge([sender, target], (s) => this.engine.canBan(s, sender, target)); }
  canUnban(sender: string, target: string): Promise<Verdict> { return this.judge([sender, target], (s) => this.engine.canUnban(s, sender, target)); }
  canJoin(user: string, content: JsonObject = {}): Promise<Verdict> { return this.judge([user, ...viaOf(content)], (s) => this.engine.canJoin(s, user, content)); }
  canKnock(user: string): Promise<Verdict> { return this.judge([user], (s) => this.engine.canKnock(s, user)); }
  canLeave(user: string): Promise<Verdict> { return this.judge([user], (s) => this.engine.canLeave(s, user)); }
  /** Redact an event sent by `eventSender` (of `eventType`, when known: some types cannot be redacted). */
  canRedact(user: string, eventSender: string, eventType?: string): Promise<Verdict> {
    return this.judge([user], (s) => this.engine.canRedact(s, user, eventSender, eventType));
  }
  canChangePowerLevels(user: string, next: JsonObject): Promise<Verdict> { return this.judge([user], (s) => this.engine.canChangePowerLevels(s, user, next)); }
  /**
   * May `sender` set `target`'s power level to `level`? Ask it for the person a command acts
   * for: the bot may hold more power than they do.
   */
  canSetUserLevel(sender: string, target: string, level: number): Promise<Verdict> {
    return this.judge([sender, target], (s) => this.engine.canSetUserLevel(s, sender, target, level));
  }
  canNotify(user: string, key = 'room'): Promise<Verdict> { return this.judge([user], (s) => this.engine.canNotify(s, user, key)); }

  private async judge(users: string[], question: (state: AuthState) => Verdict, extra: (readonly [string, string])[] = []): Promise<Verdict> {
    const state = await this.authState(users, extra);
    if (!state) return deny(NOT_HYDRATED, `the mirror does not know room ${this.roomId}'s create event, so it cannot judge`);
    return question(state);
  }
}

/** The auth-rules answers for a room: `room.authRules`. */
export class AuthRulesQuestions extends RoomQuestions {
  protected override readonly engine: Engine = AUTH_RULES;
  constructor(private readonly room: RoomQuestions) { super(); }
  get roomId(): string { return this.room.roomId; }
  authState(users: Iterable<string>, extra?: readonly (readonly [string, string])[]): Promise<AuthState | undefined> {
    return this.room.authState(users, extra);
  }
}

function viaOf(content: JsonObject | undefined): string[] {
  const via = content?.['join_authorised_via_users_server'];
  return typeof via === 'string' ? [via] : [];
}

function tpiOf(content: JsonObject | undefined): (readonly [string, string])[] {
  const invite = content?.['third_party_invite'];
  const signed = typeof invite === 'object' && invite !== null ? (invite as JsonObject)['signed'] : undefined;
  const token = typeof signed === 'object' && signed !== null ? (signed as JsonObject)['token'] : undefined;
  return typeof token === 'string' ? [['m.room.third_party_invite', token]] : [];
}
