import type { E2eUser } from '../harness/index.js';
import { eventually } from '../harness/index.js';

/** A probe for `ensureDelivering`: `user` invites the bridge's bot to a new room; true when it joined in time. */
export async function botJoinsInvite(user: E2eUser, botUserId: string, timeoutMs: number): Promise<boolean> {
  const roomId = await user.client.createRoom({ name: 'delivery probe', invite: [botUserId] });
  try {
    await eventually(async () => (await user.membership(roomId, botUserId)) === 'join', 'the bot to join the probe room', timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    await user.client.leave(roomId).catch(() => undefined);
  }
}
