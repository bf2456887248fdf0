import type { JsonObject } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import {
  canBan, canInvite, canJoin, canKick, canRedact, canSendMessage, canSendState, canUnban, isMembership,
  type AuthState, type Membership, type Verdict,
} from '../mirror/index.js';
import type { PuppetMirror, UnjudgedRoomPolicy } from './context.js';
import { PermissionDenied, ROOM_UPGRADED, cannotJudge } from './errors.js';
import { judgeRoom, type JudgedRoom } from './room-judge.js';
import type { UnechoedWrites } from './unechoed.js';

/** A question for the engine: who asks, what for (in words), and which users it is about. */
export interface Question {
  readonly userId: string;
  readonly roomId: string;
  readonly action: string;
  /** Users whose membership the question needs (the actor is added). */
  readonly about?: readonly string[];
  readonly ask: (state: AuthState) => Verdict;
}

/**
 * The gate in front of every send, state change, kick, ban and redaction: the mirror's
 * permission engine is asked first, and a refusal is a `PermissionDenied` naming the rule,
 * thrown before any request.
 */
export class Permissions {
  constructor(
    private readonly mirror: PuppetMirror,
    private readonly unechoed: UnechoedWrites,
    private readonly policy: UnjudgedRoomPolicy,
    private readonly log: Logger,
  ) {}

  /** The room for the engine, or undefined when the mirror cannot judge it. */
  judged(roomId: string, users: readonly string[]): Promise<JudgedRoom | undefined> {
    return judgeRoom(this.mirror, this.unechoed, roomId, users);
  }

  /** The engine's answer; undefined when the mirror cannot judge the room. */
  async verdict(question: Question): Promise<Verdict | undefined> {
    const room = await this.judged(question.roomId, [question.userId, ...(question.about ?? [])]);
    return room && question.ask(room.state);
  }

  /** Throws `PermissionDenied` when the engine refuses (or, under the `refuse` policy, cannot judge). */
  async check(question: Question): Promise<void> {
    const verdict = await this.verdict(question);
    if (verdict === undefined) {
      if (this.policy === 'refuse') {
        throw new PermissionDenied({ userId: question.userId, roomId: question.roomId, action: question.action, verdict: cannotJudge(question.roomId) });
      }
      this.log.debug({ roomId: question.roomId, userId: question.userId, action: question.action }, 'mirror cannot judge the room; the homeserver decides');
      return;
    }
    if (!verdict.allowed) {
      this.log.info({ roomId: question.roomId, userId: question.userId, action: question.action, rule: verdict.rule }, 'refused by the permission engine');
      throw new PermissionDenied({ userId: question.userId, roomId: question.roomId, action: question.action, verdict });
    }
  }

  /**
   * A user's membership as the puppets know it: the mirror's, or a confirmed write it has not
   * echoed yet. Undefined when the user has no membership the mirror or we know of.
   */
  async membership(roomId: string, userId: string): Promise<Membership | undefined> {
    const view = await this.mirror.room(roomId);
    const unechoed = (await this.unechoed.get(view, roomId, 'm.room.member', userId))?.['membership'];
    if (isMembership(unechoed)) return unechoed;
    return view ? view.membership(userId) : undefined;
  }

  /** With `content`, also what the endpoint refuses whatever the levels (size, content shape). */
  async sendMessage(userId: string, roomId: string, type: string, content?: JsonObject): Promise<void> {
    await this.notUpgraded(userId, roomId, `send ${type}`);
    return this.check({ userId, roomId, action: `send ${type}`, ask: (s) => canSendMessage(s, userId, type, content) });
  }

  /**
   * Nothing is sent into a room that was upgraded (it has an `m.room.tombstone`): what
   * would have gone there belongs in the replacement room, which the error names.
   */
  private async notUpgraded(userId: string, roomId: string, action: string): Promise<void> {
    const replacement = (await this.mirror.room(roomId))?.tombstone?.replacementRoom;
    if (replacement === undefined) return;
    throw new PermissionDenied({
      userId, roomId, action,
      verdict: { allowed: false, rule: ROOM_UPGRADED, reason: `the room was upgraded: ${replacement} replaces it` },
    });
  }

  async sendState(userId: string, roomId: string, type: string, stateKey: string, content: JsonObject): Promise<void> {
    // Leaving (or removing someone) is all that still makes sense in a room that was replaced.
    if (!(type === 'm.room.member' && content['membership'] === 'leave')) await this.notUpgraded(userId, roomId, `set ${type}`);
    const about = type === 'm.room.member' ? [stateKey] : [];
    const action = `set ${type}${stateKey === '' ? '' : ` (${stateKey})`}`;
    return this.check({ userId, roomId, action, about, ask: (s) => canSendState(s, userId, type, stateKey, content) });
  }

  redact(userId: string, roomId: string, eventSender: string): Promise<void> {
    const whose = eventSender === userId ? 'its own event' : `an event of ${eventSender}`;
    return this.check({ userId, roomId, action: `redact ${whose}`, ask: (s) => canRedact(s, userId, eventSender) });
  }

  invite(userId: string, roomId: string, target: string): Promise<void> {
    return this.check({ userId, roomId, action: `invite ${target}`, about: [target], ask: (s) => canInvite(s, userId, target) });
  }

  kick(userId: string, roomId: string, target: string): Promise<void> {
    return this.check({ userId, roomId, action: `kick ${target}`, about: [target], ask: (s) => canKick(s, userId, target) });
  }

  ban(userId: string, roomId: string, target: string): Promise<void> {
    return this.check({ userId, roomId, action: `ban ${target}`, about: [target], ask: (s) => canBan(s, userId, target) });
  }

  unban(userId: string, roomId: string, target: string): Promise<void> {
    return this.check({ userId, roomId, action: `unban ${target}`, about: [target], ask: (s) => canUnban(s, userId, target) });
  }

  /** Whether `userId` may join by itself (undefined: the mirror cannot judge). */
  join(userId: string, roomId: string): Promise<Verdict | undefined> {
    return this.verdict({ userId, roomId, action: 'join', ask: (s) => canJoin(s, userId) });
  }
}
