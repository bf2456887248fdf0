import assert from 'node:assert/strict';
import { CryptoService, CryptoUsers, cryptoSections } from '../../src/crypto/index.js';
import { parseTransaction } from '../../src/events/index.js';
import { HomeserverClient } from '../../src/homeserver/client.js';
import { silentLogger } from '../../src/log/logger.js';
import { isFencedOut, Store } from '../../src/store/index.js';
import { makeEvent } from '../helpers/events.js';
import { keysHomeserver } from '../helpers/keys-homeserver.js';
import { OlmPerson, type UploadedKeys } from '../helpers/olm-person.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { joinCluster, type ClusterMember } from './member.js';

const BOT = '@bot:localhost';

function machineFor(store: Store, baseUrl: string): Promise<CryptoService> {
  const client = new HomeserverClient({ baseUrl, asToken: 'as', botUserId: BOT, retry: { maxAttempts: 1 } });
  return CryptoService.start({ store, client, userId: BOT, logger: silentLogger(), keyWaitMs: 10, members: async () => [] }, undefined, { begin: false });
}

/** The crypto store's records as the database holds them. */
async function cryptoRecords(store: Store): Promise<Map<string, string>> {
  const records = new Map<string, string>();
  for await (const [key, value] of cryptoSections(store).records.iterator()) records.set(key, value.toString('hex'));
  return records;
}

/** The key counts that make a machine make new one-time keys (an account change it writes). */
const keysUsedUp = (deviceId: string) => ({ oneTimeKeyCounts: { [BOT]: { [deviceId]: { signed_curve25519: 0 } } } });

describe('cluster: the bot\'s crypto device is driven by one process at a time', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close().catch(() => undefined);
  });
  const member = async (schema: string, options: Parameters<typeof joinCluster>[2] = {}): Promise<ClusterMember> => {
    const m = await joinCluster(pg.url(), schema, options);
    open.push({ close: () => m.stop() });
    return m;
  };

  it('a reaped ex-leader cannot overwrite the Olm state of the process that took over, nor send what it made', async () => {
    const hs = await keysHomeserver();
    open.push(hs);
    const uploads = () => hs.requests.filter((r) => r.path === '/_matrix/client/v3/keys/upload');
    const schema = pg.schema();
    const a = await member(schema);
    const oldMachine = await machineFor(a.store, hs.url);
    open.push({ close: () => oldMachine.close() });
    const deviceId = oldMachine.device.deviceId;

    // A stalls past its TTL: B's heartbeat reaps it (its row goes), and B takes the device over.
    await a.store.postgres!.query(`DELETE FROM ${a.store.postgres!.tables.processes} WHERE id = $1`, [a.inbox.processId]);
    const b = await member(schema);
    const newMachine = await machineFor(b.store, hs.url);
    open.push({ close: () => newMachine.close() });
    assert.equal(newMachine.device.deviceId, deviceId, 'the same device, restored from the store');
    await newMachine.receiveDeviceChanges(keysUsedUp(deviceId));
    assert.deepEqual(uploads().map((r) => r.deviceId), [deviceId], 'the new holder made keys and uploaded them as the device');
    const afterNew = await cryptoRecords(b.store);

    // The ex-leader's machine still runs in memory: its change is refused by the fence, and nothing leaves.
    await assert.rejects(oldMachine.receiveDeviceChanges(keysUsedUp(deviceId)), (err: unknown) => {
      assert.match(String(err), /the crypto store could not be written to disk/);
      assert.ok(isFencedOut((err as Error).cause), 'refused because the process was reaped');
      return true;
    });
    assert.equal(uploads().length, 1, 'the ex-leader sent no keys the store does not hold');
    assert.deepEqual(await cryptoRecords(b.store), afterNew, 'the new holder\'s Olm state is as it wrote it');
  });

  it('a reaped leader\'s close closes every machine (the bot\'s and the ghosts\'), though its last flush is refused', async () => {
    const hs = await keysHomeserver();
    open.push(hs);
    const a = await member(pg.schema());
    const client = new HomeserverClient({ baseUrl: hs.url, asToken: 'as', botUserId: BOT, retry: { maxAttempts: 1 } });
    const users = await CryptoUsers.start({ store: a.store, client, logger: silentLogger(), keyWaitMs: 10, members: async () => [] }, BOT);
    const ghost = await users.for('@_test_ghost:localhost');
    await a.store.postgres!.query(`DELETE FROM ${a.store.postgres!.tables.processes} WHERE id = $1`, [a.inbox.processId]);
    await assert.rejects(users.bot.receiveDeviceChanges(keysUsedUp(users.bot.device.deviceId)), /could not be written/);
    await assert.rejects(users.close(), /could not be written/, 'the refused flush is said');
    // A closed machine refuses work; an open one would answer "undecryptable".
    const event = { type: 'm.room.encrypted', room_id: '!r:localhost', sender: '@x:localhost', event_id: '$e', origin_server_ts: 1, content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: 's', sender_key: 'k', device_id: 'D' } };
    await assert.rejects(ghost.decrypt(event, 0), 'the ghost\'s machine was closed too');
  });

  it('the process that takes over decrypts with the Megolm session whose room key the dead leader processed', async () => {
    const hs = await keysHomeserver();
    open.push(hs);
    const schema = pg.schema();
    const a = await member(schema);
    const leader = await machineFor(a.store, hs.url);
    open.push({ close: () => leader.close() }); // after the test only (its writes are refused by then)
    await leader.flushOutgoing(); // its keys uploaded: the person's client finds them there
    const upload = hs.requests.find((r) => r.path === '/_matrix/client/v3/keys/upload')!.body as UploadedKeys;
    const person = await OlmPerson.create('@alice:localhost', 'ALICEDEV');
    open.push({ close: async () => person.close() });
    const roomId = '!secret:localhost';
    const keyMessages = await person.shareRoomKey(roomId, { userId: BOT, deviceId: leader.device.deviceId, keys: upload });
    assert.ok(keyMessages.length > 0, 'the room key goes out by to-device');
    // The leader processes the room key (as a to-device item, written before its acknowledgement), then dies: never closed.
    await leader.receiveToDevice(keyMessages);
    const said = await person.say(roomId, 'read by whoever leads');
    const before = await leader.decrypt(said, 0);
    assert.equal(before.kind, 'decrypted');
    await a.store.postgres!.query(`DELETE FROM ${a.store.postgres!.tables.processes} WHERE id = $1`, [a.inbox.processId]);

    const b = await member(schema);
    const successor = await machineFor(b.store, hs.url);
    open.push({ close: () => successor.close() });
    const after = await successor.decrypt(await person.say(roomId, 'said after the takeover'), 0);
    assert.equal(after.kind, 'decrypted', JSON.stringify(after));
    assert.equal(after.kind === 'decrypted' ? after.event.content['body'] : undefined, 'said after the takeover');
    const earlier = await successor.decrypt(said, 0);
    assert.equal(earlier.kind === 'decrypted' ? earlier.event.content['body'] : earlier.reason, 'read by whoever leads');
  });

  it('placement leader: only the process that takes the lead opens the device, before it dispatches anything; its successor after it leaves', async () => {
    const schema = pg.schema();
    const log: string[] = [];
    const leader = (name: string) => ({
      placement: 'leader' as const,
      handler: async () => { log.push(`${name}: item`); },
      hooks: { onLeading: async () => { log.push(`${name}: opening`); await new Promise((r) => setTimeout(r, 200)); log.push(`${name}: open`); } },
    });
    const a = await member(schema, leader('a'));
    const b = await member(schema, leader('b'));
    await b.inbox.accept('t1', parseTransaction({ events: [makeEvent('!one:localhost')] }));
    await waitFor(() => log.includes('a: item'), 10_000, 'the leader to handle the item');
    assert.deepEqual(log, ['a: opening', 'a: open', 'a: item'], 'the standby never opened it');

    // The leader stops cleanly; items sent meanwhile wait for the next leader's device.
    await a.stop();
    await b.inbox.accept('t2', parseTransaction({ events: [makeEvent('!one:localhost')] }));
    await waitFor(() => log.includes('b: item'), 10_000, 'the successor to handle the item');
    assert.deepEqual(log.slice(3), ['b: opening', 'b: open', 'b: item']);
  });

  it('a process that takes the lead and cannot open the device leaves the cluster, and another leads', async () => {
    const schema = pg.schema();
    const handled: string[] = [];
    const failed: Error[] = [];
    const a = await member(schema, {
      placement: 'leader', handler: async () => { handled.push('a'); },
      hooks: { onLeading: async () => { throw new Error('the crypto store is lost'); }, onLeadFailed: (err) => { failed.push(err); } },
    });
    assert.match(String(failed[0]), /the crypto store is lost/);
    const b = await member(schema, { placement: 'leader', handler: async () => { handled.push('b'); } });
    await b.inbox.accept('t1', parseTransaction({ events: [makeEvent('!two:localhost')] }));
    await waitFor(() => handled.length > 0, 10_000, 'an item handled');
    assert.deepEqual(handled, ['b']);
    const rows = await b.store.postgres!.query<{ id: string }>(`SELECT id FROM ${b.store.postgres!.tables.processes}`, []);
    assert.deepEqual(rows.map((r) => r.id), [b.inbox.processId], 'the process that could not lead left');
    void a;
  });
});
