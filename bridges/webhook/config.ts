import { z } from 'zod';

const count = (fallback: number) => z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive').default(fallback);

/** `bridge.config` of the webhook bridge; every key has a default. */
export const webhookConfigSchema = z.object({
  inbound: z.object({
    /** Largest JSON body a hook accepts (413 above it). */
    maxBodyBytes: count(64 * 1024),
    /** Messages a hook may post at once, then `perMinute` (429 M_LIMIT_EXCEEDED beyond). */
    burst: count(20),
    perMinute: count(60),
    /**
     * Added to a hook's `username` when it equals the display name, user ID or localpart of
     * someone in the room, so a hook cannot pass for a person ('' turns the marking off).
     */
    impersonationSuffix: z.string({ error: 'must be a string' }).max(32, 'must be at most 32 characters').default(' (webhook)'),
  }, { error: 'must be a mapping' }).prefault({}),
  outbound: z.object({
    /** Allow targets on loopback, private or link-local addresses (refused by default). */
    allowPrivateTargets: z.boolean({ error: 'must be true or false' }).default(false),
    /** Tries per message before it is given up (logged and counted). */
    maxAttempts: count(8),
    /** One POST may take this long before it counts as failed. */
    timeoutMs: count(10_000),
    /** First retry delay; doubles per attempt up to `retryMaxMs`. */
    retryBaseMs: count(1_000),
    retryMaxMs: count(5 * 60_000),
    /** How often the queue is looked at when nothing new arrived (retries falling due). */
    pollMs: count(1_000),
    /** Rooms delivering at the same time (a room delivers one message at a time, in order). */
    concurrency: count(4),
    /** How long a delivered message id is remembered, so it is never sent to its target again. */
    rememberDeliveredMs: count(7 * 24 * 3600_000),
  }, { error: 'must be a mapping' }).prefault({}),
}, { error: 'must be a mapping' });

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
