import type { JsonObject } from '../events/types.js';
import type { Membership } from '../mirror/index.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';

/** State the permission engine reads back: writes of these are remembered until echoed. */
const JUDGED_STATE = new Set(['m.room.power_levels', 'm.room.join_rules', 'm.room.member']);

export interface StateOptions extends RequestControls {
  /** The remote network's timestamp in ms (appservice `ts`). */
  readonly ts?: number;
}

/** State events of one puppet: asks the engine, sends, and remembers what the engine will read back. */
export class StateWriter {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  /** Sets a state event; returns its event id. */
  async set(roomId: string, type: string, stateKey: string, content: JsonObject, options: StateOptions = {}): Promise<string> {
    await this.ctx.permissions.sendState(this.userId, roomId, type, stateKey, content);
    return this.setChecked(roomId, type, stateKey, content, options);
  }

  /** Sets a state event the caller has already had judged. */
  async setChecked(roomId: string, type: string, stateKey: string, content: JsonObject, options: StateOptions = {}): Promise<string> {
    const judged = JUDGED_STATE.has(type);
    const snapshot = judged ? await this.ctx.unechoed.snapshot(await this.ctx.mirror.room(roomId), roomId, type, stateKey) : undefined;
    const eventId = await this.ctx.api.events.sendState(roomId, type, stateKey, content, {
      asUser: this.userId, ...(options.ts !== undefined ? { ts: options.ts } : {}), ...controlsOf(options),
    });
    if (snapshot) await this.ctx.unechoed.record(snapshot, { content, sender: this.userId, eventId });
    this.ctx.logger.debug({ roomId, userId: this.userId, type, stateKey, eventId }, 'state set');
    return eventId;
  }
}

/**
 * Runs a membership request by `sender` and, once the homeserver confirmed it, remembers
 * `target`'s new membership until the mirror has the echo.
 */
export async function changeMembership(
  ctx: PuppetContext, roomId: string, sender: string, target: string, membership: Membership, request: () => Promise<unknown>,
): Promise<void> {
  const snapshot = await ctx.unechoed.snapshot(await ctx.mirror.room(roomId), roomId, 'm.room.member', target);
  await request();
  await ctx.unechoed.record(snapshot, { content: { membership }, sender });
}
