import type { JsonObject } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import { formatLevel, type GrantAnswer, type Mirror, type RoomView } from '../mirror/index.js';
import type { Puppets } from '../puppets/index.js';

/** What came of raising a user's power level. */
export type RoomAdminResult =
  | {
    readonly granted: true;
    /** Who sent the new power levels; undefined when the user already had the level. */
    readonly grantor?: string;
    readonly changed: boolean;
  }
  /** The mirror's refusal: the reason, each controlled user's verdict, who could instead. */
  | { readonly granted: false } & Omit<Extract<GrantAnswer, { possible: false }>, 'possible'>;

/** Nobody the bridge controls in the room may raise the user to the level. */
export class RoomAdminRefused extends Error {
  constructor(
    readonly roomId: string,
    readonly target: string,
    readonly level: number,
    readonly result: Extract<RoomAdminResult, { granted: false }>,
  ) {
    super(`cannot raise ${target} to power level ${formatLevel(level)} in ${roomId}: ${result.reason}`);
    this.name = 'RoomAdminRefused';
  }
}

export interface RoomAdminOptions {
  readonly puppets: Puppets;
  readonly mirror: Pick<Mirror, 'room' | 'resync'>;
  /** The room's current power levels from the homeserver, read as `asUser`. */
  readonly readPowerLevels: (roomId: string, asUser: string) => Promise<JsonObject | undefined>;
  readonly logger: Logger;
}

/**
 * "Make room admin": raises a user to a level by acting as one of the bridge's users in
 * the room (the bot first, then joined ghosts) that the mirror's permission engine says
 * may, or refuses with the engine's reasons.
 */
export class RoomAdmin {
  constructor(private readonly options: RoomAdminOptions) {}

  /** Raises `target` to `level`; throws `RoomAdminRefused` when nobody the bridge controls may. */
  async makeRoomAdmin(roomId: string, target: string, level = 100): Promise<{ readonly grantor?: string; readonly changed: boolean }> {
    const result = await this.grant(roomId, target, level);
    if (!result.granted) throw new RoomAdminRefused(roomId, target, level, result);
    return result;
  }

  /**
   * As `makeRoomAdmin`, with a refusal as a result instead of an error. With `onBehalfOf`
   * (the person a command acts for), the change must also be one that person could make
   * themselves — the homeserver's rule for a power-levels change — since the bridge's users
   * may hold more power than they do.
   */
  async grant(roomId: string, target: string, level = 100, onBehalfOf?: string): Promise<RoomAdminResult> {
    if (!Number.isSafeInteger(level)) throw new RangeError(`power level must be an integer, not ${level}`);
    const room = await this.judgeable(roomId);
    if (!room) return { granted: false, reason: `the bridge does not know the state of room ${roomId} yet`, refusals: [], holders: [] };
    if (onBehalfOf !== undefined) {
      const own = await room.canSetUserLevel(onBehalfOf, target, level);
      if (!own.allowed) {
        this.options.logger.info({ roomId, target, powerLevel: level, sender: onBehalfOf, rule: own.rule }, 'power level change refused: the sender could not make it');
        return { granted: false, reason: own.reason, refusals: [{ user: onBehalfOf, verdict: own }], holders: [] };
      }
    }
    const controlled = await this.controlledIn(room);
    const answer = await room.whoCanGrant(target, level, controlled);
    if (!answer.possible) {
      this.options.logger.info({ roomId, target, powerLevel: level, reason: answer.reason }, 'make room admin refused');
      return { granted: false, reason: answer.reason, refusals: answer.refusals, holders: answer.holders };
    }
    const grantor = answer.grantors[0];
    if (answer.unchanged || !answer.content || grantor === undefined) return { granted: true, changed: false };
    const content = await this.newestContent(roomId, grantor, target, level, answer.content);
    if (!content) return { granted: true, changed: false };
    // Through the puppet: judged again (with its own unechoed writes) before the request.
    await this.options.puppets.get(grantor).setState(roomId, 'm.room.power_levels', '', content);
    this.options.logger.info({ roomId, target, powerLevel: level, grantor }, 'power level raised');
    return { granted: true, grantor, changed: true };
  }

  /** The bot, then the ghosts joined to the room. */
  private async controlledIn(room: RoomView): Promise<string[]> {
    const bot = this.options.puppets.bot.userId;
    const users = [bot];
    for await (const member of room.members('join')) {
      if (member.userId !== bot && this.options.puppets.controls(member.userId)) users.push(member.userId);
    }
    return users;
  }

  /** The room's view, refetched once when the mirror does not hold its full state. */
  private async judgeable(roomId: string): Promise<RoomView | undefined> {
    const room = await this.options.mirror.room(roomId);
    if (room?.hydrated) return room;
    try {
      await this.options.mirror.resync(roomId);
    } catch (err) {
      this.options.logger.warn({ roomId, err }, 'could not refetch the room state to judge a power level change');
      return undefined;
    }
    const again = await this.options.mirror.room(roomId);
    return again?.hydrated ? again : undefined;
  }

  /**
   * The change applied to the homeserver's current power levels rather than the mirror's:
   * an earlier change whose echo has not reached the mirror yet (two `!op` in a row) is
   * kept. Undefined when the homeserver already has the level (a repeat before the echo).
   */
  private async newestContent(roomId: string, grantor: string, target: string, level: number, fromMirror: JsonObject): Promise<JsonObject | undefined> {
    const current = await this.options.readPowerLevels(roomId, grantor);
    if (!current) return fromMirror;
    const users = current['users'];
    const merged: JsonObject = typeof users === 'object' && users !== null && !Array.isArray(users) ? { ...users } : {};
    if (merged[target] === level) return undefined;
    merged[target] = level;
    return { ...current, users: merged };
  }
}
