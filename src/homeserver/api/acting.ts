import type { HomeserverClient } from '../client.js';

/** Options every endpoint method takes. */
export interface ActingOptions {
  /** The user to act as (`?user_id=`); the bot when omitted. */
  readonly asUser?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** The acting user, always explicit on the wire: `user_id` for the bot itself is valid too. */
export function actingUser(client: HomeserverClient, options: ActingOptions): string {
  return options.asUser ?? client.botUserId;
}

/** The per-request controls to pass through to `request`. */
export function controls(options: ActingOptions): { signal?: AbortSignal; timeoutMs?: number } {
  return { signal: options.signal, timeoutMs: options.timeoutMs };
}
