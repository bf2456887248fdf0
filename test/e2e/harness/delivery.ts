import type { Synapse } from './synapse.js';

/**
 * Makes sure Synapse pushes to an appservice now. Synapse marks an appservice down when a
 * push fails (its listener was not running, e.g. since the last run) and tries again only
 * after a backoff of up to minutes; a restart tries at once. `probe` does something that
 * needs a push and says whether it arrived within `timeoutMs`; when it did not, Synapse is
 * restarted and the probe tried once more.
 */
export async function ensureDelivering(synapse: Synapse, probe: (timeoutMs: number) => Promise<boolean>): Promise<void> {
  if (await probe(8_000)) return;
  await synapse.restart();
  if (!(await probe(30_000))) throw new Error('Synapse pushes nothing to the appservice, even after a restart');
}
