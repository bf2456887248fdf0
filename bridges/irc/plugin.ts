/**
 * The IRC bridge plugin: wires the parts together in `start` and hands bridgekit's
 * handlers to them. One plugin object per bridge (state lives in its closure).
 */
import { definePlugin, type BridgePlugin, type PluginContext } from 'matrix-bridgekit';
import { ircBridgeInfo } from './bridge-info.js';
import { ChannelAccess } from './channel-access.js';
import { ChannelStates } from './channels.js';
import { ircCommands } from './commands.js';
import { ircConfigSchema, type IrcConfig } from './config.js';
import { ircLoginSupport } from './logins.js';
import { Connections } from './connections.js';
import { ForwardedWork } from './forwarded.js';
import type { Core } from './core.js';
import { NickIdentities } from './identities.js';
import { Inbound } from './inbound.js';
import { Outbound } from './outbound.js';
import { BridgedChannels, channelId } from './portals.js';
import { AwayWatch } from './presence.js';
import { Pusher } from './pusher.js';
import { RecentMessages } from './recent.js';

/** The bot's own IRC connection, as `ctx.status` and the provisioning API's `/status` name it. */
export const BOT_CONNECTION = 'irc-bot';

interface Running {
  readonly core: Core;
  readonly inbound: Inbound;
  readonly outbound: Outbound;
  readonly away: AwayWatch;
  readonly access: ChannelAccess;
}

function notStarted(): never {
  throw new Error('the IRC bridge has not started');
}

export function createIrcPlugin(): BridgePlugin<IrcConfig> {
  let running: Running | undefined;
  const get = (): Running => running ?? notStarted();

  return definePlugin<IrcConfig>({
    name: 'irc',
    // Not carried: reactions, redactions, typing and receipts (IRC has none of them), so
    // bridgekit tells the sender instead; threads arrive as plain messages.
    capabilities: { messages: true, edits: true, replies: true, media: true, presence: true, profile: true, membership: true, roomMetadata: true },
    configSchema: ircConfigSchema,
    bridgeInfo: ircBridgeInfo,
    commands: ircCommands({ core: () => get().core, access: () => get().access }),
    logins: ircLoginSupport(() => get().core),

    async start(ctx: PluginContext<IrcConfig>) {
      const { config } = ctx;
      const logger = ctx.logger;
      const recent = new RecentMessages();
      // Inbound needs the connections and the connections feed inbound: bound late.
      let inbound: Inbound | undefined;
      let forwarded: ForwardedWork | undefined;
      const connections = new Connections({
        config, kv: ctx.kv, logger, leases: ctx.leases,
        onBotLine: (line) => inbound?.onBotLine(line),
        onPuppetLine: (line, userId, connection) => inbound?.onPuppetLine(line, userId, connection),
        onLoginState: (loginId, state, message) => {
          ctx.logins.report(loginId, state, message).catch((err: unknown) => logger.warn({ err, loginId }, 'could not record an IRC login\'s state'));
        },
        onBotState: (state, message) => ctx.status.report(BOT_CONNECTION, { state, ...(message !== undefined ? { message } : {}) }),
        // Work for a connection running here (cluster mode: sent by the process that handled the event).
        onForwarded: async (connection, userId, message, attempt) => {
          if (!forwarded) throw new Error('the IRC bridge has not started');
          await forwarded.deliver(connection, userId, message, attempt);
        },
      });
      const core: Core = {
        ctx, config, logger, connections, recent,
        identities: new NickIdentities(ctx.kv, logger),
        bridged: new BridgedChannels(ctx.kv, config.channels),
        channels: new ChannelStates(),
        pusher: new Pusher((event) => ctx.remote.push(event), recent, logger),
        relayPartners: new Map(),
      };
      await core.identities.load();
      await core.bridged.load();
      const away = new AwayWatch(core);
      inbound = new Inbound(core, away);
      forwarded = new ForwardedWork(core);
      running = { core, inbound, outbound: new Outbound(core), away, access: new ChannelAccess(core) };

      for (const name of core.bridged.all()) connections.bot.want(name);
      connections.start();
      away.start();
      if (config.mode === 'puppet') void restorePuppets(core);
      logger.info({ server: `${config.server.host}:${config.server.port}`, mode: config.mode, channels: core.bridged.all().length }, 'IRC bridge started');
    },

    async stop() {
      if (!running) return;
      running.away.stop();
      running.core.connections.stopAll();
      await running.core.pusher.idle();
      running = undefined;
    },

    onMessage: (message, room, scope) => get().outbound.message(message, room, scope),
    onEdit: (edit, room, scope) => get().outbound.edit(edit, room, scope),
    onMembership: (change, room, scope) => get().outbound.membershipChanged(change, room, scope),
    onRoomState: (change, room, scope) => get().outbound.roomState(change, room, scope),
    onPresence: (update, scope) => get().outbound.presence(update, scope),
    lookupChannel: (id) => get().access.lookupChannel(id),
    lookupUser: (id) => get().access.lookupUser(id),
  });
}

/** After a restart: every Matrix user in a portal gets their connection back into its channel. */
async function restorePuppets(core: Core): Promise<void> {
  const { ctx } = core;
  for (const name of core.bridged.all()) {
    try {
      const roomId = await ctx.mappings.roomForChannel(channelId(name));
      const room = roomId === undefined ? undefined : await ctx.room(roomId);
      if (!room) continue;
      for await (const member of room.members('join')) {
        if (ctx.puppets.controls(member.userId)) continue;
        (await core.connections.forUser(member.userId, member.displayname)).want(name);
      }
    } catch (err) {
      core.logger.warn({ err, channel: name }, 'could not restore the IRC connections of a portal\'s members');
    }
  }
}
