import { createHash } from 'node:crypto';
import type { Section } from '../store/index.js';
import { put, type WriteOp } from '../store/index.js';

/**
 * The dedupe window, in generations: keys are prefixed with the generation they were
 * written in, lookups check the current and the previous generation, and whole old
 * generations are dropped with one range delete. An id is remembered for at least
 * `windowMs` and at most twice that, with no per-key expiry bookkeeping.
 */
export class DedupeWindow {
  constructor(private readonly section: Section<number>, private readonly windowMs: number) {}

  generation(now = Date.now()): number {
    return Math.floor(now / this.windowMs);
  }

  private key(gen: number, id: string): string {
    return `${gen.toString().padStart(10, '0')}!${id}`;
  }

  /** Which of `ids` were seen within the window. */
  async seen(ids: readonly string[], now = Date.now()): Promise<Set<string>> {
    const found = new Set<string>();
    if (ids.length === 0) return found;
    const gen = this.generation(now);
    const keys = [...ids.map((id) => this.key(gen, id)), ...ids.map((id) => this.key(gen - 1, id))];
    const values = await this.section.getMany(keys);
    values.forEach((value, i) => {
      if (value !== undefined) found.add(ids[i % ids.length]!);
    });
    return found;
  }

  remember(id: string, now = Date.now()): WriteOp {
    return put(this.section, this.key(this.generation(now), id), now);
  }

  /** Drops generations older than the previous one. */
  async prune(now = Date.now()): Promise<void> {
    await this.section.clear({ lt: this.key(this.generation(now) - 1, '') });
  }
}

/**
 * Ephemeral and to-device items carry no id. They are known by their transaction and
 * content: a retried txnId repeats them (not delivered twice), a txnId reused by a
 * restarted homeserver brings new content (delivered).
 */
export function ephemeralId(txnId: string, item: unknown): string {
  return `txn!${txnId}!${createHash('sha256').update(JSON.stringify(item)).digest('base64url').slice(0, 22)}`;
}
