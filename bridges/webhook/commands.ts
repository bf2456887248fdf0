import { escapeHtml, refusedTarget, type BotCommand, type CommandInvocation, type KeyValue, type PluginContext } from 'matrix-bridgekit';
import { outboundConnectionId } from './outbound-status.js';
import { HOOK_NAME, type Hooks } from './hooks.js';
import { ensureLinked } from './inbound.js';
import { keys, NO_STATS, type OutboundStats, type OutboundTarget } from './outbound-store.js';

/** Managing hooks changes who can post in the room and where its messages go. */
export const MODERATOR = 50;

export interface CommandDeps {
  readonly hooks: Hooks;
  readonly kv: KeyValue;
  /** The room's outbound target is forgotten when it goes or changes. */
  readonly status: PluginContext['status'];
  readonly bot: PluginContext['bot'];
  readonly mappings: PluginContext['mappings'];
  readonly baseUrl: string;
  readonly allowPrivateTargets: boolean;
}

const USAGE = 'create <name> | list | revoke <name> | out <url> | out off';

/** `!webhook …`: one command, so that `help` shows it once with its level. */
export function webhookCommand(deps: () => CommandDeps): BotCommand {
  return {
    name: 'webhook',
    summary: 'inbound hooks that post here, and an outbound hook that receives this room\'s messages',
    usage: USAGE,
    powerLevel: MODERATOR,
    minArgs: 1,
    async run(inv) {
      const [sub = '', arg] = inv.args;
      const d = deps();
      switch (sub.toLowerCase()) {
        case 'create': return arg === undefined ? inv.reply(inv.usage) : create(d, inv, arg);
        case 'list': return list(d, inv);
        case 'revoke': return arg === undefined ? inv.reply(inv.usage) : revoke(d, inv, arg);
        case 'out': return arg === undefined ? inv.reply(inv.usage) : out(d, inv, arg);
        default: return inv.reply(inv.usage);
      }
    },
  };
}

async function create(d: CommandDeps, inv: CommandInvocation, name: string): Promise<void> {
  if (!HOOK_NAME.test(name)) {
    await inv.reply(`A webhook name is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit ("${name}" is not).`);
    return;
  }
  const { roomId, message } = inv;
  const existing = await d.hooks.named(roomId, name);
  if (existing && existing.hook.createdByEvent !== message.eventId) {
    await inv.reply(`There is already a webhook named "${existing.hook.name}" here. Revoke it first, or pick another name.`);
    return;
  }
  // This very command ran before and is being retried: its secret was never kept, so the
  // hook is made again, and answered in a new message (an earlier answer's URL is dead).
  if (existing) await d.hooks.revoke(roomId, name);
  await ensureLinked(d.mappings, roomId);
  const { secret, hook } = await d.hooks.create({
    roomId, name, createdBy: inv.sender, createdAt: Date.now(), createdByEvent: message.eventId,
  });
  const url = `${d.baseUrl}/hooks/${secret}`;
  const example = '{"text": "Hello", "username": "deploybot"}';
  const replaced = existing ? ' (It replaces the URL of any earlier answer to this command.)' : '';
  const text = `Webhook "${name}" created. POST JSON like ${example} to:\n${url}\n`
    + `Anyone with this URL can post here: keep it secret, and revoke the hook if it leaks.${replaced}`;
  const html = `Webhook <b>${escapeHtml(name)}</b> created. POST JSON like <code>${escapeHtml(example)}</code> to:<br>`
    + `<code>${escapeHtml(url)}</code><br>Anyone with this URL can post here: keep it secret, and revoke the hook if it leaks.${replaced}`;
  // Keyed by the hook, not the command: a retry's new URL must not be swallowed as a repeat.
  await d.bot.sendHtml(roomId, { body: text, html }, {
    msgtype: 'm.notice',
    replyTo: message.eventId,
    idempotencyKey: `webhook-create:${message.eventId}:${hook.hookId}`,
    ...(message.thread ? { thread: { root: message.thread.rootId } } : {}),
  });
}

async function list(d: CommandDeps, inv: CommandInvocation): Promise<void> {
  const hooks = await d.hooks.list(inv.roomId);
  const lines = hooks.length === 0
    ? ['No inbound webhooks here.']
    : ['Inbound webhooks:', ...hooks.map((h) => `• ${h.name}, created by ${h.createdBy} on ${day(h.createdAt)}`)];
  const target = await d.kv.get<OutboundTarget>(keys.target(inv.roomId));
  if (!target) {
    lines.push('No outbound webhook.');
  } else {
    const stats = (await d.kv.get<OutboundStats>(keys.stats(inv.roomId))) ?? NO_STATS;
    let queued = 0;
    for await (const _entry of d.kv.entries(keys.queueOf(inv.roomId))) queued++;
    lines.push(`Outbound: ${target.url}, set by ${target.setBy} on ${day(target.setAt)}; `
      + `${stats.delivered} delivered, ${queued} queued, ${stats.rejected} refused by the target, ${stats.gaveUp} given up after retries.`);
  }
  await inv.reply(lines.join('\n'));
}

async function revoke(d: CommandDeps, inv: CommandInvocation, name: string): Promise<void> {
  const done = await d.hooks.revoke(inv.roomId, name);
  await inv.reply(done ? `Webhook "${name}" revoked: its URL no longer works.` : `There is no webhook named "${name}" here.`);
}

async function out(d: CommandDeps, inv: CommandInvocation, arg: string): Promise<void> {
  const key = keys.target(inv.roomId);
  if (arg.toLowerCase() === 'off') {
    const had = await d.kv.get<OutboundTarget>(key);
    await d.kv.del(key);
    d.status.forget(outboundConnectionId(inv.roomId));
    await inv.reply(had ? 'Outbound webhook off: messages here are no longer sent out, queued ones included.' : 'There was no outbound webhook here.');
    return;
  }
  if (!isHttpUrl(arg)) {
    await inv.reply(`${inv.usage} (the URL must start with http:// or https://)`);
    return;
  }
  const refusal = await refusedTarget(arg, d.allowPrivateTargets);
  if (refusal) {
    await inv.reply(`Not set: ${refusal}; set bridge.config.outbound.allowPrivateTargets to allow it.`);
    return;
  }
  const target: OutboundTarget = { url: arg, setBy: inv.sender, setAt: Date.now() };
  await d.kv.put(key, target);
  // A new URL: the old one's state says nothing about it; its first delivery reports again.
  d.status.forget(outboundConnectionId(inv.roomId));
  await d.kv.put(keys.stats(inv.roomId), NO_STATS);
  await inv.reply(`Outbound webhook set: from now on every message in this room is POSTed as JSON to ${arg} (with an Idempotency-Key header).`);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
