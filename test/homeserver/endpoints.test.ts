import { strict as assert } from 'node:assert';
import { Store } from '../../src/store/store.js';
import { HomeserverApi, ResponseFormatError, type ResponseInfo } from '../../src/homeserver/index.js';
import { tempDir } from '../helpers/temp.js';
import { FakeHomeserver, inOrder, matrixError, ok, type Received } from './fake-homeserver.js';
import { apiFor, AS_TOKEN } from './setup.js';

const ROOM = '!room:example.org';

const stateEvent = (type: string, stateKey: string, content: Record<string, unknown>) => ({
  type, state_key: stateKey, content, event_id: `$${type}`, room_id: ROOM, sender: '@creator:example.org', origin_server_ts: 1,
});

describe('homeserver client: endpoints', () => {
  let fake: FakeHomeserver;
  afterEach(async () => fake.close());

  const request = (i: number): Received => fake.received[i]!;

  it('registers virtual users, reads M_USER_IN_USE as "exists", and remembers them', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    fake = await FakeHomeserver.start(inOrder(ok({ user_id: '@irc_alice:example.org' }), matrixError(400, 'M_USER_IN_USE')));
    const api = apiFor(fake, { store });
    assert.deepEqual(await api.account.register('irc_alice'), { userId: '@irc_alice:example.org', created: true });
    assert.deepEqual(fake.json(0), { type: 'm.login.application_service', username: 'irc_alice', inhibit_login: true });
    assert.equal(request(0).query.get('user_id'), null);
    assert.deepEqual(await api.account.register('irc_bob'), { userId: '@irc_bob:example.org', created: false });
    await api.account.ensureRegistered('@irc_carol:example.org');
    await api.account.ensureRegistered('@irc_carol:example.org');
    assert.equal(fake.received.length, 3, 'the second ensureRegistered is answered by the store');
    await store.close();
    await dir.cleanup();
  });

  it('fetches room state for the mirror, validated, as a given user', async () => {
    fake = await FakeHomeserver.start(() => ok([stateEvent('m.room.create', '', { room_version: '11' }), stateEvent('m.room.name', '', { name: 'n' })]));
    const api = apiFor(fake);
    const fetchState = api.rooms.stateFetcher({ asUser: '@irc_alice:example.org' });
    const events = await fetchState(ROOM);
    assert.deepEqual(events.map((e) => e.type), ['m.room.create', 'm.room.name']);
    assert.equal(request(0).path, '/_matrix/client/v3/rooms/!room%3Aexample.org/state');
    assert.equal(request(0).query.get('user_id'), '@irc_alice:example.org');
  });

  it('rejects a state list with a bad event', async () => {
    fake = await FakeHomeserver.start(() => ok([{ type: 'm.room.name', content: {} }]));
    await assert.rejects(apiFor(fake).rooms.getState(ROOM), (err: unknown) => err instanceof ResponseFormatError && /response\[0\]/.test(err.message));
  });

  it('returns undefined for missing state and aliases', async () => {
    fake = await FakeHomeserver.start(() => matrixError(404, 'M_NOT_FOUND'));
    const api = apiFor(fake);
    assert.equal(await api.rooms.getStateContent(ROOM, 'm.room.topic'), undefined);
    assert.equal(await api.directory.resolveAlias('#nope:example.org'), undefined);
  });

  it('pings the appservice, publishes to the appservice directory, sets profile and presence', async () => {
    fake = await FakeHomeserver.start((req) => req.path.endsWith('/ping') ? ok({ duration_ms: 12 }) : ok());
    const api = apiFor(fake);
    assert.equal(await api.appservice.ping('txn-1'), 12);
    assert.equal(request(0).path, '/_matrix/client/v1/appservice/testbridge/ping');
    assert.deepEqual(fake.json(0), { transaction_id: 'txn-1' });
    await api.directory.setAppserviceRoomVisibility('irc.example', ROOM, 'public');
    assert.equal(request(1).path, '/_matrix/client/v3/directory/list/appservice/irc.example/!room%3Aexample.org');
    assert.equal(request(1).method, 'PUT');
    await api.profile.setDisplayName('Alice (IRC)', { asUser: '@irc_alice:example.org' });
    assert.equal(request(2).path, '/_matrix/client/v3/profile/%40irc_alice%3Aexample.org/displayname');
    assert.deepEqual(fake.json(2), { displayname: 'Alice (IRC)' });
    await api.ephemeral.setTyping(ROOM, true, { asUser: '@irc_alice:example.org', typingTimeoutMs: 5000 });
    assert.deepEqual(fake.json(3), { typing: true, timeout: 5000 });
    await api.ephemeral.setPresence('online', { statusMsg: 'here' });
    assert.deepEqual(fake.json(4), { presence: 'online', status_msg: 'here' });
  });

  it('uploads media as raw bytes and returns the mxc URI', async () => {
    fake = await FakeHomeserver.start(() => ok({ content_uri: 'mxc://example.org/abc' }));
    const api = apiFor(fake);
    const uri = await api.media.upload(new Uint8Array([1, 2, 3]), 'image/png', { filename: 'a.png' });
    assert.equal(uri, 'mxc://example.org/abc');
    assert.equal(request(0).headers['content-type'], 'image/png');
    assert.deepEqual([...request(0).body], [1, 2, 3]);
    assert.equal(request(0).query.get('filename'), 'a.png');
  });

  it('reports every attempt to onResponse, by endpoint template and status', async () => {
    const seen: ResponseInfo[] = [];
    fake = await FakeHomeserver.start(inOrder(matrixError(502, 'M_UNKNOWN'), ok({ event_id: '$e' })));
    const api = apiFor(fake, { onResponse: (info) => seen.push(info) });
    await api.events.send(ROOM, 'm.room.message', { body: 'x' });
    assert.deepEqual(seen.map((s) => [s.method, s.endpoint, s.status, s.attempt]), [
      ['PUT', '/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', 502, 1],
      ['PUT', '/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', 200, 2],
    ]);
  });

  it('builds from a registration', async () => {
    fake = await FakeHomeserver.start(() => ok({ user_id: '@bot:example.org' }));
    const api = HomeserverApi.fromRegistration(
      { id: 'reg', url: null, as_token: AS_TOKEN, hs_token: 'h', sender_localpart: 'bot', namespaces: {} },
      { baseUrl: fake.url, domain: 'example.org' },
    );
    assert.equal(api.client.botUserId, '@bot:example.org');
    assert.deepEqual(await api.account.whoami(), { userId: '@bot:example.org' });
    assert.equal(request(0).query.get('user_id'), '@bot:example.org');
  });
});
