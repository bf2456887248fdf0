import assert from 'node:assert/strict';
import { startEndpoint, putTransaction, type Endpoint } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';

/** An error as Level reports a failed write (abstract-level's errors carry a LEVEL_ code). */
function diskFull(): Error {
  return Object.assign(new Error('IO error: 000003.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
}

describe('inbox: the store failing under a handler', () => {
  let endpoint: Endpoint | undefined;
  afterEach(async () => { await endpoint?.close(); endpoint = undefined; });

  it('uses up none of the item\'s attempts: the room waits for the store, nothing is dead-lettered', async () => {
    const attemptsSeen: number[] = [];
    let failures = 5;
    endpoint = await startEndpoint({
      inbox: { maxAttempts: 2, retryBaseMs: 5, retryMaxMs: 20 },
      handler: async (_item, ctx) => {
        attemptsSeen.push(ctx.attempt);
        if (failures-- > 0) throw diskFull();
      },
    });
    assert.equal((await putTransaction(endpoint.url, 't1', { events: [makeEvent('!r:localhost')] })).status, 200);
    await endpoint.inbox.drained();
    assert.equal(await endpoint.inbox.deadLetters.count(), 0);
    assert.equal(endpoint.handled.length, 1);
    assert.deepEqual(attemptsSeen, [1, 1, 1, 1, 1, 1], 'every try is still the first attempt');
  });

  it('a handler\'s own failures still count, and still end in the dead letters', async () => {
    endpoint = await startEndpoint({
      inbox: { maxAttempts: 2, retryBaseMs: 5, retryMaxMs: 20 },
      handler: async () => { throw new Error('the plugin is broken'); },
    });
    assert.equal((await putTransaction(endpoint.url, 't2', { events: [makeEvent('!r:localhost')] })).status, 200);
    await endpoint.inbox.drained();
    assert.equal(await endpoint.inbox.deadLetters.count(), 1);
  });
});
