import { formatLevel, powerLevel, whoCanGrant } from '../mirror/index.js';
import type { PuppetContext, RequestControls } from './context.js';
import { PermissionDenied, cannotJudge } from './errors.js';
import type { JudgedRoom } from './room-judge.js';
import { StateWriter } from './state.js';

/**
 * Raises `userId` to at least `level` in a room, through the bot, when the mirror says the
 * bot may; otherwise a `PermissionDenied` naming the rule and the required and actual
 * levels (and who in the room could grant it instead). No request when the level is
 * already there.
 */
export async function ensurePowerLevel(
  ctx: PuppetContext, roomId: string, userId: string, level: number, options: RequestControls = {},
): Promise<void> {
  return changePowerLevel(ctx, roomId, userId, level, `raise ${userId} to power level ${formatLevel(level)}`, (current) => current >= level, options);
}

/** As `ensurePowerLevel`, to exactly `level`: also lowers. */
export async function setPowerLevel(
  ctx: PuppetContext, roomId: string, userId: string, level: number, options: RequestControls = {},
): Promise<void> {
  return changePowerLevel(ctx, roomId, userId, level, `set ${userId} to power level ${formatLevel(level)}`, (current) => current === level, options);
}

async function changePowerLevel(
  ctx: PuppetContext, roomId: string, userId: string, level: number, action: string,
  satisfied: (current: number) => boolean, options: RequestControls,
): Promise<void> {
  const bot = ctx.botUserId;
  const room = await judgedOrResynced(ctx, roomId, [userId, bot]);
  if (!room) throw new PermissionDenied({ userId: bot, roomId, action, verdict: cannotJudge(roomId) });
  if (satisfied(powerLevel(room.state, userId))) return;
  const answer = whoCanGrant(room.state, userId, level, [bot]);
  if (!answer.possible) {
    const refusal = answer.refusals[0]?.verdict ?? cannotJudge(roomId);
    throw new PermissionDenied({ userId: bot, roomId, action, verdict: refusal, detail: answer.reason });
  }
  if (answer.unchanged || !answer.content) return;
  await new StateWriter(ctx, bot).setChecked(roomId, 'm.room.power_levels', '', answer.content, options);
  ctx.logger.info({ roomId, userId, powerLevel: level }, 'power level set by the bot');
}

/** The judged room; when the mirror cannot judge it, one refetch of its state first (when the mirror can). */
async function judgedOrResynced(ctx: PuppetContext, roomId: string, users: readonly string[]): Promise<JudgedRoom | undefined> {
  const room = await ctx.permissions.judged(roomId, users);
  if (room || !ctx.mirror.resync) return room;
  try {
    await ctx.mirror.resync(roomId);
  } catch (err) {
    ctx.logger.warn({ roomId, err }, 'could not refetch the room state to judge a power level change');
    return undefined;
  }
  return ctx.permissions.judged(roomId, users);
}
