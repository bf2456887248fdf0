import assert from 'node:assert/strict';
import { deepObjectText, withDeep } from '../helpers/deep-json.js';
import { makeEvent } from '../helpers/events.js';
import { OpsHarness } from '../metrics/harness.js';

const ROOM = '!deepstate:localhost';
const DEPTH = 10_000;

/** A state event nested 10,000 levels deep goes into the mirror (the store) like any other. */
describe('runtime: a deeply nested state event', function () {
  this.timeout(30_000);
  let h: OpsHarness;
  before(async () => { h = await OpsHarness.start(); });
  after(async () => { await h.stop(); });

  it('is stored in the mirror and handled once, not retried into the dead letters', async () => {
    const bridge = await h.startBridge();
    assert.equal(await h.push('warm', { events: [makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    const state = makeEvent(ROOM, { type: 'org.example.deep', state_key: '', content: { nest: '<DEEP>' } });
    const res = await fetch(`${bridge.url}/_matrix/app/v1/transactions/deep-state`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${h.registration.hs_token}`, 'content-type': 'application/json' },
      body: withDeep({ events: [state] }, deepObjectText(DEPTH)),
    });
    assert.equal(res.status, 200);
    await bridge.inbox.drained();
    assert.equal(await bridge.inbox.deadLetters.count(), 0);
    const stored = await (await bridge.mirror.room(ROOM))?.stateEvent('org.example.deep');
    assert.equal(stored?.event_id, state.event_id);
    let depth = 0;
    for (let v: unknown = stored?.content['nest']; typeof v === 'object' && v !== null; v = (v as { a?: unknown }).a) depth++;
    assert.equal(depth, DEPTH);
  });
});
