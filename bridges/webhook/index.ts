/**
 * webhook: generic webhooks for Matrix rooms. Invite the bot to a room, then (power level
 * 50 needed, prefix `!` by default):
 *
 *   !webhook create <name>   an inbound hook: answers with a secret URL; POST JSON
 *                            {"text", "html"?, "username"?, "avatar_url"?, "msgtype"?, "id"?}
 *                            to it and the message appears here, from a ghost named after
 *                            `username` (one per hook and name) or from the bot
 *   !webhook list            the room's inbound hooks (names only) and outbound target
 *   !webhook revoke <name>   the hook's URL stops working (404)
 *   !webhook out <url>       every message here is POSTed as JSON to <url>, retried with
 *                            backoff, with `Idempotency-Key: <event id>`
 *   !webhook out off
 *
 * The provisioning API's bridge (`POST /rooms/{roomId}/bridge {"channel": <name>}`) creates
 * an inbound hook and answers its URL; unbridge revokes it.
 *
 * Secrets are kept only as SHA-256 hashes. Outbound deliveries are queued with the event's
 * acknowledgement (so none is lost or queued twice) and sent by a worker; the bridge's own
 * messages (the bot, ghosts: what came in through hooks) never go out.
 */
import { guardedLookup, refusedTarget, type BridgePlugin } from 'matrix-bridgekit';
import { webhookCommand, type CommandDeps } from './commands.js';
import { webhookConfigSchema, type WebhookConfig } from './config.js';
import { Hooks } from './hooks.js';
import { inboundRoute } from './inbound.js';
import { editPayloadOf, payloadOf, queueForTarget } from './outbound.js';
import { DeliveryWorker, type Poster } from './outbound-worker.js';
import { postMessage } from './outbound-http.js';
import { hookRateLimit } from './rate-limit.js';
import { webhookProvisioning } from './provisioning.js';

export type { WebhookConfig } from './config.js';

interface Running {
  readonly commands: CommandDeps;
  readonly worker: DeliveryWorker;
  /** The bridge's signed link to an mxc URI, for payloads (undefined without bridge.publicUrl). */
  readonly mediaLink: (mxc: string, filename?: string) => string | undefined;
}

/** A fresh plugin: each running bridge needs its own (it holds the delivery worker). */
export function createWebhookPlugin(): BridgePlugin<WebhookConfig> {
  let running: Running | undefined;
  const live = (): Running => {
    if (!running) throw new Error('the webhook plugin was used before start');
    return running;
  };

  return {
    name: 'webhook',
    // Messages, edits and files go out as JSON (replies and threads as ids in it). Reactions
    // and redactions are accepted and not carried: a webhook speaks in messages, and a
    // "cannot carry" notice for every reaction in every room with a hook would be noise.
    capabilities: { messages: true, media: true, edits: true, replies: true, threads: true, reactions: true, redactions: true },
    configSchema: webhookConfigSchema,
    // A room with hooks says so in its m.bridge event (set when its first hook posts).
    bridgeInfo: () => ({ protocol: { id: 'webhook', displayname: 'Webhook' }, stateKeyPrefix: 'bridgekit.webhook' }),
    commands: [webhookCommand(() => live().commands)],
    provisioning: webhookProvisioning(() => live().commands),

    async start(ctx) {
      const hooks = new Hooks(ctx.kv);
      const { allowPrivateTargets } = ctx.config.outbound;
      const publicOnly = guardedLookup();
      // Checked again before each delivery, and on the connection itself: what a name
      // resolves to can change.
      const post: Poster = async (url, payload, timeoutMs) => {
        if (allowPrivateTargets) return postMessage(url, payload, timeoutMs);
        const refusal = await refusedTarget(url, false);
        const attempt = refusal === undefined ? await postMessage(url, payload, timeoutMs, publicOnly) : undefined;
        if (attempt && !(attempt.kind === 'rejected' && attempt.status === 0)) return attempt;
        ctx.logger.warn({ target: new URL(url).origin, refusal: refusal ?? attempt?.reason }, 'outbound webhook target refused');
        return attempt ?? { kind: 'rejected', status: 0 };
      };
      const worker = new DeliveryWorker(ctx.kv, ctx.config.outbound, ctx.logger, post, ctx.status);
      const rateLimit = hookRateLimit(ctx.config.inbound.burst, 60_000 / ctx.config.inbound.perMinute);
      ctx.http.route('POST', '/hooks/:secret', inboundRoute({
        hooks, rateLimit, remote: ctx.remote, mappings: ctx.mappings, logger: ctx.logger,
        room: (roomId) => ctx.room(roomId), ghosts: ctx.ghosts, impersonationSuffix: ctx.config.inbound.impersonationSuffix,
      }), {
        maxBodyBytes: ctx.config.inbound.maxBodyBytes,
      });
      running = { worker, mediaLink: (mxc, filename) => ctx.media.url(mxc, filename), commands: { hooks, kv: ctx.kv, status: ctx.status, bot: ctx.bot, mappings: ctx.mappings, baseUrl: ctx.http.baseUrl, allowPrivateTargets } };
      worker.start();
      ctx.logger.info({ hooks: `${ctx.http.baseUrl}/hooks/…` }, 'webhook bridge ready: invite the bot and send !webhook create <name>');
    },

    async stop() {
      await running?.worker.stop();
    },

    async onMessage(message, room, scope) {
      if (await queueForTarget(room, scope, () => payloadOf(message, room, live().mediaLink))) live().worker.nudge();
    },

    async onEdit(edit, room, scope) {
      if (await queueForTarget(room, scope, () => editPayloadOf(edit, room))) live().worker.nudge();
    },
  };
}

export default createWebhookPlugin();
