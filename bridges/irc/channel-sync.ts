/**
 * After the bot (re)joins a channel, its portal is brought in line with the member list:
 * every IRC user present joins as a ghost with their operator status as power level, and
 * ghosts of people no longer there (they left while the bridge was away) leave.
 */
import { isOperator, type ChannelState } from './channels.js';
import type { Core } from './core.js';
import { ircLower } from './nicks.js';
import { channelId } from './portals.js';

/** Power level of an IRC channel operator. */
export const OPERATOR_LEVEL = 50;

export function syncPortal(core: Core, state: ChannelState): void {
  const channel = state.name;
  const lane = channelId(channel);
  const remote = core.bridged.remote(channel);
  // Ghost ids now, while the nicks are current. Operators first, then up to the limit;
  // the others join when they first speak.
  const present = [...state.members.values()]
    .filter((m) => !core.connections.isOurs(m.nick))
    .map((m) => ({ user: core.identities.user(m.nick), op: isOperator(m) }))
    .sort((a, b) => Number(b.op) - Number(a.op))
    .slice(0, core.config.membersSyncLimit);
  core.pusher.inLane(lane, async () => {
    for (const { user, op } of present) {
      await core.pusher.send({ kind: 'membership', membership: 'join', channel: remote, sender: user });
      await core.pusher.send({ kind: 'power', channel: remote, sender: user, target: user, level: op ? OPERATOR_LEVEL : 0 });
    }
    await dropAbsentGhosts(core, channel);
  });
}

/**
 * Ghosts in the portal whose nick is not in the channel. Checked against the channel as
 * it is now, not the member list the sync started from: someone may have changed nick.
 */
async function dropAbsentGhosts(core: Core, channel: string): Promise<void> {
  const { ctx } = core;
  const roomId = await ctx.mappings.roomForChannel(channelId(channel));
  const room = roomId === undefined ? undefined : await ctx.room(roomId);
  if (!room) return;
  const remote = core.bridged.remote(channel);
  for await (const member of room.members('join')) {
    const id = ctx.ghosts.remoteUserId(member.userId);
    if (id === undefined || member.userId === ctx.bot.userId) continue;
    const nick = core.identities.nickOf(id);
    if (nick !== undefined && core.channels.get(channel)?.members.has(ircLower(nick))) continue;
    await core.pusher.send({ kind: 'membership', membership: 'leave', channel: remote, sender: { id }, reason: 'No longer in the IRC channel' });
  }
}
