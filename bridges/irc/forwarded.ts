/**
 * Work for an IRC connection, wherever it runs. With several bridge processes a room is
 * handled by one process and the connection it sends through (the bot's, a user's) may
 * run in another: the handler forwards what to do (`scope.forward(key, message)`), and
 * the process running the connection does it. One process: it is done at once, here.
 * Messages are JSON, checked by `forwardedSchema` on arrival.
 */
import { z } from 'zod';
import type { DeliveryAttempt } from 'matrix-bridgekit';
import { isOperator } from './channels.js';
import type { IrcConnection } from './connection.js';
import type { Core } from './core.js';
import { ircLower } from './nicks.js';
import { IrcRefused } from './send-queue.js';

const line = z.tuple([z.string()], z.string());
/** Who to tell in Matrix when it cannot be done: the room and the event's idempotency key. */
const about = { roomId: z.string(), key: z.string(), what: z.string() };

export const forwardedSchema = z.discriminatedUnion('op', [
  /** Lines to send (a message, a topic, a kick), acknowledged by the server; `channel`: wait to be in it. */
  z.object({
    op: z.literal('lines'), lines: z.array(line).min(1), channel: z.string().optional(), ...about,
    /** Relay mode, a direct message through the bot: the IRC nick whose replies go to this Matrix user. */
    replyTo: z.object({ nick: z.string(), userId: z.string() }).optional(),
  }),
  /** The connection is to be in `channel` (the bot: the channel is bridged now). */
  z.object({ op: z.literal('want'), channel: z.string() }),
  z.object({ op: z.literal('unwant'), channel: z.string(), reason: z.string() }),
  z.object({ op: z.literal('nick'), nick: z.string() }),
  z.object({ op: z.literal('away'), message: z.string().nullable() }),
  /** For the bot, which knows the channel's operators: +o/-o where they differ from IRC's. */
  z.object({ op: z.literal('modes'), channel: z.string(), changes: z.array(z.object({ op: z.enum(['+o', '-o']), nick: z.string() })), ...about }),
  /** For the bot: the topic, set by the sender's connection (`ownKey`, nick `ownNick`) unless only the bot may. */
  z.object({ op: z.literal('topic'), channel: z.string(), topic: z.string(), ownKey: z.string(), ownNick: z.string(), ...about }),
  /** For the bot: a kick (and ban), by the bot when operator, else by the sender's connection when it is. */
  z.object({ op: z.literal('kick'), channel: z.string(), nick: z.string(), ban: z.boolean(), reason: z.string(), ownKey: z.string(), ownNick: z.string(), ...about }),
]);

export type Forwarded = z.output<typeof forwardedSchema>;
type Lines = Extract<Forwarded, { op: 'lines' }>;
type About = Pick<Lines, 'roomId' | 'key' | 'what'>;
type Line = [string, ...string[]];

/** Does forwarded work on the connections running in this process. */
export class ForwardedWork {
  constructor(private readonly core: Core) {}

  async deliver(connection: IrcConnection, userId: string | undefined, m: Forwarded, attempt: DeliveryAttempt): Promise<void> {
    const { core } = this;
    switch (m.op) {
      case 'lines':
        // Where the bot runs is where the reply arrives (inbound.ts).
        if (m.replyTo) core.relayPartners.set(ircLower(m.replyTo.nick), m.replyTo.userId);
        await this.send(connection, m.lines, m.channel, m, attempt);
        return;
      case 'want':
        // The bot's: the process running it reads the channel too (its lines are bridged there).
        if (userId === undefined) await core.bridged.add(m.channel);
        connection.want(m.channel);
        return;
      case 'unwant':
        connection.unwant(m.channel, m.reason);
        if (userId !== undefined) core.connections.releaseIfIdle(userId);
        return;
      case 'nick':
        await connection.queue.send([['NICK', m.nick]], undefined, core.config.sendTimeoutMs).catch((err: unknown) => {
          core.logger.info({ err, userId }, 'nick change not done on IRC');
        });
        if (userId !== undefined) await core.connections.rememberNick(userId);
        return;
      case 'away':
        // Kept by the connection and applied on (re)connection when it cannot go out now.
        await connection.setAway(m.message ?? undefined).catch(() => undefined);
        return;
      case 'modes': {
        const changes = m.changes.filter((c) => this.isOp(m.channel, c.nick) !== (c.op === '+o'));
        if (changes.length === 0) return;
        if (!this.isOp(m.channel, connection.nick)) {
          await this.notice(m, `The bridge is not a channel operator in ${m.channel} on IRC, so this power level change was not carried over.`, 'not-op');
          return;
        }
        await this.send(connection, changes.map((c) => ['MODE', m.channel, c.op, c.nick] as const), m.channel, m, attempt);
        return;
      }
      case 'topic': {
        if (core.channels.get(m.channel)?.topic === m.topic) return; // IRC has it already (e.g. it came from there)
        // The sender sets it; when they may not (+t, not operator) and the bot may, the bot does.
        const byBot = m.ownKey === 'bot' || (!this.isOp(m.channel, m.ownNick) && this.isOp(m.channel, connection.nick));
        const lines: Line[] = [['TOPIC', m.channel, m.topic]];
        if (byBot) await this.send(connection, lines, m.channel, m, attempt);
        else await core.ctx.leases.send(m.ownKey, { op: 'lines', lines, channel: m.channel, roomId: m.roomId, key: m.key, what: m.what } satisfies Forwarded);
        return;
      }
      case 'kick': {
        const lines: Line[] = [...(m.ban ? [['MODE', m.channel, '+b', `${m.nick}!*@*`] satisfies Line] : []), ['KICK', m.channel, m.nick, m.reason]];
        if (this.isOp(m.channel, connection.nick)) await this.send(connection, lines, m.channel, m, attempt);
        else if (m.ownKey !== 'bot' && this.isOp(m.channel, m.ownNick)) {
          await core.ctx.leases.send(m.ownKey, { op: 'lines', lines, channel: m.channel, roomId: m.roomId, key: m.key, what: m.what } satisfies Forwarded);
        } else {
          await this.notice(m, `${m.nick} was not removed from ${m.channel} on IRC: neither you nor the bridge is a channel operator there.`, 'not-op');
        }
        return;
      }
    }
  }

  /**
   * Sends lines; a refusal by IRC (or the last failed try) is told in the room. Other
   * failures are thrown: tried again (the handler's retry, or the forwarded message's).
   */
  private async send(connection: IrcConnection, lines: ReadonlyArray<readonly [string, ...string[]]>, channel: string | undefined, m: About, attempt: DeliveryAttempt): Promise<void> {
    try {
      await connection.queue.send(lines, channel, this.core.config.sendTimeoutMs);
    } catch (err) {
      const refused = err instanceof IrcRefused;
      if (!refused && !attempt.lastAttempt) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      this.core.logger.warn({ err, roomId: m.roomId }, `${m.what} could not be delivered to IRC`);
      await this.notice(m, `${m.what} could not be delivered to IRC: ${reason}`);
      if (!refused) throw err; // kept as a dead letter too
    }
  }

  /** A notice from the bot, once per event and purpose. */
  private async notice(m: About, text: string, purpose = 'undelivered'): Promise<void> {
    await this.core.ctx.bot.sendNotice(m.roomId, text, { idempotencyKey: `irc-${purpose}:${m.key}` });
  }

  private isOp(channel: string, nick: string): boolean {
    return isOperatorIn(this.core, channel, nick);
  }
}

/** Whether `nick` is an operator of `channel` as this process knows it (the bot's process knows). */
export function isOperatorIn(core: Core, channel: string, nick: string): boolean {
  return isOperator(core.channels.get(channel)?.members.get(ircLower(nick)));
}
