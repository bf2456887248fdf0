import assert from 'node:assert/strict';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { Store } from '../../src/store/index.js';
import { IdbLevelPersister, type PersisterSections } from '../../src/crypto/idb/persister.js';
import { installIndexedDb } from '../../src/crypto/idb/globals.js';
import { tempDir } from '../helpers/temp.js';

function sectionsOf(store: Store): PersisterSections {
  return {
    schemas: store.section('crypto.idb.schemas'),
    records: store.db.sublevel('crypto.idb.records', { valueEncoding: 'buffer' }) as unknown as PersisterSections['records'],
  };
}

/** fake-indexeddb's objects, untyped here: the project compiles without the DOM library. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Dyn = any;

let instance = 0;
const prefix = () => `persister-test-${process.pid}-${++instance}/`;

function request(req: Dyn): Promise<Dyn> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error('request failed'));
  });
}

describe('crypto: IndexedDB persisted in Level', () => {
  it('restores stores, indexes, records, deletes by key and by range, into a fresh factory', async () => {
    const dir = await tempDir();
    try {
      let store = await Store.open(dir.path);
      let factory: Dyn = new IDBFactory();
      let p = prefix();
      let persister = await IdbLevelPersister.open(store, sectionsOf(store), factory, p);
      assert.equal(persister.restored, false);
      const open = factory.open(`${p}db`, 3);
      open.onupgradeneeded = () => {
        const db = open.result;
        const s = db.createObjectStore('byPath', { keyPath: 'id' });
        s.createIndex('name', 'name', { unique: false });
        db.createObjectStore('outOfLine');
      };
      const db = await request(open);
      const tx = db.transaction(['byPath', 'outOfLine'], 'readwrite');
      tx.objectStore('byPath').put({ id: 'a', name: 'x', bytes: new Uint8Array([1, 2, 3]) });
      tx.objectStore('byPath').put({ id: 'b', name: 'y' });
      for (let i = 0; i < 10; i++) tx.objectStore('outOfLine').put({ n: i }, i);
      tx.objectStore('outOfLine').delete(IDBKeyRange.bound(2, 4));
      tx.objectStore('byPath').delete('b');
      await new Promise((resolve) => { tx.oncomplete = resolve; });
      // An aborted transaction leaves nothing behind.
      const aborted = db.transaction(['outOfLine'], 'readwrite');
      aborted.objectStore('outOfLine').put({ n: 99 }, 99);
      aborted.abort();
      await new Promise((resolve) => { aborted.onabort = resolve; });
      await persister.flushed();
      db.close();
      await persister.close();
      await store.close();

      // A new process: a new factory with nothing in it, the same Level store.
      store = await Store.open(dir.path);
      factory = new IDBFactory() as Dyn;
      p = prefix();
      persister = await IdbLevelPersister.open(store, sectionsOf(store), factory, p);
      assert.equal(persister.restored, true);
      const reopen = factory.open(`${p}db`, 3);
      reopen.onupgradeneeded = () => assert.fail('the restored database must already be at version 3');
      const db2 = await request(reopen);
      const read = db2.transaction(['byPath', 'outOfLine'], 'readonly');
      const a = await request(read.objectStore('byPath').get('a'));
      assert.deepEqual(a, { id: 'a', name: 'x', bytes: new Uint8Array([1, 2, 3]) });
      assert.equal(await request(read.objectStore('byPath').get('b')), undefined);
      assert.deepEqual(await request(read.objectStore('byPath').index('name').getAllKeys('x')), ['a']);
      assert.deepEqual(await request(read.objectStore('outOfLine').getAllKeys()), [0, 1, 5, 6, 7, 8, 9]);
      db2.close();
      await persister.close();
      await store.close();
    } finally {
      await dir.cleanup();
    }
  });

  it('an OlmMachine keeps its identity across a restart of the store', async () => {
    const dir = await tempDir();
    try {
      await wasm.initAsync();
      const user = new wasm.UserId('@bot:localhost');
      const device = new wasm.DeviceId('PERSISTDEV');
      const keysAfter = async (fresh: boolean) => {
        const store = await Store.open(dir.path);
        const factory = await installIndexedDb();
        const p = prefix();
        const persister = await IdbLevelPersister.open(store, sectionsOf(store), factory, p);
        assert.equal(persister.restored, !fresh);
        const machine = await wasm.OlmMachine.initialize(user, device, `${p}crypto`);
        const key = machine.identityKeys.curve25519.toBase64();
        const requests = await machine.outgoingRequests();
        await persister.flushed();
        machine.close();
        await persister.close();
        await store.close();
        return { key, requests: requests.map((r) => r.type) };
      };
      const first = await keysAfter(true);
      const second = await keysAfter(false);
      assert.equal(second.key, first.key, 'same identity key after the restart');
      assert.ok(first.requests.includes(wasm.RequestType.KeysUpload));
    } finally {
      await dir.cleanup();
    }
  });
});
