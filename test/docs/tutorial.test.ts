import assert from 'node:assert/strict';
import { TestBridge } from '../../src/testing/index.js';
import { Chatter, chatterBridge } from './tutorial-plugin.js';

describe('docs/writing-a-plugin.md: the Chatter bridge', function () {
  this.timeout(30_000);
  let network: Chatter;
  let t: TestBridge;

  beforeEach(async () => {
    network = new Chatter();
    t = await TestBridge.start(chatterBridge(network), { config: { appservice: { prefix: '_chatter_' } } });
  });
  afterEach(() => t.stop());

  it('brings a Chatter message into a portal room, from a ghost', async () => {
    network.say('general', 'bob', 'hi from Chatter');
    const message = await t.hs.waitForTransaction((txn) => JSON.stringify(txn.body).includes('hi from Chatter'), 10_000);
    assert.ok(message);
    const alias = '#_chatter_general:localhost';
    const roomId = t.hs.resolveAlias(alias);
    assert.ok(roomId, 'the portal has its alias');
    const events = t.hs.events(roomId);
    const posted = events.find((e) => e.content['body'] === 'hi from Chatter');
    assert.equal(posted?.sender, '@_chatter_bob:localhost');
  });

  it('sends what a Matrix user says in the portal to Chatter', async () => {
    const alice = await t.user('alice');
    const roomId = await alice.client.join('#_chatter_general:localhost'); // created on demand
    await alice.client.sendText(roomId, 'hello Chatter');
    await t.hs.waitForPushIdle(10_000);
    await t.bridge.inbox.drained();
    assert.deepEqual(network.sent, [{ channel: 'general', from: 'alice', text: 'hello Chatter' }]);
  });
});
