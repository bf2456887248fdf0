import { strict as assert } from 'node:assert';
import type { TestHomeserver, TestUser } from '../../src/testing/index.js';
import { synapseBody } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/net.js';
import { FakeAppservice, startWithAppservice, type TransactionBody } from './helpers.js';

/** The shape of a JSON value: object keys (sorted, recursively) and value types, not values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}

const EPHEMERAL = 'de.sorunome.msc2409.ephemeral';

describe('testing/TestHomeserver: pushing to the appservice', () => {
  let hs: TestHomeserver;
  let as: FakeAppservice;
  let admin: TestUser;

  beforeEach(async () => {
    ({ hs, as } = await startWithAppservice());
    admin = await hs.registerUser('admin');
  });
  afterEach(async () => {
    await hs.stop();
    await as.close();
  });

  /** A room with @test_alice joined (she is the bridge's puppet), after pushes settle. */
  async function roomWithPuppet(): Promise<string> {
    const roomId = await admin.client.createRoom({ name: 'Bridge test room' });
    const bot = hs.appserviceClient();
    await bot.request('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: 'test_alice', inhibit_login: true });
    await admin.client.invite(roomId, '@test_alice:localhost');
    await bot.as('@test_alice:localhost').join(roomId);
    await hs.waitForPushIdle();
    return roomId;
  }

  it('pushes events in the body shape of Synapse 1.94 (fixtures txn-01, txn-02, txn-05, txn-06)', async () => {
    const roomId = await admin.client.createRoom({ name: 'Bridge test room' });
    const bot = hs.appserviceClient();
    await bot.request('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: 'test_alice', inhibit_login: true });
    await admin.client.sendText(roomId, 'before anyone of ours is here');
    await admin.client.invite(roomId, '@test_alice:localhost');
    await waitFor(() => as.transactions().length === 1);
    const [first] = as.transactions();
    assert.equal(first?.path, '/_matrix/app/v1/transactions/1');
    assert.equal(first?.headers['authorization'], 'Bearer hs_token_for_tests');
    // The invite of a namespace user arrives alone: earlier events of the room are not ours.
    assert.deepEqual(shape(first?.body), shape(synapseBody('txn-01-invite-virtual-user.json')));

    await bot.as('@test_alice:localhost').join(roomId);
    await bot.as('@test_alice:localhost').request('PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'timestamp massaged' }, { ts: '1700000000000' });
    await admin.client.sendText(roomId, 'from a normal user');
    await hs.waitForPushIdle();
    const events = as.transactions().flatMap((t) => t.body.events);
    const join = events.find((e) => (e['content'] as Record<string, unknown>)['membership'] === 'join');
    assert.deepEqual(shape(join), shape(synapseBody<TransactionBody>('txn-02-virtual-user-join-masquerade.json').events[0]));
    assert.equal(join?.['replaces_state'], (first?.body.events[0] as Record<string, unknown>)['event_id']);
    const massaged = events.find((e) => (e['content'] as Record<string, unknown>)['body'] === 'timestamp massaged');
    assert.equal(massaged?.['origin_server_ts'], 1700000000000);
    assert.ok((massaged?.['age'] as number) < 60_000, 'age counts from creation, not from the massaged ts');
    const plain = events.find((e) => (e['content'] as Record<string, unknown>)['body'] === 'from a normal user');
    assert.deepEqual(shape(plain), shape(synapseBody<TransactionBody>('txn-06-message-from-normal-user.json').events[0]));
    assert.deepEqual(as.transactions().map((t) => t.txnId), as.transactions().map((_, i) => String(i + 1)));
  });

  it('pushes typing, receipts and presence as MSC2409 ephemeral events (txn-07, txn-09, txn-10, txn-11)', async () => {
    const roomId = await roomWithPuppet();
    const eventId = await admin.client.sendText(roomId, 'read me');
    await admin.client.typing(roomId, true);
    await admin.client.receipt(roomId, eventId, 'm.read');
    await admin.client.receipt(roomId, eventId, 'm.read.private');
    await admin.client.presence('online', 'testing');
    await hs.waitForPushIdle();
    const edus = as.transactions().flatMap((t) => t.body[EPHEMERAL] ?? []);
    const typing = edus.find((e) => e['type'] === 'm.typing');
    assert.deepEqual(typing, { type: 'm.typing', room_id: roomId, content: { user_ids: [admin.userId] } });
    assert.deepEqual(shape(typing), shape(synapseBody<TransactionBody>('txn-07-ephemeral-typing-start.json')[EPHEMERAL]?.[0]));
    const receipts = edus.filter((e) => e['type'] === 'm.receipt');
    assert.deepEqual(receipts.map((r) => Object.keys((r['content'] as Record<string, Record<string, unknown>>)[eventId] ?? {})), [['m.read'], ['m.read.private']]);
    const fixtureReceipt = synapseBody<TransactionBody>('txn-09-ephemeral-receipt-m.read.json')[EPHEMERAL]?.[0] ?? {};
    const receiptContent = (edu: Record<string, unknown> | undefined) => Object.values(edu?.['content'] as Record<string, unknown>);
    assert.deepEqual(Object.keys(receipts[0] ?? {}).sort(), Object.keys(fixtureReceipt).sort());
    assert.deepEqual(shape(receiptContent(receipts[0])), shape(receiptContent(fixtureReceipt)));
    const presence = edus.find((e) => e['type'] === 'm.presence');
    assert.deepEqual(shape(presence), shape(synapseBody<TransactionBody>('txn-11-ephemeral-presence-online-status_msg.json')[EPHEMERAL]?.[0]));
    for (const txn of as.transactions()) assert.deepEqual(txn.body['de.sorunome.msc2409.to_device'], []);
  });

  it('does not push events of rooms it has no interest in, but does for rooms with an alias in its namespace (txn-37)', async () => {
    const quiet = await admin.client.createRoom({ preset: 'public_chat' });
    await admin.client.sendText(quiet, 'nobody of ours here');
    const aliased = await admin.client.createRoom({ preset: 'public_chat' });
    await hs.appserviceClient().createAlias('#test_room:localhost', aliased);
    await admin.client.sendText(aliased, 'message in alias-only room');
    await hs.waitForPushIdle();
    const bodies = as.transactions().flatMap((t) => t.body.events).map((e) => (e['content'] as Record<string, unknown>)['body']);
    assert.deepEqual(bodies, ['message in alias-only room']);
    // Aliases in the exclusive namespace are the appservice's; it may not make others.
    const taken = await admin.client.createAlias('#test_mine:localhost', quiet).catch((e: { errcode?: string }) => e.errcode);
    assert.equal(taken, 'M_EXCLUSIVE');
    const outside = await hs.appserviceClient().createAlias('#other:localhost', quiet).catch((e: { errcode?: string }) => e.errcode);
    assert.equal(outside, 'M_EXCLUSIVE');
  });

  it('retries the same txnId after a 500, with the events but without the ephemeral data (txn-17, txn-22)', async () => {
    const roomId = await roomWithPuppet();
    const before = as.transactions().length;
    // A slow first answer lets a message and a typing EDU queue up into one transaction,
    // which then fails twice.
    let calls = 0;
    as.answer = () => {
      calls += 1;
      if (calls === 1) return { status: 200, delayMs: 150 };
      return calls <= 3 ? { status: 500, body: { errcode: 'M_UNKNOWN' } } : { status: 200 };
    };
    await admin.client.sendText(roomId, 'opening');
    await waitFor(() => as.transactions().length > before);
    await admin.client.typing(roomId, true);
    await admin.client.sendText(roomId, 'sent while the appservice fails');
    await hs.waitForPushIdle();
    const attempts = as.transactions().slice(before + 1);
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((a) => a.txnId === attempts[0]?.txnId), 'the same txnId is retried');
    const bodies = attempts.map((a) => a.body.events.map((e) => (e['content'] as Record<string, unknown>)['body']));
    assert.deepEqual(bodies, [['sent while the appservice fails'], ['sent while the appservice fails'], ['sent while the appservice fails']]);
    assert.equal(attempts[0]?.body[EPHEMERAL]?.[0]?.['type'], 'm.typing', 'the first attempt carried the typing EDU');
    assert.deepEqual(attempts.slice(1).map((a) => a.body[EPHEMERAL]), [[], []], 'retries carry no EDUs');
    const recorded = hs.transactionsSent.filter((t) => t.txnId === attempts[0]?.txnId);
    assert.deepEqual(recorded.map((t) => [t.attempt, t.outcome.kind === 'answered' ? t.outcome.status : 0]), [[1, 500], [2, 500], [3, 200]]);
    // Backoff doubles: the second retry waits about twice as long as the first (base 50 ms).
    const [a1, a2, a3] = attempts;
    assert.ok(a1 && a2 && a3);
    assert.ok(a2.receivedAt - a1.receivedAt >= 45);
    assert.ok(a3.receivedAt - a2.receivedAt >= 95);
  });

  it('retries a transaction that got no answer in time (txn-20)', async () => {
    await hs.stop();
    await as.close();
    ({ hs, as } = await startWithAppservice({ pushTimeoutMs: 150 }));
    admin = await hs.registerUser('admin');
    const roomId = await roomWithPuppet();
    let hung = false;
    as.answer = () => (hung ? { status: 200 } : ((hung = true), 'hang'));
    await admin.client.sendText(roomId, 'during the hang');
    await hs.waitForPushIdle();
    const outcomes = hs.transactionsSent.slice(-2).map((t) => [t.txnId, t.outcome.kind]);
    assert.equal(outcomes[0]?.[0], outcomes[1]?.[0]);
    assert.deepEqual(outcomes.map((o) => o[1]), ['timeout', 'answered']);
  });

  it('sends one transaction at a time and batches what queued meanwhile', async () => {
    const roomId = await roomWithPuppet();
    const before = as.transactions().length;
    as.answer = () => ({ status: 200, delayMs: 200 });
    await admin.client.sendText(roomId, 'one');
    await waitFor(() => as.transactions().length > before);
    await admin.client.sendText(roomId, 'two');
    await admin.client.sendText(roomId, 'three');
    await admin.client.sendText(roomId, 'four');
    await hs.waitForPushIdle();
    const batches = as.transactions().slice(before).map((t) => t.body.events.map((e) => (e['content'] as Record<string, unknown>)['body']));
    assert.deepEqual(batches, [['one'], ['two', 'three', 'four']]);
  });

  it('starts txnIds at 1 again after a restart (txn-01-REUSED-after-hs-restart)', async () => {
    const roomId = await roomWithPuppet();
    assert.ok(as.transactions().length >= 2);
    await hs.restart({ resetTxnIds: true });
    await admin.client.sendText(roomId, 'after restart');
    await hs.waitForPushIdle();
    const last = as.transactions().at(-1);
    assert.equal(last?.txnId, '1');
    assert.equal((last?.body.events[0]?.['content'] as Record<string, unknown>)['body'], 'after restart');

    await hs.restart({ resetTxnIds: false });
    await admin.client.sendText(roomId, 'after second restart');
    await hs.waitForPushIdle();
    assert.equal(as.transactions().at(-1)?.txnId, '2');
  });

  it('keeps an unacknowledged transaction across a restart and numbers new ones after it', async () => {
    const roomId = await roomWithPuppet();
    as.answer = () => ({ status: 503 });
    await admin.client.sendText(roomId, 'stuck');
    await waitFor(() => hs.transactionsSent.some((t) => t.outcome.kind === 'answered' && t.outcome.status === 503));
    const stuckId = hs.transactionsSent.at(-1)?.txnId;
    await hs.restart({ resetTxnIds: true });
    as.answer = () => ({ status: 200 });
    await admin.client.sendText(roomId, 'after restart');
    await hs.waitForPushIdle();
    const delivered = as.transactions().filter((t) => t.body.events.length > 0).slice(-2);
    assert.deepEqual(delivered.map((t) => t.txnId), [stuckId, String(Number(stuckId) + 1)]);
    assert.deepEqual(delivered.map((t) => (t.body.events[0]?.['content'] as Record<string, unknown>)['body']), ['stuck', 'after restart']);
  });

  it('can put EDUs under the stable ephemeral key', async () => {
    await hs.stop();
    await as.close();
    ({ hs, as } = await startWithAppservice({ ephemeralKey: 'stable' }));
    admin = await hs.registerUser('admin');
    const roomId = await roomWithPuppet();
    await admin.client.typing(roomId, true);
    await hs.waitForPushIdle();
    const last = as.transactions().at(-1);
    assert.equal(last?.body[EPHEMERAL], undefined);
    assert.equal(last?.body.ephemeral?.[0]?.['type'], 'm.typing');
  });

  it('asks the appservice about unknown users and aliases in its namespaces', async () => {
    const bot = hs.appserviceClient();
    as.answer = async (request) => {
      if (request.path === '/_matrix/app/v1/users/%40test_zed%3Alocalhost') {
        await bot.request('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: 'test_zed', inhibit_login: true });
        return { status: 200 };
      }
      if (request.path === '/_matrix/app/v1/rooms/%23test_foo%3Alocalhost') {
        await bot.createRoom({ preset: 'public_chat', room_alias_name: 'test_foo' });
        return { status: 200 };
      }
      return { status: 404, body: { errcode: 'M_NOT_FOUND' } };
    };
    const roomId0 = await admin.client.createRoom();
    await admin.client.invite(roomId0, '@test_zed:localhost');
    assert.equal(hs.memberships(roomId0)['@test_zed:localhost'], 'invite');
    const profile = await admin.client.request('GET', `/_matrix/client/v3/profile/${encodeURIComponent('@test_zed:localhost')}`);
    assert.deepEqual(profile, { displayname: 'test_zed' });
    const roomId = await admin.client.join('#test_foo:localhost');
    assert.equal(hs.memberships(roomId)[admin.userId], 'join');
    const missing = await admin.client.request('GET', `/_matrix/client/v3/profile/${encodeURIComponent('@test_nobody:localhost')}`).catch((e: unknown) => e);
    assert.equal((missing as { errcode?: string }).errcode, 'M_NOT_FOUND');
    const queried = as.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    assert.deepEqual(queried, [
      '/_matrix/app/v1/users/%40test_zed%3Alocalhost',
      '/_matrix/app/v1/rooms/%23test_foo%3Alocalhost',
      '/_matrix/app/v1/users/%40test_nobody%3Alocalhost',
    ]);
  });
});
