import assert from 'node:assert/strict';
import { LateEvents } from '../../src/crypto/late-events.js';
import type { DecryptResult } from '../../src/crypto/service.js';
import type { RoomEvent } from '../../src/events/types.js';
import type { ItemHandler } from '../../src/inbox/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { handleEncrypted } from '../../src/runtime/encrypted-event.js';
import { Sections } from '../../src/store/index.js';
import { putTransaction, startEndpoint, type Endpoint } from '../helpers/endpoint.js';
import { makeEvent } from '../helpers/events.js';

const ROOM = '!portal:localhost';

/** What the plugin host was handed, in order. */
interface Delivery { readonly eventId: string; readonly as: 'plain' | 'undecryptable' | 'decrypted'; readonly late?: boolean; readonly body?: unknown }

/**
 * A stand-in for the crypto machine: an event "decrypts" once the key of its session is
 * known. The inbox, the store, the journal and the restarts are real.
 */
class Keys {
  readonly known = new Set<string>();
  decrypt = async (event: RoomEvent): Promise<DecryptResult> => {
    const session = String(event.content['session_id']);
    if (!this.known.has(session)) return { kind: 'undecryptable', reason: 'the room key is missing', keyMayCome: event.content['refused'] !== true };
    return { kind: 'decrypted', event: { ...event, type: 'm.room.message', content: { msgtype: 'm.text', body: event.content['plain'] } }, verified: false, senderDevice: 'ALICEDEV' };
  };
}

function encrypted(session: string, plain: string, extra: Record<string, unknown> = {}): RoomEvent {
  return makeEvent(ROOM, { type: 'm.room.encrypted', content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: session, plain, ...extra } });
}

/** An endpoint whose handler is the bridge's encrypted-event path; `gate` can hold late deliveries back. */
async function bridgeOn(
  keys: Keys, deliveries: Delivery[], storePath?: string, gate?: Promise<void>, whileUndecryptable?: (late: LateEvents) => Promise<void>,
): Promise<{ endpoint: Endpoint; late: LateEvents }> {
  let late: LateEvents | undefined;
  let ready!: () => void;
  const started = new Promise<void>((resolve) => { ready = resolve; });
  const handler: ItemHandler = async (item, ctx) => {
    await started;
    if (item.kind !== 'event') return;
    if (item.event.type !== 'm.room.encrypted') {
      deliveries.push({ eventId: item.event.event_id, as: 'plain' });
      return;
    }
    if (gate && late!.isLateDelivery(item.event, ctx)) await gate;
    await handleEncrypted(item.event, ctx, async (event, _ctx, crypto) => {
      if (crypto && 'undecryptable' in crypto) {
        deliveries.push({ eventId: event.event_id, as: 'undecryptable' });
        await whileUndecryptable?.(late!);
      }
      else deliveries.push({ eventId: event.event_id, as: 'decrypted', late: crypto?.late, body: event.content['body'] });
    }, { decrypt: keys.decrypt, late: late! });
  };
  const endpoint = await startEndpoint({ handler, storePath });
  late = new LateEvents(endpoint.store, (event) => keys.decrypt(event), silentLogger());
  ready();
  await late.start((item, txnId, ops) => endpoint.inbox.inject(item, txnId, ops));
  return { endpoint, late };
}

async function keptIds(endpoint: Endpoint): Promise<string[]> {
  const ids: string[] = [];
  for await (const key of endpoint.store.section(Sections.cryptoLateEvents).keys()) ids.push(key);
  return ids;
}

describe('crypto: a room key that comes after the wait still brings its event to the plugin, once', function () {
  this.timeout(20_000);
  const open: Endpoint[] = [];
  afterEach(async () => {
    for (const endpoint of open.splice(0)) await endpoint.close().catch(() => undefined);
  });

  it('passed on as undecryptable, then decrypted with late: true after newer events, once however often keys arrive', async () => {
    const keys = new Keys();
    const deliveries: Delivery[] = [];
    const { endpoint, late } = await bridgeOn(keys, deliveries);
    open.push(endpoint);
    const first = encrypted('s1', 'said first');
    const refused = encrypted('s2', 'never', { refused: true });
    const newer = makeEvent(ROOM);
    assert.equal((await putTransaction(endpoint.url, 't1', { events: [first, refused, newer] })).status, 200);
    await endpoint.inbox.drained();
    assert.deepEqual(deliveries.map((d) => [d.eventId, d.as]), [[first.event_id, 'undecryptable'], [refused.event_id, 'undecryptable'], [newer.event_id, 'plain']]);
    assert.deepEqual(await keptIds(endpoint), [first.event_id], 'kept: only the event whose key may still come');

    keys.known.add('s1');
    await Promise.all([late.rescan(), late.rescan(), late.rescan()]);
    await endpoint.inbox.drained();
    await late.rescan();
    await endpoint.inbox.drained();
    assert.deepEqual(deliveries.slice(3), [{ eventId: first.event_id, as: 'decrypted', late: true, body: 'said first' }], 'handed on once, after the newer event');
    assert.deepEqual(await keptIds(endpoint), [], 'forgotten once delivered');
    // The homeserver sending the event again changes nothing (the journal's dedupe).
    assert.equal((await putTransaction(endpoint.url, 't2', { events: [first] })).status, 200);
    await endpoint.inbox.drained();
    assert.equal(deliveries.length, 4);
  });

  it('a key that arrives while the plugin is being told of the undecryptable event still brings it back', async () => {
    const keys = new Keys();
    const deliveries: Delivery[] = [];
    // As seen on Synapse: the key's to-device message is processed while the bot tells the room.
    const { endpoint } = await bridgeOn(keys, deliveries, undefined, undefined, async (late) => {
      keys.known.add('s5');
      await late.rescan();
    });
    open.push(endpoint);
    const event = encrypted('s5', 'key during the notice');
    assert.equal((await putTransaction(endpoint.url, 't1', { events: [event] })).status, 200);
    await endpoint.inbox.drained();
    assert.deepEqual(deliveries, [
      { eventId: event.event_id, as: 'undecryptable' },
      { eventId: event.event_id, as: 'decrypted', late: true, body: 'key during the notice' },
    ]);
    assert.deepEqual(await keptIds(endpoint), []);
  });

  it('a restart between the undecryptable delivery and the key loses nothing: the key found at start brings it back', async () => {
    const keys = new Keys();
    const deliveries: Delivery[] = [];
    const before = await bridgeOn(keys, deliveries);
    const event = encrypted('s3', 'across a restart');
    assert.equal((await putTransaction(before.endpoint.url, 't1', { events: [event] })).status, 200);
    await before.endpoint.inbox.drained();
    await before.endpoint.close(false);
    assert.deepEqual(deliveries.map((d) => d.as), ['undecryptable']);

    keys.known.add('s3'); // the key came while the bridge was stopped
    const after = await bridgeOn(keys, deliveries, before.endpoint.storePath);
    open.push(after.endpoint);
    await after.endpoint.inbox.drained();
    assert.deepEqual(deliveries.slice(1), [{ eventId: event.event_id, as: 'decrypted', late: true, body: 'across a restart' }]);
    await after.endpoint.close(false);

    const again = await bridgeOn(keys, deliveries, before.endpoint.storePath);
    open.push(again.endpoint);
    await again.endpoint.inbox.drained();
    assert.equal(deliveries.length, 2, 'not handed on again after another restart');
  });

  it('a restart after the event was journaled again and before it was handled delivers it once', async () => {
    const keys = new Keys();
    const deliveries: Delivery[] = [];
    const never = new Promise<void>(() => undefined);
    const first = await bridgeOn(keys, deliveries, undefined, never);
    const event = encrypted('s4', 'journaled, then a stop');
    assert.equal((await putTransaction(first.endpoint.url, 't1', { events: [event] })).status, 200);
    await first.endpoint.inbox.drained();
    keys.known.add('s4');
    await first.late.rescan(); // journaled again; its handler is held back, then the bridge stops
    await first.endpoint.close(false);
    assert.deepEqual(deliveries.map((d) => d.as), ['undecryptable']);

    const second = await bridgeOn(keys, deliveries, first.endpoint.storePath);
    open.push(second.endpoint);
    await second.endpoint.inbox.drained();
    await second.late.rescan();
    await second.endpoint.inbox.drained();
    assert.deepEqual(deliveries.slice(1), [{ eventId: event.event_id, as: 'decrypted', late: true, body: 'journaled, then a stop' }]);
  });
});
