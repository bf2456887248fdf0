import assert from 'node:assert/strict';
import {
  canChangePowerLevels, canKick, canRedact, canSendMessage, canSendState, MemoryRoomState, type Verdict,
} from '../../src/mirror/index.js';
import { TestHomeserver, TestClientError, type TestUser } from '../../src/testing/index.js';

/**
 * The endpoint predictions against the test homeserver, which answers the client-server
 * API as Synapse does: for each case, the prediction refuses exactly when the server does.
 */
describe('mirror: endpoint predictions agree with the test homeserver', function () {
  this.timeout(20_000);
  let hs: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;

  before(async () => {
    hs = await TestHomeserver.start();
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
    roomId = await alice.client.createRoom({ room_version: '10' });
  });
  after(async () => hs.stop());

  const state = () => new MemoryRoomState(hs.events(roomId));
  async function answer(request: () => Promise<unknown>): Promise<number> {
    try {
      await request();
      return 200;
    } catch (err) {
      if (err instanceof TestClientError) return err.status;
      throw err;
    }
  }
  async function agree(what: string, verdict: Verdict, request: () => Promise<unknown>, refusedWith?: number): Promise<void> {
    const status = await answer(request);
    assert.equal(verdict.allowed, status === 200, `${what}: predicted ${verdict.allowed ? 'allowed' : `refused (${verdict.reason})`}, server answered ${status}`);
    if (refusedWith !== undefined) assert.equal(status, refusedWith, what);
  }

  it('kick, power levels as strings (400 before the auth rules 403), create redaction, size, content, ACL', async () => {
    const levels = await alice.client.getState(roomId, 'm.room.power_levels');
    await agree('kick of a user never in the room', canKick(state(), alice.userId, bob.userId), () => alice.client.kick(roomId, bob.userId), 403);
    const strings = { ...levels, ban: '50' };
    await agree('power levels with "50"', canChangePowerLevels(state(), alice.userId, strings),
      () => alice.client.setState(roomId, 'm.room.power_levels', '', strings), 400);
    await agree('integer power levels', canChangePowerLevels(state(), alice.userId, { ...levels, ban: 60 }),
      () => alice.client.setState(roomId, 'm.room.power_levels', '', { ...levels, ban: 60 }));
    const create = hs.stateEvent(roomId, 'm.room.create')!;
    await agree('redacting the create event', canRedact(state(), alice.userId, create.sender, 'm.room.create'),
      () => alice.client.redact(roomId, create.event_id), 403);
    const big = { msgtype: 'm.text', body: 'x'.repeat(66_000) };
    await agree('a 66 kB message', canSendMessage(state(), alice.userId, 'm.room.message', big), () => alice.client.sendEvent(roomId, 'm.room.message', big), 413);
    await agree('a topic that is not a string', canSendState(state(), alice.userId, 'm.room.topic', '', { topic: 5 }),
      () => alice.client.setState(roomId, 'm.room.topic', '', { topic: 5 }), 400);
    await agree('an ACL denying its own server', canSendState(state(), alice.userId, 'm.room.server_acl', '', { allow: ['other.example'] }),
      () => alice.client.setState(roomId, 'm.room.server_acl', '', { allow: ['other.example'] }), 400);
    await agree('a message', canSendMessage(state(), alice.userId, 'm.room.message', { msgtype: 'm.text', body: 'hi' }),
      () => alice.client.sendText(roomId, 'hi'));
  });
});
