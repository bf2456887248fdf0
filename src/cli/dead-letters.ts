import { existsSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { DeadLetters, readNextSeq } from '../inbox/index.js';
import type { DeadLetter } from '../inbox/index.js';
import { describeItem } from '../inbox/entries.js';
import type { Store } from '../store/index.js';
import { configOption, parseCommandArgs, requireConfigPath } from './args.js';
import type { Command } from './command.js';
import { out, UsageError } from './output.js';
import { progress } from './progress.js';
import { openStoppedStore } from './store-access.js';

function describe(letter: DeadLetter): string {
  const ids = describeItem(letter.item);
  const what = [ids['type'], ids['roomId'], ids['eventId'] ?? ids['userId']].filter(Boolean).join(' ');
  return `${letter.seq}\t${new Date(letter.failedAt).toISOString()}\t${letter.attempts} attempts\t${what}\t${letter.error}`;
}

/** Letters moved per atomic write: small enough that the progress display moves. */
const REPLAY_BATCH = 100;

/** Moves the letters (all, or the given seqs) back into the journal in batches, showing progress. */
async function replay(store: Store, seqs: readonly number[] | undefined): Promise<number> {
  const letters = new DeadLetters(store);
  const targets = seqs ?? (await letters.list()).map((l) => l.seq);
  if (targets.length === 0) return 0;
  let next = await readNextSeq(store);
  let moved = 0;
  const shown = progress(targets.length, 'replay');
  for (let i = 0; i < targets.length; i += REPLAY_BATCH) {
    const batch = targets.slice(i, i + REPLAY_BATCH);
    moved += (await letters.replay(batch, () => next++)).length;
    shown.tick(batch.length);
  }
  shown.done();
  return moved;
}

export const deadLetters: Command = {
  name: 'dead-letters',
  summary: 'list, replay or drop items whose handler kept failing',
  usage: `bridgekit dead-letters list|replay|drop -c config.yaml [seq ...]

  list     show every dead letter: seq, when, attempts, what, last error
  replay   move them (or the given seqs) back into the journal; the next run handles them
  drop     delete them (or the given seqs) for good

Works on the store while the bridge is stopped.`,

  async run(argv) {
    const { values, positionals } = parseCommandArgs(this.name, argv, configOption);
    const [action, ...rest] = positionals;
    if (values['help'] || !action) {
      out(this.usage);
      return values['help'] ? 0 : 1;
    }
    if (!['list', 'replay', 'drop'].includes(action)) throw new UsageError(`bridgekit dead-letters: unknown action '${action}'`);
    const seqs = rest.length > 0 ? rest.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`bridgekit dead-letters: '${s}' is not a sequence number`);
      return n;
    }) : undefined;
    const config = await loadConfig(requireConfigPath(this.name, values['config']));
    // Opening would create an empty store: say there is none instead.
    if (config.store.path !== undefined && !existsSync(config.store.path)) {
      out(`0 dead letter(s): there is no store at ${config.store.path} (store.path) yet; the bridge has not run with this config`);
      return 0;
    }
    const store = await openStoppedStore(config.store);
    try {
      if (action === 'list') {
        const letters = await new DeadLetters(store).list();
        for (const letter of letters) out(describe(letter));
        out(`${letters.length} dead letter(s)`);
      } else if (action === 'drop') {
        out(`dropped ${await new DeadLetters(store).drop(seqs)} dead letter(s)`);
      } else {
        const moved = await replay(store, seqs);
        out(`moved ${moved} dead letter(s) back into the journal; they are handled on the next start`);
      }
    } finally {
      await store.close();
    }
    return 0;
  },
};
